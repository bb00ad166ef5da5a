//! The conformance checks of custom key stores: one per id in the
//! deployment, its name unique (exactly) in its account and Region, found
//! and listed by scope (or all of them) in id order, an update replacing
//! everything but the identity and the creation time, the keys each holds
//! counted by scope, and every change's events committed with it.

use super::*;

/// Key store id `n`: `cks-` and 17 hex digits.
pub(crate) fn cks_id(n: u32) -> String {
    format!("cks-{n:017x}")
}

/// Key store `n` of `scope` named `name`, on token `cluster-n`, connected.
pub(crate) fn custom_key_store(scope: &Scope, n: u32, name: &str) -> CustomKeyStoreRecord {
    CustomKeyStoreRecord {
        scope: scope.clone(),
        id: cks_id(n),
        name: name.to_owned(),
        cluster_id: format!("cluster-{n}"),
        trust_anchor: format!("-----BEGIN CERTIFICATE-----\nMII{n}✓\n-----END CERTIFICATE-----\n"),
        wrapped_password: vec![n as u8; 44],
        connection_state: "CONNECTED".to_owned(),
        connection_error: None,
        created_at: 1_700_000_000_000 + i64::from(n),
    }
}

/// Key `n` of `scope` whose material key store `store` holds.
pub(crate) fn key_in_store(scope: &Scope, n: u32, store: &str) -> KeyRecord {
    KeyRecord { origin: Origin::AwsCloudhsm, custom_key_store_id: Some(store.to_owned()), ..key(scope, n) }
}

