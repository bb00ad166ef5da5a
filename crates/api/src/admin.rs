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

/// Seal input: nothing. A deployment on the Shamir seal goes back to its
/// sealed state (the root key and everything derived from it leave memory)
/// once the requests in flight are answered.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealRequest {}

impl Validate for SealRequest {
    fn check(&self, _: &mut Violations) {}
}

/// RotateRoot input: the seal the deployment moves to. Every domain key
/// (and the root seed) is wrapped again under the new seal's root key, in
/// one transaction with the call's event; the new seal's file is put in
/// place once that commits.
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RotateRootRequest {
    /// `key-file`, `passphrase`, `shamir` or `pkcs11`.
    pub seal: Option<String>,
    /// The new passphrase (`passphrase`; at least 12 characters). Never
    /// logged, never in the event.
    pub passphrase: Option<zeroize::Zeroizing<String>>,
    /// Shares to make (`shamir`; 2–255).
    pub share_count: Option<i64>,
    /// Shares that open the new seal (`shamir`; 2–ShareCount).
    pub threshold: Option<i64>,
}

impl std::fmt::Debug for RotateRootRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotateRootRequest")
            .field("seal", &self.seal)
            .field("share_count", &self.share_count)
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

/// The seals a deployment may rotate to.
pub const ROOT_SEALS: [&str; 4] = ["key-file", "passphrase", "shamir", "pkcs11"];

impl Validate for RotateRootRequest {
    fn check(&self, v: &mut Violations) {
        v.required("seal", &self.seal);
        v.pattern("seal", self.seal.as_deref(), "key-file|passphrase|shamir|pkcs11", |s| ROOT_SEALS.contains(&s));
        v.range("shareCount", self.share_count, 2, 255);
        v.range("threshold", self.threshold, 2, 255);
        // A credential: its value is never quoted.
        v.blob_len("passphrase", self.passphrase.as_ref().map(|p| p.chars().count()), 12, 1024);
    }
}

/// RotateRoot output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateRootResponse {
    /// The seal the deployment is now under (set `seal` to it in the
    /// configuration before the next start).
    pub seal: String,
    /// The new seal's file, in the server's data directory.
    pub seal_file: String,
    /// Domain keys wrapped again (the root seed not counted).
    pub domain_keys: u32,
    /// The new Shamir seal's shares (`shamir`), shown once, here: each
    /// to a different holder. Never logged, never in the event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<zeroize::Zeroizing<String>>,
    /// What the operator must still do.
    pub next_steps: Vec<String>,
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
    /// Place in the trail's order (the order of `AfterSeq`).
    pub seq: u64,
    /// Its chain (0 on a trail of one chain).
    pub chain: u32,
    /// Position in its chain (its seq on a trail of one chain).
    pub position: u64,
    /// Hex SHA-256 of the previous record.
    pub prev_hash: String,
    /// Hex SHA-256 of this record.
    pub hash: String,
    /// The CloudTrail record (JSON text).
    pub event: String,
}

/// VerifyAuditTrail input: empty to walk the whole trail, or the
/// `LastSeq` and `LastHash` of an earlier report to walk what followed.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VerifyAuditTrailRequest {
    /// The chain of the record verified before (0 when absent): the
    /// `Chain` of an earlier report.
    pub after_chain: Option<u32>,
    /// Position (seq) of a record verified before.
    pub after_seq: Option<u64>,
    /// Its hash (hex, as `LastHash` gave it).
    pub after_hash: Option<String>,
}

