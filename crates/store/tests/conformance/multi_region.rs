//! The conformance checks of multi-Region keys: the related keys of a
//! multi-Region key share one key id, one account and the versions of their
//! material, one key per Region, each with its own state, aliases, grants
//! and tombstone.

use super::*;

/// A multi-Region key id (`mrk-` and 32 hex digits).
pub(crate) fn mrk_id(n: u32) -> KeyId {
    KeyId::new_unchecked(format!("mrk-{n:032x}"))
}

/// Multi-Region key `n` with its primary in `scope`.
pub(crate) fn mrk(scope: &Scope, n: u32) -> KeyRecord {
    KeyRecord { id: mrk_id(n), multi_region: true, primary_region: Some(scope.region.clone()), ..key(scope, n) }
}

/// The related key of `primary` in `region`: its replica there (same id,
/// account and primary Region).
pub(crate) fn replica(primary: &KeyRecord, region: &str) -> KeyRecord {
    KeyRecord {
        scope: scope(primary.scope.account.as_str(), region),
        description: format!("replica in {region}"),
        ..primary.clone()
    }
}

/// `k` as its next revision, changed by `f`.
fn next(k: &KeyRecord, f: impl FnOnce(&mut KeyRecord)) -> KeyRecord {
    let mut k = k.clone();
    f(&mut k);
    k.revision += 1;
    k
}