pub(crate) async fn custom_key_stores_round_trip(s: Arc<dyn Store>) -> TestResult {
    for (id, ak) in [("111122223333", "AKIAAAAAAAAAAAAAAAAA"), ("444455556666", "AKIABBBBBBBBBBBBBBBB")] {
        let (acct, root_key) = account(id, ak);
        s.insert_account(&acct, &root_key, &[]).await?;
    }
    let (a, a_eu) = (scope("111122223333", "us-east-1"), scope("111122223333", "eu-west-1"));
    let b = scope("444455556666", "us-east-1");
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    assert!(s.custom_key_stores(None).await?.is_empty());
    assert!(s.custom_key_stores(Some(&a)).await?.is_empty());
    assert_eq!(s.custom_key_store(&a, &cks_id(1)).await?, None);

    // Every field as stored, found in its own scope only.
    let mut prod = custom_key_store(&a, 5, "Prod ✓ 'q'");
    s.insert_custom_key_store(&prod, &[]).await?;
    assert_eq!(s.custom_key_store(&a, &prod.id).await?, Some(prod.clone()));
    for other in [&a_eu, &b] {
        assert_eq!(s.custom_key_store(other, &prod.id).await?, None, "{other:?}");
    }
    assert_eq!(s.custom_key_store(&a, &prod.id.to_uppercase()).await?, None, "ids compared exactly");
    // A failed connection's error, and an empty trust anchor.
    let failed = CustomKeyStoreRecord {
        connection_state: "FAILED".into(),
        connection_error: Some("INVALID_CREDENTIALS".into()),
        trust_anchor: String::new(),
        ..custom_key_store(&a, 2, "failed")
    };
    s.insert_custom_key_store(&failed, &[]).await?;
    assert_eq!(s.custom_key_store(&a, &failed.id).await?, Some(failed.clone()));

    // A taken id (in any scope, under any name): refused, the stored one kept.
    for (what, scope) in [("same scope", &a), ("other account", &b), ("other region", &a_eu)] {
        let again = custom_key_store(scope, 5, "another name");
        assert_failed(&format!("insert taken id, {what}"), s.insert_custom_key_store(&again, &[]).await, &exists);
    }
    // A name its scope has, under another id: refused.
    let same_name = custom_key_store(&a, 9, &prod.name);
    assert_failed("insert taken name", s.insert_custom_key_store(&same_name, &[]).await, &exists);
    assert_eq!(s.custom_key_store(&a, &same_name.id).await?, None);
    assert_eq!(s.custom_key_stores(Some(&a)).await?, vec![failed.clone(), prod.clone()]);

    // The same name in another Region, another account, or in another case
    // is another key store's.
    let prod_eu = custom_key_store(&a_eu, 3, &prod.name);
    let prod_b = custom_key_store(&b, 7, &prod.name);
    let shout = custom_key_store(&a, 0x10, &prod.name.to_uppercase());
    let last = custom_key_store(&a, 0xab, "last");
    for r in [&last, &prod_eu, &prod_b, &shout] {
        s.insert_custom_key_store(r, &[]).await?;
    }

    // Listed by id in byte order, per scope or all.
    let mine = |prod: &CustomKeyStoreRecord| vec![failed.clone(), prod.clone(), shout.clone(), last.clone()];
    assert_eq!(s.custom_key_stores(Some(&a)).await?, mine(&prod));
    assert_eq!(s.custom_key_stores(Some(&a_eu)).await?, vec![prod_eu.clone()]);
    assert_eq!(s.custom_key_stores(Some(&b)).await?, vec![prod_b.clone()]);
    assert!(s.custom_key_stores(Some(&scope("111122223333", "ap-south-1"))).await?.is_empty());
    let all = |prod: &CustomKeyStoreRecord| {
        vec![failed.clone(), prod_eu.clone(), prod.clone(), prod_b.clone(), shout.clone(), last.clone()]
    };
    assert_eq!(s.custom_key_stores(None).await?, all(&prod));

    // An update replaces the name, token, trust anchor, PIN and connection
    // state (the error set, then cleared), and nothing else: the creation
    // time stays.
    for n in 1..=3 {
        prod.name = format!("renamed {n}");
        prod.cluster_id = format!("cluster-x{n}");
        prod.trust_anchor = format!("anchor {n}");
        prod.wrapped_password = vec![0xf0 + n as u8; 40 + n as usize];
        (prod.connection_state, prod.connection_error) = match n {
            1 => ("DISCONNECTED".into(), None),
            2 => ("FAILED".into(), Some("NETWORK_ERRORS".into())),
            _ => ("CONNECTED".into(), None),
        };
        let changed_time = CustomKeyStoreRecord { created_at: 99, ..prod.clone() };
        s.update_custom_key_store(&changed_time, &[]).await?;
        assert_eq!(s.custom_key_store(&a, &prod.id).await?, Some(prod.clone()), "update {n}");
        assert_eq!(s.custom_key_stores(Some(&a)).await?, mine(&prod));
    }
    // Kept under its own name (an update that renames nothing).
    s.update_custom_key_store(&prod, &[]).await?;
    // The old name is free again in its scope.
    let old_name = custom_key_store(&a, 0x11, "Prod ✓ 'q'");
    s.insert_custom_key_store(&old_name, &[]).await?;
    s.delete_custom_key_store(&a, &old_name.id, &[]).await?;

    // Renamed to a name another key store of its scope has: refused,
    // nothing changed; a name of another scope's is free.
    let clash = CustomKeyStoreRecord { name: last.name.clone(), cluster_id: "changed".into(), ..prod.clone() };
    assert_failed("update to a taken name", s.update_custom_key_store(&clash, &[]).await, &exists);
    assert_eq!(s.custom_key_store(&a, &prod.id).await?, Some(prod.clone()));
    assert_eq!(s.custom_key_store(&a, &last.id).await?, Some(last.clone()));
    let mut eu_renamed = prod_eu.clone();
    eu_renamed.name = prod.name.clone();
    s.update_custom_key_store(&eu_renamed, &[]).await?;
    assert_eq!(s.custom_key_store(&a_eu, &prod_eu.id).await?, Some(eu_renamed.clone()));

    // Found by scope and id: another scope's, or a missing one, is NotFound.
    for (what, scope, id) in [
        ("missing", &a, cks_id(0x99)),
        ("other region", &a_eu, prod.id.clone()),
        ("other account", &b, prod.id.clone()),
    ] {
        let r = CustomKeyStoreRecord { scope: scope.clone(), id, name: "ghost".into(), ..prod.clone() };
        assert_failed(&format!("update {what}"), s.update_custom_key_store(&r, &[]).await, &not_found);
    }
    assert_eq!(s.custom_key_stores(None).await?.len(), 6);

    // Deleted by scope and id, and only that one.
    assert_failed("delete missing", s.delete_custom_key_store(&a, &cks_id(0x99), &[]).await, &not_found);
    assert_failed("delete other region", s.delete_custom_key_store(&a_eu, &prod.id, &[]).await, &not_found);
    assert_failed("delete other account", s.delete_custom_key_store(&b, &prod.id, &[]).await, &not_found);
    s.delete_custom_key_store(&a, &prod.id, &[]).await?;
    assert_eq!(s.custom_key_store(&a, &prod.id).await?, None);
    assert_eq!(s.custom_key_stores(Some(&a)).await?, vec![failed.clone(), shout.clone(), last.clone()]);
    assert_eq!(s.custom_key_store(&a_eu, &prod_eu.id).await?, Some(eu_renamed.clone()), "another scope's kept");
    assert_failed("delete again", s.delete_custom_key_store(&a, &prod.id, &[]).await, &not_found);
    assert_failed("update deleted", s.update_custom_key_store(&prod, &[]).await, &not_found);

    // Its id and its name are free again.
    let back = CustomKeyStoreRecord { created_at: 12, ..prod.clone() };
    s.insert_custom_key_store(&back, &[]).await?;
    assert_eq!(s.custom_key_store(&a, &prod.id).await?, Some(back));
    Ok(())
}

