//! The audit trail: one CloudTrail-format event per call, hash-chained in
//! the store, written with group commit, fail-closed.
//!
//! - [`EventDraft`] describes a call as the server saw it; [`EventDraft::entry`]
//!   renders it as a CloudTrail record (`eventVersion` 1.11,
//!   `eventSource` `kms.amazonaws.com`) with request parameters and response
//!   elements taken from the wire JSON through an allow-list of members
//!   ([`REQUEST_MEMBERS`], and each operation's `audit_response` in
//!   [`trent_api::operation`]), so a member nobody has
//!   classified (a new plaintext-bearing field, say) stays out.
//! - [`Auditor`] appends entries with group commit: concurrent callers'
//!   entries go to the store in one transaction, and each caller returns only
//!   once its entry is durable. If the append fails, every caller of that
//!   batch gets the error and its request fails.
//! - [`verify_chain`] walks the stored trail and reports the first record
//!   that was edited, removed, reordered or inserted, and checks the signed
//!   checkpoints ([`trent_crypto::audit`]).

use crate::store::{Store, StoreResult};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;
use trent_api::{Api, Operation};
use trent_crypto::audit::{chain_hash, verify_checkpoint, GENESIS, HASH_LEN};

/// A chain hash.
pub type Hash = [u8; HASH_LEN];

/// An event ready to append: the CloudTrail record and the fields the
/// store indexes for lookups.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// `eventID`.
    pub event_id: String,
    /// `eventTime`, in milliseconds since the epoch.
    pub event_time: i64,
    /// `eventName` (the operation).
    pub event_name: String,
    /// `recipientAccountId`: the account whose trail holds the event; `None`
    /// for calls no account could be established for (bad signature).
    pub account: Option<String>,
    /// The `Username` lookup attribute (`root`, a user or session name).
    pub username: Option<String>,
    /// The access key that signed the call.
    pub access_key_id: Option<String>,
    /// `readOnly`.
    pub read_only: bool,
    /// ARNs of `resources`.
    pub resources: Vec<String>,
    /// The CloudTrail record, JSON, exactly as hashed.
    pub record: String,
}

/// A stored event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// Hash of the previous record ([`GENESIS`] for the first).
    pub prev_hash: Hash,
    /// `chain_hash(prev_hash, seq, record)`.
    pub hash: Hash,
    /// The event.
    pub entry: AuditEntry,
}

/// A signed statement that the chain's record `seq` had hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditCheckpoint {
    /// The record.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
    /// When signed (ms).
    pub created_at: i64,
    /// Ed25519 signature ([`trent_crypto::audit::CheckpointSigner`]).
    pub signature: Vec<u8>,
}

/// Chains `entries` after `head` (the last stored record's seq and hash):
/// what every backend does inside its append transaction.
pub fn chain(head: Option<(u64, Hash)>, entries: &[AuditEntry]) -> Vec<AuditRecord> {
    let (mut seq, mut prev) = head.unwrap_or((0, GENESIS));
    entries
        .iter()
        .map(|e| {
            seq += 1;
            let hash = chain_hash(&prev, seq, e.record.as_bytes());
            let r = AuditRecord { seq, prev_hash: prev, hash, entry: e.clone() };
            prev = hash;
            r
        })
        .collect()
}

/// One CloudTrail `LookupAttribute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupAttribute {
    /// `EventId`.
    EventId(String),
    /// `EventName`.
    EventName(String),
    /// `ReadOnly` (`true` / `false`).
    ReadOnly(bool),
    /// `Username`.
    Username(String),
    /// `ResourceType`: every Trent resource is `AWS::KMS::Key`.
    ResourceType(String),
    /// `ResourceName`: a key ARN, or a key id matching the ARN's last part.
    ResourceName(String),
    /// `EventSource`.
    EventSource(String),
    /// `AccessKeyId`.
    AccessKeyId(String),
}

/// A search of the trail, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events of this recipient account (`None`: every event).
    pub account: Option<String>,
    /// At most one attribute, as CloudTrail allows.
    pub attribute: Option<LookupAttribute>,
    /// Events at or after this time (ms).
    pub start: Option<i64>,
    /// Events at or before this time (ms).
    pub end: Option<i64>,
    /// Only records with seq below this (the page cursor).
    pub before_seq: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// The resource type of every Trent resource in CloudTrail.
