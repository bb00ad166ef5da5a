//! What LookupEvents selects: lookup attributes, queries and their reference semantics, event sources.

#[allow(unused_imports)]
use super::*;

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
