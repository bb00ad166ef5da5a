//! The usage report (`Kms::usage`) on the in-memory store: requests by
//! bucket, account, key and operation from the trail, errors among them,
//! each call once in the totals, another account's rows hidden from a
//! non-operator, and key-months of keys created and destroyed within the
//! window.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use std::sync::Arc;
use trent_api::admin::GetUsageResponse;
use trent_api::ids::AccountId;
use trent_core::audit::{EventDraft, Identity, Outcome, EVENT_SOURCE};
use trent_core::caller::CallAudit;
use trent_core::memory::InMemoryStore;
use trent_core::{BootstrapSpec, Caller, Kms, KmsError, KmsOptions, ManualClock, Store as _, UsageQuery};

const A: &str = "111122223333";
const B: &str = "444455556666";
const OPERATOR: &str = "999999999999";
const T0: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// The hour bucket holding T0 (T0 is 13:20 past it).
const H0: i64 = T0 - T0 % HOUR;

struct World {
    kms: Kms,
    store: Arc<InMemoryStore>,
    clock: Arc<ManualClock>,
}

async fn world() -> World {
    let store = Arc::new(InMemoryStore::new());
    let clock = Arc::new(ManualClock::new(T0));
    let kms = common::kms_with(store.clone(), clock.clone(), KmsOptions::default()).await;
    kms.bootstrap(BootstrapSpec { account_id: Some(OPERATOR.into()), ..Default::default() }).await.unwrap();
    World { kms, store, clock }
}

/// What the server drafts for a call of `account`'s root at `time`.
fn draft(account: &str, operation: &str, time: i64) -> EventDraft {
    EventDraft {
        request_id: "req".into(),
        event_source: EVENT_SOURCE,
        operation: operation.into(),
        time,
        region: Some("us-east-1".into()),
        identity: Identity::Principal {
            account: account.into(),
            arn: AccountId::parse(account).unwrap().root_arn().as_str().to_owned(),
            access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
            session: None,
        },
        source_ip: None,
        user_agent: None,
        request_parameters: std::sync::OnceLock::new(),
        tls_details: None,
    }
}

/// `account`'s root, whose state changes record their events.
fn audited(account: &str, operation: &str, time: i64) -> Caller {
    Caller { audit: CallAudit::new(draft(account, operation, time)), ..common::root_caller(account, "us-east-1") }
}

/// Records a call as the server does after answering it: its events (the
/// caller's, and a copy for each other account whose key it named).
async fn record(w: &World, account: &str, operation: &str, time: i64, keys: &[&str], error: bool) {
    let outcome = if error {
        Outcome { response: None, error: Some(("AccessDeniedException", "denied")) }
    } else {
        Outcome { response: Some(&json!({})), error: None }
    };
    let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let mut n = 0;
    let entries = draft(account, operation, time).entries(
        || {
            n += 1;
            format!("ev-{time}-{n}")
        },
        outcome,
        &keys,
    );
    w.store.append_audit(entries).await.unwrap();
}

async fn create_key(w: &World, account: &str) -> String {
    let c = audited(account, "CreateKey", trent_core::Clock::now_millis(w.clock.as_ref()));
    w.kms.create_key(&c, serde_json::from_value(json!({})).unwrap()).await.unwrap().key_metadata.unwrap().arn
}

fn query(since: i64, until: i64, bucket: i64, all_accounts: bool) -> UsageQuery {
    UsageQuery { since, until, bucket, all_accounts }
}

/// (bucket, account, key, operation) → (requests, errors) of the by-key rows
/// of `op`.
fn rows(r: &GetUsageResponse, op: &str) -> Vec<(i64, String, Option<String>, u64, u64)> {
    r.requests
        .iter()
        .filter(|x| x.operation == op)
        .map(|x| (x.bucket_start.millis(), x.account.clone(), x.key_arn.clone(), x.requests, x.errors))
        .collect()
}