pub const KEY_RESOURCE_TYPE: &str = "AWS::KMS::Key";
/// `eventSource` of Trent's events.
pub const EVENT_SOURCE: &str = Api::Kms.event_source();
/// `eventSource` of LookupEvents calls (CloudTrail's API on Trent).
pub const CLOUDTRAIL_SOURCE: &str = Api::CloudTrail.event_source();
/// The one CloudTrail operation Trent serves.
pub const LOOKUP_EVENT: &str = Operation::LookupEvents.name();

/// The `eventSource` of an event named `name`.
pub fn event_source_of(name: &str) -> &'static str {
    Operation::named(name).map_or(EVENT_SOURCE, |op| op.api().event_source())
}

impl AuditQuery {
    /// Whether `r` is selected (ignoring `limit`): the reference semantics
    /// the SQL backends implement.
    pub fn matches(&self, r: &AuditRecord) -> bool {
        let e = &r.entry;
        if self.account.as_ref().is_some_and(|a| e.account.as_ref() != Some(a)) {
            return false;
        }
        if self.start.is_some_and(|t| e.event_time < t) || self.end.is_some_and(|t| e.event_time > t) {
            return false;
        }
        if self.before_seq.is_some_and(|s| r.seq >= s) {
            return false;
        }
        match &self.attribute {
            None => true,
            Some(LookupAttribute::EventId(v)) => &e.event_id == v,
            Some(LookupAttribute::EventName(v)) => &e.event_name == v,
            Some(LookupAttribute::ReadOnly(v)) => e.read_only == *v,
            Some(LookupAttribute::Username(v)) => e.username.as_ref() == Some(v),
            Some(LookupAttribute::AccessKeyId(v)) => e.access_key_id.as_ref() == Some(v),
            Some(LookupAttribute::EventSource(v)) => v == event_source_of(&e.event_name),
            Some(LookupAttribute::ResourceType(v)) => v == KEY_RESOURCE_TYPE && !e.resources.is_empty(),
            Some(LookupAttribute::ResourceName(v)) => e.resources.iter().any(|a| resource_name_matches(a, v)),
        }
    }
}

/// `ResourceName` matches a resource ARN exactly, or its key id (the part
/// after `:key/`).
pub fn resource_name_matches(arn: &str, name: &str) -> bool {
    arn == name || arn.rsplit_once(":key/").is_some_and(|(_, id)| id == name)
}

/// Who made a call, as far as it is known.
#[derive(Debug, Clone)]
pub enum Identity {
    /// An authenticated principal.
    Principal {
        /// Account.
        account: String,
        /// Principal ARN.
        arn: String,
        /// The signing access key.
        access_key_id: String,
    },
    /// The signature did not authenticate anyone; the access key id the
    /// request claimed, if it could be read.
    Unauthenticated {
        /// Claimed access key id.
        access_key_id: Option<String>,
    },
}

/// A call as the server saw it, before the core runs it: everything its
/// event needs but the outcome. The server makes one per request and hands
/// it to the core in the [`crate::Caller`], so that a state-changing call
/// commits its event with its change ([`crate::caller::CallAudit`]).
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// `requestID`, also sent as `x-amzn-RequestId`.
    pub request_id: String,
    /// `eventSource`: [`EVENT_SOURCE`] for KMS (and Trent's admin)
    /// operations, `cloudtrail.amazonaws.com` for LookupEvents.
    pub event_source: &'static str,
    /// The operation (`eventName`).
    pub operation: String,
    /// When the call arrived (ms).
    pub time: i64,
    /// Region of the credential scope, when known.
    pub region: Option<String>,
    /// The caller.
    pub identity: Identity,
    /// `sourceIPAddress`.
    pub source_ip: Option<std::net::IpAddr>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `requestParameters`: the allowed members of the request body
    /// ([`request_parameters`]); `Null` when there are none.
    pub request_parameters: Value,
    /// `tlsDetails`, when the request came over TLS.
    pub tls_details: Option<TlsDetails>,
}