/// A key's key store is kept with it (in every read and through its
/// changes), and a key store's keys, in any state, are counted in its
/// scope only.
pub(crate) async fn keys_of_custom_key_stores_are_counted(s: Arc<dyn Store>) -> TestResult {
    for (id, ak) in [("111122223333", "AKIAAAAAAAAAAAAAAAAA"), ("444455556666", "AKIABBBBBBBBBBBBBBBB")] {
        let (acct, root_key) = account(id, ak);
        s.insert_account(&acct, &root_key, &[]).await?;
    }
    let (a, a_eu, b) =
        (scope("111122223333", "us-east-1"), scope("111122223333", "eu-west-1"), scope("444455556666", "us-east-1"));
    let (one, two) = (custom_key_store(&a, 1, "one"), custom_key_store(&a, 2, "two"));
    for r in [&one, &two] {
        s.insert_custom_key_store(r, &[]).await?;
    }
    assert_eq!(s.custom_key_store_keys(&a, &one.id).await?, 0);

    // Keys of `one` (one with a version), one of `two`, and keys of no key
    // store; keys of other scopes naming `one`'s id.
    let (mut k1, k2) = (key_in_store(&a, 1, &one.id), key_in_store(&a, 2, &one.id));
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &[]).await?;
    s.insert_key(&k2, None, &[]).await?;
    let k3 = key_in_store(&a, 3, &two.id);
    let (plain, other_region, other_account) =
        (key(&a, 4), key_in_store(&a_eu, 5, &one.id), key_in_store(&b, 6, &one.id));
    for k in [&k3, &plain, &other_region, &other_account] {
        s.insert_key(k, None, &[]).await?;
    }
    for k in [&k1, &k2, &k3, &plain, &other_region, &other_account] {
        assert_eq!(s.key(&k.scope, &k.id).await?.as_ref(), Some(k), "{:?}", k.custom_key_store_id);
    }
    assert_eq!(s.list_keys(&a, None, 10).await?, vec![k1.clone(), k2.clone(), k3.clone(), plain.clone()]);
    assert_eq!(s.custom_key_store_keys(&a, &one.id).await?, 2);
    assert_eq!(s.custom_key_store_keys(&a, &two.id).await?, 1);
    assert_eq!(s.custom_key_store_keys(&a_eu, &one.id).await?, 1, "the other Region's own count");
    assert_eq!(s.custom_key_store_keys(&b, &one.id).await?, 1, "the other account's own count");
    assert_eq!(s.custom_key_store_keys(&a, &cks_id(0x99)).await?, 0, "no such key store");

    // Disabled, then pending deletion: still held, and counted.
    k1.state = KeyState::Disabled;
    k1.revision += 1;
    s.update_key(&k1, &[]).await?;
    k1.state = KeyState::PendingDeletion;
    k1.deletion_date = Some(1_800_000_000_000);
    k1.pending_window_days = Some(7);
    k1.revision += 1;
    s.update_key(&k1, &[]).await?;
    assert_eq!(s.key(&a, &k1.id).await?, Some(k1.clone()));
    assert_eq!(s.due_keys(i64::MAX, 10).await?, vec![k1.clone()]);
    assert_eq!(s.custom_key_store_keys(&a, &one.id).await?, 2);
    // Destroyed: no longer counted.
    s.destroy_key(&k1, 1_800_000_000_001, &[]).await?;
    assert_eq!(s.custom_key_store_keys(&a, &one.id).await?, 1);
    s.destroy_key(&k2, 1_800_000_000_002, &[]).await?;
    assert_eq!(s.custom_key_store_keys(&a, &one.id).await?, 0);
    // Its key store goes; the others' keys stay theirs.
    s.delete_custom_key_store(&a, &one.id, &[]).await?;
    assert_eq!(s.custom_key_store_keys(&a, &two.id).await?, 1);
    assert_eq!(s.key(&b, &other_account.id).await?, Some(other_account.clone()));
    Ok(())
}