impl Validate for VerifyAuditTrailRequest {
    fn check(&self, v: &mut Violations) {
        if self.after_seq.is_some() {
            v.required("afterHash", &self.after_hash);
        }
        if self.after_hash.is_some() {
            v.required("afterSeq", &self.after_seq);
        }
        v.pattern("afterHash", self.after_hash.as_deref(), "^[0-9a-f]{64}$", |h| {
            h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
    }
}

/// VerifyAuditTrail output.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyAuditTrailResponse {
    /// Records read and found intact, of every chain.
    pub records: u64,
    /// The chain `FirstSeq`, `LastSeq`, `LastHash` and `Problem` are of
    /// (0 on a trail of one chain): where tampering was found, else the
    /// `AfterChain` asked for, else chain 0.
    pub chain: u32,
    /// Position of the first record kept (above 1 after retention pruned).
    pub first_seq: u64,
    /// Position of the last intact record.
    pub last_seq: u64,
    /// Hex hash of the last intact record: with `LastSeq`, where a later
    /// verification can start (`AfterSeq`, `AfterHash`).
    pub last_hash: String,
    /// Checkpoints checked (stored and digest files, each number once).
    pub checkpoints: u64,
    /// Digest files read.
    pub digest_files: u64,
    /// Hex Ed25519 public key that checks the checkpoints.
    pub public_key: String,
    /// The first tampering found, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Each chain walked, when the trail has several (a PostgreSQL
    /// deployment's, a chain per node).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<VerifiedChain>,
    /// The newest signed checkpoint (of the answering node's chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checkpoint: Option<CheckpointSummary>,
}

/// Where the newest checkpoint of a VerifyAuditTrail answer stands.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckpointSummary {
    /// Its chain.
    pub chain: u32,
    /// Its number in the chain's sequence of checkpoints (absent for a
    /// checkpoint signed before they were numbered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// The position of the record it covers.
    pub seq: u64,
    /// When it was signed.
    pub created: crate::time::Timestamp,
}

/// One chain of a VerifyAuditTrail answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifiedChain {
    /// The chain.
    pub chain: u32,
    /// Records read.
    pub records: u64,
    /// Position of its first record read.
    pub first_seq: u64,
    /// Position of its last record.
    pub last_seq: u64,
    /// Hex hash of its last record (`AfterChain`, `AfterSeq`, `AfterHash`
    /// of a later verification).
    pub last_hash: String,
}

/// GetUsage input: the requests and key-months of the caller's account
/// (or, for the operator with `AllAccounts`, of every account) in
/// `[Since, Until)`, requests counted per hour or per day.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetUsageRequest {
    /// Start of the window (epoch seconds), inclusive.
    pub since: Option<crate::time::Timestamp>,
    /// End of the window (epoch seconds), exclusive; after `Since`.
    pub until: Option<crate::time::Timestamp>,
    /// `HOUR` or `DAY` (default): the width of the request buckets, which
    /// start at whole UTC hours or days.
    pub granularity: Option<String>,
    /// Every account's usage (the operator account only); default false.
    pub all_accounts: Option<bool>,
}

/// The granularities of GetUsage, with their bucket widths in ms.
pub const USAGE_GRANULARITIES: [(&str, i64); 2] = [("HOUR", 3_600_000), ("DAY", 86_400_000)];

impl GetUsageRequest {
    /// The bucket width in ms that `Granularity` names (validated; `DAY`
    /// when absent).
    pub fn bucket_ms(&self) -> i64 {
        let g = self.granularity.as_deref().unwrap_or("DAY");
        USAGE_GRANULARITIES.iter().find(|(name, _)| *name == g).map_or(86_400_000, |(_, ms)| *ms)
    }
}

impl Validate for GetUsageRequest {
    fn check(&self, v: &mut Violations) {
        v.required("since", &self.since);
        v.required("until", &self.until);
        v.pattern("granularity", self.granularity.as_deref(), "HOUR|DAY", |g| {
            USAGE_GRANULARITIES.iter().any(|(name, _)| *name == g)
        });
    }
}

