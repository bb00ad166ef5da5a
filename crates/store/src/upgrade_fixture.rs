//! What the schema upgrade tests of both backends share (tests only): rows
//! as a database made before multi-Region keys holds them, written there
//! by each backend's test with that schema's columns, and the reads that a
//! store opened on the upgraded database must answer from them.

use std::error::Error;
use trent_api::enums::{KeySpec, KeyState, KeyUsage, Origin, RotationType};
use trent_api::ids::{AccountId, AliasName, KeyId, Region};
use trent_core::model::*;
use trent_core::store::Store;

/// The columns of `keys` added since multi-Region keys.
const NEW_KEY_COLUMNS: [&str; 4] = ["primary_region", "policy_principals", "custom_key_store_id", "remote_regions"];

/// The columns of `keys` before multi-Region keys ([`crate::sql::KEY_COLUMNS`]
/// without those added since), in the order the backends bind them.
pub(crate) fn old_key_columns() -> String {
    let columns: Vec<&str> = crate::sql::KEY_COLUMNS.split(',').map(str::trim).collect();
    columns.into_iter().filter(|c| !NEW_KEY_COLUMNS.contains(c)).collect::<Vec<_>>().join(", ")
}

/// Where the columns added since are in [`crate::sql::KEY_COLUMNS`], last
/// first: the values a backend's key values hold there are not written to
/// the old schema (remove them in this order).
pub(crate) fn new_key_column_positions() -> Vec<usize> {
    let mut at: Vec<usize> = crate::sql::KEY_COLUMNS
        .split(',')
        .map(str::trim)
        .enumerate()
        .filter(|(_, c)| NEW_KEY_COLUMNS.contains(c))
        .map(|(i, _)| i)
        .collect();
    at.reverse();
    at
}

/// The principal that may retire one grant.
const RETIREE: &str = "arn:aws:iam::444455556666:root";

/// The rows of the old database.
pub(crate) struct Fixture {
    pub(crate) keys: Vec<KeyRecord>,
    pub(crate) versions: Vec<KeyVersionRecord>,
    pub(crate) aliases: Vec<AliasRecord>,
    pub(crate) grants: Vec<GrantRecord>,
    pub(crate) destroyed: Vec<DestroyedKey>,
}

fn scope(account: &str, region: &str) -> Scope {
    Scope { account: AccountId::new_unchecked(account), region: Region::new_unchecked(region) }
}

fn key(scope: &Scope, n: u32) -> KeyRecord {
    KeyRecord {
        id: KeyId::new_unchecked(format!("{n:08x}-0000-4000-8000-000000000000")),
        scope: scope.clone(),
        description: format!("key {n}"),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        state: KeyState::Enabled,
        created_at: 1_700_000_000_000 + i64::from(n),
        policy: r#"{"Statement":[]}"#.to_owned(),
        policy_principals: Default::default(),
        tags: vec![("team".into(), format!("t{n}"))],
        multi_region: false,
        current_version: 1,
        deletion_date: None,
        pending_window_days: None,
        revision: 3,
        rotation_period_days: None,
        next_rotation_at: None,
        next_expiry_at: None,
        primary_region: None,
        custom_key_store_id: None,
        remote_regions: Vec::new(),
    }
}

fn version(key: &KeyRecord, v: u32) -> KeyVersionRecord {
    KeyVersionRecord {
        key_id: key.id.clone(),
        version: v,
        material_id: format!("{v:064x}"),
        wrapped_material: vec![v as u8; 60],
        created_at: 1_700_000_000_000 + i64::from(v),
        rotation_type: (v > 1).then_some(RotationType::Automatic),
        import: None,
    }
}

fn alias(key: &KeyRecord, name: &str) -> AliasRecord {
    AliasRecord {
        scope: key.scope.clone(),
        name: AliasName::new_unchecked(format!("alias/{name}")),
        target: key.id.clone(),
        created_at: 1,
        updated_at: 2,
    }
}

fn grant(key: &KeyRecord, n: u32, retiring: Option<&str>) -> GrantRecord {
    GrantRecord {
        key_id: key.id.clone(),
        key_arn: key.arn(),
        grant_id: format!("{n:064x}"),
        name: Some(format!("grant {n}")),
        grantee_principal: "arn:aws:iam::444455556666:role/app".into(),
        retiring_principal: retiring.map(Into::into),
        issuing_account: "arn:aws:iam::111122223333:root".into(),
        operations: vec!["Encrypt".into(), "Decrypt".into()],
        context_equals: None,
        context_subset: None,
        created_at: i64::from(n),
    }
}