/// A primary (us-east-1, with version 1) and its replicas in ap-south-1 and
/// eu-west-1 (inserted without versions: they share the primary's), and a
/// single-Region key in each of those Regions: the same id is a key in each
/// Region, found there by id and Region and listed with its Region's keys.
pub(crate) async fn related_keys_share_an_id_one_per_region(s: Arc<dyn Store>) -> TestResult {
    let (us, eu, ap) =
        (scope("111122223333", "us-east-1"), scope("111122223333", "eu-west-1"), scope("111122223333", "ap-south-1"));
    let primary = mrk(&us, 1);
    let (r_ap, r_eu) = (replica(&primary, "ap-south-1"), replica(&primary, "eu-west-1"));
    s.insert_key(&primary, Some(&version(&primary.id, 1)), &[]).await?;
    s.insert_key(&r_ap, None, &[]).await?;
    s.insert_key(&r_eu, None, &[]).await?;
    for (sc, n) in [(&us, 2), (&eu, 3), (&ap, 4)] {
        let k = key(sc, n);
        s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    }

    // Each Region's key, by id and Region; none in another Region or account.
    assert_eq!(s.key(&us, &primary.id).await?, Some(primary.clone()));
    assert_eq!(s.key(&eu, &primary.id).await?, Some(r_eu.clone()));
    assert_eq!(s.key(&ap, &primary.id).await?, Some(r_ap.clone()));
    assert_eq!(s.key(&scope("111122223333", "sa-east-1"), &primary.id).await?, None);
    assert_eq!(s.key(&scope("444455556666", "eu-west-1"), &primary.id).await?, None);
    // Read again (from a store's memory of keys, where it keeps one), each
    // Region's own.
    assert_eq!(s.key(&eu, &primary.id).await?, Some(r_eu.clone()));
    assert_eq!(s.key(&us, &primary.id).await?, Some(primary.clone()));
    for sc in [&us, &eu, &ap] {
        assert_eq!(s.key_owner(&primary.id, &sc.region).await?, Some(sc.clone()));
    }
    assert_eq!(s.key_owner(&primary.id, &Region::new_unchecked("sa-east-1")).await?, None);
    // The versions are the id's, whichever key reads them.
    assert_eq!(s.key_versions(&primary.id, 0, 10).await?, vec![version(&primary.id, 1)]);

    // All related keys, by Region; a single-Region key alone; none for
    // another account.
    assert_eq!(s.related_keys(&us.account, &primary.id).await?, vec![r_ap.clone(), r_eu.clone(), primary.clone()]);
    assert_eq!(s.related_keys(&us.account, &key_id(3)).await?, vec![key(&eu, 3)]);
    assert!(s.related_keys(&AccountId::new_unchecked("444455556666"), &primary.id).await?.is_empty());
    assert!(s.related_keys(&us.account, &mrk_id(9)).await?.is_empty());

    // Each Region lists its own key of the id, in id order with the others.
    let ids = |v: Vec<KeyRecord>| v.into_iter().map(|k| (k.id, k.scope.region)).collect::<Vec<_>>();
    assert_eq!(ids(s.list_keys(&us, None, 10).await?), ids(vec![key(&us, 2), primary.clone()]));
    assert_eq!(ids(s.list_keys(&eu, None, 10).await?), ids(vec![key(&eu, 3), r_eu.clone()]));
    assert_eq!(ids(s.list_keys(&ap, Some(&key_id(4)), 10).await?), ids(vec![r_ap.clone()]));

    // The same id again in a Region that has it is refused, in its
    // account or another, and replaces nothing.
    let mut dup = replica(&primary, "eu-west-1");
    dup.description = "again".into();
    assert_failed("insert_key same Region", s.insert_key(&dup, None, &[]).await, &StoreError::AlreadyExists);
    let other_account = KeyRecord { scope: scope("444455556666", "eu-west-1"), ..dup.clone() };
    let taken = s.insert_key(&other_account, None, &[]).await;
    assert_failed("insert_key same Region, other account", taken, &StoreError::AlreadyExists);
    assert_eq!(s.key(&eu, &primary.id).await?, Some(r_eu.clone()));
    assert_eq!(s.key(&other_account.scope, &primary.id).await?, None);

    // Each key has its own state: a change of one leaves the others.
    let disabled = next(&r_eu, |k| k.state = KeyState::Disabled);
    s.update_key(&disabled, &[]).await?;
    assert_eq!(s.key(&eu, &primary.id).await?, Some(disabled.clone()));
    assert_eq!(s.key(&us, &primary.id).await?, Some(primary.clone()));
    assert_eq!(s.key(&ap, &primary.id).await?, Some(r_ap.clone()));
    // A writer of one Region's key that read another's revision loses.
    let stale = next(&primary, |k| k.scope = eu.clone());
    assert_failed("update_key of a related key", s.update_key(&stale, &[]).await, &StoreError::Conflict);
    let ghost = next(&primary, |k| k.scope = scope("111122223333", "sa-east-1"));
    assert_failed("update_key of no key", s.update_key(&ghost, &[]).await, &StoreError::NotFound);
    // A rotation of one key adds the shared version and changes that key.
    let rotated = next(&primary, |k| k.current_version = 2);
    s.add_key_version(&rotated, &version(&primary.id, 2), &[]).await?;
    assert_eq!(s.key(&us, &primary.id).await?, Some(rotated.clone()));
    assert_eq!(s.key(&eu, &primary.id).await?, Some(disabled.clone()));
    assert_eq!(s.key_version(&primary.id, 2).await?, Some(version(&primary.id, 2)));

    // Aliases of the same name in each Region, each naming its Region's key.
    for sc in [&us, &eu] {
        s.insert_alias(&alias(sc, "shared", &primary.id), &[]).await?;
    }
    let name = AliasName::new_unchecked("alias/shared");
    assert_eq!(s.alias(&eu, &name).await?, Some(alias(&eu, "shared", &primary.id)));
    assert_eq!(s.list_aliases(&us, Some(&primary.id), None, 10).await?, vec![alias(&us, "shared", &primary.id)]);
    assert!(s.list_aliases(&ap, Some(&primary.id), None, 10).await?.is_empty());
    Ok(())
}

