//! The conformance checks of usage reports: the requests counted in the
//! database agree with the reference ([`UsageTally`] over every record),
//! whatever part of the trail is indexed, for every account filter, window
//! and bucket; and the lifetimes of stored and destroyed keys.

use super::*;
use trent_core::audit::{KeyLifetime, UsageFilter, UsageTally};

/// Event `n` for usage: four accounts' worth (one none), times spread over
/// a few hours, failures, service events and resources of every kind.
fn usage_entry(n: u32) -> AuditEntry {
    let mut e = audit_entry(n);
    e.event_time = 1_700_000_000_000 + i64::from(n) * 7 * 60_000;
    e.record = match n % 5 {
        0 => format!(r#"{{"eventID":"{}","errorCode":"AccessDeniedException"}}"#, e.event_id),
        1 => format!(r#"{{"eventID":"{}","eventType":"AwsServiceEvent"}}"#, e.event_id),
        2 => format!(r#"{{"eventID":"{}","errorCode":null,"eventType":"AwsApiCall"}}"#, e.event_id),
        _ => format!(r#"{{"eventID":"{}","eventType":"AwsApiCall","note":"errorCode ✓"}}"#, e.event_id),
    };
    e
}

async fn usage_agrees(s: &dyn Store, all: &[AuditRecord]) -> TestResult {
    let t = |n: i64| 1_700_000_000_000 + n * 7 * 60_000;
    for account in [None, Some("111122223333"), Some("444455556666"), Some("000000000000")] {
        for (since, until) in [(0, i64::MAX), (t(5), t(30)), (t(12), t(13)), (t(40), t(50))] {
            for bucket in [60_000, 3_600_000, 86_400_000] {
                let filter = UsageFilter { account: account.map(str::to_owned), since, until, bucket };
                let mut tally = UsageTally::default();
                for r in all {
                    tally.add_entry(&filter, &r.entry);
                }
                assert_eq!(s.audit_usage(&filter).await?, tally.finish(), "{filter:?}");
            }
        }
    }
    Ok(())
}

/// Requests counted by the store are the reference's, with none, part
/// and all of the trail indexed.
pub(crate) async fn usage_agrees_with_the_reference(s: Arc<dyn Store>) -> TestResult {
    let entries: Vec<AuditEntry> = (0..40).map(usage_entry).collect();
    for batch in entries.chunks(7) {
        s.append_audit(batch.to_vec()).await?;
    }
    let all = s.audit_records(0, 1000).await?;
    // Not vacuous: the whole trail has counts by key and by call, errors
    // among them, a call counted on two keys, and service events left out.
    let whole = UsageFilter { account: None, since: 0, until: i64::MAX, bucket: 3_600_000 };
    let mut tally = UsageTally::default();
    for r in &all {
        tally.add_entry(&whole, &r.entry);
    }
    let reference = tally.finish();
    let calls: u64 = reference.by_call.iter().map(|c| c.requests).sum();
    assert_eq!(calls, 40 - 13 - 6, "13 without an account; of the rest, 6 service events");
    assert!(reference.by_call.iter().any(|c| c.errors > 0));
    assert!(reference.by_key.iter().map(|c| c.requests).sum::<u64>() > calls);
    assert!(reference.by_key.iter().any(|c| c.key_arn.is_none()));
    assert!(reference.by_key.iter().all(|c| c.key_arn.as_deref() != Some(ALIAS_ARN)));

    usage_agrees(&*s, &all).await?;
    s.index_audit(17).await?;
    usage_agrees(&*s, &all).await?;
    while s.index_audit(10).await? > 0 {}
    usage_agrees(&*s, &all).await?;
    // Appended after indexing: counted at once, and once.
    s.append_audit(vec![usage_entry(43)]).await?;
    let all = s.audit_records(0, 1000).await?;
    usage_agrees(&*s, &all).await?;
    Ok(())
}

/// Stored keys count from their creation; destroyed keys until their
/// destruction, from the earliest indexed event naming them (none: unknown).
pub(crate) async fn key_lifetimes_of_stored_and_destroyed_keys(s: Arc<dyn Store>) -> TestResult {
    let (a, b) = (scope("111122223333", "us-east-1"), scope("444455556666", "eu-west-1"));
    let (k1, k2, k3, k4) = (key(&a, 1), key(&a, 2), key(&b, 3), key(&a, 4));
    for k in [&k1, &k2, &k3, &k4] {
        s.insert_key(k, Some(&version(&k.id, 1)), &[]).await?;
    }
    // k2's trail: an event naming it at 1_700_000_100_000 (and an earlier
    // one naming another Region's key of its id, which is not it).
    let mut named = audit_entry(1);
    named.event_time = 1_700_000_100_000;
    named.resources = vec![k2.arn()];
    let mut other_region = audit_entry(5);
    other_region.event_time = 1_600_000_000_000;
    other_region.resources = vec![trent_api::ids::key_arn(&Region::new_unchecked("eu-west-1"), &a.account, &k2.id)];
    s.append_audit(vec![other_region, named]).await?;
    while s.index_audit(10).await? > 0 {}
    s.destroy_key(&k2, 1_700_000_500_000, &[]).await?;
    s.destroy_key(&k4, 1_700_000_200_000, &[]).await?;

    let live = |k: &KeyRecord| KeyLifetime {
        account: k.scope.account.to_string(),
        key_arn: k.arn(),
        created_at: Some(k.created_at),
        destroyed_at: None,
    };
    let gone = |k: &KeyRecord, created_at, at| KeyLifetime {
        account: k.scope.account.to_string(),
        key_arn: k.arn(),
        created_at,
        destroyed_at: Some(at),
    };
    let every = s.key_lifetimes(None, 0, i64::MAX).await?;
    let mut expected = vec![
        live(&k1),
        gone(&k2, Some(1_700_000_100_000), 1_700_000_500_000),
        live(&k3),
        gone(&k4, None, 1_700_000_200_000),
    ];
    expected.sort();
    assert_eq!(every, expected);
    // By account; a key created after the window, and one destroyed
    // before it, are left out.
    let mine = s.key_lifetimes(Some(&a.account), 1_700_000_300_000, 1_700_000_000_002).await?;
    let mut expected = vec![live(&k1), gone(&k2, Some(1_700_000_100_000), 1_700_000_500_000)];
    expected.sort();
    assert_eq!(mine, expected);
    assert!(s.key_lifetimes(Some(&AccountId::new_unchecked("000000000000")), 0, i64::MAX).await?.is_empty());
    Ok(())
}