/// CloudTrail's `tlsDetails` of a request that came over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDetails {
    /// `tlsVersion`: `TLSv1.2` or `TLSv1.3`.
    pub tls_version: String,
    /// `cipherSuite`: the OpenSSL name (`TLS_AES_128_GCM_SHA256`).
    pub cipher_suite: String,
    /// `clientProvidedHostHeader`: the `Host` (or HTTP/2 `:authority`).
    pub client_provided_host_header: Option<String>,
    /// `clientCertificateSubject` (Trent's addition): the subject of the
    /// client certificate under mTLS.
    pub client_certificate_subject: Option<String>,
}

impl TlsDetails {
    fn to_json(&self) -> Value {
        let mut v = json!({"tlsVersion": self.tls_version, "cipherSuite": self.cipher_suite});
        if let Some(h) = &self.client_provided_host_header {
            v["clientProvidedHostHeader"] = json!(h);
        }
        if let Some(s) = &self.client_certificate_subject {
            v["clientCertificateSubject"] = json!(s);
        }
        v
    }
}

/// How a call ended, for its event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome<'a> {
    /// The response body on success (wire JSON).
    pub response: Option<&'a Value>,
    /// `errorCode` and `errorMessage` on failure.
    pub error: Option<(&'a str, &'a str)>,
}

/// Request members that may appear in `requestParameters`. Anything else
/// (Plaintext, CiphertextBlob, Message, Signature, Mac, GrantTokens,
/// ImportToken, EncryptedKeyMaterial, PublicKey, Recipient, secrets) is
/// left out, as CloudTrail leaves ciphertexts and secrets out.
pub const REQUEST_MEMBERS: &[&str] = &[
    "KeyId",
    "AliasName",
    "TargetKeyId",
    "SourceKeyId",
    "DestinationKeyId",
    "EncryptionContext",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "EncryptionAlgorithm",
    "SourceEncryptionAlgorithm",
    "DestinationEncryptionAlgorithm",
    "NumberOfBytes",
    "KeySpec",
    "KeyPairSpec",
    "KeyUsage",
    "CustomerMasterKeySpec",
    "Origin",
    "Description",
    "Tags",
    "TagKeys",
    "Policy",
    "PolicyName",
    "BypassPolicyLockoutSafetyCheck",
    "MultiRegion",
    "CustomKeyStoreId",
    "PendingWindowInDays",
    "RotationPeriodInDays",
    "MessageType",
    "SigningAlgorithm",
    "MacAlgorithm",
    "KeyAgreementAlgorithm",
    "GranteePrincipal",
    "RetiringPrincipal",
    "Operations",
    "Constraints",
    "Name",
    "GrantId",
    "Limit",
    "Marker",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "ExpirationModel",
    "ValidTo",
    "ImportType",
    "KeyMaterialId",
    "KeyMaterialDescription",
    "IncludeKeyMaterial",
    "DryRun",
    "AccountId",
    "AccessKeyId",
    "UserName",
    "PolicyDocument",
];

/// The operation an event names, when it is one Trent knows: its
/// descriptor says `readOnly` and which response members the event keeps.
fn operation_of(draft: &EventDraft) -> Option<Operation> {
    Operation::named(&draft.operation).filter(|op| op.api().event_source() == draft.event_source)
}