/// GetUsage output (`trent admin usage`, the console's usage page).
///
/// `Requests` counts each call once per key it named (a ReEncrypt from one
/// key to another counts on both keys; a call that named no key is one row
/// without `KeyArn`); `Totals` counts each call once, per account and
/// operation, and is what an account's request charge sums. Both are per
/// recipient account: a call on another account's key is in the caller's
/// rows and in the key owner's. `Keys` holds the key-months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUsageResponse {
    /// The window's start (epoch seconds).
    pub since: crate::time::Timestamp,
    /// The window's end (epoch seconds), exclusive.
    pub until: crate::time::Timestamp,
    /// The width of a bucket, in seconds.
    pub bucket_seconds: i64,
    /// Requests per bucket, account, key and operation.
    pub requests: Vec<UsageRow>,
    /// Requests per bucket, account and operation, each call once.
    pub totals: Vec<UsageTotal>,
    /// Key-months per key.
    pub keys: Vec<KeyMonths>,
}

/// One row of [`GetUsageResponse::requests`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsageRow {
    /// Start of the bucket (epoch seconds, a whole UTC hour or day).
    pub bucket_start: crate::time::Timestamp,
    /// The account whose trail holds the calls.
    pub account: String,
    /// The key the calls named; absent for calls that named none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
    /// The operation (CloudTrail's `eventName`).
    pub operation: String,
    /// Its `eventSource` (`kms.amazonaws.com`, `iam.amazonaws.com`, …).
    pub event_source: String,
    /// Calls, failed ones included.
    pub requests: u64,
    /// Calls that failed (their event has an `errorCode`).
    pub errors: u64,
}

/// One row of [`GetUsageResponse::totals`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsageTotal {
    /// Start of the bucket (epoch seconds).
    pub bucket_start: crate::time::Timestamp,
    /// The account whose trail holds the calls.
    pub account: String,
    /// The operation (`eventName`).
    pub operation: String,
    /// Its `eventSource`.
    pub event_source: String,
    /// Calls, each once, failed ones included.
    pub requests: u64,
    /// Calls that failed.
    pub errors: u64,
}

/// One row of [`GetUsageResponse::keys`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMonths {
    /// The key's account.
    pub account: String,
    /// The key's ARN.
    pub key_arn: String,
    /// Hours the key existed within the window (up to now) / 730.
    pub key_months: f64,
    /// When the key was created (epoch seconds); absent for a destroyed key
    /// whose creation the trail no longer holds (counted from `Since`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<crate::time::Timestamp>,
    /// When it was destroyed (epoch seconds), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<crate::time::Timestamp>,
}

