//! What a usage report counts ([`crate::Kms::usage`]): requests from the
//! trail, bucketed by event time, and the lifetimes of keys. The store
//! aggregates in its database ([`crate::store::Store::audit_usage`]);
//! [`UsageTally`] is the reference semantics, which the in-memory store
//! applies to every record and the SQL stores to the not-yet-indexed tail
//! of the log.

#[allow(unused_imports)]
use super::*;
use std::collections::BTreeMap;

/// What [`crate::store::Store::audit_usage`] counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageFilter {
    /// Only events of this recipient account (`None`: every account's).
    pub account: Option<String>,
    /// Events at or after this time (ms).
    pub since: i64,
    /// Events before this time (ms).
    pub until: i64,
    /// Bucket width (ms, > 0): a bucket starts at a multiple of it since
    /// the epoch.
    pub bucket: i64,
}

/// One count of [`UsageCounts`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsageCount {
    /// The bucket's start (ms).
    pub bucket_start: i64,
    /// The recipient account.
    pub account: String,
    /// The key (by [`UsageCounts::by_key`]; `None` for calls that named no
    /// key, and always in [`UsageCounts::by_call`]).
    pub key_arn: Option<String>,
    /// `eventName`.
    pub event_name: String,
    /// Calls.
    pub requests: u64,
    /// Calls that failed.
    pub errors: u64,
}

/// Requests counted from the trail, each list ordered by (bucket, account,
/// key, event name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageCounts {
    /// Each call once per key ARN it named (its distinct resources that
    /// are key ARNs); a call that named none once, without a key.
    pub by_key: Vec<UsageCount>,
    /// Each call once.
    pub by_call: Vec<UsageCount>,
}

/// How long a key existed, for key-months.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyLifetime {
    /// Its account.
    pub account: String,
    /// Its ARN.
    pub key_arn: String,
    /// When it was created (ms): a stored key's creation time; for a
    /// destroyed key, the time of the trail's earliest record naming its
    /// ARN (its CreateKey or ReplicateKey), `None` when retention pruned
    /// every one.
    pub created_at: Option<i64>,
    /// When it was destroyed (ms); `None` while it is stored (pending
    /// deletion included).
    pub destroyed_at: Option<i64>,
}

/// `eventType` of Trent's own background work (automatic rotation,
/// deletion at the end of the waiting period, retention), which no one
/// requested: not counted.
const SERVICE_EVENT: &str = "AwsServiceEvent";

/// The key of a count: (bucket, account, key, event name).
type Slot = (i64, String, Option<String>, String);

/// Counts requests: the reference semantics of
/// [`crate::store::Store::audit_usage`].
#[derive(Debug, Default)]
pub struct UsageTally {
    by_key: BTreeMap<Slot, (u64, u64)>,
    by_call: BTreeMap<Slot, (u64, u64)>,
}

impl UsageFilter {
    /// The start of the bucket holding `time`.
    pub fn bucket_start(&self, time: i64) -> i64 {
        time - time.rem_euclid(self.bucket.max(1))
    }

    /// Whether `e` is counted, and whether it failed: an event of an
    /// account (the filter's, if any) in the window that some caller
    /// requested (not a service event). Calls that no account could be
    /// established for (a bad signature) are no one's to charge.
    pub fn counts(&self, e: &AuditEntry) -> Option<bool> {
        let account = e.account.as_ref()?;
        if self.account.as_ref().is_some_and(|a| a != account)
            || e.event_time < self.since
            || e.event_time >= self.until
        {
            return None;
        }
        let record: serde_json::Value = serde_json::from_str(&e.record).unwrap_or_default();
        if record.get("eventType").and_then(|t| t.as_str()) == Some(SERVICE_EVENT) {
            return None;
        }
        Some(record.get("errorCode").is_some_and(|c| !c.is_null()))
    }
}

/// The distinct key ARNs among an event's resources, in order.
pub fn key_arns(e: &AuditEntry) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for arn in &e.resources {
        if arn.contains(":key/") && !out.contains(&arn.as_str()) {
            out.push(arn);
        }
    }
    out
}