#[tokio::test]
async fn requests_by_bucket_key_and_operation_with_errors_and_each_call_once_in_the_totals() {
    let w = world().await;
    let k1 = create_key(&w, A).await;
    let k2 = create_key(&w, A).await;
    record(&w, A, "Encrypt", T0 + 10 * MIN, &[&k1], false).await;
    record(&w, A, "Encrypt", T0 + 20 * MIN, &[&k1], true).await;
    record(&w, A, "ListKeys", T0 + 30 * MIN, &[], false).await;
    // B decrypts with A's key: the trail holds B's event and A's copy.
    record(&w, B, "Decrypt", T0 + 40 * MIN, &[&k1], false).await;
    // The next hour: a ReEncrypt from one key to the other.
    record(&w, A, "ReEncrypt", T0 + 70 * MIN, &[&k1, &k2], false).await;
    // Outside the window, and a call no account was established for.
    record(&w, A, "Encrypt", T0 + 5 * HOUR, &[&k1], false).await;
    let mut nobody = draft(A, "Encrypt", T0);
    nobody.identity = Identity::Unauthenticated { access_key_id: None };
    let e = nobody.entries(|| "anon".into(), Outcome { response: None, error: Some(("X", "y")) }, &[]);
    w.store.append_audit(e).await.unwrap();

    let a = w.kms.usage(&common::root_caller(A, "us-east-1"), query(T0 - HOUR, T0 + 2 * HOUR, HOUR, false)).await;
    let a = a.unwrap();
    assert_eq!(a.bucket_seconds, 3600);
    assert_eq!(rows(&a, "Encrypt"), vec![(H0, A.into(), Some(k1.clone()), 2, 1)]);
    assert_eq!(rows(&a, "ListKeys"), vec![(H0, A.into(), None, 1, 0)]);
    // A's copy of B's call: once, in A's rows.
    assert_eq!(rows(&a, "Decrypt"), vec![(H0, A.into(), Some(k1.clone()), 1, 0)]);
    // One call, counted on each key it named (rows in ARN order; the key
    // ids are random)...
    let mut both = vec![(H0 + HOUR, A.into(), Some(k1.clone()), 1, 0), (H0 + HOUR, A.into(), Some(k2.clone()), 1, 0)];
    both.sort();
    assert_eq!(rows(&a, "ReEncrypt"), both);
    // ... and once in the totals.
    let totals: Vec<_> = a
        .totals
        .iter()
        .map(|t| (t.bucket_start.millis(), t.operation.as_str(), t.event_source.as_str(), t.requests, t.errors))
        .collect();
    assert_eq!(
        totals,
        vec![
            (H0, "CreateKey", "kms.amazonaws.com", 2, 0),
            (H0, "Decrypt", "kms.amazonaws.com", 1, 0),
            (H0, "Encrypt", "kms.amazonaws.com", 2, 1),
            (H0, "ListKeys", "kms.amazonaws.com", 1, 0),
            (H0 + HOUR, "ReEncrypt", "kms.amazonaws.com", 1, 0),
        ]
    );
    assert!(a.requests.iter().all(|r| r.account == A));
    assert!(a.totals.iter().all(|t| t.account == A));

    // B sees its own call, not A's.
    let b = w.kms.usage(&common::root_caller(B, "us-east-1"), query(T0 - HOUR, T0 + 2 * HOUR, HOUR, false)).await;
    let b = b.unwrap();
    assert_eq!(b.requests.len(), 1);
    assert_eq!(rows(&b, "Decrypt"), vec![(H0, B.into(), Some(k1.clone()), 1, 0)]);
    assert!(b.keys.is_empty(), "A's keys are A's");

    // A day bucket holds the hour buckets' calls.
    let day = w.kms.usage(&common::root_caller(A, "us-east-1"), query(T0 - HOUR, T0 + 2 * HOUR, DAY, false)).await;
    let encrypt: u64 = day.unwrap().totals.iter().filter(|t| t.operation == "Encrypt").map(|t| t.requests).sum();
    assert_eq!(encrypt, 2);
}