/// `KeyId` → `keyId`.
fn camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `requestParameters` of a request body: its [`REQUEST_MEMBERS`], camelCased
/// as CloudTrail writes them; `Null` when the body is not a JSON object or
/// has none. Members left out are skipped by the parser without being
/// copied, so a plaintext in the body is never copied here.
pub fn request_parameters(body: &[u8]) -> Value {
    struct Allowed(Map<String, Value>);
    impl<'de> serde::Deserialize<'de> for Allowed {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Allowed;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Allowed, A::Error> {
                    let mut out = Map::new();
                    while let Some(k) = map.next_key::<String>()? {
                        if REQUEST_MEMBERS.contains(&k.as_str()) {
                            let v: Value = map.next_value()?;
                            out.insert(camel(&k), camelize(&k, &v));
                        } else {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                    Ok(Allowed(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    match serde_json::from_slice::<Allowed>(body) {
        Ok(Allowed(m)) if !m.is_empty() => Value::Object(m),
        _ => Value::Null,
    }
}

/// Renders wire members as CloudTrail does (camelCase names), keeping only
/// `allowed` members at the top level. Maps of the caller's own keys
/// (encryption contexts) are copied as they are.
fn elements(body: &Value, allowed: &[&str]) -> Value {
    let Value::Object(m) = body else { return Value::Null };
    let out: Map<String, Value> =
        m.iter().filter(|(k, _)| allowed.contains(&k.as_str())).map(|(k, v)| (camel(k), camelize(k, v))).collect();
    if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    }
}

fn camelize(member: &str, v: &Value) -> Value {
    if member.contains("EncryptionContext") {
        return v.clone();
    }
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (camel(k), camelize(k, v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|v| camelize("", v)).collect()),
        other => other.clone(),
    }
}

/// Largest `requestParameters` or `responseElements` an event keeps, as
/// serialized JSON (bytes). A larger one (a huge encryption context) is
/// replaced by `{"truncated": true, "originalSize": N}`; CloudTrail also
/// caps what an event holds. 64 KiB keeps a key policy of the 32 KiB
/// maximum whole, JSON-escaped.
pub const MAX_ELEMENTS_BYTES: usize = 64 * 1024;
/// Longest `errorMessage` kept (characters).
pub const MAX_ERROR_MESSAGE_CHARS: usize = 2048;
/// Longest `errorCode` kept (characters).
pub const MAX_ERROR_CODE_CHARS: usize = 128;

/// `v`, or a marker of its size when its JSON is over [`MAX_ELEMENTS_BYTES`].
fn bounded(v: Value) -> Value {
    if v.is_null() {
        return v;
    }
    let size = serde_json::to_vec(&v).map_or(usize::MAX, |b| b.len());
    if size <= MAX_ELEMENTS_BYTES {
        v
    } else {
        json!({"truncated": true, "originalSize": size})
    }
}

/// The first `max` characters of `s`.
fn clip_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// CloudTrail's `eventTime` (seconds precision, UTC, `Z`).
pub fn event_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt).unwrap_or_default()
}

/// The `Username` of a principal ARN: `root`, a user's name, or a role
/// session's name.
pub fn username(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if resource == "root" {
        return Some("root".into());
    }
    let (kind, rest) = resource.split_once('/')?;
    match kind {
        "user" => rest.rsplit('/').next().map(str::to_owned),
        "assumed-role" => rest.rsplit('/').next().map(str::to_owned),
        _ => None,
    }
}

fn user_identity(identity: &Identity) -> Value {
    match identity {
        Identity::Principal { account, arn, access_key_id } => {
            let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
            let kind = if resource == "root" {
                "Root"
            } else if resource.starts_with("assumed-role/") {
                "AssumedRole"
            } else {
                "IAMUser"
            };
            let mut v = json!({
                "type": kind,
                "principalId": if kind == "Root" { account.clone() } else { arn.clone() },
                "arn": arn,
                "accountId": account,
                "accessKeyId": access_key_id,
            });
            if let (Some(name), true) = (username(arn), kind == "IAMUser") {
                v["userName"] = Value::String(name);
            }
            v
        }
        Identity::Unauthenticated { access_key_id } => {
            let mut v = json!({"type": "Unknown"});
            if let Some(k) = access_key_id {
                v["accessKeyId"] = Value::String(k.clone());
            }
            v
        }
    }
}

/// CloudTrail `resources` of a list of key ARNs.
fn resources(arns: &[String]) -> Value {
    Value::Array(
        arns.iter()
            .map(|arn| {
                let account = arn.split(':').nth(4).unwrap_or("");
                json!({"accountId": account, "type": KEY_RESOURCE_TYPE, "ARN": arn})
            })
            .collect(),
    )
}

impl EventDraft {
    /// The event, ready to append, naming `resources` (key ARNs).
    pub fn entry(&self, event_id: String, outcome: Outcome<'_>, keys: &[String]) -> AuditEntry {
        let account = match &self.identity {
            Identity::Principal { account, .. } => Some(account.clone()),
            Identity::Unauthenticated { .. } => None,
        };
        let mut resource_arns: Vec<String> = Vec::with_capacity(keys.len());
        for arn in keys {
            if !resource_arns.contains(arn) {
                resource_arns.push(arn.clone());
            }
        }
        let descriptor = operation_of(self).map(Operation::descriptor);
        // An operation Trent does not know changed nothing.
        let read_only = descriptor.is_none_or(|d| d.read_only);
        let mut record = Map::new();
        record.insert("eventVersion".into(), json!("1.11"));
        record.insert("userIdentity".into(), user_identity(&self.identity));
        record.insert("eventTime".into(), json!(event_time(self.time)));
        record.insert("eventSource".into(), json!(self.event_source));
        record.insert("eventName".into(), json!(self.operation));
        record.insert("awsRegion".into(), json!(self.region));
        record.insert("sourceIPAddress".into(), json!(self.source_ip.map(|ip| ip.to_string())));
        record.insert("userAgent".into(), json!(self.user_agent));
        if let Some((code, message)) = outcome.error {
            record.insert("errorCode".into(), json!(clip_chars(code, MAX_ERROR_CODE_CHARS)));
            record.insert("errorMessage".into(), json!(clip_chars(message, MAX_ERROR_MESSAGE_CHARS)));
        }
        record.insert("requestParameters".into(), bounded(self.request_parameters.clone()));
        let response = match (outcome.response, descriptor.and_then(|d| d.audit_response)) {
            (Some(r), Some(members)) => elements(r, members),
            _ => Value::Null,
        };
        record.insert("responseElements".into(), bounded(response));
        record.insert("requestID".into(), json!(self.request_id));
        record.insert("eventID".into(), json!(event_id));
        record.insert("readOnly".into(), json!(read_only));
        record.insert("resources".into(), resources(&resource_arns));
        record.insert("eventType".into(), json!("AwsApiCall"));
        record.insert("managementEvent".into(), json!(true));
        record.insert("recipientAccountId".into(), json!(account));
        record.insert("eventCategory".into(), json!("Management"));
        if let Some(tls) = &self.tls_details {
            record.insert("tlsDetails".into(), tls.to_json());
        }
        let (username, access_key_id) = match &self.identity {
            Identity::Principal { arn, access_key_id, .. } => (username(arn), Some(access_key_id.clone())),
            Identity::Unauthenticated { access_key_id } => (None, access_key_id.clone()),
        };
        AuditEntry {
            event_id,
            event_time: self.time,
            event_name: self.operation.clone(),
            account,
            username,
            access_key_id,
            read_only,
            resources: resource_arns,
            record: Value::Object(record).to_string(),
        }
    }
}

/// An event of Trent's own background work (`AwsServiceEvent`): automatic
/// rotation, deletion at the end of the waiting period, expiry of imported
/// material.
pub fn service_event(event_id: String, time: i64, name: &str, key_arn: &str, region: &str) -> AuditEntry {
    let account = key_arn.split(':').nth(4).unwrap_or("");
    let details = json!({"keyId": key_arn.rsplit('/').next().unwrap_or("")});
    aws_service_event(event_id, time, name, Some(account), Some(region), &[key_arn.to_owned()], details)
}

/// The event retention records before it deletes the records up to
/// `through`: [`verify_chain`] accepts a trail that starts after seq 1 only
/// when a later record says so.
pub const PRUNE_EVENT: &str = "PruneAuditTrail";

/// The `AwsServiceEvent` of a retention pass deleting records up to
/// `through` (kept for `days` days); of no account (the operator's).
pub fn prune_event(event_id: String, time: i64, through: u64, days: u32) -> AuditEntry {
    let details = json!({"throughSeq": through, "retentionDays": days});
    aws_service_event(event_id, time, PRUNE_EVENT, None, None, &[], details)
}

/// An `AwsServiceEvent` record of `account` (none: the operator's) on
/// `keys`, with its `serviceEventDetails`.
fn aws_service_event(
    event_id: String,
    time: i64,
    name: &str,
    account: Option<&str>,
    region: Option<&str>,
    keys: &[String],
    details: Value,
) -> AuditEntry {
    let mut identity = json!({"invokedBy": EVENT_SOURCE});
    if let Some(a) = account {
        identity["accountId"] = json!(a);
    }
    let mut record = json!({
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": event_time(time),
        "eventSource": EVENT_SOURCE,
        "eventName": name,
        "sourceIPAddress": EVENT_SOURCE,
        "userAgent": EVENT_SOURCE,
        "requestParameters": null,
        "responseElements": null,
        "eventID": event_id,
        "readOnly": false,
        "resources": resources(keys),
        "eventType": "AwsServiceEvent",
        "managementEvent": true,
        "recipientAccountId": account,
        "serviceEventDetails": details,
        "eventCategory": "Management",
    });
    if let Some(r) = region {
        record["awsRegion"] = json!(r);
    }
    AuditEntry {
        event_id,
        event_time: time,
        event_name: name.to_owned(),
        account: account.map(str::to_owned),
        username: None,
        access_key_id: None,
        read_only: false,
        resources: keys.to_vec(),
        record: record.to_string(),
    }
}

/// Why an event could not be recorded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("audit event not recorded: {0}")]
pub struct AuditError(String);

enum Turn {
    /// The entry's batch was appended (or failed).
    Done(Result<(), AuditError>),
    /// The previous leader is done: append the queue, starting with this
    /// entry (handed back because its waiter owns no sender any more).
    Lead(AuditEntry),
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<(AuditEntry, oneshot::Sender<Turn>)>,
    /// True while some caller is appending a batch (the leader).
    leading: bool,
}

/// Appends events with group commit; see the module documentation.
///
/// There is no writer task: the first caller to find nobody appending
/// becomes the leader, appends everything queued in one store transaction,
/// answers each caller of the batch, and hands leadership to the first
/// caller that queued meanwhile. A leader whose request is cancelled hands
/// over the same way (in `Drop`), so the queue never stalls.
pub struct Auditor {
    store: Arc<dyn Store>,
    queue: Arc<Mutex<Queue>>,
    /// Most events appended in one transaction.
    max_batch: usize,
    stats: Counters,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    events: AtomicU64,
    failures: AtomicU64,
    commit_micros: AtomicU64,
    last_failed: AtomicBool,
    last_failure: Mutex<Option<std::time::Instant>>,
}

/// What the auditor has done since start (for metrics and readiness).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Store transactions that appended events.
    pub commits: u64,
    /// Events appended.
    pub events: u64,
    /// Appends that failed.
    pub failures: u64,
    /// Time spent in appends, in microseconds.
    pub commit_micros: u64,
    /// Events waiting now.
    pub queue_depth: u64,
    /// Whether the latest append failed.
    pub last_failed: bool,
    /// Time since the latest failed append, if any failed.
    pub since_failure: Option<std::time::Duration>,
}

/// Hands leadership on when dropped (the leader finished or was cancelled).
struct Leadership(Arc<Mutex<Queue>>);

impl Drop for Leadership {
    fn drop(&mut self) {
        let mut q = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some((entry, tx)) = q.pending.pop_front() {
            match tx.send(Turn::Lead(entry)) {
                Ok(()) => return,
                // That caller was cancelled: its event goes unrecorded with
                // its request; try the next.
                Err(_) => continue,
            }
        }
        q.leading = false;
    }
}

/// A waiter that may be handed leadership after it stopped listening: its
/// `Drop` passes leadership on so that nobody waits for it.
struct Waiter {
    rx: Option<oneshot::Receiver<Turn>>,
    queue: Arc<Mutex<Queue>>,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(mut rx) = self.rx.take() {
            if let Ok(Turn::Lead(_)) = rx.try_recv() {
                drop(Leadership(self.queue.clone()));
            }
        }
    }
}