/// Keys of three scopes (one rotated, due for rotation; one pending
/// deletion, due; one made multi-Region before related keys existed, with
/// no primary Region), their versions, aliases and grants, and a tombstone.
pub(crate) fn fixture() -> Fixture {
    let (a, b, c) =
        (scope("111122223333", "us-east-1"), scope("444455556666", "eu-west-1"), scope("111122223333", "eu-west-1"));
    let mut k1 = key(&a, 1);
    k1.current_version = 2;
    k1.rotation_period_days = Some(90);
    k1.next_rotation_at = Some(100);
    let mut k2 = key(&a, 2);
    k2.state = KeyState::PendingDeletion;
    k2.deletion_date = Some(50);
    k2.pending_window_days = Some(7);
    let k3 = key(&b, 3);
    let mut k4 = key(&c, 4);
    k4.multi_region = true;
    let versions = vec![version(&k1, 1), version(&k1, 2), version(&k2, 1), version(&k3, 1), version(&k4, 1)];
    // In the order of their primary key, (account, region, name), as an
    // export lists them.
    let aliases = vec![alias(&k4, "mrk"), alias(&k1, "app"), alias(&k2, "old"), alias(&k3, "app")];
    let grants = vec![grant(&k1, 1, Some(RETIREE)), grant(&k1, 2, None), grant(&k3, 3, None)];
    let destroyed = vec![DestroyedKey {
        scope: a.clone(),
        id: KeyId::new_unchecked("00000009-0000-4000-8000-000000000000"),
        destroyed_at: 1_700_500_000_000,
    }];
    Fixture { keys: vec![k1, k2, k3, k4], versions, aliases, grants, destroyed }
}

/// A store opened on the upgraded database (its row guard installed)
/// answers every read from the old rows (their MACs still verify), and
/// takes what the old schema could not hold: a key of a custom key store,
/// the same key id in another Region, whose destruction keeps the versions
/// the id's other key shares.
pub(crate) async fn check_upgraded(s: &dyn Store, f: &Fixture) -> Result<(), Box<dyn Error>> {
    for k in &f.keys {
        assert_eq!(s.key(&k.scope, &k.id).await?.as_ref(), Some(k));
        assert_eq!(s.key_owner(&k.id, &k.scope.region).await?.as_ref(), Some(&k.scope));
        assert_eq!(s.related_keys(&k.scope.account, &k.id).await?, vec![k.clone()]);
        let versions: Vec<_> = f.versions.iter().filter(|v| v.key_id == k.id).cloned().collect();
        assert_eq!(s.key_versions(&k.id, 0, 10).await?, versions);
        let grants: Vec<_> = f.grants.iter().filter(|g| g.key_id == k.id).cloned().collect();
        assert_eq!(s.grants(&k.scope, &k.id, None, 10).await?, grants);
        let aliases: Vec<_> = f.aliases.iter().filter(|a| a.target == k.id).cloned().collect();
        assert_eq!(s.list_aliases(&k.scope, Some(&k.id), None, 10).await?, aliases);
    }
    let (k1, k2) = (&f.keys[0], &f.keys[1]);
    assert_eq!(s.list_keys(&k1.scope, None, 10).await?, vec![k1.clone(), k2.clone()]);
    assert_eq!(s.due_keys(1_000, 10).await?, vec![k1.clone(), k2.clone()]);
    assert_eq!(s.retirable_grants(RETIREE, None, 10).await?, vec![f.grants[0].clone()]);
    let d = &f.destroyed[0];
    assert!(s.key_destroyed(&d.scope, &d.id).await?);
    assert!(!s.key_destroyed(&scope("111122223333", "eu-west-1"), &d.id).await?);
    let snap = s.export().await?;
    assert_eq!(
        (snap.keys, snap.versions, snap.aliases, snap.grants, snap.destroyed),
        (f.keys.clone(), f.versions.clone(), f.aliases.clone(), f.grants.clone(), f.destroyed.clone())
    );

    // A key of a custom key store (a column added since): read back and
    // counted as its key store's; the old keys are no key store's.
    let cks = "cks-0123456789abcdef0";
    let in_store = KeyRecord {
        origin: Origin::AwsCloudhsm,
        custom_key_store_id: Some(cks.to_owned()),
        ..key(&scope("444455556666", "eu-west-1"), 8)
    };
    s.insert_key(&in_store, None, &[]).await?;
    assert_eq!(s.key(&in_store.scope, &in_store.id).await?, Some(in_store.clone()));
    assert_eq!(s.custom_key_store_keys(&in_store.scope, cks).await?, 1);
    assert_eq!(s.custom_key_store_keys(&k1.scope, cks).await?, 0);
    assert!(s.custom_key_stores(None).await?.is_empty());

    // The id of k1 in another Region: a key of its own, with an alias.
    let other = KeyRecord { scope: scope("111122223333", "ap-south-1"), ..k1.clone() };
    s.insert_key(&other, None, &[]).await?;
    s.insert_alias(&alias(&other, "app"), &[]).await?;
    assert_eq!(s.related_keys(&k1.scope.account, &k1.id).await?, vec![other.clone(), k1.clone()]);
    // An alias names a key of its own Region: none of k1's id in sa-east-1.
    let dangling = AliasRecord { scope: scope("111122223333", "sa-east-1"), ..alias(k1, "dangling") };
    assert!(s.insert_alias(&dangling, &[]).await.is_err(), "an alias of no key of its Region");
    s.destroy_key(&other, 7, &[]).await?;
    assert!(s.key_destroyed(&other.scope, &other.id).await?);
    assert_eq!(s.key_versions(&k1.id, 0, 10).await?.len(), 2, "k1 keeps the versions");
    assert_eq!(s.key(&k1.scope, &k1.id).await?.as_ref(), Some(k1));
    Ok(())
}