/// `update_keys` stores several related keys and versions in one change:
/// all of it with its events, or (one key stale or gone) none of it.
pub(crate) async fn update_keys_is_atomic(s: Arc<dyn Store>) -> TestResult {
    let us = scope("111122223333", "us-east-1");
    let primary = mrk(&us, 1);
    let r_eu = replica(&primary, "eu-west-1");
    s.insert_key(&primary, Some(&version(&primary.id, 1)), &[]).await?;
    s.insert_key(&r_eu, None, &[]).await?;
    s.append_audit(vec![audit_entry(0)]).await?;
    // Both read (a store that keeps keys in memory now holds both).
    assert_eq!(s.key(&us, &primary.id).await?, Some(primary.clone()));
    assert_eq!(s.key(&r_eu.scope, &r_eu.id).await?, Some(r_eu.clone()));

    // A rotation of the primary that the replica follows: both keys, the
    // version and the event, together.
    let (p2, e2) = (next(&primary, |k| k.current_version = 2), next(&r_eu, |k| k.current_version = 2));
    let event = change_event("RotateKeyOnDemand", 1);
    s.update_keys(&[p2.clone(), e2.clone()], &[version(&primary.id, 2)], std::slice::from_ref(&event)).await?;
    assert_eq!(s.key(&us, &primary.id).await?, Some(p2.clone()));
    assert_eq!(s.key(&r_eu.scope, &r_eu.id).await?, Some(e2.clone()));
    assert_eq!(s.key_versions(&primary.id, 0, 10).await?, vec![version(&primary.id, 1), version(&primary.id, 2)]);
    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.last().map(|r| &r.entry), Some(&event));
    let head = s.audit_head().await?;

    // One key stale, or one gone, in any position: refused, and nothing
    // written (no key, no version, no event). The first that fails, in
    // the order given, names the error.
    let (p3, e3) = (next(&p2, |k| k.current_version = 3), next(&e2, |k| k.current_version = 3));
    let stale_e = next(&r_eu, |k| k.current_version = 3);
    let ghost = next(&replica(&p2, "sa-east-1"), |k| k.current_version = 3);
    let ev = [change_event("RotateKeyOnDemand", 2)];
    let (conflict, not_found) = (StoreError::Conflict, StoreError::NotFound);
    let v3 = [version(&primary.id, 3)];
    for (what, keys, want) in [
        ("stale last", vec![p3.clone(), stale_e.clone()], &conflict),
        ("stale first", vec![stale_e.clone(), p3.clone()], &conflict),
        ("gone last", vec![p3.clone(), e3.clone(), ghost.clone()], &not_found),
        ("gone before stale", vec![ghost.clone(), stale_e.clone()], &not_found),
        ("stale before gone", vec![stale_e.clone(), ghost.clone()], &conflict),
    ] {
        assert_failed(&format!("update_keys {what}"), s.update_keys(&keys, &v3, &ev).await, want);
        assert_eq!(s.key(&us, &primary.id).await?, Some(p2.clone()), "{what}");
        assert_eq!(s.key(&r_eu.scope, &r_eu.id).await?, Some(e2.clone()), "{what}");
        assert_eq!(s.key_version(&primary.id, 3).await?, None, "{what}");
        assert_eq!(s.audit_head().await?, head, "{what}");
    }

    // Versions are written as put_key_versions writes them: new, or
    // replacing the stored one of that number.
    let mut emptied = version(&primary.id, 1);
    emptied.wrapped_material.clear();
    s.update_keys(&[p3.clone(), e3.clone()], &[emptied.clone(), version(&primary.id, 3)], &[]).await?;
    assert_eq!(s.key(&us, &primary.id).await?, Some(p3));
    assert_eq!(s.key(&r_eu.scope, &r_eu.id).await?, Some(e3));
    assert_eq!(
        s.key_versions(&primary.id, 0, 10).await?,
        vec![emptied, version(&primary.id, 2), version(&primary.id, 3)]
    );
    assert_eq!(s.audit_head().await?, head, "a change without events appends none");
    Ok(())
}