impl Auditor {
    /// An auditor appending to `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Auditor { store, queue: Default::default(), max_batch: 512, stats: Counters::default() }
    }

    /// Counters since start.
    pub fn stats(&self) -> AuditStats {
        let c = &self.stats;
        AuditStats {
            commits: c.commits.load(Relaxed),
            events: c.events.load(Relaxed),
            failures: c.failures.load(Relaxed),
            commit_micros: c.commit_micros.load(Relaxed),
            queue_depth: self.queue.lock().unwrap_or_else(PoisonError::into_inner).pending.len() as u64,
            last_failed: c.last_failed.load(Relaxed),
            since_failure: c.last_failure.lock().unwrap_or_else(PoisonError::into_inner).map(|t| t.elapsed()),
        }
    }

    /// Whether this build discards events (feature `bench-discard-audit`,
    /// a benchmark reference only).
    pub const DISCARDS: bool = cfg!(feature = "bench-discard-audit");

    /// Appends `entry`; returns once it is durable in the store.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), AuditError> {
        if Self::DISCARDS {
            drop(entry);
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.pending.push_back((entry, tx));
            !std::mem::replace(&mut q.leading, true)
        };
        let mut waiter = Waiter { rx: Some(rx), queue: self.queue.clone() };
        if lead {
            self.lead(None).await;
        }
        loop {
            let rx = waiter.rx.as_mut().ok_or_else(|| AuditError("internal: no receiver".into()))?;
            match rx.await {
                Ok(Turn::Done(result)) => {
                    waiter.rx = None;
                    return result;
                }
                Ok(Turn::Lead(entry)) => {
                    // Our sender was used for the hand-over: queue a new one.
                    let (tx, rx) = oneshot::channel();
                    waiter.rx = Some(rx);
                    self.lead(Some((entry, tx))).await;
                }
                Err(_) => {
                    waiter.rx = None;
                    return Err(AuditError("the appending request was cancelled".into()));
                }
            }
        }
    }

    /// Appends one batch as the leader, answers its callers, hands over.
    async fn lead(&self, first: Option<(AuditEntry, oneshot::Sender<Turn>)>) {
        let leadership = Leadership(self.queue.clone());
        let batch: Vec<_> = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(f) = first {
                q.pending.push_front(f);
            }
            let n = q.pending.len().min(self.max_batch);
            q.pending.drain(..n).collect()
        };
        let (entries, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let started = std::time::Instant::now();
        let result = self.store.append_audit(&entries).await.map(|_| ()).map_err(|e| {
            tracing::error!(error = %e, events = entries.len(), "audit append failed");
            AuditError(e.to_string())
        });
        let c = &self.stats;
        c.commit_micros.fetch_add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX), Relaxed);
        c.last_failed.store(result.is_err(), Relaxed);
        if result.is_ok() {
            c.commits.fetch_add(1, Relaxed);
            c.events.fetch_add(entries.len() as u64, Relaxed);
        } else {
            c.failures.fetch_add(1, Relaxed);
            *c.last_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(std::time::Instant::now());
        }
        for tx in senders {
            let _ = tx.send(Turn::Done(result.clone()));
        }
        drop(leadership);
    }
}