/// `[A-Za-z0-9+=,.@_-]`: the characters of IAM names (users, roles,
/// groups, policies).
pub fn iam_name_ok(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

impl Violations {
    fn user_name(&mut self, v: Option<&str>) {
        self.required("userName", &v);
        self.optional_user_name(v);
    }

    /// A required `accessKeyIdType`: 16–128 of `[\w]`.
    pub(crate) fn access_key_id(&mut self, v: Option<&str>) {
        self.required("accessKeyId", &v);
        self.len("accessKeyId", v, 16, 128);
        self.pattern("accessKeyId", v, "[\\w]+", |s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    }

    pub(crate) fn optional_user_name(&mut self, v: Option<&str>) {
        self.len("userName", v, 1, 64);
        self.pattern("userName", v, "[\\w+=,.@-]+", iam_name_ok);
    }

    pub(crate) fn user_policy_name(&mut self, v: Option<&str>) {
        self.required("policyName", &v);
        self.len("policyName", v, 1, 128);
        self.pattern("policyName", v, "[\\w+=,.@-]+", iam_name_ok);
    }
}

/// An IAM tag (IAM's shape: `Key`, `Value`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IamTag {
    /// Key: 1–128 characters.
    pub key: Option<String>,
    /// Value: 0–256 characters.
    pub value: Option<String>,
}

/// Most tags an IAM user may have.
pub const MAX_USER_TAGS: usize = 50;

/// IAM's tag characters: letters, digits, spaces and `_.:/=+-@`.
fn iam_tag_chars_ok(s: &str) -> bool {
    s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

impl Violations {
    pub(crate) fn iam_tags(&mut self, tags: Option<&Vec<IamTag>>) {
        self.list_len("tags", tags, 0, MAX_USER_TAGS);
        for (i, t) in tags.into_iter().flatten().enumerate() {
            let at = format!("tags.{}.member.key", i + 1);
            self.required(&at, &t.key);
            self.len(&at, t.key.as_deref(), 1, 128);
            self.pattern(&at, t.key.as_deref(), "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", iam_tag_chars_ok);
            let at = format!("tags.{}.member.value", i + 1);
            self.required(&at, &t.value);
            self.len(&at, t.value.as_deref(), 0, 256);
            self.pattern(&at, t.value.as_deref(), "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", iam_tag_chars_ok);
        }
    }
}

/// CreateUser input (IAM's shape): an IAM user in the caller's account,
/// with its first access key.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateUserRequest {
    /// The user's name.
    pub user_name: Option<String>,
    /// The user's tags: its `aws:PrincipalTag/*`.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for CreateUserRequest {
    fn check(&self, v: &mut Violations) {
        v.user_name(self.user_name.as_deref());
        v.iam_tags(self.tags.as_ref());
    }
}

/// TagUser input: adds tags, replacing the value of a key already present.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TagUserRequest {
    /// The user's name.
    pub user_name: Option<String>,
    /// The tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for TagUserRequest {
    fn check(&self, v: &mut Violations) {
        v.user_name(self.user_name.as_deref());
        v.required("tags", &self.tags);
        v.iam_tags(self.tags.as_ref());
    }
}

/// UntagUser input: removes the named tags (absent ones are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UntagUserRequest {
    /// The user's name.
    pub user_name: Option<String>,
    /// The keys to remove.
    pub tag_keys: Option<Vec<String>>,
}

impl Validate for UntagUserRequest {
    fn check(&self, v: &mut Violations) {
        v.user_name(self.user_name.as_deref());
        v.required("tagKeys", &self.tag_keys);
        v.list_len("tagKeys", self.tag_keys.as_ref(), 0, MAX_USER_TAGS);
    }
}

/// ListUserTags output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserTagsResponse {
    /// The tags in the order they were added.
    pub tags: Vec<IamTag>,
    /// Always false: a user has at most 50 tags.
    pub is_truncated: bool,
}

/// A user, as CreateUser and ListUsers show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// Name.
    pub user_name: String,
    /// Unique id (`AIDA…`).
    pub user_id: String,
    /// `arn:aws:iam::ACCOUNT:user/NAME`.
    pub arn: String,
    /// Creation time, epoch seconds.
    pub create_date: crate::time::Timestamp,
    /// Tags, when it has any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<IamTag>,
}

/// CreateUser output. The secret access key is shown once, here.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserResponse {
    /// The user.
    pub user: User,
    /// Its access key id.
    pub access_key_id: String,
    /// Its secret access key (never stored in clear, never logged).
    pub secret_access_key: zeroize::Zeroizing<String>,
}

/// The input of the operations on one user and nothing else: DeleteUser
/// (the user, its policies and its access keys go), ListUserPolicies,
/// ListUserTags.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UserRequest {
    /// The user's name.
    pub user_name: Option<String>,
}

impl Validate for UserRequest {
    fn check(&self, v: &mut Violations) {
        v.user_name(self.user_name.as_deref());
    }
}

/// ListUsers input (none).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ListUsersRequest {}

impl Validate for ListUsersRequest {
    fn check(&self, _: &mut Violations) {}
}

/// ListUsers output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersResponse {
    /// The account's users, by name.
    pub users: Vec<User>,
}