impl UsageTally {
    /// Counts `e` if `filter` selects it.
    pub fn add_entry(&mut self, filter: &UsageFilter, e: &AuditEntry) {
        let Some(failed) = filter.counts(e) else { return };
        let (Some(account), bucket) = (e.account.clone(), filter.bucket_start(e.event_time)) else { return };
        let errors = u64::from(failed);
        let keys = key_arns(e);
        let slot = |key: Option<&str>| (bucket, account.clone(), key.map(str::to_owned), e.event_name.clone());
        bump(&mut self.by_call, slot(None), 1, errors);
        if keys.is_empty() {
            bump(&mut self.by_key, slot(None), 1, errors);
        }
        for key in keys {
            bump(&mut self.by_key, slot(Some(key)), 1, errors);
        }
    }

    /// Adds a count made elsewhere (the database's, of the indexed part):
    /// to [`UsageCounts::by_key`] when `by_key`, else to `by_call`.
    pub fn add_count(&mut self, by_key: bool, c: UsageCount) {
        let map = if by_key { &mut self.by_key } else { &mut self.by_call };
        bump(map, (c.bucket_start, c.account, c.key_arn, c.event_name), c.requests, c.errors);
    }

    /// The counts, ordered.
    pub fn finish(self) -> UsageCounts {
        let rows = |m: BTreeMap<Slot, (u64, u64)>| {
            m.into_iter()
                .map(|((bucket_start, account, key_arn, event_name), (requests, errors))| UsageCount {
                    bucket_start,
                    account,
                    key_arn,
                    event_name,
                    requests,
                    errors,
                })
                .collect()
        };
        UsageCounts { by_key: rows(self.by_key), by_call: rows(self.by_call) }
    }
}

fn bump(map: &mut BTreeMap<Slot, (u64, u64)>, slot: Slot, requests: u64, errors: u64) {
    let n = map.entry(slot).or_default();
    n.0 += requests;
    n.1 += errors;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(time: i64, account: Option<&str>, name: &str, resources: &[&str], record: &str) -> AuditEntry {
        AuditEntry {
            event_id: "e".into(),
            event_time: time,
            event_name: name.into(),
            account: account.map(str::to_owned),
            username: None,
            access_key_id: None,
            read_only: true,
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            record: record.into(),
        }
    }

    #[test]
    fn a_call_counts_once_per_key_and_once_in_the_totals() {
        let f = UsageFilter { account: None, since: 0, until: 10_000, bucket: 1000 };
        let (k1, k2) = ("arn:aws:kms:r:1:key/a", "arn:aws:kms:r:1:key/b");
        let mut t = UsageTally::default();
        t.add_entry(&f, &entry(1500, Some("1"), "ReEncrypt", &[k1, k2, k1, "arn:aws:kms:r:1:alias/x"], "{}"));
        t.add_entry(&f, &entry(1700, Some("1"), "ListKeys", &[], r#"{"errorCode":"AccessDenied"}"#));
        t.add_entry(&f, &entry(1800, Some("1"), "DeleteKey", &[k1], r#"{"eventType":"AwsServiceEvent"}"#));
        t.add_entry(&f, &entry(1900, None, "Encrypt", &[k1], "{}"));
        t.add_entry(&f, &entry(10_000, Some("1"), "Encrypt", &[k1], "{}"));
        let c = t.finish();
        let keys: Vec<_> =
            c.by_key.iter().map(|r| (r.bucket_start, r.key_arn.as_deref(), r.requests, r.errors)).collect();
        assert_eq!(keys, vec![(1000, None, 1, 1), (1000, Some(k1), 1, 0), (1000, Some(k2), 1, 0)]);
        let calls: Vec<_> = c.by_call.iter().map(|r| (r.event_name.as_str(), r.requests, r.errors)).collect();
        assert_eq!(calls, vec![("ListKeys", 1, 1), ("ReEncrypt", 1, 0)]);
    }
}
