//! The CloudTrail record of a call ([`EventDraft`]) and of Trent's own background work (service events).

#[allow(unused_imports)]
use super::*;

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
        /// The STS session of temporary credentials.
        session: Option<std::sync::Arc<crate::sts::Session>>,
    },
    /// AssumeRoleWithWebIdentity, an unsigned call: the web identity its
    /// token claims (verified by the call when it succeeds).
    WebIdentity {
        /// The role's account, which the event goes to.
        account: String,
        /// The OIDC provider's ARN (`arn:aws:iam::A:oidc-provider/URL`).
        provider: String,
        /// The token's audience.
        audience: String,
        /// The token's subject.
        subject: String,
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
    /// ([`request_parameters`]); `Null` when there are none. Set once: by
    /// the server when it drafts the event, or by the parser of the
    /// request's shape ([`parse_with_parameters`], through
    /// [`crate::caller::CallAudit::set_request_parameters`]), which reads
    /// the body once for the operation and its event.
    pub request_parameters: std::sync::OnceLock<Value>,
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

/// How a call ended, for its event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome<'a> {
    /// The response body on success (wire JSON).
    pub response: Option<&'a Value>,
    /// `errorCode` and `errorMessage` on failure.
    pub error: Option<(&'a str, &'a str)>,
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

/// CloudTrail's `userIdentity` of a call, serialized directly (no map built
/// per event). Members in byte order of their names, as the `serde_json`
/// map it replaced wrote them, so records read the same as before.
#[derive(serde::Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserIdentity<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_context: Option<SessionContext<'a>>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
}

/// CloudTrail's `sessionContext` of a call made with temporary
/// credentials.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    attributes: SessionAttributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_issuer: Option<SessionIssuerIdentity<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<&'a str>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionAttributes {
    creation_date: String,
    mfa_authenticated: &'static str,
}

/// The role a session stands on.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionIssuerIdentity<'a> {
    account_id: &'a str,
    arn: &'a str,
    principal_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    user_name: &'a str,
}

impl<'a> UserIdentity<'a> {
    /// `Root`, `IAMUser` (with its `userName`) or `AssumedRole` (with its
    /// `sessionContext`) for a principal; `Unknown` (with the claimed
    /// access key id, if any) when the signature authenticated no one.
    pub(super) fn of(identity: &'a Identity) -> Self {
        match identity {
            Identity::Principal { account, arn, access_key_id, session } => {
                let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
                let kind = if resource == "root" {
                    "Root"
                } else if resource.starts_with("assumed-role/") {
                    "AssumedRole"
                } else {
                    "IAMUser"
                };
                let principal_id = match (session, kind) {
                    (Some(s), _) => s.user_id(),
                    (None, "Root") => account.clone(),
                    (None, _) => arn.clone(),
                };
                let session_context = session.as_deref().map(|s| SessionContext {
                    attributes: SessionAttributes {
                        creation_date: event_time(s.issued_at),
                        mfa_authenticated: "false",
                    },
                    session_issuer: match &s.issuer {
                        crate::sts::SessionIssuer::Role { arn, name, id } => Some(SessionIssuerIdentity {
                            account_id: s.account.as_str(),
                            arn,
                            principal_id: id,
                            kind: "Role",
                            user_name: name,
                        }),
                        _ => None,
                    },
                    source_identity: s.source_identity.as_deref(),
                });
                UserIdentity {
                    access_key_id: Some(access_key_id),
                    account_id: Some(account),
                    arn: Some(arn),
                    identity_provider: None,
                    principal_id: Some(principal_id),
                    session_context,
                    kind,
                    user_name: if kind == "IAMUser" { username(arn) } else { None },
                }
            }
            // CloudTrail's WebIdentityUser of an IAM OIDC provider.
            Identity::WebIdentity { provider, audience, subject, .. } => UserIdentity {
                identity_provider: Some(provider),
                principal_id: Some(format!("{provider}:{audience}:{subject}")),
                kind: "WebIdentityUser",
                user_name: Some(subject.clone()),
                ..Default::default()
            },
            Identity::Unauthenticated { access_key_id } => {
                UserIdentity { access_key_id: access_key_id.as_deref(), kind: "Unknown", ..Default::default() }
            }
        }
    }
}

/// CloudTrail `resources` of a list of key ARNs.
pub(super) fn resources(arns: &[String]) -> Value {
    json!(arns.iter().map(|arn| ResourceRef::of(arn)).collect::<Vec<_>>())
}

/// The CloudTrail record of a call, serialized directly (no map built per
/// event). Members in byte order of their names, as a `serde_json` map
/// writes them, so records read the same as those written before.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CallRecord<'a> {
    aws_region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    event_category: &'static str,
    #[serde(rename = "eventID")]
    event_id: &'a str,
    event_name: &'a str,
    event_source: &'a str,
    event_time: String,
    event_type: &'static str,
    event_version: &'static str,
    management_event: bool,
    read_only: bool,
    recipient_account_id: Option<&'a str>,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    request_parameters: std::borrow::Cow<'a, Value>,
    resources: Vec<ResourceRef<'a>>,
    response_elements: std::borrow::Cow<'a, Value>,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_details: Option<&'a TlsDetails>,
    user_agent: Option<&'a str>,
    user_identity: UserIdentity<'a>,
}

/// One of `resources`: `{"ARN", "accountId", "type"}`.
#[derive(serde::Serialize)]
struct ResourceRef<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> ResourceRef<'a> {
    fn of(arn: &'a str) -> Self {
        ResourceRef { arn, account_id: arn.split(':').nth(4).unwrap_or(""), kind: KEY_RESOURCE_TYPE }
    }
}