/// PutUserPolicy input (IAM's shape): adds or replaces an inline identity
/// policy of a user.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutUserPolicyRequest {
    /// The user's name.
    pub user_name: Option<String>,
    /// The policy's name.
    pub policy_name: Option<String>,
    /// The policy document (JSON).
    pub policy_document: Option<String>,
}

impl Validate for PutUserPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.user_name(self.user_name.as_deref());
        v.user_policy_name(self.policy_name.as_deref());
        v.required("policyDocument", &self.policy_document);
        v.len("policyDocument", self.policy_document.as_deref(), 1, 131_072);
    }
}

/// GetUserPolicy and DeleteUserPolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UserPolicyRequest {
    /// The user's name.
    pub user_name: Option<String>,
    /// The policy's name.
    pub policy_name: Option<String>,
}

impl Validate for UserPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.user_name(self.user_name.as_deref());
        v.user_policy_name(self.policy_name.as_deref());
    }
}

/// GetUserPolicy output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserPolicyResponse {
    /// The user's name.
    pub user_name: String,
    /// The policy's name.
    pub policy_name: String,
    /// The document, as put.
    pub policy_document: String,
}

/// ListUserPolicies output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoliciesResponse {
    /// The user's policy names, sorted.
    pub policy_names: Vec<String>,
}

/// CreateAccessKey, ListAccessKeys input (IAM's shapes): a user's keys, or
/// without `UserName` the caller's own.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AccessKeysRequest {
    /// The user's name; absent: the caller.
    pub user_name: Option<String>,
}

impl Validate for AccessKeysRequest {
    fn check(&self, v: &mut Violations) {
        v.optional_user_name(self.user_name.as_deref());
    }
}

/// DeleteAccessKey input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteAccessKeyRequest {
    /// The user's name; absent: the caller.
    pub user_name: Option<String>,
    /// The key to delete.
    pub access_key_id: Option<String>,
}

impl Validate for DeleteAccessKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.optional_user_name(self.user_name.as_deref());
        v.access_key_id(self.access_key_id.as_deref());
    }
}

/// One access key, as IAM shows it (the secret only in CreateAccessKey).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKey {
    /// The user; absent for an account root's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The id.
    pub access_key_id: String,
    /// `Active`, or `Inactive` after IAM's UpdateAccessKey.
    pub status: &'static str,
    /// The secret (CreateAccessKey only; never stored in clear, never logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<zeroize::Zeroizing<String>>,
    /// Creation time.
    pub create_date: crate::time::Timestamp,
}

/// CreateAccessKey output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAccessKeyResponse {
    /// The key, with its secret.
    pub access_key: AccessKey,
}

/// ListAccessKeys output.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysResponse {
    /// The keys, by id, without secrets.
    pub access_key_metadata: Vec<AccessKey>,
    /// Always false: at most two keys.
    pub is_truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify(body: &str) -> Result<(), String> {
        serde_json::from_str::<VerifyAuditTrailRequest>(body).map_err(|e| e.to_string())?.validate()
    }

    #[test]
    fn verify_from_a_record_takes_its_seq_and_hash_together() {
        let hash = "ab".repeat(32);
        assert_eq!(verify("{}"), Ok(()));
        assert_eq!(verify(&format!(r#"{{"AfterSeq":7,"AfterHash":"{hash}"}}"#)), Ok(()));
        assert!(verify(r#"{"AfterSeq":7}"#)
            .unwrap_err()
            .contains("'afterHash' failed to satisfy constraint: Member must not be null"));
        assert!(verify(&format!(r#"{{"AfterHash":"{hash}"}}"#)).unwrap_err().contains("'afterSeq'"));
        for bad in ["AB".repeat(32), "ab".repeat(31), "zz".repeat(32)] {
            let err = verify(&format!(r#"{{"AfterSeq":7,"AfterHash":"{bad}"}}"#)).unwrap_err();
            assert!(err.contains("regular expression pattern: ^[0-9a-f]{64}$"), "{err}");
        }
    }
}
