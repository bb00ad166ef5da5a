//! The usage report (`TrentAdmin.GetUsage`, `trent admin usage`, the
//! console's usage page): what a team needs to charge back the way AWS
//! prices KMS, per request and per key-month.
//!
//! - Requests come from the audit trail, which holds one event per call:
//!   counted in the store's database ([`crate::store::Store::audit_usage`])
//!   per bucket of event time, recipient account, key and operation, with
//!   the failed calls among them.
//! - Key-months come from the key records and the tombstones of destroyed
//!   keys ([`crate::store::Store::key_lifetimes`]).

use crate::audit::{event_source_of, UsageFilter};
use crate::error::KmsError;
use crate::{Caller, Kms};
use trent_api::admin::{KeyMonths, UsageRow, UsageTotal};
use trent_api::time::Timestamp;
use trent_api::Operation;

/// The answer of [`Kms::usage`] (the wire shape of GetUsage).
pub type UsageReport = trent_api::admin::GetUsageResponse;

/// What [`Kms::usage`] reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageQuery {
    /// Start of the window (ms), inclusive.
    pub since: i64,
    /// End of the window (ms), exclusive.
    pub until: i64,
    /// Width of a request bucket (ms; at least a minute). Buckets start at
    /// multiples of it since the epoch: whole UTC hours and days for
    /// 3 600 000 and 86 400 000, so the first and last may reach outside
    /// the window (their counts hold only the window's calls).
    pub bucket: i64,
    /// Every account's usage (the operator account only), not only the
    /// caller's account's.
    pub all_accounts: bool,
}

/// Narrowest bucket: a minute.
pub const MIN_BUCKET_MS: i64 = 60_000;
/// Most buckets a report may span.
pub const MAX_BUCKETS: i64 = 10_000;
/// AWS's month for key-months: 730 hours.
pub const HOURS_PER_MONTH: f64 = 730.0;
const HOUR_MS: f64 = 3_600_000.0;

impl Kms {
    /// A usage report over `[query.since, query.until)`.
    ///
    /// Authorization: `all_accounts` needs the operator account (and
    /// `trent:GetUsage`); otherwise the caller's own account, allowed like
    /// LookupEvents (identity policy, `trent:GetUsage` on `*`).
    ///
    /// Requests: every call an account made or received in the window,
    /// from its audit events (allowed or denied, failed ones counted again
    /// as errors; not the service events of Trent's own background work,
    /// and not calls no account could be established for). `requests` has
    /// one row per (bucket, account, key, operation): a call counts once
    /// for each distinct key ARN among its resources (a ReEncrypt from one
    /// key to another counts on both), and once without a key when it named
    /// none. `totals` counts each call exactly once per (bucket, account,
    /// operation): an account's request charge is its totals' sum, not its
    /// rows'. A call on another account's key is in the trail of both
    /// accounts (the key owner's copy, CloudTrail's sharing): it counts once
    /// in each account, never twice in one (copies go to accounts other than
    /// the caller's, one per account).
    ///
    /// Key-months: each key that existed during the window, for the hours
    /// it existed within it (until now, for a window that reaches into the
    /// future) / 730. A key exists from its creation (a replica from its
    /// replication) until it is destroyed: a key pending deletion counts
    /// until the scheduler destroys it (the `destroy_key` tombstone's
    /// time, which its `DeleteKey` service event also records). A destroyed
    /// key's creation is the earliest event of the trail naming it; when
    /// retention pruned every one, it was created before the trail's oldest
    /// record and counts from `since` (and `created` is absent).
    pub async fn usage(&self, caller: &Caller, query: UsageQuery) -> Result<UsageReport, KmsError> {
        if query.all_accounts {
            self.require_operator(caller, Operation::GetUsage, "read every account's usage").await?;
        } else {
            self.authorize_identity(caller, Operation::GetUsage, "*", &[]).await?;
        }
        check(&query)?;
        let account = (!query.all_accounts).then(|| caller.account.clone());
        let filter = UsageFilter {
            account: account.as_ref().map(|a| a.as_str().to_owned()),
            since: query.since,
            until: query.until,
            bucket: query.bucket,
        };
        let counts = self.store.audit_usage(&filter).await?;
        let lifetimes = self.store.key_lifetimes(account.as_ref(), query.since, query.until).await?;
        let end = query.until.min(self.now());
        let keys = lifetimes
            .into_iter()
            .filter_map(|k| {
                let from = k.created_at.map_or(query.since, |c| c.max(query.since));
                let to = k.destroyed_at.map_or(end, |d| d.min(end));
                #[allow(clippy::cast_precision_loss)] // ms spans far below 2^53
                let months = (to - from) as f64 / HOUR_MS / HOURS_PER_MONTH;
                (to > from).then(|| KeyMonths {
                    account: k.account,
                    key_arn: k.key_arn,
                    key_months: months,
                    created: k.created_at.map(Timestamp::from_millis),
                    deleted: k.destroyed_at.map(Timestamp::from_millis),
                })
            })
            .collect();
        let source = |name: &str| event_source_of(name).to_owned();
        Ok(UsageReport {
            since: Timestamp::from_millis(query.since),
            until: Timestamp::from_millis(query.until),
            bucket_seconds: query.bucket / 1000,
            requests: counts
                .by_key
                .into_iter()
                .map(|c| UsageRow {
                    bucket_start: Timestamp::from_millis(c.bucket_start),
                    account: c.account,
                    key_arn: c.key_arn,
                    event_source: source(&c.event_name),
                    operation: c.event_name,
                    requests: c.requests,
                    errors: c.errors,
                })
                .collect(),
            totals: counts
                .by_call
                .into_iter()
                .map(|c| UsageTotal {
                    bucket_start: Timestamp::from_millis(c.bucket_start),
                    account: c.account,
                    event_source: source(&c.event_name),
                    operation: c.event_name,
                    requests: c.requests,
                    errors: c.errors,
                })
                .collect(),
            keys,
        })
    }
}

/// The window and buckets of a report, or a ValidationException.
fn check(q: &UsageQuery) -> Result<(), KmsError> {
    if q.since >= q.until {
        return Err(KmsError::Validation("The usage window's start (Since) must be before its end (Until).".into()));
    }
    if q.bucket < MIN_BUCKET_MS {
        return Err(KmsError::Validation(format!(
            "The usage bucket must be at least {} seconds.",
            MIN_BUCKET_MS / 1000
        )));
    }
    let span = q.until.saturating_sub(q.since);
    let buckets = span / q.bucket + i64::from(span % q.bucket != 0);
    if buckets > MAX_BUCKETS {
        return Err(KmsError::Validation(format!(
            "The usage window spans {buckets} buckets; at most {MAX_BUCKETS} are allowed: narrow the window or use a \
             coarser granularity."
        )));
    }
    Ok(())
}