/// Every key store change appends its events in its own transaction; a
/// change that fails stores none (nor anything else).
pub(crate) async fn custom_key_store_changes_append_their_events_to_the_chain(s: Arc<dyn Store>) -> TestResult {
    let mut ev = Events { next: 700, expected: vec![audit_entry(0)] };
    s.append_audit(ev.expected.clone()).await?;
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &ev.of(&["CreateAccount"])).await?;
    let a = scope("111122223333", "us-east-1");

    let mut r = custom_key_store(&a, 1, "hsm");
    r.connection_state = "DISCONNECTED".into();
    s.insert_custom_key_store(&r, &ev.of(&["CreateCustomKeyStore"])).await?;
    assert_eq!(s.custom_key_store(&a, &r.id).await?, Some(r.clone()));
    ev.check(&*s).await?;
    r.connection_state = "CONNECTED".into();
    s.update_custom_key_store(&r, &ev.of(&["ConnectCustomKeyStore"])).await?;
    ev.check(&*s).await?;
    r.name = "renamed".into();
    r.wrapped_password = vec![9; 48];
    s.update_custom_key_store(&r, &ev.of(&["UpdateCustomKeyStore"])).await?;
    assert_eq!(s.custom_key_store(&a, &r.id).await?, Some(r.clone()));
    ev.check(&*s).await?;

    // Failed changes: no event, and nothing changed.
    let head = s.audit_head().await?;
    let failing = [change_event("Change", 1)];
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    let taken_id = custom_key_store(&a, 1, "other");
    assert_failed("insert taken id", s.insert_custom_key_store(&taken_id, &failing).await, &exists);
    let taken_name = custom_key_store(&a, 2, &r.name);
    assert_failed("insert taken name", s.insert_custom_key_store(&taken_name, &failing).await, &exists);
    let ghost = custom_key_store(&a, 3, "ghost");
    assert_failed("update missing", s.update_custom_key_store(&ghost, &failing).await, &not_found);
    assert_failed("delete missing", s.delete_custom_key_store(&a, &ghost.id, &failing).await, &not_found);
    let other = custom_key_store(&a, 4, "other");
    s.insert_custom_key_store(&other, &ev.of(&["CreateCustomKeyStore"])).await?;
    let head_before_rename = s.audit_head().await?;
    assert_ne!(head_before_rename, head);
    let clash = CustomKeyStoreRecord { name: r.name.clone(), ..other.clone() };
    assert_failed("rename to a taken name", s.update_custom_key_store(&clash, &failing).await, &exists);
    assert_eq!(s.audit_head().await?, head_before_rename, "no failed change stored an event");
    assert_eq!(s.custom_key_stores(Some(&a)).await?, vec![r.clone(), other.clone()]);

    s.delete_custom_key_store(&a, &r.id, &ev.of(&["DeleteCustomKeyStore"])).await?;
    assert_eq!(s.custom_key_store(&a, &r.id).await?, None);
    ev.check(&*s).await?;

    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), ev.expected);
    Ok(())
}