/// Each Region's key has its own grants: listed and revoked through that
/// key's scope only.
pub(crate) async fn grants_are_per_region(s: Arc<dyn Store>) -> TestResult {
    let us = scope("111122223333", "us-east-1");
    let primary = mrk(&us, 1);
    let r_eu = replica(&primary, "eu-west-1");
    s.insert_key(&primary, Some(&version(&primary.id, 1)), &[]).await?;
    s.insert_key(&r_eu, None, &[]).await?;
    let bob = "arn:aws:iam::444455556666:root";
    let (g_us, g_eu) = (grant(&primary, 1, Some(bob)), grant(&r_eu, 2, Some(bob)));
    s.insert_grant(&g_us, &[]).await?;
    s.insert_grant(&g_eu, &[]).await?;
    assert_eq!(g_eu.key_arn, format!("arn:aws:kms:eu-west-1:111122223333:key/{}", primary.id.as_str()));

    assert_eq!(s.grants(&us, &primary.id, None, 10).await?, vec![g_us.clone()]);
    assert_eq!(s.grants(&r_eu.scope, &primary.id, None, 10).await?, vec![g_eu.clone()]);
    assert!(s.grants(&scope("444455556666", "us-east-1"), &primary.id, None, 10).await?.is_empty());
    assert!(s.grants(&scope("111122223333", "sa-east-1"), &primary.id, None, 10).await?.is_empty());
    // Retirable grants span Regions, by (key id, grant id).
    assert_eq!(s.retirable_grants(bob, None, 10).await?, vec![g_us.clone(), g_eu.clone()]);

    // A grant is revoked through its own key's scope only.
    let ev = [change_event("RevokeGrant", 1)];
    let other_region = s.delete_grant(&r_eu.scope, &primary.id, &g_us.grant_id, &ev).await;
    assert_failed("delete_grant of another Region's key", other_region, &StoreError::NotFound);
    assert!(s.audit_head().await?.is_none(), "a failed revocation appends nothing");
    assert_eq!(s.grants(&us, &primary.id, None, 10).await?, vec![g_us.clone()]);
    s.delete_grant(&us, &primary.id, &g_us.grant_id, &ev).await?;
    assert!(s.grants(&us, &primary.id, None, 10).await?.is_empty());
    assert_eq!(s.grants(&r_eu.scope, &primary.id, None, 10).await?, vec![g_eu.clone()]);
    assert_eq!(s.retirable_grants(bob, None, 10).await?, vec![g_eu]);
    Ok(())
}

/// Destroying one Region's key takes its aliases, grants and that key,
/// and leaves its tombstone; the versions stay while a related key
/// remains, and go with the last.
pub(crate) async fn destroying_one_related_key_keeps_the_shared_versions(s: Arc<dyn Store>) -> TestResult {
    let us = scope("111122223333", "us-east-1");
    let mut primary = mrk(&us, 1);
    let r_eu = replica(&primary, "eu-west-1");
    let eu = r_eu.scope.clone();
    s.insert_key(&primary, Some(&version(&primary.id, 1)), &[]).await?;
    s.insert_key(&r_eu, None, &[]).await?;
    primary = next(&primary, |k| k.current_version = 2);
    s.add_key_version(&primary, &version(&primary.id, 2), &[]).await?;
    for sc in [&us, &eu] {
        s.insert_alias(&alias(sc, "app", &primary.id), &[]).await?;
    }
    let (g_us, g_eu) = (grant(&primary, 1, None), grant(&r_eu, 2, None));
    s.insert_grant(&g_us, &[]).await?;
    s.insert_grant(&g_eu, &[]).await?;
    let versions = vec![version(&primary.id, 1), version(&primary.id, 2)];
    let app = AliasName::new_unchecked("alias/app");

    // A stale view of the replica destroys nothing; the primary's view of
    // its revision is not the replica's either.
    let stale = next(&r_eu, |_| {});
    assert_failed("destroy_key stale", s.destroy_key(&stale, 9, &[]).await, &StoreError::Conflict);
    let ghost = replica(&primary, "sa-east-1");
    assert_failed("destroy_key of no key", s.destroy_key(&ghost, 9, &[]).await, &StoreError::NotFound);
    assert_eq!(s.key(&eu, &primary.id).await?, Some(r_eu.clone()));

    // The replica goes with its alias and grant; the primary keeps its
    // own and the versions, which it shares.
    s.destroy_key(&r_eu, 9, &[]).await?;
    assert_eq!(s.key(&eu, &primary.id).await?, None);
    assert_eq!(s.key_owner(&primary.id, &eu.region).await?, None);
    assert_eq!(s.alias(&eu, &app).await?, None);
    assert!(s.grants(&eu, &primary.id, None, 10).await?.is_empty());
    assert!(s.key_destroyed(&eu, &primary.id).await?);
    assert!(!s.key_destroyed(&us, &primary.id).await?);
    assert_eq!(s.key(&us, &primary.id).await?, Some(primary.clone()));
    assert_eq!(s.related_keys(&us.account, &primary.id).await?, vec![primary.clone()]);
    assert_eq!(s.key_versions(&primary.id, 0, 10).await?, versions);
    assert_eq!(s.alias(&us, &app).await?, Some(alias(&us, "app", &primary.id)));
    assert_eq!(s.grants(&us, &primary.id, None, 10).await?, vec![g_us.clone()]);
    assert_failed("destroy_key again", s.destroy_key(&r_eu, 10, &[]).await, &StoreError::NotFound);

    // A Region may get a replica again, and lose it again: one tombstone
    // per Region, the last destruction's.
    s.insert_key(&r_eu, None, &[]).await?;
    assert_eq!(s.key(&eu, &primary.id).await?, Some(r_eu.clone()));
    s.destroy_key(&r_eu, 11, &[]).await?;
    assert!(s.key_destroyed(&eu, &primary.id).await?);
    assert_eq!(s.key_versions(&primary.id, 0, 10).await?, versions);

    // The last key of the id takes the versions with it.
    s.destroy_key(&primary, 12, &[]).await?;
    assert!(s.key_versions(&primary.id, 0, 10).await?.is_empty());
    assert_eq!(s.key_version(&primary.id, 1).await?, None);
    assert!(s.related_keys(&us.account, &primary.id).await?.is_empty());
    assert!(s.key_destroyed(&us, &primary.id).await?);
    assert!(s.key_destroyed(&eu, &primary.id).await?);
    assert!(!s.key_destroyed(&scope("444455556666", "us-east-1"), &primary.id).await?);
    assert!(!s.key_destroyed(&scope("111122223333", "sa-east-1"), &primary.id).await?);
    let tombstones: Vec<(String, i64)> =
        s.export().await?.destroyed.into_iter().map(|d| (d.scope.region.as_str().to_owned(), d.destroyed_at)).collect();
    assert_eq!(tombstones, [("eu-west-1".to_owned(), 11), ("us-east-1".to_owned(), 12)]);
    Ok(())
}

