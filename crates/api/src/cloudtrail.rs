//! CloudTrail's LookupEvents (`X-Amz-Target:
//! com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`),
//! served on Trent's endpoint over Trent's own audit trail, so that
//! `aws cloudtrail lookup-events --endpoint-url …` reads it.

use crate::time::Timestamp;
use crate::validate::{Validate, Violations};
use serde::{Deserialize, Serialize};

/// The `X-Amz-Target` prefix of CloudTrail operations.
pub const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

/// LookupEvents input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsRequest {
    /// At most one attribute.
    pub lookup_attributes: Option<Vec<LookupAttribute>>,
    /// Events at or after this time.
    pub start_time: Option<Timestamp>,
    /// Events at or before this time.
    pub end_time: Option<Timestamp>,
    /// `insight` selects Insights events (Trent has none).
    pub event_category: Option<String>,
    /// 1–50, default 50.
    pub max_results: Option<i64>,
    /// From the previous page.
    pub next_token: Option<String>,
}

/// One lookup attribute.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupAttribute {
    /// EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
    /// EventSource or AccessKeyId.
    pub attribute_key: Option<String>,
    /// The value (1–2000 characters).
    pub attribute_value: Option<String>,
}

/// The attribute keys CloudTrail knows.
pub const ATTRIBUTE_KEYS: &[&str] =
    &["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];

impl Validate for LookupEventsRequest {
    fn check(&self, v: &mut Violations) {
        for (i, a) in self.lookup_attributes.iter().flatten().enumerate() {
            let at = |m: &str| format!("lookupAttributes.{}.member.{m}", i + 1);
            v.required(&at("attributeKey"), &a.attribute_key);
            v.required(&at("attributeValue"), &a.attribute_value);
            v.len(&at("attributeValue"), a.attribute_value.as_deref(), 1, 2000);
            if let Some(k) = a.attribute_key.as_deref() {
                let set = format!("[{}]", ATTRIBUTE_KEYS.join(", "));
                v.pattern(&at("attributeKey"), Some(k), &set, |k| ATTRIBUTE_KEYS.contains(&k));
            }
        }
    }
}

/// LookupEvents output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsResponse {
    /// Events, newest first.
    pub events: Vec<Event>,
    /// Present when more events match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Event {
    /// `eventID`.
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// `"true"` or `"false"` (a string, as in CloudTrail).
    pub read_only: String,
    /// The signing access key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// `eventTime`.
    pub event_time: Timestamp,
    /// `eventSource`.
    pub event_source: String,
    /// The user name (`root` for an account's root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Resources.
    pub resources: Vec<Resource>,
    /// The whole CloudTrail record, as a JSON string.
    pub cloud_trail_event: String,
}

/// A resource of an event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// `AWS::KMS::Key`.
    pub resource_type: String,
    /// The key ARN.
    pub resource_name: String,
}
