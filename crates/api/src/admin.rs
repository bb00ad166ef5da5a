//! Trent's own administrative operations (`X-Amz-Target: TrentAdmin.<Op>`),
//! on the same endpoint and SigV4 signing as the KMS API. Not an AWS API:
//! the shapes follow the KMS conventions (JSON 1.1, PascalCase).

use crate::validate::{Validate, Violations};
use serde::{Deserialize, Serialize};

/// CreateAccount input: both ids are generated when absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// A 12-digit account id.
    pub account_id: Option<String>,
    /// The new root access key id (16–128 letters and digits).
    pub access_key_id: Option<String>,
}

impl Validate for CreateAccountRequest {
    fn check(&self, v: &mut Violations) {
        v.len("accountId", self.account_id.as_deref(), 12, 12);
        v.pattern("accountId", self.account_id.as_deref(), "^[0-9]{12}$", |s| s.bytes().all(|b| b.is_ascii_digit()));
        v.len("accessKeyId", self.access_key_id.as_deref(), 16, 128);
        v.pattern("accessKeyId", self.access_key_id.as_deref(), "^[A-Za-z0-9]+$", |s| {
            s.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    }
}

/// CreateAccount output. The secret access key is shown once, here.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAccountResponse {
    /// The account id.
    pub account_id: String,
    /// The root principal's ARN.
    pub principal: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key (never stored in clear, never logged).
    pub secret_access_key: zeroize::Zeroizing<String>,
}

/// ReadAuditTrail input: records after `AfterSeq`, in order.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ReadAuditTrailRequest {
    /// Records with a greater seq (default 0: from the start).
    pub after_seq: Option<u64>,
    /// At most this many (1–1000, default 1000).
    pub limit: Option<i64>,
}

impl Validate for ReadAuditTrailRequest {
    fn check(&self, v: &mut Violations) {
        v.range("limit", self.limit, 1, 1000);
    }
}

/// ReadAuditTrail output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadAuditTrailResponse {
    /// The records.
    pub records: Vec<AuditTrailRecord>,
    /// Seq of the last record of the whole trail (0 when empty).
    pub last_seq: u64,
}

/// One record of the trail with its chain fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditTrailRecord {
    /// Position in the chain.
    pub seq: u64,
    /// Hex SHA-256 of the previous record.
    pub prev_hash: String,
    /// Hex SHA-256 of this record.
    pub hash: String,
    /// The CloudTrail record (JSON text).
    pub event: String,
}

/// VerifyAuditTrail input (none).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VerifyAuditTrailRequest {}

impl Validate for VerifyAuditTrailRequest {
    fn check(&self, _: &mut Violations) {}
}

/// VerifyAuditTrail output.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyAuditTrailResponse {
    /// Records read and found intact.
    pub records: u64,
    /// Seq of the first record kept (above 1 after retention pruned).
    pub first_seq: u64,
    /// Seq of the last intact record.
    pub last_seq: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Hex Ed25519 public key that checks the checkpoints.
    pub public_key: String,
    /// The first tampering found, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}