/// What tampering [`verify_chain`] found first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    /// A record's bytes (or its stored hashes) do not match its hash.
    #[error("record {seq} was edited: its contents do not match its hash")]
    Edited {
        /// The record.
        seq: u64,
    },
    /// Records are missing from the sequence.
    #[error("records {first} to {last} were removed")]
    Removed {
        /// First missing.
        first: u64,
        /// Last missing.
        last: u64,
    },
    /// A record's lookup fields (account, name, resources, …: what
    /// LookupEvents filters on) differ from its hashed contents.
    #[error("record {seq} was edited: its lookup fields do not match its contents")]
    FieldsEdited {
        /// The record.
        seq: u64,
    },
    /// A record does not follow the one before it: moved, swapped or
    /// inserted.
    #[error("record {seq} does not follow record {prev}: records were reordered or inserted")]
    OutOfOrder {
        /// The record.
        seq: u64,
        /// The record before it.
        prev: u64,
    },
    /// The trail ends before a checkpoint: records at its end were removed.
    #[error("the trail ends at record {last} but checkpoint {checkpoint} was signed after it: records were removed from the end")]
    Truncated {
        /// Last record found.
        last: u64,
        /// The checkpoint past it.
        checkpoint: u64,
    },
    /// A checkpoint's signature does not verify.
    #[error("checkpoint at record {seq} has an invalid signature")]
    BadCheckpoint {
        /// Its record.
        seq: u64,
    },
    /// A checkpoint names a hash the record does not have.
    #[error("record {seq} differs from the checkpoint signed for it")]
    CheckpointMismatch {
        /// The record.
        seq: u64,
    },
}