impl serde::Serialize for TlsDetails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("cipherSuite", &self.cipher_suite)?;
        if let Some(subject) = &self.client_certificate_subject {
            m.serialize_entry("clientCertificateSubject", subject)?;
        }
        if let Some(host) = &self.client_provided_host_header {
            m.serialize_entry("clientProvidedHostHeader", host)?;
        }
        m.serialize_entry("tlsVersion", &self.tls_version)?;
        m.end()
    }
}

/// A draft's `requestParameters` when nothing set them.
static NO_MEMBERS: Value = Value::Null;

impl EventDraft {
    /// The event, ready to append, naming `resources` (key ARNs).
    pub fn entry(&self, event_id: String, outcome: Outcome<'_>, keys: &[String]) -> AuditEntry {
        let account = match &self.identity {
            Identity::Principal { account, .. } | Identity::WebIdentity { account, .. } => Some(account.clone()),
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
        let response = match (outcome.response, descriptor.and_then(|d| d.audit_response)) {
            (Some(r), Some(members)) => elements(r, members),
            _ => Value::Null,
        };
        let record = CallRecord {
            aws_region: self.region.as_deref(),
            error_code: outcome.error.map(|(code, _)| clip_chars(code, MAX_ERROR_CODE_CHARS)),
            error_message: outcome.error.map(|(_, message)| clip_chars(message, MAX_ERROR_MESSAGE_CHARS)),
            event_category: "Management",
            event_id: &event_id,
            event_name: &self.operation,
            event_source: self.event_source,
            event_time: event_time(self.time),
            event_type: "AwsApiCall",
            event_version: "1.11",
            management_event: true,
            read_only,
            recipient_account_id: account.as_deref(),
            request_id: &self.request_id,
            request_parameters: bounded(self.request_parameters.get().unwrap_or(&NO_MEMBERS)),
            resources: resource_arns.iter().map(|arn| ResourceRef::of(arn)).collect(),
            response_elements: bounded(&response),
            source_ip_address: self.source_ip.map(|ip| ip.to_string()),
            tls_details: self.tls_details.as_ref(),
            user_agent: self.user_agent.as_deref(),
            user_identity: UserIdentity::of(&self.identity),
        };
        // Serializing plain data (strings, numbers, JSON values) cannot fail.
        let record = serde_json::to_string(&record).unwrap_or_default();
        let (username, access_key_id) = match &self.identity {
            Identity::Principal { arn, access_key_id, .. } => (username(arn), Some(access_key_id.clone())),
            Identity::WebIdentity { subject, .. } => (Some(subject.clone()), None),
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
            record,
        }
    }
}

impl EventDraft {
    /// The call's events, as CloudTrail delivers them: the caller's
    /// account's event, and, when the call reached keys of other accounts,
    /// one for each of those accounts, so that a key's owner sees another
    /// account's calls on its key in its own LookupEvents. Each copy has its
    /// own `eventID` (from `new_id`, the first one the caller's) and
    /// `recipientAccountId`; all of them carry one `sharedEventID`.
    pub fn entries(
        &self,
        mut new_id: impl FnMut() -> String,
        outcome: Outcome<'_>,
        keys: &[String],
    ) -> Vec<AuditEntry> {
        let first = self.entry(new_id(), outcome, keys);
        let Some(caller) = first.account.clone() else { return vec![first] };
        let mut owners: Vec<String> = Vec::new();
        for arn in &first.resources {
            let owner = arn.split(':').nth(4).unwrap_or_default();
            if !owner.is_empty() && owner != caller && !owners.iter().any(|o| o == owner) {
                owners.push(owner.to_owned());
            }
        }
        if owners.is_empty() {
            return vec![first];
        }
        let shared = new_id();
        let mut out = Vec::with_capacity(owners.len() + 1);
        for owner in owners {
            out.push(shared_copy(first.clone(), &shared, Some((new_id(), owner))));
        }
        out.insert(0, shared_copy(first, &shared, None));
        out
    }
}

/// `entry` with `sharedEventID`, and, for another account's copy, that
/// account's `eventID` and `recipientAccountId`.
fn shared_copy(mut e: AuditEntry, shared: &str, copy: Option<(String, String)>) -> AuditEntry {
    let Ok(Value::Object(mut record)) = serde_json::from_str::<Value>(&e.record) else {
        return e;
    };
    record.insert("sharedEventID".into(), json!(shared));
    if let Some((id, owner)) = copy {
        record.insert("eventID".into(), json!(id));
        record.insert("recipientAccountId".into(), json!(owner));
        e.event_id = id;
        e.account = Some(owner);
    }
    e.record = Value::Object(record).to_string();
    e
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

/// The event of a start that sealed `rows` rows stored before row MACs
/// existed ([`crate::integrity`]): once after the upgrade that added them.
/// Seen again, it says someone stripped the MACs to have rows re-sealed.
pub const SEAL_ROWS_EVENT: &str = "SealStoredRows";

/// The `AwsServiceEvent` of sealing `rows` rows; of no account (the
/// operator's).
pub fn seal_rows_event(event_id: String, time: i64, rows: u64) -> AuditEntry {
    aws_service_event(event_id, time, SEAL_ROWS_EVENT, None, None, &[], json!({"sealedRows": rows}))
}

/// An `AwsServiceEvent` record of `account` (none: the operator's) on
/// `keys`, with its `serviceEventDetails`.
pub(super) fn aws_service_event(
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