/// Destructions of the related keys of one id at once: whichever commits
/// last finds no key of the id left and deletes the versions they shared,
/// so none stays behind.
pub(crate) async fn concurrent_destruction_of_related_keys_deletes_the_versions(s: Arc<dyn Store>) -> TestResult {
    let us = scope("111122223333", "us-east-1");
    let regions = ["ap-south-1", "eu-west-1", "sa-east-1", "us-east-1", "us-west-2"];
    for round in 0..8u32 {
        let primary = mrk(&us, round);
        s.insert_key(&primary, Some(&version(&primary.id, 1)), &[]).await?;
        let mut keys = vec![primary.clone()];
        for region in regions.iter().filter(|r| **r != "us-east-1") {
            let r = replica(&primary, region);
            s.insert_key(&r, None, &[]).await?;
            keys.push(r);
        }
        let tasks: Vec<_> = keys
            .into_iter()
            .map(|k| {
                let s = Arc::clone(&s);
                tokio::spawn(async move { s.destroy_key(&k, 5, &[]).await })
            })
            .collect();
        for t in tasks {
            t.await??;
        }
        assert!(s.related_keys(&us.account, &primary.id).await?.is_empty());
        assert!(s.key_versions(&primary.id, 0, 10).await?.is_empty(), "round {round}: the versions are gone");
    }
    Ok(())
}

/// The Regions of related keys held by peer sites are stored with a key
/// and change with it: written at insert, replaced by an update (also by
/// one spanning the related keys), emptied again; a key with none reads
/// back with none.
pub(crate) async fn remote_regions_are_stored_and_updated(s: Arc<dyn Store>) -> TestResult {
    let us = scope("111122223333", "us-east-1");
    let r = |n: &str| Region::new_unchecked(n.to_owned());
    let primary = KeyRecord { remote_regions: vec![r("eu-west-1")], ..mrk(&us, 7) };
    s.insert_key(&primary, Some(&version(&primary.id, 1)), &[]).await?;
    assert_eq!(s.key(&us, &primary.id).await?, Some(primary.clone()));
    let two = next(&primary, |k| k.remote_regions.push(r("ap-south-1")));
    s.update_key(&two, &[]).await?;
    assert_eq!(s.key(&us, &primary.id).await?.map(|k| k.remote_regions), Some(vec![r("eu-west-1"), r("ap-south-1")]));
    let none = next(&two, |k| k.remote_regions.clear());
    s.update_keys(std::slice::from_ref(&none), &[], &[]).await?;
    assert_eq!(s.key(&us, &primary.id).await?, Some(none.clone()));
    assert_eq!(s.related_keys(&us.account, &primary.id).await?, vec![none]);
    Ok(())
}