/// What [`verify_chain`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records read.
    pub records: u64,
    /// Seq of the first record kept (above 1 when retention pruned the
    /// older ones).
    pub first_seq: u64,
    /// Seq of the last record.
    pub last_seq: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The first tampering found, if any.
    pub tamper: Option<Tamper>,
}

/// Whether an entry's lookup fields are those of its record (which the
/// chain hash covers): stores keep them in columns of their own for
/// LookupEvents, where an edit would not touch the hash.
pub fn fields_match(e: &AuditEntry) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(&e.record) else {
        return false;
    };
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let resources: Vec<String> = v
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|r| r.get("ARN").and_then(Value::as_str).map(str::to_owned)).collect())
        .unwrap_or_default();
    s("/eventID").as_deref() == Some(e.event_id.as_str())
        && s("/eventName").as_deref() == Some(e.event_name.as_str())
        && s("/eventTime").as_deref() == Some(event_time(e.event_time).as_str())
        && s("/recipientAccountId") == e.account
        && v.get("readOnly").and_then(Value::as_bool) == Some(e.read_only)
        && s("/userIdentity/accessKeyId") == e.access_key_id
        && s("/userIdentity/arn").and_then(|arn| username(&arn)) == e.username
        && resources == e.resources
}

/// Reads the whole trail and checks the chain and the checkpoints (signed
/// by `public_key`).
pub async fn verify_chain(store: &dyn Store, public_key: &[u8]) -> StoreResult<VerifyReport> {
    let checkpoints = store.audit_checkpoints().await?;
    let mut report =
        VerifyReport { records: 0, first_seq: 1, last_seq: 0, checkpoints: checkpoints.len() as u64, tamper: None };
    for cp in &checkpoints {
        if !verify_checkpoint(public_key, cp.seq, &cp.hash, cp.created_at, &cp.signature) {
            report.tamper = Some(Tamper::BadCheckpoint { seq: cp.seq });
            return Ok(report);
        }
    }
    let by_seq: std::collections::HashMap<u64, &AuditCheckpoint> = checkpoints.iter().map(|c| (c.seq, c)).collect();
    let (mut last_seq, mut last_hash) = (0u64, GENESIS);
    // Records before the first kept one that a retention event accounts for.
    let mut pruned_through = 0u64;
    loop {
        let page = store.audit_records(last_seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for r in page {
            // A trail pruned by retention starts after a checkpoint, which
            // anchors its first record.
            if last_seq == 0 && r.seq > 1 {
                if let Some(anchor) = by_seq.get(&(r.seq - 1)) {
                    last_seq = anchor.seq;
                    last_hash = anchor.hash;
                    report.first_seq = r.seq;
                }
            }
            // The link to the previous record first: a record moved from
            // elsewhere also fails its own hash (which covers its seq), but
            // what happened is a reordering.
            let tamper = if r.seq > last_seq + 1 {
                Some(Tamper::Removed { first: last_seq + 1, last: r.seq - 1 })
            } else if r.prev_hash != last_hash {
                Some(Tamper::OutOfOrder { seq: r.seq, prev: last_seq })
            } else if chain_hash(&r.prev_hash, r.seq, r.entry.record.as_bytes()) != r.hash {
                Some(Tamper::Edited { seq: r.seq })
            } else if !fields_match(&r.entry) {
                Some(Tamper::FieldsEdited { seq: r.seq })
            } else if by_seq.get(&r.seq).is_some_and(|c| c.hash != r.hash) {
                Some(Tamper::CheckpointMismatch { seq: r.seq })
            } else {
                None
            };
            if tamper.is_some() {
                report.tamper = tamper;
                return Ok(report);
            }
            if r.entry.event_name == PRUNE_EVENT {
                let through = serde_json::from_str::<Value>(&r.entry.record)
                    .ok()
                    .and_then(|v| v.pointer("/serviceEventDetails/throughSeq").and_then(Value::as_u64));
                pruned_through = pruned_through.max(through.unwrap_or(0));
            }
            report.records += 1;
            last_seq = r.seq;
            last_hash = r.hash;
        }
    }
    report.last_seq = last_seq;
    // A trail that starts late must say, in a record of its own, that
    // retention removed the start; else the start was deleted.
    if report.first_seq > 1 && pruned_through < report.first_seq - 1 {
        report.tamper = Some(Tamper::Removed { first: 1, last: report.first_seq - 1 });
        return Ok(report);
    }
    if let Some(cp) = checkpoints.iter().map(|c| c.seq).max().filter(|s| *s > last_seq) {
        report.tamper = Some(Tamper::Truncated { last: last_seq, checkpoint: cp });
    }
    Ok(report)
}

impl From<AuditError> for crate::KmsError {
    fn from(e: AuditError) -> Self {
        crate::KmsError::Internal(crate::error::InternalError::Audit(e))
    }
}

#[cfg(test)]
mod tests;