#[tokio::test]
async fn every_account_for_the_operator_alone() {
    let w = world().await;
    let k1 = create_key(&w, A).await;
    record(&w, B, "Decrypt", T0 + MIN, &[&k1], false).await;
    w.clock.advance(30 * MIN);
    let q = query(T0 - HOUR, T0 + HOUR, HOUR, true);
    let denied = w.kms.usage(&common::root_caller(A, "us-east-1"), q).await.unwrap_err();
    assert!(matches!(denied, KmsError::AccessDenied(_)), "{denied:?}");
    let all = w.kms.usage(&common::root_caller(OPERATOR, "us-east-1"), q).await.unwrap();
    // Each account's copy, once in each.
    assert_eq!(
        rows(&all, "Decrypt"),
        vec![(H0, A.into(), Some(k1.clone()), 1, 0), (H0, B.into(), Some(k1.clone()), 1, 0)]
    );
    assert_eq!(all.keys.len(), 1);
    assert!((all.keys[0].key_months - 0.5 / 730.0).abs() < 1e-9, "{:?}", all.keys);
    // The operator without AllAccounts: its own account's usage.
    let operator = common::root_caller(OPERATOR, "us-east-1");
    let own = w.kms.usage(&operator, query(T0 - HOUR, T0 + HOUR, HOUR, false)).await.unwrap();
    assert!(own.requests.is_empty());
}

#[tokio::test]
async fn key_months_of_keys_created_and_destroyed_within_the_window() {
    let w = world().await;
    let kept = create_key(&w, A).await;
    let gone = create_key(&w, A).await;
    let c = audited(A, "ScheduleKeyDeletion", T0);
    let id = gone.rsplit('/').next().unwrap();
    let schedule = serde_json::from_value(json!({"KeyId": id, "PendingWindowInDays": 7})).unwrap();
    w.kms.schedule_key_deletion(&c, schedule).await.unwrap();
    w.clock.advance(8 * DAY);
    w.kms.run_due_jobs().await.unwrap();
    w.clock.advance(4 * DAY);

    // Created 1 day into the window; the window reaches past now (T0 + 12
    // days), which ends the count.
    let r = w.kms.usage(&common::root_caller(A, "us-east-1"), query(T0 - DAY, T0 + 30 * DAY, DAY, false)).await;
    let r = r.unwrap();
    let months: Vec<_> = r
        .keys
        .iter()
        .map(|k| (k.key_arn.as_str(), (k.key_months * 730.0).round() as i64, k.created.map(|t| t.millis()), k.deleted))
        .collect();
    let mut expected = vec![
        (kept.as_str(), 12 * 24, Some(T0), None),
        (gone.as_str(), 8 * 24, Some(T0), Some(trent_api::time::Timestamp::from_millis(T0 + 8 * DAY))),
    ];
    expected.sort();
    assert_eq!(months, expected);
    // Pending deletion counted until destroyed; the scheduler's DeleteKey is
    // no one's request.
    assert!(r.totals.iter().all(|t| t.operation != "DeleteKey"), "{:?}", r.totals);

    // A window after the destruction holds the kept key alone, from its start.
    let later = query(T0 + 9 * DAY, T0 + 11 * DAY, DAY, false);
    let r = w.kms.usage(&common::root_caller(A, "us-east-1"), later).await.unwrap();
    assert_eq!(r.keys.len(), 1);
    assert!((r.keys[0].key_months - 48.0 / 730.0).abs() < 1e-9, "{}", r.keys[0].key_months);
    // A window before the keys were created holds none.
    let before = query(T0 - 3 * DAY, T0 - DAY, DAY, false);
    assert!(w.kms.usage(&common::root_caller(A, "us-east-1"), before).await.unwrap().keys.is_empty());
}

#[tokio::test]
async fn windows_and_buckets_are_validated() {
    let w = world().await;
    let c = common::root_caller(A, "us-east-1");
    for (q, says) in [
        (query(T0, T0, HOUR, false), "before its end"),
        (query(T0, T0 - 1, HOUR, false), "before its end"),
        (query(T0, T0 + DAY, 59_999, false), "at least 60 seconds"),
        (query(T0, T0 + 30 * DAY, MIN, false), "at most 10000"),
    ] {
        match w.kms.usage(&c, q).await {
            Err(KmsError::Validation(m)) => assert!(m.contains(says), "{m}"),
            other => panic!("{q:?}: {other:?}"),
        }
    }
    // 10,000 buckets exactly is allowed.
    assert!(w.kms.usage(&c, query(T0, T0 + 10_000 * MIN, MIN, false)).await.is_ok());
}
