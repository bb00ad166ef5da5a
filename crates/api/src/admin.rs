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
