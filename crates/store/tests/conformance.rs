//! One storage conformance suite, run against every [`Store`]: the in-memory
//! store of `trent-core`, SQLite and PostgreSQL.
//!
//! Each check takes a fresh, empty store from a factory.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;
use trent_api::enums::{ExpirationModel, KeySpec, KeyState, KeyUsage, Origin, RotationType};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};
use trent_core::audit::{
    chain_on, AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, LookupAttribute, EVENT_SOURCE, KEY_RESOURCE_TYPE,
};
use trent_core::memory::InMemoryStore;
use trent_core::model::*;
use trent_core::store::{Store, StoreError};
use trent_crypto::audit::{chain_genesis, chain_hash, HASH_LEN};
use trent_store::{PostgresStore, SqliteStore};

// The checks of multi-Region keys, in a file of their own.
#[path = "conformance/multi_region.rs"]
mod multi_region;
use multi_region::*;
// The checks of IAM roles, in a file of their own.
#[path = "conformance/roles.rs"]
mod roles;
use roles::*;
// The checks of IAM groups, in a file of their own.
#[path = "conformance/groups.rs"]
mod groups;
use groups::*;
// The checks of customer managed policies, in a file of their own.
#[path = "conformance/managed_policies.rs"]
mod managed_policies;
use managed_policies::*;
// The checks of OpenID Connect providers, in a file of their own.
#[path = "conformance/oidc_providers.rs"]
mod oidc_providers;
use oidc_providers::*;
// The checks of custom key stores, in a file of their own.
#[path = "conformance/custom_key_stores.rs"]
mod custom_key_stores;
use custom_key_stores::*;
// The checks of usage reports, in a file of their own.
#[path = "conformance/usage.rs"]
mod usage;
use usage::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn scope(account: &str, region: &str) -> Scope {
    Scope { account: AccountId::new_unchecked(account), region: Region::new_unchecked(region) }
}

fn key_id(n: u32) -> KeyId {
    KeyId::new_unchecked(format!("{n:08x}-0000-4000-8000-000000000000"))
}

fn key(scope: &Scope, n: u32) -> KeyRecord {
    KeyRecord {
        id: key_id(n),
        scope: scope.clone(),
        description: format!("key {n} ✓ 'quoted'"),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        state: KeyState::Enabled,
        created_at: 1_700_000_000_000 + i64::from(n),
        policy: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
        policy_principals: [(format!("arn:aws:iam::{}:user/u{n}", scope.account.as_str()), format!("AIDA{n:017}"))]
            .into_iter()
            .collect(),
        tags: vec![("b".into(), "2".into()), ("a".into(), String::new())],
        multi_region: false,
        current_version: 1,
        deletion_date: None,
        pending_window_days: None,
        revision: 1,
        rotation_period_days: None,
        next_rotation_at: None,
        next_expiry_at: None,
        primary_region: None,
        custom_key_store_id: None,
        remote_regions: Vec::new(),
    }
}

fn version(id: &KeyId, v: u32) -> KeyVersionRecord {
    KeyVersionRecord {
        key_id: id.clone(),
        version: v,
        material_id: format!("{v:064x}"),
        wrapped_material: vec![v as u8; 60],
        created_at: 1_700_000_000_000 + i64::from(v),
        rotation_type: (v > 1).then_some(if v % 2 == 0 { RotationType::OnDemand } else { RotationType::Automatic }),
        import: None,
    }
}

fn alias(scope: &Scope, name: &str, target: &KeyId) -> AliasRecord {
    AliasRecord {
        scope: scope.clone(),
        name: AliasName::new_unchecked(format!("alias/{name}")),
        target: target.clone(),
        created_at: 1,
        updated_at: 1,
    }
}

fn account(id: &str, ak: &str) -> (AccountRecord, AccessKeyRecord) {
    let account = AccountId::new_unchecked(id);
    (
        AccountRecord { id: account.clone(), created_at: 5, operator: id.starts_with('1') },
        AccessKeyRecord {
            id: AccessKeyId::new_unchecked(ak),
            principal: PrincipalArn::new_unchecked(format!("arn:aws:iam::{id}:root")),
            account,
            wrapped_secret: vec![7; 70],
            created_at: 5,
            inactive: false,
        },
    )
}

async fn domain_keys_round_trip(s: Arc<dyn Store>) -> TestResult {
    assert!(s.domain_keys().await?.is_empty());
    let dk = DomainKeyRecord { id: 1, wrapped: vec![1, 2, 3], created_at: 9 };
    s.insert_domain_key(&dk).await?;
    assert!(matches!(s.insert_domain_key(&dk).await, Err(StoreError::AlreadyExists)));
    let dk2 = DomainKeyRecord { id: 2, wrapped: vec![4], created_at: 10 };
    s.insert_domain_key(&dk2).await?;
    assert_eq!(s.domain_keys().await?, vec![dk.clone(), dk2.clone()]);

    // A root rotation: every row replaced, with its event, if unchanged.
    let seed = DomainKeyRecord { id: 0, wrapped: vec![7], created_at: 11 };
    let new = vec![
        seed,
        DomainKeyRecord { wrapped: vec![5], ..dk.clone() },
        DomainKeyRecord { wrapped: vec![6], ..dk2.clone() },
    ];
    let stale = vec![dk.clone()];
    assert!(matches!(s.replace_domain_keys(&stale, &new, &[audit_entry(1)]).await, Err(StoreError::Conflict)));
    assert_eq!(s.domain_keys().await?, vec![dk.clone(), dk2.clone()], "a refused replacement changes nothing");
    assert!(s.audit_records(0, 10).await?.is_empty(), "nor records its event");
    s.replace_domain_keys(&[dk.clone(), dk2.clone()], &new, &[audit_entry(2)]).await?;
    assert_eq!(s.domain_keys().await?, new);
    assert_eq!(s.audit_records(0, 10).await?.len(), 1);
    // The same expectation again: someone came first.
    assert!(matches!(s.replace_domain_keys(&[dk, dk2], &new, &[]).await, Err(StoreError::Conflict)));
    Ok(())
}

async fn accounts_and_access_keys(s: Arc<dyn Store>) -> TestResult {
    assert_eq!(s.count_accounts().await?, 0);
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &[]).await?;
    assert_eq!(s.count_accounts().await?, 1);
    assert_eq!(s.account(&acct.id).await?, Some(acct.clone()));
    assert!(s.account(&acct.id).await?.is_some_and(|a| a.operator));
    assert_eq!(s.account(&AccountId::new_unchecked("999999999999")).await?, None);
    assert_eq!(s.access_key(&ak.id).await?, Some(ak.clone()));
    assert_eq!(s.access_key(&AccessKeyId::new_unchecked("AKIAOTHER")).await?, None);

    // Same account again, or another account reusing the access key id:
    // refused, and nothing of the failed call is kept.
    let (_, other_ak) = account("111122223333", "AKIABBBBBBBBBBBBBBBB");
    assert!(matches!(s.insert_account(&acct, &other_ak, &[]).await, Err(StoreError::AlreadyExists)));
    assert_eq!(s.access_key(&other_ak.id).await?, None);
    let (acct2, _) = account("444455556666", "x");
    assert!(matches!(s.insert_account(&acct2, &ak, &[]).await, Err(StoreError::AlreadyExists)));
    assert_eq!(s.count_accounts().await?, 1);
    Ok(())
}

/// User `name` of `account` (with a tag) with its first access key `ak`.
fn user(account: &str, name: &str, ak: &str) -> (UserRecord, AccessKeyRecord) {
    let user = UserRecord {
        account: AccountId::new_unchecked(account),
        name: name.to_owned(),
        user_id: format!("AIDA{}", name.to_uppercase()),
        created_at: 6,
        tags: vec![("team".into(), format!("{name} ✓ \"q\""))],
    };
    let key = AccessKeyRecord {
        id: AccessKeyId::new_unchecked(ak),
        account: user.account.clone(),
        principal: PrincipalArn::new_unchecked(user.arn()),
        wrapped_secret: vec![8; 70],
        created_at: 6,
        inactive: false,
    };
    (user, key)
}

/// Inline policy `policy` of `user`.
fn user_policy(user: &UserRecord, policy: &str, document: &str) -> UserPolicyRecord {
    UserPolicyRecord {
        account: user.account.clone(),
        user_name: user.name.clone(),
        policy_name: policy.to_owned(),
        document: document.to_owned(),
    }
}

async fn users_and_their_policies(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (other, other_root_key) = account("444455556666", "AKIABBBBBBBBBBBBBBBB");
    s.insert_account(&other, &other_root_key, &[]).await?;
    let id = &acct.id;
    assert!(s.users(id).await?.is_empty());
    assert_eq!(s.user(id, "Bob").await?, None);
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);

    // Found by name in any case.
    let (mut bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    s.insert_user(&bob, Some(&bob_key), &[]).await?;
    assert_eq!(s.user(id, "Bob").await?, Some(bob.clone()));
    assert_eq!(s.user(id, "bOB").await?, Some(bob.clone()));
    assert_eq!(s.user(id, "bob").await?.map(|u| u.tags), Some(vec![("team".into(), "Bob ✓ \"q\"".into())]));
    assert_eq!(s.access_key(&bob_key.id).await?, Some(bob_key.clone()));
    // The name in another case is taken: refused, and its key not stored.
    let (shout, shout_key) = user("111122223333", "BOB", "AKIAUSERSHOUT");
    assert_failed("insert_user name in other case", s.insert_user(&shout, Some(&shout_key), &[]).await, &exists);
    assert_eq!(s.access_key(&shout_key.id).await?, None);
    assert_eq!(s.user(id, "bob").await?, Some(bob.clone()));
    // A taken access key id: refused, and the user not stored.
    let (carol, mut carol_key) = user("111122223333", "carol", "AKIAUSERCAROL");
    carol_key.id = root_key.id.clone();
    assert_failed("insert_user key taken", s.insert_user(&carol, Some(&carol_key), &[]).await, &exists);
    assert_eq!(s.user(id, "carol").await?, None);
    assert_eq!(s.access_key(&root_key.id).await?, Some(root_key.clone()));
    // A user with no access key (IAM's CreateUser makes none).
    let (third, third_root_key) = account("999988887777", "AKIACCCCCCCCCCCCCCCC");
    s.insert_account(&third, &third_root_key, &[]).await?;
    let (keyless, keyless_key) = user("999988887777", "keyless", "AKIAUSERKEYLESS");
    s.insert_user(&keyless, None, &[]).await?;
    assert_eq!(s.user(&keyless.account, "keyless").await?, Some(keyless.clone()));
    assert_eq!(s.access_key(&keyless_key.id).await?, None);
    assert!(s.access_keys_of(&keyless_key.principal).await?.is_empty());

    // Listed by name (byte order), each account its own; the same name in
    // another account is another user.
    let (alice, alice_key) = user("111122223333", "alice", "AKIAUSERALICE");
    let (zed, zed_key) = user("111122223333", "Zed", "AKIAUSERZED");
    let (other_bob, other_bob_key) = user("444455556666", "bob", "AKIAUSEROTHERBOB");
    for (u, k) in [(&alice, &alice_key), (&zed, &zed_key), (&other_bob, &other_bob_key)] {
        s.insert_user(u, Some(k), &[]).await?;
    }
    assert_eq!(s.users(id).await?, vec![bob.clone(), zed.clone(), alice.clone()]);
    assert_eq!(s.users(&other.id).await?, vec![other_bob.clone()]);
    assert_eq!(s.user(&other.id, "BOB").await?, Some(other_bob.clone()));
    assert!(s.users(&AccountId::new_unchecked("999999999999")).await?.is_empty());

    // Policies: put, replaced, listed by name, deleted.
    let write = user_policy(&bob, "write", r#"{"Statement":[{"Effect":"Allow"}]}"#);
    let read = user_policy(&bob, "Read", r#"{"Statement":[]}"#);
    s.put_user_policy(&write, &[]).await?;
    s.put_user_policy(&read, &[]).await?;
    assert_eq!(s.user_policies(id, "Bob").await?, vec![read.clone(), write.clone()]);
    let read2 = UserPolicyRecord { document: r#"{"Statement":["v2 ✓"]}"#.into(), ..read.clone() };
    s.put_user_policy(&read2, &[]).await?;
    assert_eq!(s.user_policies(id, "Bob").await?, vec![read2.clone(), write.clone()]);
    let alice_policy = user_policy(&alice, "read", "{}");
    let other_policy = user_policy(&other_bob, "write", "{}");
    s.put_user_policy(&alice_policy, &[]).await?;
    s.put_user_policy(&other_policy, &[]).await?;
    assert_eq!(s.user_policies(&other.id, "bob").await?, vec![other_policy.clone()]);
    // Only for a user of exactly that name in that account.
    for (what, user_name, account) in
        [("other case", "bob", id), ("missing user", "nobody", id), ("other account", "Zed", &other.id)]
    {
        let p = UserPolicyRecord { account: account.clone(), user_name: user_name.into(), ..write.clone() };
        assert_failed(&format!("put_user_policy {what}"), s.put_user_policy(&p, &[]).await, &not_found);
        assert!(s.user_policies(account, user_name).await?.is_empty(), "{what}");
    }
    s.delete_user_policy(id, "Bob", "write", &[]).await?;
    assert_eq!(s.user_policies(id, "Bob").await?, vec![read2.clone()]);
    assert_failed("delete_user_policy again", s.delete_user_policy(id, "Bob", "write", &[]).await, &not_found);
    assert_failed("delete_user_policy case", s.delete_user_policy(id, "Bob", "read", &[]).await, &not_found);
    assert_failed("delete_user_policy user", s.delete_user_policy(id, "nobody", "Read", &[]).await, &not_found);
    s.put_user_policy(&write, &[]).await?;

    // Tags: replaced whole, in the order given (none too), of the user of
    // exactly that name; the next read, in any case, sees them.
    let tag_lists = [
        vec![("z".to_owned(), "last ✓".to_owned()), ("a".to_owned(), "\"q\"".to_owned()), ("m".into(), String::new())],
        Vec::new(),
        vec![("Team".to_owned(), "blue".to_owned())],
    ];
    for tags in &tag_lists {
        assert_eq!(s.user(id, "bOb").await?, Some(bob.clone()), "read before the update");
        s.update_user_tags(id, "Bob", tags, &[]).await?;
        bob.tags = tags.clone();
        assert_eq!(s.user(id, "BOB").await?, Some(bob.clone()));
        assert_eq!(s.user(id, "Bob").await?, Some(bob.clone()));
        assert_eq!(s.users(id).await?, vec![bob.clone(), zed.clone(), alice.clone()]);
    }
    for (what, name, account) in
        [("other case", "bob", id), ("missing user", "nobody", id), ("other account", "Zed", &other.id)]
    {
        let failed = s.update_user_tags(account, name, &tag_lists[0], &[]).await;
        assert_failed(&format!("update_user_tags {what}"), failed, &not_found);
    }
    assert_eq!(s.users(id).await?, vec![bob.clone(), zed.clone(), alice.clone()]);
    assert_eq!(s.users(&other.id).await?, vec![other_bob.clone()]);
    // Nothing else of the user changes.
    assert_eq!(s.user_policies(id, "Bob").await?, vec![read2.clone(), write.clone()]);
    assert_eq!(s.access_key(&bob_key.id).await?, Some(bob_key.clone()));

    // Deleting a user (exact name) takes its policies and access keys,
    // nothing of another principal.
    assert_failed("delete_user other case", s.delete_user(id, "bob", &[]).await, &not_found);
    assert_failed("delete_user missing", s.delete_user(id, "nobody", &[]).await, &not_found);
    assert_eq!(s.user(id, "Bob").await?, Some(bob.clone()));
    assert_eq!(s.user_policies(id, "Bob").await?, vec![read2, write]);
    s.delete_user(id, "Bob", &[]).await?;
    assert_eq!(s.user(id, "bob").await?, None);
    assert_eq!(s.users(id).await?, vec![zed.clone(), alice.clone()]);
    assert!(s.user_policies(id, "Bob").await?.is_empty());
    assert_eq!(s.access_key(&bob_key.id).await?, None);
    for k in [&root_key, &other_root_key, &alice_key, &zed_key, &other_bob_key] {
        assert_eq!(s.access_key(&k.id).await?.as_ref(), Some(k));
    }
    assert_eq!(s.user_policies(id, "alice").await?, vec![alice_policy]);
    assert_eq!(s.user_policies(&other.id, "bob").await?, vec![other_policy]);
    assert_eq!(s.users(&other.id).await?, vec![other_bob]);
    assert_failed("delete_user again", s.delete_user(id, "Bob", &[]).await, &not_found);

    // The name is free again, in any case, with none of the old policies.
    let (again, again_key) = user("111122223333", "bob", "AKIAUSERBOBAGAIN");
    s.insert_user(&again, Some(&again_key), &[]).await?;
    assert_eq!(s.user(id, "BOB").await?, Some(again));
    assert!(s.user_policies(id, "bob").await?.is_empty());
    Ok(())
}

/// Another access key `id` of `key`'s principal.
fn another_key(key: &AccessKeyRecord, id: &str) -> AccessKeyRecord {
    AccessKeyRecord { id: AccessKeyId::new_unchecked(id), wrapped_secret: vec![9; 70], created_at: 7, ..key.clone() }
}

async fn access_keys_come_and_go(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAROOTB");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (other, other_root_key) = account("444455556666", "AKIAOTHERROOT");
    s.insert_account(&other, &other_root_key, &[]).await?;
    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOBB");
    s.insert_user(&bob, Some(&bob_key), &[]).await?;
    let (alice, alice_key) = user("111122223333", "alice", "AKIAUSERALICE");
    s.insert_user(&alice, Some(&alice_key), &[]).await?;
    let (root, bob_arn) = (root_key.principal.clone(), PrincipalArn::new_unchecked(bob.arn()));
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    assert_eq!(s.access_keys_of(&root).await?, vec![root_key.clone()]);
    assert!(s.access_keys_of(&PrincipalArn::new_unchecked("arn:aws:iam::111122223333:user/nobody")).await?.is_empty());

    // A second key of the account root, listed with the first by id.
    let root_key2 = another_key(&root_key, "AKIAROOTA");
    s.insert_access_key(&root_key2, None, &[]).await?;
    assert_eq!(s.access_key(&root_key2.id).await?, Some(root_key2.clone()));
    assert_eq!(s.access_keys_of(&root).await?, vec![root_key2.clone(), root_key.clone()]);
    assert_eq!(s.access_keys_of(&other_root_key.principal).await?, vec![other_root_key.clone()]);

    // A second key of a user (exact name), listed under the user's ARN.
    let bob_key2 = another_key(&bob_key, "AKIAUSERBOBA");
    s.insert_access_key(&bob_key2, Some("Bob"), &[]).await?;
    assert_eq!(s.access_key(&bob_key2.id).await?, Some(bob_key2.clone()));
    assert_eq!(s.access_keys_of(&bob_arn).await?, vec![bob_key2.clone(), bob_key.clone()]);
    assert_eq!(s.access_keys_of(&root).await?, vec![root_key2.clone(), root_key.clone()]);

    // Only for a user of exactly that name in the key's account: refused,
    // and the key not stored.
    for (what, account, name) in
        [("missing user", &acct.id, "nobody"), ("other case", &acct.id, "bob"), ("other account", &other.id, "Bob")]
    {
        let key = AccessKeyRecord {
            id: AccessKeyId::new_unchecked(format!("AKIAGHOST{}", name.to_uppercase())),
            account: account.clone(),
            principal: PrincipalArn::new_unchecked(format!("arn:aws:iam::{}:user/{name}", account.as_str())),
            ..bob_key2.clone()
        };
        assert_failed(
            &format!("insert_access_key {what}"),
            s.insert_access_key(&key, Some(name), &[]).await,
            &not_found,
        );
        assert_eq!(s.access_key(&key.id).await?, None, "{what}");
        assert!(s.access_keys_of(&key.principal).await?.is_empty(), "{what}");
    }
    assert_eq!(s.access_keys_of(&bob_arn).await?, vec![bob_key2.clone(), bob_key.clone()]);

    // A taken id, of any principal: refused, the stored key unchanged.
    assert_failed("insert_access_key again", s.insert_access_key(&root_key2, None, &[]).await, &exists);
    let taken = AccessKeyRecord { id: root_key.id.clone(), ..another_key(&bob_key, "x") };
    assert_failed("insert_access_key taken", s.insert_access_key(&taken, Some("Bob"), &[]).await, &exists);
    assert_eq!(s.access_key(&root_key.id).await?, Some(root_key.clone()));
    assert_eq!(s.access_keys_of(&bob_arn).await?, vec![bob_key2.clone(), bob_key.clone()]);

    // Deleted: gone from the lookup and the list, nothing else.
    s.delete_access_key(&root_key2.id, &[]).await?;
    assert_eq!(s.access_key(&root_key2.id).await?, None);
    assert_eq!(s.access_keys_of(&root).await?, vec![root_key.clone()]);
    assert_failed("delete_access_key again", s.delete_access_key(&root_key2.id, &[]).await, &not_found);
    let never = AccessKeyId::new_unchecked("AKIANEVER");
    assert_failed("delete_access_key missing", s.delete_access_key(&never, &[]).await, &not_found);
    s.delete_access_key(&bob_key.id, &[]).await?;
    assert_eq!(s.access_key(&bob_key.id).await?, None);
    assert_eq!(s.access_keys_of(&bob_arn).await?, vec![bob_key2.clone()]);

    // Deleting the user takes its remaining keys; a key for it is refused after.
    s.delete_user(&acct.id, "Bob", &[]).await?;
    assert_eq!(s.access_key(&bob_key2.id).await?, None);
    assert!(s.access_keys_of(&bob_arn).await?.is_empty());
    let late = another_key(&bob_key, "AKIAUSERBOBLATE");
    assert_failed("insert_access_key deleted user", s.insert_access_key(&late, Some("Bob"), &[]).await, &not_found);
    assert_eq!(s.access_key(&late.id).await?, None);
    for k in [&root_key, &other_root_key, &alice_key] {
        assert_eq!(s.access_keys_of(&k.principal).await?, vec![k.clone()]);
    }
    Ok(())
}

async fn keys_are_scoped_and_round_trip(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(k.clone()));
    // Invisible from another region or account.
    assert_eq!(s.key(&scope("111122223333", "eu-west-1"), &k.id).await?, None);
    assert_eq!(s.key(&scope("444455556666", "us-east-1"), &k.id).await?, None);
    // Its owner is found by id and Region, whichever account (a ciphertext
    // names only the id).
    assert_eq!(s.key_owner(&k.id, &a.region).await?, Some(a.clone()));
    assert_eq!(s.key_owner(&k.id, &Region::new_unchecked("eu-west-1")).await?, None);
    assert_eq!(s.key_owner(&key_id(99), &a.region).await?, None);
    assert_eq!(s.key_version(&k.id, 1).await?, Some(version(&k.id, 1)));
    assert_eq!(s.key_version(&k.id, 2).await?, None);
    // A duplicate id is refused and does not replace the first.
    let mut dup = key(&a, 1);
    dup.description = "other".into();
    assert!(matches!(s.insert_key(&dup, Some(&version(&k.id, 1)), &[]).await, Err(StoreError::AlreadyExists)));
    assert_eq!(s.key(&a, &k.id).await?, Some(k));
    Ok(())
}

async fn list_keys_paginates_in_id_order(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let b = scope("111122223333", "us-west-2");
    for n in [5, 3, 9, 1, 7] {
        let k = key(&a, n);
        s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    }
    let other = key(&b, 4);
    s.insert_key(&other, Some(&version(&other.id, 1)), &[]).await?;

    let ids = |v: Vec<KeyRecord>| v.into_iter().map(|k| k.id).collect::<Vec<_>>();
    assert_eq!(ids(s.list_keys(&a, None, 100).await?), vec![key_id(1), key_id(3), key_id(5), key_id(7), key_id(9)]);
    let first = s.list_keys(&a, None, 2).await?;
    assert_eq!(ids(first.clone()), vec![key_id(1), key_id(3)]);
    let next = s.list_keys(&a, first.last().map(|k| &k.id), 2).await?;
    assert_eq!(ids(next), vec![key_id(5), key_id(7)]);
    assert_eq!(ids(s.list_keys(&a, Some(&key_id(9)), 2).await?), Vec::<KeyId>::new());
    assert_eq!(ids(s.list_keys(&b, None, 10).await?), vec![key_id(4)]);
    Ok(())
}

async fn update_key_checks_the_revision(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;

    let mut next = k.clone();
    next.state = KeyState::Disabled;
    next.description = "changed".into();
    next.tags = vec![("only".into(), "one".into())];
    next.deletion_date = Some(42);
    next.pending_window_days = Some(7);
    next.revision = 2;
    s.update_key(&next, &[]).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(next.clone()));

    // A writer that read revision 1 loses.
    let mut stale = k.clone();
    stale.revision = 2;
    stale.description = "stale".into();
    assert!(matches!(s.update_key(&stale, &[]).await, Err(StoreError::Conflict)));
    assert_eq!(s.key(&a, &k.id).await?, Some(next));

    let mut ghost = key(&a, 2);
    ghost.revision = 2;
    assert!(matches!(s.update_key(&ghost, &[]).await, Err(StoreError::NotFound)));
    Ok(())
}

async fn concurrent_updates_exactly_one_wins(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (s, mut mine) = (Arc::clone(&s), k.clone());
        mine.description = format!("writer {i}");
        mine.revision = 2;
        tasks.push(tokio::spawn(async move { s.update_key(&mine, &[]).await }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await? {
            Ok(()) => won += 1,
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(s.key(&a, &k.id).await?.map(|k| k.revision), Some(2));
    Ok(())
}

async fn aliases_round_trip_and_are_scoped(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let (k1, k2) = (key(&a, 1), key(&a, 2));
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &[]).await?;
    s.insert_key(&k2, Some(&version(&k2.id, 1)), &[]).await?;

    let al = alias(&a, "app", &k1.id);
    s.insert_alias(&al, &[]).await?;
    assert!(matches!(s.insert_alias(&alias(&a, "app", &k2.id), &[]).await, Err(StoreError::AlreadyExists)));
    assert_eq!(s.alias(&a, &al.name).await?, Some(al.clone()));
    assert_eq!(s.alias(&scope("111122223333", "eu-west-1"), &al.name).await?, None);
    assert_eq!(s.alias(&scope("444455556666", "us-east-1"), &al.name).await?, None);

    let mut moved = al.clone();
    moved.target = k2.id.clone();
    moved.updated_at = 2;
    s.update_alias(&moved, &[]).await?;
    assert_eq!(s.alias(&a, &al.name).await?, Some(moved));
    assert!(matches!(s.update_alias(&alias(&a, "nope", &k1.id), &[]).await, Err(StoreError::NotFound)));

    s.delete_alias(&a, &al.name, &[]).await?;
    assert_eq!(s.alias(&a, &al.name).await?, None);
    assert!(matches!(s.delete_alias(&a, &al.name, &[]).await, Err(StoreError::NotFound)));
    // The name is free again.
    s.insert_alias(&al, &[]).await?;
    Ok(())
}

async fn list_aliases_filters_and_paginates(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let (k1, k2) = (key(&a, 1), key(&a, 2));
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &[]).await?;
    s.insert_key(&k2, Some(&version(&k2.id, 1)), &[]).await?;
    for (name, k) in [("d", &k1), ("a", &k2), ("c", &k1), ("b", &k1)] {
        s.insert_alias(&alias(&a, name, &k.id), &[]).await?;
    }
    let b = scope("111122223333", "us-west-2");
    let kb = key(&b, 3);
    s.insert_key(&kb, Some(&version(&kb.id, 1)), &[]).await?;
    s.insert_alias(&alias(&b, "a", &kb.id), &[]).await?;

    let names = |v: Vec<AliasRecord>| v.into_iter().map(|a| a.name.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(s.list_aliases(&a, None, None, 10).await?), ["alias/a", "alias/b", "alias/c", "alias/d"]);
    assert_eq!(names(s.list_aliases(&a, Some(&k1.id), None, 10).await?), ["alias/b", "alias/c", "alias/d"]);
    let page = s.list_aliases(&a, Some(&k1.id), None, 2).await?;
    assert_eq!(names(page.clone()), ["alias/b", "alias/c"]);
    let last = page.last().map(|a| a.name.clone());
    assert_eq!(names(s.list_aliases(&a, Some(&k1.id), last.as_ref(), 2).await?), ["alias/d"]);
    assert_eq!(names(s.list_aliases(&b, None, None, 10).await?), ["alias/a"]);
    Ok(())
}

async fn concurrent_alias_creation_exactly_one_wins(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (s, al) = (Arc::clone(&s), alias(&a, "race", &k.id));
        tasks.push(tokio::spawn(async move { s.insert_alias(&al, &[]).await }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await? {
            Ok(()) => won += 1,
            Err(StoreError::AlreadyExists) => {}
            Err(e) => return Err(e.into()),
        }
    }
    assert_eq!(won, 1);
    Ok(())
}

async fn versions_are_added_atomically_with_the_key(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    let mut cur = k.clone();
    for v in 2..=5 {
        cur.current_version = v;
        cur.revision += 1;
        cur.next_rotation_at = Some(i64::from(v) * 1000);
        cur.rotation_period_days = Some(90);
        s.add_key_version(&cur, &version(&k.id, v), &[]).await?;
    }
    assert_eq!(s.key(&a, &k.id).await?, Some(cur.clone()));
    let all = s.key_versions(&k.id, 0, 100).await?;
    assert_eq!(all, (1..=5).map(|v| version(&k.id, v)).collect::<Vec<_>>());
    assert_eq!(s.key_versions(&k.id, 2, 2).await?, vec![version(&k.id, 3), version(&k.id, 4)]);
    assert!(s.key_versions(&k.id, 5, 10).await?.is_empty());

    // A stale writer adds nothing: neither the version nor the key change.
    let mut stale = cur.clone();
    stale.current_version = 6;
    assert!(matches!(s.add_key_version(&stale, &version(&k.id, 6), &[]).await, Err(StoreError::Conflict)));
    assert_eq!(s.key_version(&k.id, 6).await?, None);
    assert_eq!(s.key(&a, &k.id).await?, Some(cur.clone()));
    // A version number taken already is refused, and the key is unchanged.
    let mut dup = cur.clone();
    dup.revision += 1;
    assert!(matches!(s.add_key_version(&dup, &version(&k.id, 5), &[]).await, Err(StoreError::AlreadyExists)));
    assert_eq!(s.key(&a, &k.id).await?, Some(cur));
    Ok(())
}

async fn due_keys_are_found_across_scopes(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let b = scope("444455556666", "eu-west-1");
    let mut keys = Vec::new();
    for (n, sc) in [(1, &a), (2, &b), (3, &a), (4, &b), (5, &a)] {
        let k = key(sc, n);
        s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
        keys.push(k);
    }
    let update = |mut k: KeyRecord, f: &dyn Fn(&mut KeyRecord)| {
        f(&mut k);
        k.revision += 1;
        k
    };
    // 1: deletion due at 100. 2: rotation due at 200. 3: deletion at 100 but
    // cancelled (Disabled, no date). 4: rotation due but key disabled.
    // 5: nothing scheduled.
    let k1 = update(keys[0].clone(), &|k| {
        k.state = KeyState::PendingDeletion;
        k.deletion_date = Some(100);
    });
    let k2 = update(keys[1].clone(), &|k| k.next_rotation_at = Some(200));
    let k3 = update(keys[2].clone(), &|k| k.state = KeyState::Disabled);
    let k4 = update(keys[3].clone(), &|k| {
        k.state = KeyState::Disabled;
        k.next_rotation_at = Some(50);
    });
    for k in [&k1, &k2, &k3, &k4] {
        s.update_key(k, &[]).await?;
    }
    let ids = |v: Vec<KeyRecord>| v.into_iter().map(|k| k.id).collect::<Vec<_>>();
    assert!(s.due_keys(99, 10).await?.is_empty());
    assert_eq!(ids(s.due_keys(100, 10).await?), vec![k1.id.clone()]);
    assert_eq!(ids(s.due_keys(1000, 10).await?), vec![k1.id.clone(), k2.id.clone()]);
    assert_eq!(ids(s.due_keys(1000, 1).await?), vec![k1.id.clone()]);
    Ok(())
}

async fn destroying_a_key_leaves_only_a_tombstone(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let (k1, k2) = (key(&a, 1), key(&a, 2));
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &[]).await?;
    s.insert_key(&k2, Some(&version(&k2.id, 1)), &[]).await?;
    let mut k1b = k1.clone();
    k1b.current_version = 2;
    k1b.revision = 2;
    s.add_key_version(&k1b, &version(&k1.id, 2), &[]).await?;
    s.insert_alias(&alias(&a, "one", &k1.id), &[]).await?;
    s.insert_alias(&alias(&a, "two", &k2.id), &[]).await?;

    // A stale view of the key (deletion cancelled since) destroys nothing.
    assert!(matches!(s.destroy_key(&k1, 9, &[]).await, Err(StoreError::Conflict)));
    assert!(s.key(&a, &k1.id).await?.is_some());

    s.destroy_key(&k1b, 9, &[]).await?;
    assert_eq!(s.key(&a, &k1.id).await?, None);
    assert!(s.key_versions(&k1.id, 0, 10).await?.is_empty());
    assert_eq!(s.key_version(&k1.id, 1).await?, None);
    assert_eq!(s.alias(&a, &AliasName::new_unchecked("alias/one")).await?, None);
    assert!(s.key_destroyed(&a, &k1.id).await?);
    assert!(!s.key_destroyed(&scope("111122223333", "eu-west-1"), &k1.id).await?);
    assert!(!s.key_destroyed(&a, &k2.id).await?);
    assert!(matches!(s.destroy_key(&k1b, 10, &[]).await, Err(StoreError::NotFound)));
    // The other key and its alias are untouched.
    assert_eq!(s.key(&a, &k2.id).await?, Some(k2.clone()));
    assert_eq!(s.key_version(&k2.id, 1).await?, Some(version(&k2.id, 1)));
    assert!(s.alias(&a, &AliasName::new_unchecked("alias/two")).await?.is_some());
    Ok(())
}

async fn imported_material_comes_and_goes(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let mut k = key(&a, 1);
    k.origin = Origin::External;
    k.state = KeyState::PendingImport;
    s.insert_key(&k, None, &[]).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(k.clone()));
    assert_eq!(s.key_version(&k.id, 1).await?, None);

    let terms = ImportTerms {
        expiration_model: ExpirationModel::KeyMaterialExpires,
        valid_to: Some(500),
        description: Some("hsm export 7".into()),
    };
    let mut v1 = version(&k.id, 1);
    v1.import = Some(terms.clone());
    let mut imported = k.clone();
    imported.state = KeyState::Enabled;
    imported.next_expiry_at = Some(500);
    imported.revision += 1;
    s.put_key_versions(&imported, &[v1.clone()], &[]).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(imported.clone()));
    assert_eq!(s.key_version(&k.id, 1).await?, Some(v1.clone()));
    assert!(s.due_keys(499, 10).await?.is_empty());
    assert_eq!(s.due_keys(500, 10).await?.len(), 1, "expiry is a due job");

    // Material pending rotation, then the first material deleted (replaced
    // by its version without material).
    let mut v2 = version(&k.id, 2);
    v2.rotation_type = None;
    v2.import = Some(ImportTerms {
        expiration_model: ExpirationModel::KeyMaterialDoesNotExpire,
        valid_to: None,
        description: None,
    });
    let mut deleted = v1.clone();
    deleted.wrapped_material.clear();
    deleted.import = Some(ImportTerms { valid_to: None, ..terms });
    let mut next = imported.clone();
    next.state = KeyState::PendingImport;
    next.next_expiry_at = None;
    next.revision += 1;
    // Stale: refused, nothing written.
    assert!(matches!(
        s.put_key_versions(&imported, &[deleted.clone(), v2.clone()], &[]).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(s.key_version(&k.id, 1).await?, Some(v1));
    assert_eq!(s.key_version(&k.id, 2).await?, None);
    s.put_key_versions(&next, &[deleted.clone(), v2.clone()], &[]).await?;
    assert_eq!(s.key_version(&k.id, 1).await?, Some(deleted.clone()));
    assert!(!deleted.has_material());
    assert_eq!(s.key_versions(&k.id, 0, 10).await?, vec![deleted, v2]);
    assert_eq!(s.key(&a, &k.id).await?, Some(next));
    assert!(s.due_keys(10_000, 10).await?.is_empty());
    Ok(())
}

/// Grant `n` of `key`.
fn grant(key: &KeyRecord, n: u32, retiring: Option<&str>) -> GrantRecord {
    let mut equals = std::collections::BTreeMap::new();
    equals.insert("Dept".to_owned(), format!("v{n}"));
    GrantRecord {
        key_id: key.id.clone(),
        key_arn: key.arn(),
        grant_id: format!("{n:064x}"),
        name: (n % 2 == 0).then(|| format!("name-{n}")),
        grantee_principal: "arn:aws:iam::444455556666:role/app".into(),
        retiring_principal: retiring.map(Into::into),
        issuing_account: "arn:aws:iam::111122223333:root".into(),
        operations: vec!["Encrypt".into(), "Decrypt".into()],
        context_equals: (n % 3 == 0).then_some(equals.clone()),
        context_subset: (n % 3 == 1).then_some(equals),
        created_at: i64::from(n),
    }
}

async fn grants_round_trip_paginate_and_die_with_their_key(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let (k1, k2) = (key(&a, 1), key(&a, 2));
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &[]).await?;
    s.insert_key(&k2, Some(&version(&k2.id, 1)), &[]).await?;
    let bob = "arn:aws:iam::444455556666:root";
    let mut all = Vec::new();
    for n in [3u32, 1, 2, 5, 4] {
        let g = grant(&k1, n, (n != 5).then_some(bob));
        s.insert_grant(&g, &[]).await?;
        all.push(g);
    }
    s.insert_grant(&grant(&k2, 7, Some(bob)), &[]).await?;
    assert!(matches!(s.insert_grant(&grant(&k1, 3, None), &[]).await, Err(StoreError::AlreadyExists)));
    all.sort_by(|x, y| x.grant_id.cmp(&y.grant_id));

    // Round trip, in grant id order, page by page.
    assert_eq!(s.grants(&k1.scope, &k1.id, None, 10).await?, all);
    let first = s.grants(&k1.scope, &k1.id, None, 2).await?;
    assert_eq!(first, all[..2]);
    let rest = s.grants(&k1.scope, &k1.id, Some(&first[1].grant_id), 10).await?;
    assert_eq!(rest, all[2..]);

    // Retirable by Bob: four of k1, one of k2, by (key id, grant id).
    let retirable = s.retirable_grants(bob, None, 100).await?;
    assert_eq!(retirable.len(), 5);
    let mut order: Vec<(String, String)> =
        retirable.iter().map(|g| (g.key_id.as_str().to_owned(), g.grant_id.clone())).collect();
    let sorted = {
        let mut o = order.clone();
        o.sort();
        o
    };
    assert_eq!(order, sorted);
    let page = s.retirable_grants(bob, Some((&retirable[1].key_id, &retirable[1].grant_id)), 100).await?;
    assert_eq!(page, retirable[2..]);
    assert!(s.retirable_grants("arn:aws:iam::999999999999:root", None, 10).await?.is_empty());
    order.clear();

    s.delete_grant(&k1.scope, &k1.id, &all[0].grant_id, &[]).await?;
    assert!(matches!(s.delete_grant(&k1.scope, &k1.id, &all[0].grant_id, &[]).await, Err(StoreError::NotFound)));
    assert_eq!(s.grants(&k1.scope, &k1.id, None, 10).await?, all[1..]);

    // Destroying the key takes its grants; the other key keeps its own.
    s.destroy_key(&k1, 9, &[]).await?;
    assert!(s.grants(&k1.scope, &k1.id, None, 10).await?.is_empty());
    assert_eq!(s.grants(&k2.scope, &k2.id, None, 10).await?.len(), 1);
    assert_eq!(s.retirable_grants(bob, None, 100).await?.len(), 1);
    Ok(())
}

const KEY_A: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN_A: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN_B: &str = "arn:aws:kms:us-east-1:444455556666:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const ALIAS_ARN: &str = "arn:aws:kms:us-east-1:111122223333:alias/app";

/// Event `n`: accounts, names, users, access keys, times (two events per
/// second) and resources vary with `n`; the resources of some repeat an
/// ARN, as a call naming one key twice records it.
fn audit_entry(n: u32) -> AuditEntry {
    let name = ["Encrypt", "CreateKey", "Decrypt", "ListKeys", "GenerateDataKey"][n as usize % 5];
    let resources: &[&str] = match n % 4 {
        0 => &[],
        1 => &[ARN_A],
        2 => &[ARN_B, ALIAS_ARN],
        _ => &[ARN_A, ARN_B, ARN_A],
    };
    let event_id = format!("{n:08x}-aaaa-4bbb-8ccc-000000000000");
    AuditEntry {
        record: format!(r#"{{"eventID":"{event_id}","eventName":"{name}","n":{n},"note":"✓ 'q' \"x\""}}"#),
        event_id,
        event_time: 1_700_000_000_000 + i64::from(n / 2) * 1000,
        event_name: name.to_owned(),
        account: [Some("111122223333"), Some("444455556666"), None][n as usize % 3].map(str::to_owned),
        username: (n % 3 != 2).then(|| if n % 2 == 0 { "root" } else { "alice" }.to_owned()),
        access_key_id: (n % 7 != 6).then(|| format!("AKIA{:016}", n % 3)),
        read_only: name != "CreateKey",
        resources: resources.iter().map(|&a| a.to_owned()).collect(),
    }
}

/// Checks that `records`, a trail from its start in seq order, are whole
/// chains: seqs increasing, and each chain's records at positions 1, 2, …
/// each linked to the one before (from the chain's genesis hash) and hashed
/// over its own bytes.
fn assert_chains(records: &[AuditRecord]) {
    assert!(records.windows(2).all(|w| w[0].seq < w[1].seq), "seqs increase");
    let mut heads: std::collections::BTreeMap<u32, (u64, [u8; HASH_LEN])> = std::collections::BTreeMap::new();
    for r in records {
        let (position, prev) = heads.get(&r.chain).copied().unwrap_or((0, chain_genesis(r.chain)));
        assert_eq!(r.position, position + 1, "no gap before record {} of chain {}", r.position, r.chain);
        assert_eq!(r.prev_hash, prev, "record {} of chain {} links to the one before", r.position, r.chain);
        assert_eq!(r.hash, chain_hash(&prev, r.position, r.entry.record.as_bytes()), "hash of record {}", r.seq);
        heads.insert(r.chain, (r.position, r.hash));
    }
}

async fn whole_trail(s: &dyn Store) -> Result<Vec<AuditRecord>, StoreError> {
    let mut all: Vec<AuditRecord> = Vec::new();
    loop {
        let page = s.audit_records(all.last().map_or(0, |r| r.seq), 7).await?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

async fn audit_trail_chains_and_reads_back(s: Arc<dyn Store>) -> TestResult {
    assert_eq!(s.audit_head().await?, None);
    assert!(s.audit_records(0, 10).await?.is_empty());
    assert!(s.lookup_audit(&AuditQuery { limit: 10, ..Default::default() }).await?.is_empty());
    assert!(s.append_audit(vec![]).await?.is_empty());
    assert_eq!(s.audit_head().await?, None);

    let entries: Vec<AuditEntry> = (0..9).map(audit_entry).collect();
    let mut returned = Vec::new();
    for batch in [&entries[..3], &entries[3..4], &entries[4..]] {
        returned.extend(s.append_audit(batch.to_vec()).await?);
    }
    let stored = s.audit_records(0, 100).await?;
    assert_eq!(stored, returned);
    assert_eq!(stored.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), entries);
    assert_chains(&stored);
    assert_eq!(whole_trail(&*s).await?, stored);
    assert_eq!(s.audit_records(3, 4).await?, stored[3..7]);
    assert_eq!(s.audit_records(7, 100).await?, stored[7..]);
    assert!(s.audit_records(9, 100).await?.is_empty());
    assert!(s.audit_records(u64::MAX, 100).await?.is_empty());
    assert!(s.audit_records(0, 0).await?.is_empty());
    assert_eq!(s.audit_head().await?, Some((9, stored[8].hash)));
    assert!(s.append_audit(vec![]).await?.is_empty());

    // The next append chains after the head.
    let next = s.append_audit(vec![audit_entry(9)]).await?;
    assert_eq!((next[0].seq, next[0].prev_hash), (10, stored[8].hash));
    assert_eq!(s.audit_head().await?, Some((10, next[0].hash)));
    assert_chains(&whole_trail(&*s).await?);
    Ok(())
}

/// Lookups answer as the reference does whatever part of the trail is
/// indexed: none (every answer read from the log's tail), part (an answer
/// joins tail and index, and paging crosses the boundary), and all.
async fn audit_lookup_agrees_with_the_reference(s: Arc<dyn Store>) -> TestResult {
    let entries: Vec<AuditEntry> = (0..40).map(audit_entry).collect();
    for batch in entries.chunks(7) {
        s.append_audit(batch.to_vec()).await?;
    }
    let all = s.audit_records(0, 1000).await?;
    assert_eq!(all.len(), 40);
    lookups_agree_with_the_reference(&*s, &entries, &all).await?;
    let indexed = s.index_audit(17).await?;
    // A store that indexes (SQL) takes 17; one that reads the log (memory), none.
    assert!(indexed == 17 || indexed == 0, "{indexed}");
    lookups_agree_with_the_reference(&*s, &entries, &all).await?;
    while s.index_audit(10).await? > 0 {}
    assert_eq!(s.index_audit(10).await?, 0, "nothing is left to index");
    lookups_agree_with_the_reference(&*s, &entries, &all).await?;
    // Appended after indexing: found at once, and once.
    let more = s.append_audit(vec![audit_entry(40)]).await?;
    let q = AuditQuery { limit: 3, ..Default::default() };
    let newest: Vec<u64> = s.lookup_audit(&q).await?.iter().map(|r| r.seq).collect();
    assert_eq!(newest, [more[0].seq, 40, 39]);
    Ok(())
}

async fn lookups_agree_with_the_reference(s: &dyn Store, entries: &[AuditEntry], all: &[AuditRecord]) -> TestResult {
    use LookupAttribute::*;
    // Each attribute, with whether it selects anything from the whole trail
    // (so that the reference answer is not vacuous).
    let attributes = [
        (None, true),
        (Some(EventId(entries[17].event_id.clone())), true),
        (Some(EventId("00000000-nope".into())), false),
        (Some(EventName("Encrypt".into())), true),
        (Some(EventName("Sign".into())), false),
        (Some(ReadOnly(true)), true),
        (Some(ReadOnly(false)), true),
        (Some(Username("alice".into())), true),
        (Some(Username("bob".into())), false),
        (Some(AccessKeyId(format!("AKIA{:016}", 1))), true),
        (Some(AccessKeyId("AKIAOTHER".into())), false),
        (Some(EventSource(EVENT_SOURCE.into())), true),
        (Some(EventSource("s3.amazonaws.com".into())), false),
        (Some(ResourceType(KEY_RESOURCE_TYPE.into())), true),
        (Some(ResourceType("AWS::S3::Bucket".into())), false),
        (Some(ResourceName(ARN_A.into())), true),
        (Some(ResourceName(KEY_A.into())), true),
        (Some(ResourceName(ALIAS_ARN.into())), true),
        (Some(ResourceName("app".into())), false),
        (Some(ResourceName(format!("key/{KEY_A}"))), false),
    ];
    let t = |n: usize| entries[n].event_time;
    let ranges = [
        (None, None),
        (Some(t(10)), None),
        (None, Some(t(25))),
        (Some(t(10)), Some(t(25))),
        (Some(t(30)), Some(t(30))),
    ];
    let reference = |q: &AuditQuery| -> Vec<AuditRecord> {
        all.iter().rev().filter(|r| q.matches(r)).take(q.limit).cloned().collect()
    };
    for (attribute, selects) in &attributes {
        let whole = AuditQuery { attribute: attribute.clone(), limit: 1000, ..Default::default() };
        assert_eq!(reference(&whole).is_empty(), !selects, "{whole:?}");
        for account in [None, Some("111122223333"), Some("444455556666")] {
            for (start, end) in ranges {
                for before_seq in [None, Some(30), Some(1)] {
                    for limit in [1000, 3, 0] {
                        let q = AuditQuery {
                            account: account.map(str::to_owned),
                            attribute: attribute.clone(),
                            start,
                            end,
                            before_seq,
                            limit,
                        };
                        assert_eq!(s.lookup_audit(&q).await?, reference(&q), "{q:?}");
                    }
                }
            }
        }
        // Paging with the before_seq cursor returns everything once, newest first.
        let mut paged: Vec<AuditRecord> = Vec::new();
        loop {
            let q = AuditQuery { before_seq: paged.last().map(|r| r.seq), limit: 4, ..whole.clone() };
            let page = s.lookup_audit(&q).await?;
            if page.is_empty() {
                break;
            }
            paged.extend(page);
        }
        assert_eq!(paged, reference(&whole), "{whole:?} in pages");
    }
    Ok(())
}

/// Tasks append batches at once, spread over `stores` (one store, or
/// several nodes on one database); the result must be one chain holding
/// every batch whole, in each task's order.
async fn appends_form_one_chain(stores: &[Arc<dyn Store>]) -> TestResult {
    const TASKS: u32 = 8;
    const BATCHES: u32 = 20;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let s = Arc::clone(&stores[t as usize % stores.len()]);
        tasks.push(tokio::spawn(async move {
            let mut batches = Vec::new();
            for b in 0..BATCHES {
                let entries: Vec<AuditEntry> =
                    (0..1 + (t + b) % 3).map(|i| audit_entry(t * 1000 + b * 10 + i)).collect();
                let records = s.append_audit(entries.clone()).await?;
                batches.push((entries, records));
            }
            Ok::<_, StoreError>(batches)
        }));
    }
    let mut appended = Vec::new();
    for t in tasks {
        appended.push(t.await??);
    }
    let trail = whole_trail(&*stores[0]).await?;
    assert_chains(&trail);
    let total: usize = appended.iter().flatten().map(|(entries, _)| entries.len()).sum();
    assert_eq!(trail.len(), total);
    // Each store appends to a chain of its own.
    let mut chains = Vec::new();
    for s in stores {
        chains.push(s.audit_chain().await?);
    }
    let distinct: std::collections::BTreeSet<u32> = chains.iter().copied().collect();
    assert_eq!(distinct.len(), stores.len(), "a chain per store: {chains:?}");
    let of_chain = |c: u32| trail.iter().filter(|r| r.chain == c).cloned().collect::<Vec<_>>();
    for (t, task) in appended.iter().enumerate() {
        let mine = of_chain(chains[t % stores.len()]);
        let mut last_seq = 0;
        for (entries, records) in task {
            assert_eq!(&records.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), entries);
            let first = records.first().map_or(0, |r| r.seq);
            assert!(first > last_seq, "a task's batches are stored in its order");
            let at = usize::try_from(records.first().map_or(1, |r| r.position) - 1)?;
            assert_eq!(mine[at..at + records.len()], records[..], "a batch is stored whole, as returned");
            last_seq = records.last().map_or(0, |r| r.seq);
        }
    }
    for (s, chain) in stores.iter().zip(&chains) {
        assert_eq!(whole_trail(&**s).await?, trail);
        assert_eq!(s.audit_head().await?, of_chain(*chain).last().map(|r| (r.position, r.hash)));
        assert_eq!(s.audit_chains().await?, distinct.iter().copied().collect::<Vec<_>>());
        for c in &distinct {
            assert_eq!(s.audit_chain_records(*c, 0, 10_000).await?, of_chain(*c));
        }
    }
    Ok(())
}

async fn concurrent_audit_appends_form_one_chain(s: Arc<dyn Store>) -> TestResult {
    appends_form_one_chain(&[s]).await
}

async fn audit_checkpoints_keep_the_first(s: Arc<dyn Store>) -> TestResult {
    assert!(s.audit_checkpoints().await?.is_empty());
    assert_eq!(s.latest_audit_checkpoint().await?, None);
    let cp = |seq: u64, b: u8, number: Option<u64>| AuditCheckpoint {
        chain: 0,
        seq,
        hash: [b; HASH_LEN],
        created_at: 1_700_000_000_000 + i64::from(b),
        signature: vec![b; 64],
        number,
        prev: number.map(|n| [n as u8; HASH_LEN]),
    };
    // An unnumbered one (signed before numbering), then numbered ones.
    for c in [cp(2, 2, None), cp(5, 1, Some(1)), cp(9, 3, Some(2))] {
        assert!(s.insert_audit_checkpoint(&c).await?);
    }
    // A second checkpoint of seq 5, or a second number 2 (another node's,
    // say), leaves the first.
    assert!(!s.insert_audit_checkpoint(&cp(5, 4, Some(3))).await?);
    assert!(!s.insert_audit_checkpoint(&cp(11, 4, Some(2))).await?);
    assert_eq!(s.audit_checkpoints().await?, vec![cp(2, 2, None), cp(5, 1, Some(1)), cp(9, 3, Some(2))]);
    assert_eq!(s.latest_audit_checkpoint().await?, Some(cp(9, 3, Some(2))));
    Ok(())
}

/// A read of version numbers, as the racing readers below make it.
type VersionRead = Arc<dyn Fn(usize) -> std::pin::Pin<Box<dyn Future<Output = u64> + Send>> + Send + Sync>;

/// Four readers call `read(i)` (i = 0..4) in a loop while `write(n)` writes
/// versions 1..=200 in turn, each write then checking its own read back.
/// No read may return less than the last write that returned before it
/// began, nor go back. What a store keeps in memory must pass this.
async fn reads_racing_writes(read: VersionRead, mut write: impl AsyncFnMut(u64) -> TestResult) -> TestResult {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    // The version of the last write that returned.
    let published = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let (read, stop, published) = (read.clone(), stop.clone(), published.clone());
            tokio::spawn(async move {
                let mut last = 0;
                while !stop.load(Ordering::Relaxed) {
                    let floor = published.load(Ordering::Acquire);
                    let n = read(i).await;
                    assert!(n >= floor, "a read that began after version {floor} returned saw {n}");
                    assert!(n >= last, "a read went back from version {last} to {n}");
                    last = n;
                }
            })
        })
        .collect();
    // The readers stop before any failure is reported: one spinning on a
    // stale entry in memory never yields, and would hang the test.
    let written: TestResult = async {
        for n in 1..=200u64 {
            write(n).await?;
            published.store(n, Ordering::Release);
        }
        Ok(())
    }
    .await;
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.await?;
    }
    written
}

async fn reads_racing_writes_end_on_the_last_write(s: Arc<dyn Store>) -> TestResult {
    let sc = scope("111122223333", "us-east-1");
    let mut k = key(&sc, 1);
    s.insert_key(&k, None, &[]).await?;
    // Version n is revision base + n.
    let base = k.revision;
    let (s2, sc2, id) = (s.clone(), sc.clone(), k.id.clone());
    let read: VersionRead = Arc::new(move |_| {
        let (s, sc, id) = (s2.clone(), sc2.clone(), id.clone());
        Box::pin(async move { s.key(&sc, &id).await.unwrap().unwrap().revision - base })
    });
    reads_racing_writes(read, async |n| {
        k.revision = base + n;
        k.description = format!("revision {}", k.revision);
        s.update_key(&k, &[]).await?;
        // A write that returned is what every later read sees.
        let read = s.key(&sc, &k.id).await?.ok_or("key gone")?;
        assert_eq!((read.revision, read.description.as_str()), (k.revision, k.description.as_str()));
        Ok(())
    })
    .await?;
    s.destroy_key(&k, 5, &[]).await?;
    assert!(s.key(&sc, &k.id).await?.is_none(), "a destroyed key is gone at once");
    Ok(())
}

/// Every request of an IAM user reads its user and policies: a store that
/// keeps them in memory must serve what the last write that returned left.
async fn user_reads_racing_policy_writes_end_on_the_last_write(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAROOTROOTROOT0001");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (u, key) = user("111122223333", "racer", "AKIARACERRACER00001");
    s.insert_user(&u, Some(&key), &[]).await?;
    s.put_user_policy(&user_policy(&u, "p", "0"), &[]).await?;
    let (s2, account) = (s.clone(), u.account.clone());
    let read: VersionRead = Arc::new(move |_| {
        let (s, account) = (s2.clone(), account.clone());
        Box::pin(async move { s.user_policies(&account, "racer").await.unwrap()[0].document.parse().unwrap() })
    });
    reads_racing_writes(read, async |n| {
        s.put_user_policy(&user_policy(&u, "p", &n.to_string()), &[]).await?;
        let read = s.user_policies(&u.account, "racer").await?;
        assert_eq!(read, vec![user_policy(&u, "p", &n.to_string())]);
        Ok(())
    })
    .await?;
    assert_eq!(s.user(&u.account, "RACER").await?, Some(u.clone()));
    s.delete_user(&u.account, "racer", &[]).await?;
    assert_eq!(s.user(&u.account, "racer").await?, None, "a deleted user is gone at once");
    assert!(s.user_policies(&u.account, "racer").await?.is_empty(), "and its policies");
    Ok(())
}

/// A user's tags are read on every request of the user (its
/// `aws:PrincipalTag/*`): a store that keeps users in memory must serve the
/// tags the last write that returned left, whatever case a read names.
async fn user_reads_racing_tag_writes_end_on_the_last_write(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAROOTROOTROOT0001");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (mut u, key) = user("111122223333", "Racer", "AKIARACERRACER00001");
    u.tags = vec![("n".into(), "0".into())];
    s.insert_user(&u, Some(&key), &[]).await?;
    let (s2, account) = (s.clone(), u.account.clone());
    let read: VersionRead = Arc::new(move |i| {
        let (s, account) = (s2.clone(), account.clone());
        let name = ["racer", "RACER", "Racer", "rAcEr"][i % 4];
        Box::pin(async move { s.user(&account, name).await.unwrap().unwrap().tags[0].1.parse().unwrap() })
    });
    reads_racing_writes(read, async |n| {
        u.tags = vec![("n".into(), n.to_string())];
        s.update_user_tags(&u.account, "Racer", &u.tags, &[]).await?;
        let read = s.user(&u.account, if n % 2 == 0 { "racer" } else { "RACER" }).await?;
        if read.as_ref() != Some(&u) {
            return Err(format!("after writing version {n} a read returned {read:?}").into());
        }
        Ok(())
    })
    .await
}

async fn audit_retention_prunes_up_to_an_anchor(s: Arc<dyn Store>) -> TestResult {
    let entries: Vec<AuditEntry> = (1..=5).map(audit_entry).collect();
    let records = s.append_audit(entries.clone()).await?;
    let cp = |r: &trent_core::audit::AuditRecord| AuditCheckpoint {
        chain: 0,
        seq: r.seq,
        hash: r.hash,
        created_at: 1_700_000_000_000,
        signature: vec![1; 64],
        number: None,
        prev: None,
    };
    for r in [&records[0], &records[1], &records[3]] {
        s.insert_audit_checkpoint(&cp(r)).await?;
    }
    // Record 1 indexed, the rest not: pruning removes both kinds.
    s.index_audit(1).await?;
    assert_eq!(s.prune_audit(2).await?, 2);
    let kept: Vec<u64> = s.audit_records(0, 100).await?.iter().map(|r| r.seq).collect();
    assert_eq!(kept, [3, 4, 5]);
    let found = |s: Arc<dyn Store>| async move {
        let q = AuditQuery { limit: 100, ..Default::default() };
        Ok::<_, StoreError>(s.lookup_audit(&q).await?.iter().map(|r| r.seq).collect::<Vec<u64>>())
    };
    assert_eq!(found(s.clone()).await?, [5, 4, 3]);
    while s.index_audit(2).await? > 0 {}
    assert_eq!(found(s.clone()).await?, [5, 4, 3], "indexing after a prune indexes what is left");
    // The anchor at 2 stays, the checkpoint before it goes.
    let cps: Vec<u64> = s.audit_checkpoints().await?.iter().map(|c| c.seq).collect();
    assert_eq!(cps, [2, 4]);
    assert_eq!(s.audit_head().await?.map(|h| h.0), Some(5));
    // Appends go on from the head; pruning again removes nothing more.
    s.append_audit(vec![audit_entry(6)]).await?;
    assert_eq!(s.audit_head().await?.map(|h| h.0), Some(6));
    assert_eq!(s.prune_audit(2).await?, 0);
    Ok(())
}

/// The event a change of kind `name` records: its own event id and record
/// bytes for each `n`, so every link of the chain hashes different bytes.
fn change_event(name: &str, n: u32) -> AuditEntry {
    AuditEntry {
        record: format!(r#"{{"eventName":"{name}","n":{n}}}"#),
        event_name: name.to_owned(),
        read_only: false,
        ..audit_entry(n)
    }
}

/// The events handed to changes, and every event the trail should hold.
struct Events {
    next: u32,
    expected: Vec<AuditEntry>,
}

impl Events {
    /// Events for one change, expected in the trail after those before.
    fn of(&mut self, names: &[&str]) -> Vec<AuditEntry> {
        let events: Vec<AuditEntry> = names
            .iter()
            .map(|name| {
                self.next += 1;
                change_event(name, self.next)
            })
            .collect();
        self.expected.extend(events.iter().cloned());
        events
    }

    /// The trail ends with the events of the last change.
    async fn check(&self, s: &dyn Store) -> TestResult {
        let head = s.audit_head().await?.map(|(seq, _)| seq);
        assert_eq!(head, Some(self.expected.len() as u64), "after {:?}", self.expected.last().map(|e| &e.event_name));
        Ok(())
    }
}

async fn changes_append_their_events_to_the_chain(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    // Events appended alone first: each change's events chain after them.
    let mut ev = Events { next: 100, expected: vec![audit_entry(0), audit_entry(1)] };
    s.append_audit(ev.expected.clone()).await?;

    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &ev.of(&["CreateAccount"])).await?;
    assert_eq!(s.account(&acct.id).await?, Some(acct));
    assert_eq!(s.access_key(&ak.id).await?, Some(ak.clone()));
    ev.check(&*s).await?;

    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    s.insert_user(&bob, Some(&bob_key), &ev.of(&["CreateUser", "CreateAccessKey"])).await?;
    assert_eq!(s.user(&bob.account, "bob").await?, Some(bob.clone()));
    ev.check(&*s).await?;
    let tagged = UserRecord { tags: vec![("k".into(), "v".into())], ..bob.clone() };
    s.update_user_tags(&bob.account, "Bob", &tagged.tags, &ev.of(&["TagUser"])).await?;
    assert_eq!(s.user(&bob.account, "bob").await?, Some(tagged));
    ev.check(&*s).await?;
    let bob_key2 = another_key(&bob_key, "AKIAUSERBOB2");
    s.insert_access_key(&bob_key2, Some("Bob"), &ev.of(&["CreateAccessKey"])).await?;
    assert_eq!(s.access_key(&bob_key2.id).await?, Some(bob_key2.clone()));
    ev.check(&*s).await?;
    let root_key2 = another_key(&ak, "AKIAROOT2");
    s.insert_access_key(&root_key2, None, &ev.of(&["CreateAccessKey"])).await?;
    assert_eq!(s.access_keys_of(&ak.principal).await?, vec![ak.clone(), root_key2.clone()]);
    ev.check(&*s).await?;
    s.delete_access_key(&root_key2.id, &ev.of(&["DeleteAccessKey"])).await?;
    assert_eq!(s.access_key(&root_key2.id).await?, None);
    ev.check(&*s).await?;
    // UpdateAccessKey: the status is kept (under the row's MAC), and back.
    s.set_access_key_inactive(&bob_key2.id, true, &ev.of(&["UpdateAccessKey"])).await?;
    let inactive = AccessKeyRecord { inactive: true, ..bob_key2.clone() };
    assert_eq!(s.access_key(&bob_key2.id).await?, Some(inactive.clone()));
    assert_eq!(s.access_keys_of(&bob_key.principal).await?, vec![bob_key.clone(), inactive]);
    ev.check(&*s).await?;
    s.set_access_key_inactive(&bob_key2.id, false, &ev.of(&["UpdateAccessKey"])).await?;
    assert_eq!(s.access_key(&bob_key2.id).await?, Some(bob_key2.clone()));
    ev.check(&*s).await?;
    assert_failed(
        "set_access_key_inactive of a deleted key",
        // A failed change stores no event: not one of the trail's expected.
        s.set_access_key_inactive(&root_key2.id, true, &[change_event("UpdateAccessKey", 1)]).await,
        &StoreError::NotFound,
    );
    ev.check(&*s).await?;
    let policy = user_policy(&bob, "read", "{}");
    s.put_user_policy(&policy, &ev.of(&["PutUserPolicy"])).await?;
    assert_eq!(s.user_policies(&bob.account, "Bob").await?, vec![policy.clone()]);
    ev.check(&*s).await?;
    s.delete_user_policy(&bob.account, "Bob", "read", &ev.of(&["DeleteUserPolicy"])).await?;
    assert!(s.user_policies(&bob.account, "Bob").await?.is_empty());
    ev.check(&*s).await?;
    s.delete_user(&bob.account, "Bob", &ev.of(&["DeleteUser"])).await?;
    assert_eq!(s.user(&bob.account, "Bob").await?, None);
    assert_eq!(s.access_key(&bob_key.id).await?, None);
    assert_eq!(s.access_key(&bob_key2.id).await?, None);
    ev.check(&*s).await?;

    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &ev.of(&["CreateKey"])).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(k.clone()));
    ev.check(&*s).await?;

    let mut disabled = k.clone();
    disabled.state = KeyState::Disabled;
    disabled.revision = 2;
    s.update_key(&disabled, &ev.of(&["DisableKey"])).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(disabled.clone()));
    ev.check(&*s).await?;

    let mut rotated = disabled.clone();
    rotated.current_version = 2;
    rotated.revision = 3;
    s.add_key_version(&rotated, &version(&k.id, 2), &ev.of(&["RotateKeyOnDemand"])).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(rotated.clone()));
    assert_eq!(s.key_version(&k.id, 2).await?, Some(version(&k.id, 2)));
    ev.check(&*s).await?;

    let mut ext = key(&a, 2);
    ext.origin = Origin::External;
    ext.state = KeyState::PendingImport;
    s.insert_key(&ext, None, &ev.of(&["CreateKey"])).await?;
    let mut imported = ext.clone();
    imported.state = KeyState::Enabled;
    imported.revision = 2;
    s.put_key_versions(&imported, &[version(&ext.id, 1)], &ev.of(&["ImportKeyMaterial"])).await?;
    assert_eq!(s.key(&a, &ext.id).await?, Some(imported));
    assert_eq!(s.key_version(&ext.id, 1).await?, Some(version(&ext.id, 1)));
    ev.check(&*s).await?;

    let al = alias(&a, "app", &k.id);
    s.insert_alias(&al, &ev.of(&["CreateAlias"])).await?;
    assert_eq!(s.alias(&a, &al.name).await?, Some(al.clone()));
    ev.check(&*s).await?;
    let mut moved = al.clone();
    moved.target = ext.id.clone();
    moved.updated_at = 2;
    s.update_alias(&moved, &ev.of(&["UpdateAlias"])).await?;
    assert_eq!(s.alias(&a, &al.name).await?, Some(moved));
    ev.check(&*s).await?;
    s.delete_alias(&a, &al.name, &ev.of(&["DeleteAlias"])).await?;
    assert_eq!(s.alias(&a, &al.name).await?, None);
    ev.check(&*s).await?;

    let (g1, g2) = (grant(&k, 1, None), grant(&k, 2, None));
    s.insert_grant(&g1, &ev.of(&["CreateGrant"])).await?;
    assert_eq!(s.grants(&k.scope, &k.id, None, 10).await?, vec![g1.clone()]);
    ev.check(&*s).await?;
    s.delete_grant(&k.scope, &k.id, &g1.grant_id, &ev.of(&["RevokeGrant"])).await?;
    assert!(s.grants(&k.scope, &k.id, None, 10).await?.is_empty());
    ev.check(&*s).await?;
    // Several events of one change chain in their order.
    s.insert_grant(&g2, &ev.of(&["CreateGrant", "CreateGrant", "CreateGrant"])).await?;
    ev.check(&*s).await?;

    s.destroy_key(&rotated, 9, &ev.of(&["DeleteKey"])).await?;
    assert_eq!(s.key(&a, &k.id).await?, None);
    assert!(s.key_destroyed(&a, &k.id).await?);
    assert!(s.grants(&k.scope, &k.id, None, 10).await?.is_empty());
    ev.check(&*s).await?;

    // Events appended alone after the changes chain after theirs.
    let last = s.append_audit(vec![audit_entry(2)]).await?;
    ev.expected.push(audit_entry(2));
    assert_eq!(last[0].seq, ev.expected.len() as u64);

    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), ev.expected);
    assert_eq!(s.audit_head().await?, trail.last().map(|r| (r.seq, r.hash)));
    // The events of changes are found like any other.
    let q = AuditQuery {
        attribute: Some(LookupAttribute::EventName("CreateGrant".into())),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.lookup_audit(&q).await?.len(), 4);
    Ok(())
}

/// `r` failed as `want` did (same variant).
fn assert_failed(what: &str, r: Result<(), StoreError>, want: &StoreError) {
    match r {
        Err(e) if std::mem::discriminant(&e) == std::mem::discriminant(want) => {}
        other => panic!("{what}: {other:?}, expected {want:?}"),
    }
}

async fn failed_changes_store_no_event(s: Arc<dyn Store>) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &[]).await?;
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    let mut cur = k.clone();
    cur.description = "moved on".into();
    cur.revision = 2;
    s.update_key(&cur, &[]).await?;
    let al = alias(&a, "app", &k.id);
    s.insert_alias(&al, &[]).await?;
    let g = grant(&k, 1, None);
    s.insert_grant(&g, &[]).await?;
    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    s.insert_user(&bob, Some(&bob_key), &[]).await?;
    let policy = user_policy(&bob, "read", "{}");
    s.put_user_policy(&policy, &[]).await?;
    s.append_audit(vec![audit_entry(0)]).await?;
    let head = s.audit_head().await?;

    // A writer that read revision 1, and one of a key that is not there.
    let mut stale = k.clone();
    stale.revision = 2;
    stale.current_version = 2;
    let mut ghost = key(&a, 9);
    ghost.revision = 2;
    let mut next = cur.clone();
    next.revision = 3;
    next.current_version = 2;
    let ev = [change_event("Change", 1)];
    let (conflict, not_found, exists) = (StoreError::Conflict, StoreError::NotFound, StoreError::AlreadyExists);
    let missing = AliasName::new_unchecked("alias/missing");
    let (_, other_ak) = account("111122223333", "AKIABBBBBBBBBBBBBBBB");
    assert_failed("update_key stale", s.update_key(&stale, &ev).await, &conflict);
    assert_failed("update_key missing", s.update_key(&ghost, &ev).await, &not_found);
    assert_failed("add_key_version stale", s.add_key_version(&stale, &version(&k.id, 2), &ev).await, &conflict);
    assert_failed("add_key_version taken", s.add_key_version(&next, &version(&k.id, 1), &ev).await, &exists);
    assert_failed("put_key_versions stale", s.put_key_versions(&stale, &[version(&k.id, 2)], &ev).await, &conflict);
    assert_failed("update_keys stale", s.update_keys(&[stale.clone()], &[version(&k.id, 2)], &ev).await, &conflict);
    assert_failed("update_keys missing", s.update_keys(&[ghost.clone()], &[], &ev).await, &not_found);
    assert_failed("destroy_key stale", s.destroy_key(&k, 9, &ev).await, &conflict);
    assert_failed("destroy_key missing", s.destroy_key(&ghost, 9, &ev).await, &not_found);
    assert_failed("insert_key taken", s.insert_key(&k, None, &ev).await, &exists);
    assert_failed("insert_alias taken", s.insert_alias(&alias(&a, "app", &k.id), &ev).await, &exists);
    assert_failed("update_alias missing", s.update_alias(&alias(&a, "missing", &k.id), &ev).await, &not_found);
    assert_failed("delete_alias missing", s.delete_alias(&a, &missing, &ev).await, &not_found);
    assert_failed("insert_grant taken", s.insert_grant(&g, &ev).await, &exists);
    assert_failed("delete_grant missing", s.delete_grant(&k.scope, &k.id, "missing", &ev).await, &not_found);
    assert_failed("insert_account taken", s.insert_account(&acct, &other_ak, &ev).await, &exists);
    let (shout, shout_key) = user("111122223333", "BOB", "AKIAUSERSHOUT");
    assert_failed("insert_user taken", s.insert_user(&shout, Some(&shout_key), &ev).await, &exists);
    let (carol, _) = user("111122223333", "carol", "AKIAUSERCAROL");
    assert_failed("insert_user key taken", s.insert_user(&carol, Some(&bob_key), &ev).await, &exists);
    assert_failed("delete_user missing", s.delete_user(&acct.id, "bob", &ev).await, &not_found);
    let new_tags = [("k".to_owned(), "v".to_owned())];
    assert_failed("update_user_tags missing", s.update_user_tags(&acct.id, "bob", &new_tags, &ev).await, &not_found);
    let ghost_policy = UserPolicyRecord { user_name: "carol".into(), ..policy.clone() };
    assert_failed("put_user_policy missing", s.put_user_policy(&ghost_policy, &ev).await, &not_found);
    assert_failed("delete_user_policy missing", s.delete_user_policy(&acct.id, "Bob", "x", &ev).await, &not_found);
    let ghost_key = another_key(&bob_key, "AKIAGHOST");
    for (what, name) in [("missing user", "carol"), ("user in other case", "bob")] {
        let failed = s.insert_access_key(&ghost_key, Some(name), &ev).await;
        assert_failed(&format!("insert_access_key {what}"), failed, &not_found);
    }
    assert_failed("insert_access_key taken", s.insert_access_key(&bob_key, None, &ev).await, &exists);
    assert_failed("insert_access_key root taken", s.insert_access_key(&ak, None, &ev).await, &exists);
    assert_failed("delete_access_key missing", s.delete_access_key(&ghost_key.id, &ev).await, &not_found);

    assert_eq!(s.audit_head().await?, head, "no failed change stored an event");
    assert_eq!(whole_trail(&*s).await?.len(), 1);
    // Nor anything else.
    assert_eq!(s.key(&a, &k.id).await?, Some(cur.clone()));
    assert_eq!(s.key_versions(&k.id, 0, 10).await?, vec![version(&k.id, 1)]);
    assert_eq!(s.alias(&a, &al.name).await?, Some(al));
    assert_eq!(s.grants(&k.scope, &k.id, None, 10).await?, vec![g]);
    assert_eq!(s.access_key(&other_ak.id).await?, None);
    assert_eq!(s.access_key(&shout_key.id).await?, None);
    assert_eq!(s.access_key(&ghost_key.id).await?, None);
    assert_eq!(s.access_keys_of(&bob_key.principal).await?, vec![bob_key.clone()]);
    assert_eq!(s.access_keys_of(&ak.principal).await?, vec![ak.clone()]);
    assert_eq!(s.users(&acct.id).await?, vec![bob]);
    assert_eq!(s.user_policies(&acct.id, "Bob").await?, vec![policy]);

    // The next change's event chains right after the head.
    s.update_key(&next, &ev).await?;
    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[1].entry, ev[0]);
    Ok(())
}

/// Writers update one key with an event each (retrying on `Conflict`)
/// while others append events alone: one chain, without gaps, holding each
/// winning update's event once, in the order of the key's revisions.
async fn changes_and_appends_at_once_form_one_chain(s: Arc<dyn Store>) -> TestResult {
    const WRITERS: u32 = 4;
    const UPDATES: u32 = 6;
    const APPENDERS: u32 = 4;
    const BATCHES: u32 = 8;
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    // The event of the update to revision `r`.
    let update_event = |r: u64| change_event("UpdateKey", 100_000 + u32::try_from(r).unwrap_or(u32::MAX));

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (s, a, id) = (Arc::clone(&s), a.clone(), k.id.clone());
        writers.push(tokio::spawn(async move {
            let mut conflicts = 0u32;
            for _ in 0..UPDATES {
                loop {
                    let mut next = s.key(&a, &id).await?.ok_or(StoreError::NotFound)?;
                    next.revision += 1;
                    next.description = format!("writer {w}");
                    match s.update_key(&next, &[update_event(next.revision)]).await {
                        Ok(()) => break,
                        Err(StoreError::Conflict) => conflicts += 1,
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok::<_, StoreError>(conflicts)
        }));
    }
    let mut appenders = Vec::new();
    for t in 0..APPENDERS {
        let s = Arc::clone(&s);
        appenders.push(tokio::spawn(async move {
            let mut appended = 0;
            for b in 0..BATCHES {
                let entries: Vec<AuditEntry> =
                    (0..1 + (t + b) % 3).map(|i| audit_entry(t * 1000 + b * 10 + i)).collect();
                appended += s.append_audit(entries.clone()).await?.len();
            }
            Ok::<_, StoreError>(appended)
        }));
    }
    for w in writers {
        w.await??;
    }
    let mut appended = 0;
    for t in appenders {
        appended += t.await??;
    }

    let updates = u64::from(WRITERS * UPDATES);
    assert_eq!(s.key(&a, &k.id).await?.map(|k| k.revision), Some(1 + updates));
    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.len() as u64, updates + appended as u64);
    let stored_updates: Vec<AuditEntry> =
        trail.iter().filter(|r| r.entry.event_name == "UpdateKey").map(|r| r.entry.clone()).collect();
    assert_eq!(stored_updates, (2..=1 + updates).map(update_event).collect::<Vec<_>>());
    assert_eq!(s.audit_head().await?, trail.last().map(|r| (r.seq, r.hash)));
    Ok(())
}

/// With the trail unwritable (`fail(true)`), a change with events fails
/// and leaves neither the change nor an event; one without events does not
/// touch the trail and succeeds. Writable again, changes chain on.
async fn unwritable_audit_refuses_changes(s: Arc<dyn Store>, fail: impl AsyncFn(bool) -> TestResult) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    let g = grant(&k, 1, None);
    s.insert_grant(&g, &[]).await?;
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &[]).await?;
    s.append_audit(vec![audit_entry(0)]).await?;
    let head = s.audit_head().await?;

    fail(true).await?;
    let ev = [change_event("Change", 1)];
    let backend = StoreError::backend(std::io::Error::other("any"));
    let mut next = k.clone();
    next.state = KeyState::Disabled;
    next.revision = 2;
    let k2 = key(&a, 2);
    let al = alias(&a, "app", &k.id);
    assert_failed("update_key", s.update_key(&next, &ev).await, &backend);
    assert_failed("update_keys", s.update_keys(&[next.clone()], &[version(&k.id, 2)], &ev).await, &backend);
    assert_failed("insert_key", s.insert_key(&k2, Some(&version(&k2.id, 1)), &ev).await, &backend);
    assert_failed("insert_alias", s.insert_alias(&al, &ev).await, &backend);
    assert_failed("delete_grant", s.delete_grant(&k.scope, &k.id, &g.grant_id, &ev).await, &backend);
    assert_failed("destroy_key", s.destroy_key(&k, 9, &ev).await, &backend);
    let ak2 = another_key(&ak, "AKIABBBBBBBBBBBBBBBB");
    assert_failed("insert_access_key", s.insert_access_key(&ak2, None, &ev).await, &backend);
    assert_failed("delete_access_key", s.delete_access_key(&ak.id, &ev).await, &backend);
    assert!(s.append_audit(ev.to_vec()).await.is_err());
    assert_eq!(s.access_keys_of(&ak.principal).await?, vec![ak.clone()]);
    assert_eq!(s.key(&a, &k.id).await?, Some(k.clone()));
    assert_eq!(s.key(&a, &k2.id).await?, None);
    assert_eq!(s.key_version(&k2.id, 1).await?, None);
    assert_eq!(s.key_version(&k.id, 2).await?, None);
    assert_eq!(s.alias(&a, &al.name).await?, None);
    assert_eq!(s.grants(&k.scope, &k.id, None, 10).await?, vec![g]);
    assert!(!s.key_destroyed(&a, &k.id).await?);
    assert_eq!(s.audit_head().await?, head);
    s.update_key(&next, &[]).await?;
    assert_eq!(s.key(&a, &k.id).await?, Some(next.clone()));

    fail(false).await?;
    next.revision = 3;
    s.update_key(&next, &ev).await?;
    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.len(), 2);
    Ok(())
}

/// The principal that may retire some of [`fill`]'s grants.
const RETIREE: &str = "arn:aws:iam::444455556666:root";

/// Fills an empty store with some of everything, through the ordinary
/// calls: domain keys, accounts with their access keys, keys of three
/// scopes with several versions (imported material with its terms, some of
/// it deleted), aliases (one moved), grants with constraints (one
/// retired), a destroyed key's tombstone, a multi-Region key (a primary
/// and a replica sharing their versions, two replicas destroyed), IAM
/// users of two accounts with their access keys and policies (one
/// replaced, one deleted, one user deleted), IAM roles of two accounts with
/// their policies (one role updated, one policy replaced, one deleted, one
/// role deleted), IAM groups of two accounts with their policies and
/// members (one policy replaced, one deleted, one membership ended, one
/// group deleted with its policies and members, one member deleted),
/// customer managed policies of two accounts with their versions and
/// attachments (versions added, a default moved back, a version deleted, a
/// boundary replaced, an attachment ended, one policy deleted with its
/// versions and attachments, a user, a role and a group deleted with
/// theirs), a trail of events appended alone and by changes, and
/// checkpoints of it.
async fn fill(s: &dyn Store) -> TestResult {
    let a = scope("111122223333", "us-east-1");
    let b = scope("444455556666", "eu-west-1");
    let c = scope("111122223333", "ap-south-1");
    let mut ev = Events { next: 500, expected: Vec::new() };

    for dk in [
        DomainKeyRecord { id: 2, wrapped: vec![2; 48], created_at: 20 },
        DomainKeyRecord { id: 1, wrapped: vec![1; 48], created_at: 10 },
    ] {
        s.insert_domain_key(&dk).await?;
    }
    for (id, ak) in [
        ("444455556666", "AKIAB0000000000000000"),
        ("111122223333", "AKIAA0000000000000000"),
        ("210987654321", "AKIAC"),
    ] {
        let (acct, ak) = account(id, ak);
        let events = if id.starts_with('2') { Vec::new() } else { ev.of(&["CreateAccount"]) };
        s.insert_account(&acct, &ak, &events).await?;
    }
    s.append_audit((0..6).map(audit_entry).collect::<Vec<_>>()).await?;

    for (account, name, ak) in [
        ("444455556666", "ops", "AKIAUSEROPS"),
        ("111122223333", "zoe", "AKIAUSERZOE"),
        ("111122223333", "Bob", "AKIAUSERBOB"),
        ("111122223333", "temp", "AKIAUSERTEMP"),
    ] {
        let (u, k) = user(account, name, ak);
        s.insert_user(&u, Some(&k), &ev.of(&["CreateUser"])).await?;
        for policy in ["write", "Read"] {
            s.put_user_policy(&user_policy(&u, policy, "{}"), &ev.of(&["PutUserPolicy"])).await?;
        }
    }
    let bob = s.user(&AccountId::new_unchecked("111122223333"), "bob").await?.ok_or("bob")?;
    let tags = [("z".to_owned(), "last ✓".to_owned()), ("a".to_owned(), "\"q\"".to_owned())];
    s.update_user_tags(&bob.account, &bob.name, &tags, &ev.of(&["TagUser"])).await?;
    s.update_user_tags(&AccountId::new_unchecked("444455556666"), "ops", &[], &[]).await?;
    s.put_user_policy(&user_policy(&bob, "write", r#"{"Version":"2012-10-17"}"#), &[]).await?;
    s.delete_user_policy(&bob.account, &bob.name, "Read", &ev.of(&["DeleteUserPolicy"])).await?;
    s.delete_user(&bob.account, "temp", &ev.of(&["DeleteUser"])).await?;

    // IAM roles: one updated (no description, tags replaced), one with a
    // policy replaced and one deleted, one deleted with its policies.
    for (account, name) in
        [("444455556666", "ops"), ("111122223333", "Deployer"), ("111122223333", "auditor"), ("111122223333", "temp")]
    {
        let r = role(account, name);
        s.insert_role(&r, &ev.of(&["CreateRole"])).await?;
        for policy in ["write", "Read"] {
            s.put_role_policy(&role_policy(&r, policy, "{}"), &ev.of(&["PutRolePolicy"])).await?;
        }
    }
    let mut deployer = s.role(&AccountId::new_unchecked("111122223333"), "DEPLOYER").await?.ok_or("deployer")?;
    deployer.description = None;
    deployer.max_session_duration = 43_200;
    deployer.tags = vec![("z".to_owned(), "last ✓".to_owned())];
    s.update_role(&deployer, &ev.of(&["UpdateRole"])).await?;
    s.put_role_policy(&role_policy(&deployer, "write", r#"{"Version":"2012-10-17"}"#), &[]).await?;
    s.delete_role_policy(&deployer.account, &deployer.name, "Read", &ev.of(&["DeleteRolePolicy"])).await?;
    s.delete_role(&deployer.account, "temp", &ev.of(&["DeleteRole"])).await?;

    // IAM groups: one with a policy replaced and a membership ended, one
    // with a policy deleted, one deleted with its policies and members;
    // a member (a user of no policy nor key) deleted.
    let (leaver, _) = user("111122223333", "leaver", "AKIAUSERLEAVER");
    s.insert_user(&leaver, None, &ev.of(&["CreateUser"])).await?;
    for (account, name, members) in [
        ("444455556666", "ops", &["ops"][..]),
        ("111122223333", "Admins", &["Bob", "zoe", "leaver"][..]),
        ("111122223333", "devs", &["zoe", "leaver"][..]),
        ("111122223333", "temp", &["Bob"][..]),
    ] {
        let g = group(account, name);
        s.insert_group(&g, &ev.of(&["CreateGroup"])).await?;
        for policy in ["write", "Read"] {
            s.put_group_policy(&group_policy(&g, policy, "{}"), &ev.of(&["PutGroupPolicy"])).await?;
        }
        for m in members {
            s.add_group_member(&member(&g, m), &ev.of(&["AddUserToGroup"])).await?;
        }
    }
    let admins = s.group(&AccountId::new_unchecked("111122223333"), "ADMINS").await?.ok_or("admins")?;
    s.put_group_policy(&group_policy(&admins, "write", r#"{"Version":"2012-10-17"}"#), &[]).await?;
    s.remove_group_member(&member(&admins, "zoe"), &ev.of(&["RemoveUserFromGroup"])).await?;
    s.delete_group_policy(&admins.account, "devs", "Read", &ev.of(&["DeleteGroupPolicy"])).await?;
    s.delete_group(&admins.account, "temp", &ev.of(&["DeleteGroup"])).await?;
    s.delete_user(&admins.account, "leaver", &ev.of(&["DeleteUser"])).await?;

    // Customer managed policies: ReadOnly with versions 2 and 3 added, its
    // default moved back to 2 and version 1 deleted; attached to users,
    // roles and groups and as boundaries (Bob's replaced, one attachment
    // ended); temp deleted with its versions and attachments; a user, a
    // role and a group deleted with their attachments.
    {
        use AttachmentTarget::{Group, Role, RoleBoundary, User, UserBoundary};
        let acct = AccountId::new_unchecked("111122223333");
        for (account, name) in
            [("444455556666", "ops"), ("111122223333", "ReadOnly"), ("111122223333", "admin"), ("111122223333", "temp")]
        {
            let p = managed_policy(account, name);
            s.insert_managed_policy(&p, &policy_version(&p, 1, "{}"), &ev.of(&["CreatePolicy"])).await?;
        }
        let ro = s.managed_policy(&acct, "readonly").await?.ok_or("ReadOnly")?;
        let ro = ManagedPolicyRecord { default_version: 2, next_version: 3, updated_at: 40, ..ro };
        let v2 = policy_version(&ro, 2, r#"{"Version":"2012-10-17"}"#);
        s.update_managed_policy(&ro, Some(&v2), &ev.of(&["CreatePolicyVersion"])).await?;
        let ro = ManagedPolicyRecord { default_version: 3, next_version: 4, updated_at: 41, ..ro };
        s.update_managed_policy(&ro, Some(&policy_version(&ro, 3, "[]")), &ev.of(&["CreatePolicyVersion"])).await?;
        let ro = ManagedPolicyRecord { default_version: 2, updated_at: 42, ..ro };
        s.update_managed_policy(&ro, None, &ev.of(&["SetDefaultPolicyVersion"])).await?;
        s.delete_policy_version(&acct, "ReadOnly", 1, &ev.of(&["DeletePolicyVersion"])).await?;
        let (gone, _) = user("111122223333", "gone", "AKIAUSERGONE");
        s.insert_user(&gone, None, &ev.of(&["CreateUser"])).await?;
        s.insert_role(&role("111122223333", "gone"), &ev.of(&["CreateRole"])).await?;
        s.insert_group(&group("111122223333", "gone"), &ev.of(&["CreateGroup"])).await?;
        let (admin, temp) = (managed_policy("111122223333", "admin"), managed_policy("111122223333", "temp"));
        let ops = managed_policy("444455556666", "ops");
        for a in [
            attachment(&ro, User, "Bob"),
            attachment(&ro, User, "zoe"),
            attachment(&ro, Role, "Deployer"),
            attachment(&ro, Group, "Admins"),
            attachment(&admin, UserBoundary, "Bob"),
            attachment(&ro, UserBoundary, "Bob"),
            attachment(&admin, RoleBoundary, "auditor"),
            attachment(&admin, Group, "devs"),
            attachment(&admin, User, "zoe"),
            attachment(&ops, Role, "ops"),
            attachment(&ops, UserBoundary, "ops"),
            attachment(&temp, User, "Bob"),
            attachment(&temp, Group, "Admins"),
            attachment(&ro, User, "gone"),
            attachment(&ro, UserBoundary, "gone"),
            attachment(&admin, Role, "gone"),
            attachment(&admin, RoleBoundary, "gone"),
            attachment(&ro, Group, "gone"),
        ] {
            s.attach_policy(&a, &ev.of(&["AttachPolicy"])).await?;
        }
        s.detach_policy(&attachment(&admin, User, "zoe"), &ev.of(&["DetachUserPolicy"])).await?;
        s.delete_managed_policy(&acct, "temp", &ev.of(&["DeletePolicy"])).await?;
        s.delete_user(&acct, "gone", &ev.of(&["DeleteUser"])).await?;
        s.delete_role(&acct, "gone", &ev.of(&["DeleteRole"])).await?;
        s.delete_group(&acct, "gone", &ev.of(&["DeleteGroup"])).await?;
    }

    // OpenID Connect providers: one updated (a client id added, tags
    // emptied), one deleted.
    for (account, url) in [
        ("444455556666", "token.actions.githubusercontent.com"),
        ("111122223333", "auth.example.com/realms/Prod"),
        ("111122223333", "accounts.google.com"),
        ("111122223333", "temp.example.com"),
    ] {
        s.insert_oidc_provider(&oidc_provider(account, url), &ev.of(&["CreateOpenIDConnectProvider"])).await?;
    }
    let mut google = oidc_provider("111122223333", "accounts.google.com");
    google.client_ids.push("added".into());
    google.tags = Vec::new();
    s.update_oidc_provider(&google, &ev.of(&["AddClientIDToOpenIDConnectProvider"])).await?;
    s.delete_oidc_provider(&google.account, "temp.example.com", &ev.of(&["DeleteOpenIDConnectProvider"])).await?;

    // Custom key stores: one renamed and connected after a failure, one
    // deleted; a key held by one.
    let mut hsm = custom_key_store(&a, 0x21, "hsm");
    for r in [&custom_key_store(&b, 0x30, "hsm"), &hsm, &custom_key_store(&c, 0x22, "temp")] {
        s.insert_custom_key_store(r, &ev.of(&["CreateCustomKeyStore"])).await?;
    }
    hsm.name = "hsm ✓ renamed".into();
    (hsm.connection_state, hsm.connection_error) = ("FAILED".into(), Some("USER_LOCKED_OUT".into()));
    s.update_custom_key_store(&hsm, &ev.of(&["UpdateCustomKeyStore"])).await?;
    (hsm.connection_state, hsm.connection_error) = ("CONNECTED".into(), None);
    s.update_custom_key_store(&hsm, &ev.of(&["ConnectCustomKeyStore"])).await?;
    s.delete_custom_key_store(&c, &cks_id(0x22), &ev.of(&["DeleteCustomKeyStore"])).await?;
    let k7 = key_in_store(&a, 7, &hsm.id);
    s.insert_key(&k7, Some(&version(&k7.id, 1)), &ev.of(&["CreateKey"])).await?;

    // Rotated twice, with automatic rotation on.
    let mut k1 = key(&a, 1);
    k1.rotation_period_days = Some(90);
    k1.next_rotation_at = Some(1_800_000_000_000);
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &ev.of(&["CreateKey"])).await?;
    for v in 2..=3 {
        k1.current_version = v;
        k1.revision += 1;
        s.add_key_version(&k1, &version(&k1.id, v), &ev.of(&["RotateKeyOnDemand"])).await?;
    }
    // Multi-Region, pending deletion.
    let mut k2 = key(&b, 2);
    k2.multi_region = true;
    k2.tags = vec![("z".into(), "last ✓".into()), ("a".into(), "\"q\"".into())];
    s.insert_key(&k2, Some(&version(&k2.id, 1)), &[]).await?;
    k2.state = KeyState::PendingDeletion;
    k2.deletion_date = Some(1_700_600_000_000);
    k2.pending_window_days = Some(7);
    k2.revision += 1;
    s.update_key(&k2, &ev.of(&["ScheduleKeyDeletion"])).await?;
    // Imported material: the first expires, is deleted (its version kept
    // without material), and other material is imported as version 2.
    let mut k3 = key(&a, 3);
    k3.origin = Origin::External;
    k3.state = KeyState::PendingImport;
    s.insert_key(&k3, None, &ev.of(&["CreateKey"])).await?;
    let mut v1 = version(&k3.id, 1);
    v1.import = Some(ImportTerms {
        expiration_model: ExpirationModel::KeyMaterialExpires,
        valid_to: Some(1_700_900_000_000),
        description: Some("hsm export ✓".into()),
    });
    k3.state = KeyState::Enabled;
    k3.next_expiry_at = Some(1_700_900_000_000);
    k3.revision += 1;
    s.put_key_versions(&k3, &[v1.clone()], &ev.of(&["ImportKeyMaterial"])).await?;
    let mut deleted = v1;
    deleted.wrapped_material.clear();
    let mut v2 = version(&k3.id, 2);
    v2.rotation_type = Some(RotationType::OnDemand);
    v2.import = Some(ImportTerms {
        expiration_model: ExpirationModel::KeyMaterialDoesNotExpire,
        valid_to: None,
        description: None,
    });
    k3.current_version = 2;
    k3.next_expiry_at = None;
    k3.revision += 1;
    s.put_key_versions(&k3, &[deleted, v2], &ev.of(&["DeleteImportedKeyMaterial", "ImportKeyMaterial"])).await?;
    // One of a third scope, and one destroyed with its alias and grant.
    let k5 = key(&c, 5);
    s.insert_key(&k5, Some(&version(&k5.id, 1)), &[]).await?;
    let k4 = key(&b, 4);
    s.insert_key(&k4, Some(&version(&k4.id, 1)), &ev.of(&["CreateKey"])).await?;
    s.insert_alias(&alias(&b, "doomed", &k4.id), &[]).await?;
    s.insert_grant(&grant(&k4, 9, Some(RETIREE)), &[]).await?;

    for (sc, name, target) in [(&a, "ext", &k3.id), (&b, "zeta", &k2.id), (&b, "app", &k2.id), (&c, "app", &k5.id)] {
        s.insert_alias(&alias(sc, name, target), &ev.of(&["CreateAlias"])).await?;
    }
    let mut app = alias(&a, "app", &k1.id);
    s.insert_alias(&app, &[]).await?;
    app.target = k3.id.clone();
    app.updated_at = 7;
    s.update_alias(&app, &ev.of(&["UpdateAlias"])).await?;

    for n in [3u32, 1, 2, 4] {
        s.insert_grant(&grant(&k1, n, (n % 2 == 0).then_some(RETIREE)), &ev.of(&["CreateGrant"])).await?;
    }
    s.insert_grant(&grant(&k2, 5, None), &[]).await?;
    s.delete_grant(&k1.scope, &k1.id, &grant(&k1, 4, None).grant_id, &ev.of(&["RetireGrant"])).await?;

    s.destroy_key(&k4, 1_700_500_000_000, &ev.of(&["DeleteKey"])).await?;

    // Multi-Region: a primary in `a` and its replica in `c`, each with an
    // alias, the replica with a grant, rotated together; two more replicas
    // destroyed with their aliases and grants, leaving tombstones of the
    // id beside its live keys.
    let mut primary = mrk(&a, 6);
    s.insert_key(&primary, Some(&version(&primary.id, 1)), &ev.of(&["CreateKey"])).await?;
    let mut in_c = replica(&primary, c.region.as_str());
    for (n, region) in [(11, "eu-central-1"), (12, "sa-east-1")] {
        let doomed = replica(&primary, region);
        s.insert_key(&doomed, None, &ev.of(&["ReplicateKey"])).await?;
        s.insert_alias(&alias(&doomed.scope, "mrk", &primary.id), &[]).await?;
        s.insert_grant(&grant(&doomed, n, Some(RETIREE)), &[]).await?;
        s.destroy_key(&doomed, 1_700_700_000_000 + i64::from(n), &ev.of(&["DeleteKey"])).await?;
    }
    s.insert_key(&in_c, None, &ev.of(&["ReplicateKey"])).await?;
    for k in [&primary, &in_c] {
        s.insert_alias(&alias(&k.scope, "mrk", &k.id), &ev.of(&["CreateAlias"])).await?;
    }
    s.insert_grant(&grant(&in_c, 10, Some(RETIREE)), &ev.of(&["CreateGrant"])).await?;
    for k in [&mut primary, &mut in_c] {
        k.current_version = 2;
        k.revision += 1;
    }
    s.update_keys(&[primary.clone(), in_c], &[version(&primary.id, 2)], &ev.of(&["RotateKeyOnDemand"])).await?;

    let records = s.append_audit((6..12).map(audit_entry).collect::<Vec<_>>()).await?;
    for (r, b) in [(&records[0], 1u8), (&records[5], 2)] {
        let cp = AuditCheckpoint {
            chain: 0,
            seq: r.seq,
            hash: r.hash,
            created_at: 1_700_000_000_000,
            signature: vec![b; 64],
            number: Some(u64::from(b)),
            prev: Some([b; HASH_LEN]),
        };
        s.insert_audit_checkpoint(&cp).await?;
    }
    Ok(())
}

/// Each list of `snap` is in its natural key order, without repeats.
fn assert_ordered(snap: &Snapshot) {
    fn check<T, K: Ord + std::fmt::Debug>(what: &str, list: &[T], key: impl Fn(&T) -> K) {
        let keys: Vec<K> = list.iter().map(key).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{what} in order: {keys:?}");
    }
    check("domain keys", &snap.domain_keys, |d| d.id);
    check("accounts", &snap.accounts, |a| a.id.as_str().to_owned());
    check("access keys", &snap.access_keys, |k| k.id.as_str().to_owned());
    check("users", &snap.users, |u| (u.account.as_str().to_owned(), u.name.clone()));
    check("user policies", &snap.user_policies, |p| {
        (p.account.as_str().to_owned(), p.user_name.clone(), p.policy_name.clone())
    });
    check("roles", &snap.roles, |r| (r.account.as_str().to_owned(), r.name.clone()));
    check("role policies", &snap.role_policies, |p| {
        (p.account.as_str().to_owned(), p.role_name.clone(), p.policy_name.clone())
    });
    check("groups", &snap.groups, |r| (r.account.as_str().to_owned(), r.name.clone()));
    check("group policies", &snap.group_policies, |p| {
        (p.account.as_str().to_owned(), p.group_name.clone(), p.policy_name.clone())
    });
    check("group members", &snap.group_members, |m| {
        (m.account.as_str().to_owned(), m.group_name.clone(), m.user_name.clone())
    });
    check("managed policies", &snap.managed_policies, |p| (p.account.as_str().to_owned(), p.name.clone()));
    check("policy versions", &snap.policy_versions, |v| {
        (v.account.as_str().to_owned(), v.policy_name.clone(), v.version)
    });
    check("policy attachments", &snap.policy_attachments, |a| {
        (a.account.as_str().to_owned(), a.policy_name.clone(), a.target, a.entity_name.clone())
    });
    check("oidc providers", &snap.oidc_providers, |p| (p.account.as_str().to_owned(), p.url.clone()));
    check("custom key stores", &snap.custom_key_stores, |r| r.id.clone());
    check("keys", &snap.keys, |k| (k.id.as_str().to_owned(), k.scope.region.as_str().to_owned()));
    check("versions", &snap.versions, |v| (v.key_id.as_str().to_owned(), v.version));
    check("aliases", &snap.aliases, |a| {
        (a.scope.account.as_str().to_owned(), a.scope.region.as_str().to_owned(), a.name.as_str().to_owned())
    });
    check("grants", &snap.grants, |g| (g.key_id.as_str().to_owned(), g.grant_id.clone()));
    check("destroyed", &snap.destroyed, |d| (d.id.as_str().to_owned(), d.scope.region.as_str().to_owned()));
    check("audit", &snap.audit, |r| r.seq);
    check("checkpoints", &snap.checkpoints, |c| c.seq);
}

/// Every read of `copy` answers as `orig`'s does, for every row of `snap`
/// (`orig`'s export).
async fn assert_same_reads(orig: &dyn Store, copy: &dyn Store, snap: &Snapshot) -> TestResult {
    assert_eq!(copy.domain_keys().await?, orig.domain_keys().await?);
    assert_eq!(copy.count_accounts().await?, orig.count_accounts().await?);
    for a in &snap.accounts {
        assert_eq!(copy.account(&a.id).await?.as_ref(), Some(a));
    }
    for k in &snap.access_keys {
        assert_eq!(copy.access_key(&k.id).await?.as_ref(), Some(k));
    }
    for u in &snap.users {
        assert_eq!(copy.user(&u.account, &u.name.to_uppercase()).await?.as_ref(), Some(u));
        assert_eq!(copy.users(&u.account).await?, orig.users(&u.account).await?);
        assert_eq!(copy.user_policies(&u.account, &u.name).await?, orig.user_policies(&u.account, &u.name).await?);
    }
    for p in &snap.user_policies {
        assert!(copy.user_policies(&p.account, &p.user_name).await?.contains(p), "{p:?}");
    }
    for r in &snap.roles {
        assert_eq!(copy.role(&r.account, &r.name.to_uppercase()).await?.as_ref(), Some(r));
        assert_eq!(copy.roles(&r.account).await?, orig.roles(&r.account).await?);
        assert_eq!(copy.role_policies(&r.account, &r.name).await?, orig.role_policies(&r.account, &r.name).await?);
    }
    for p in &snap.role_policies {
        assert!(copy.role_policies(&p.account, &p.role_name).await?.contains(p), "{p:?}");
    }
    for r in &snap.groups {
        assert_eq!(copy.group(&r.account, &r.name.to_uppercase()).await?.as_ref(), Some(r));
        assert_eq!(copy.groups(&r.account).await?, orig.groups(&r.account).await?);
        assert_eq!(copy.group_policies(&r.account, &r.name).await?, orig.group_policies(&r.account, &r.name).await?);
        assert_eq!(copy.group_members(&r.account, &r.name).await?, orig.group_members(&r.account, &r.name).await?);
    }
    for p in &snap.group_policies {
        assert!(copy.group_policies(&p.account, &p.group_name).await?.contains(p), "{p:?}");
    }
    for m in &snap.group_members {
        assert!(copy.group_members(&m.account, &m.group_name).await?.contains(&m.user_name), "{m:?}");
        let groups = copy.groups_of_user(&m.account, &m.user_name).await?;
        assert_eq!(groups, orig.groups_of_user(&m.account, &m.user_name).await?);
        assert!(groups.iter().any(|g| g.name == m.group_name), "{m:?}");
    }
    for p in &snap.managed_policies {
        assert_eq!(copy.managed_policy(&p.account, &p.name.to_uppercase()).await?.as_ref(), Some(p));
        assert_eq!(copy.managed_policies(&p.account).await?, orig.managed_policies(&p.account).await?);
        assert_eq!(copy.policy_versions(&p.account, &p.name).await?, orig.policy_versions(&p.account, &p.name).await?);
        assert_eq!(
            copy.policy_attachments(&p.account, &p.name).await?,
            orig.policy_attachments(&p.account, &p.name).await?
        );
    }
    for v in &snap.policy_versions {
        assert!(copy.policy_versions(&v.account, &v.policy_name).await?.contains(v), "{v:?}");
    }
    for a in &snap.policy_attachments {
        assert!(copy.policy_attachments(&a.account, &a.policy_name).await?.contains(a), "{a:?}");
        let attached = copy.attached_policies(&a.account, a.target, &a.entity_name).await?;
        assert_eq!(attached, orig.attached_policies(&a.account, a.target, &a.entity_name).await?);
        assert!(attached.iter().any(|p| p.policy.name == a.policy_name), "{a:?}");
    }
    for p in &snap.oidc_providers {
        assert_eq!(copy.oidc_provider(&p.account, &p.url).await?.as_ref(), Some(p));
        assert_eq!(copy.oidc_providers(&p.account).await?, orig.oidc_providers(&p.account).await?);
    }
    assert_eq!(copy.custom_key_stores(None).await?, orig.custom_key_stores(None).await?);
    for r in &snap.custom_key_stores {
        assert_eq!(copy.custom_key_store(&r.scope, &r.id).await?.as_ref(), Some(r));
        assert_eq!(copy.custom_key_stores(Some(&r.scope)).await?, orig.custom_key_stores(Some(&r.scope)).await?);
        let held = copy.custom_key_store_keys(&r.scope, &r.id).await?;
        assert_eq!(held, orig.custom_key_store_keys(&r.scope, &r.id).await?);
        let in_snap = snap.keys.iter().filter(|k| k.scope == r.scope && k.custom_key_store_id.as_ref() == Some(&r.id));
        assert_eq!(held, in_snap.count() as u64, "{r:?}");
    }
    for k in &snap.keys {
        assert_eq!(copy.key(&k.scope, &k.id).await?.as_ref(), Some(k));
        assert_eq!(copy.key_owner(&k.id, &k.scope.region).await?.as_ref(), Some(&k.scope));
        assert_eq!(
            copy.related_keys(&k.scope.account, &k.id).await?,
            orig.related_keys(&k.scope.account, &k.id).await?
        );
        assert_eq!(copy.list_keys(&k.scope, None, 100).await?, orig.list_keys(&k.scope, None, 100).await?);
        assert_eq!(copy.key_versions(&k.id, 0, 100).await?, orig.key_versions(&k.id, 0, 100).await?);
        assert_eq!(copy.grants(&k.scope, &k.id, None, 100).await?, orig.grants(&k.scope, &k.id, None, 100).await?);
        assert_eq!(
            copy.list_aliases(&k.scope, Some(&k.id), None, 100).await?,
            orig.list_aliases(&k.scope, Some(&k.id), None, 100).await?
        );
    }
    for v in &snap.versions {
        assert_eq!(copy.key_version(&v.key_id, v.version).await?.as_ref(), Some(v));
    }
    for a in &snap.aliases {
        assert_eq!(copy.alias(&a.scope, &a.name).await?.as_ref(), Some(a));
    }
    for d in &snap.destroyed {
        assert!(copy.key_destroyed(&d.scope, &d.id).await?);
        assert_eq!(copy.key(&d.scope, &d.id).await?, None);
    }
    assert_eq!(copy.retirable_grants(RETIREE, None, 100).await?, orig.retirable_grants(RETIREE, None, 100).await?);
    assert_eq!(copy.due_keys(i64::MAX, 100).await?, orig.due_keys(i64::MAX, 100).await?);
    assert_eq!(whole_trail(copy).await?, whole_trail(orig).await?);
    assert_eq!(copy.audit_head().await?, orig.audit_head().await?);
    assert_eq!(copy.audit_checkpoints().await?, orig.audit_checkpoints().await?);
    use LookupAttribute::*;
    for attribute in [
        None,
        Some(ResourceName(ARN_A.into())),
        Some(ResourceName(KEY_A.into())),
        Some(ResourceType(KEY_RESOURCE_TYPE.into())),
        Some(EventName("CreateGrant".into())),
        Some(ReadOnly(false)),
    ] {
        let q = AuditQuery { attribute, limit: 1000, ..Default::default() };
        let found = orig.lookup_audit(&q).await?;
        assert!(!found.is_empty(), "{q:?} selects something");
        assert_eq!(copy.lookup_audit(&q).await?, found, "{q:?}");
    }
    Ok(())
}

/// More empty stores of the backend under test.
trait Fresh: AsyncFn() -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {}
impl<F: AsyncFn() -> Result<Arc<dyn Store>, Box<dyn std::error::Error>>> Fresh for F {}

/// Export, import into a fresh store, export again: the same snapshot,
/// the same answers to reads, and the trail goes on from the imported head.
async fn export_import_round_trips(s: Arc<dyn Store>, fresh: impl Fresh) -> TestResult {
    assert_eq!(s.export().await?, Snapshot::default(), "an empty store exports nothing");
    fill(&*s).await?;
    let snap = s.export().await?;
    assert_ordered(&snap);
    assert_eq!(
        [snap.domain_keys.len(), snap.accounts.len(), snap.access_keys.len(), snap.keys.len(), snap.versions.len()],
        [2, 3, 6, 7, 10]
    );
    assert_eq!([snap.users.len(), snap.user_policies.len()], [3, 5]);
    let tag_counts: Vec<usize> = snap.users.iter().map(|u| u.tags.len()).collect();
    assert_eq!(tag_counts, [2, 1, 0], "users' tags (Bob's replaced, ops' emptied)");
    assert_eq!([snap.roles.len(), snap.role_policies.len()], [3, 5]);
    assert_eq!([snap.groups.len(), snap.group_policies.len(), snap.group_members.len()], [3, 5, 3]);
    let names: Vec<&str> = snap.groups.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Admins", "devs", "ops"]);
    let members: Vec<(&str, &str)> =
        snap.group_members.iter().map(|m| (m.group_name.as_str(), m.user_name.as_str())).collect();
    assert_eq!(members, [("Admins", "Bob"), ("devs", "zoe"), ("ops", "ops")], "zoe left Admins, leaver deleted");
    assert_eq!([snap.managed_policies.len(), snap.policy_versions.len(), snap.policy_attachments.len()], [3, 4, 9]);
    let names: Vec<&str> = snap.managed_policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ReadOnly", "admin", "ops"], "temp deleted");
    assert_eq!((snap.managed_policies[0].default_version, snap.managed_policies[0].next_version), (2, 4));
    let versions: Vec<(&str, u32)> = snap.policy_versions.iter().map(|v| (v.policy_name.as_str(), v.version)).collect();
    assert_eq!(versions, [("ReadOnly", 2), ("ReadOnly", 3), ("admin", 1), ("ops", 1)]);
    let attachments: Vec<(&str, &str, &str)> = snap
        .policy_attachments
        .iter()
        .map(|a| (a.policy_name.as_str(), a.target.as_str(), a.entity_name.as_str()))
        .collect();
    assert_eq!(
        attachments,
        [
            ("ReadOnly", "user", "Bob"),
            ("ReadOnly", "user", "zoe"),
            ("ReadOnly", "role", "Deployer"),
            ("ReadOnly", "group", "Admins"),
            ("ReadOnly", "user-boundary", "Bob"),
            ("admin", "group", "devs"),
            ("admin", "role-boundary", "auditor"),
            ("ops", "role", "ops"),
            ("ops", "user-boundary", "ops"),
        ],
        "by target as AttachmentTarget orders them; Bob's boundary replaced, zoe's admin detached, gone's deleted"
    );
    let names: Vec<&str> = snap.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Deployer", "auditor", "ops"]);
    let providers: Vec<(&str, &str, usize, usize)> = snap
        .oidc_providers
        .iter()
        .map(|p| (p.account.as_str(), p.url.as_str(), p.client_ids.len(), p.tags.len()))
        .collect();
    assert_eq!(
        providers,
        [
            ("111122223333", "accounts.google.com", 3, 0),
            ("111122223333", "auth.example.com/realms/Prod", 2, 2),
            ("444455556666", "token.actions.githubusercontent.com", 2, 2),
        ],
        "by account and URL; the updated one, temp deleted"
    );
    let stores: Vec<(&str, &str, &str, &str, Option<&str>)> = snap
        .custom_key_stores
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.scope.account.as_str(),
                r.name.as_str(),
                r.connection_state.as_str(),
                r.connection_error.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        stores,
        [
            ("cks-00000000000000021", "111122223333", "hsm ✓ renamed", "CONNECTED", None),
            ("cks-00000000000000030", "444455556666", "hsm", "CONNECTED", None),
        ],
        "by id; the updated one, temp deleted"
    );
    let held: Vec<(&str, &str)> =
        snap.keys.iter().filter_map(|k| Some((k.id.as_str(), k.custom_key_store_id.as_deref()?))).collect();
    assert_eq!(held, [(key_id(7).as_str(), "cks-00000000000000021")], "the key of a key store");
    assert_eq!(
        (snap.roles[0].description.as_deref(), snap.roles[0].max_session_duration, snap.roles[0].tags.len()),
        (None, 43_200, 1),
        "the updated role"
    );
    assert_eq!([snap.aliases.len(), snap.grants.len(), snap.destroyed.len(), snap.checkpoints.len()], [7, 5, 3, 2]);
    // The related keys of the multi-Region key, and the tombstones of its
    // destroyed replicas, one per Region.
    let related = |id: &KeyId| snap.keys.iter().filter(|k| &k.id == id).count();
    assert_eq!(related(&mrk_id(6)), 2);
    assert_eq!(snap.destroyed.iter().filter(|d| d.id == mrk_id(6)).count(), 2);
    assert!(snap.versions.iter().any(|v| !v.has_material() && v.import.is_some()), "deleted imported material");
    assert_chains(&snap.audit);
    assert_eq!(s.audit_head().await?, snap.audit.last().map(|r| (r.seq, r.hash)));
    assert_eq!(snap.audit, whole_trail(&*s).await?);

    let copy = fresh().await?;
    copy.import(&snap).await?;
    assert_eq!(copy.export().await?, snap);
    assert_same_reads(&*s, &*copy, &snap).await?;

    // The imported trail goes on from its head, on appends and on changes,
    // exactly as the source's does.
    let (seq, hash) = copy.audit_head().await?.ok_or("an imported trail has a head")?;
    let next = copy.append_audit(vec![audit_entry(77)]).await?;
    assert_eq!((next[0].seq, next[0].prev_hash), (seq + 1, hash));
    let k = &snap.keys[0];
    let mut changed = k.clone();
    changed.description = "after the import".into();
    changed.revision += 1;
    copy.update_key(&changed, &[change_event("UpdateKey", 78)]).await?;
    assert_eq!(copy.audit_head().await?.map(|h| h.0), Some(seq + 2));
    let trail = whole_trail(&*copy).await?;
    assert_chains(&trail);
    s.append_audit(vec![audit_entry(77)]).await?;
    s.update_key(&changed, &[change_event("UpdateKey", 78)]).await?;
    assert_eq!(whole_trail(&*s).await?, trail);
    assert_eq!(copy.export().await?, s.export().await?);

    // An empty snapshot leaves an empty store empty, and importable.
    let empty = fresh().await?;
    empty.import(&Snapshot::default()).await?;
    assert_eq!(empty.export().await?, Snapshot::default());
    empty.import(&snap).await?;
    assert_eq!(empty.export().await?, snap);
    Ok(())
}

/// A store holding a domain key, an account or a key refuses an import,
/// and keeps what it held.
async fn import_refuses_a_store_holding_data(s: Arc<dyn Store>, fresh: impl Fresh) -> TestResult {
    fill(&*s).await?;
    let snap = s.export().await?;
    assert!(matches!(s.import(&snap).await, Err(StoreError::Conflict)));
    assert_eq!(s.export().await?, snap);

    let a = scope("111122223333", "us-east-1");
    let with_domain_key = fresh().await?;
    with_domain_key.insert_domain_key(&DomainKeyRecord { id: 9, wrapped: vec![9], created_at: 9 }).await?;
    let with_account = fresh().await?;
    let (acct, ak) = account("999988887777", "AKIAZ");
    with_account.insert_account(&acct, &ak, &[change_event("CreateAccount", 1)]).await?;
    let with_key = fresh().await?;
    let k = key(&a, 42);
    with_key.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    for (what, t) in [("domain key", with_domain_key), ("account", with_account), ("key", with_key)] {
        let before = t.export().await?;
        assert!(matches!(t.import(&snap).await, Err(StoreError::Conflict)), "a store with a {what}");
        assert_eq!(t.export().await?, before, "a store with a {what} is unchanged");
        assert_eq!(t.audit_head().await?, before.audit.last().map(|r| (r.seq, r.hash)));
    }
    Ok(())
}

/// Exports taken while a writer changes a key (each change with its event)
/// and an appender appends events alone are each one instant of the store:
/// the trail is one chain from seq 1 to its head, and the key's revision,
/// versions and last change agree with the events in it.
async fn export_is_one_snapshot_while_writers_go_on(s: Arc<dyn Store>) -> TestResult {
    use std::sync::atomic::{AtomicBool, Ordering};
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    // The event of the change to revision `r`.
    let event = |r: u64| change_event("Change", 100_000 + u32::try_from(r).unwrap_or(u32::MAX));
    // Both go on until the exports are done (at a pace that lets every
    // backend's exports overlap many commits, and bounded).
    const MAX_CHANGES: u64 = 2000;
    let pause = tokio::task::yield_now;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (s, a, id, stop) = (Arc::clone(&s), a.clone(), k.id.clone(), Arc::clone(&stop));
        async move {
            for _ in 0..MAX_CHANGES {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let mut next = s.key(&a, &id).await?.ok_or(StoreError::NotFound)?;
                next.revision += 1;
                next.description = format!("revision {}", next.revision);
                if next.revision % 4 == 0 {
                    next.current_version += 1;
                    s.add_key_version(&next, &version(&id, next.current_version), &[event(next.revision)]).await?;
                } else {
                    s.update_key(&next, &[event(next.revision)]).await?;
                }
                pause().await;
            }
            Ok::<_, StoreError>(())
        }
    });
    let appender = tokio::spawn({
        let (s, stop) = (Arc::clone(&s), Arc::clone(&stop));
        async move {
            for n in 0..MAX_CHANGES as u32 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                s.append_audit(vec![audit_entry(2 * n), audit_entry(2 * n + 1)]).await?;
                pause().await;
            }
            Ok::<_, StoreError>(())
        }
    });

    let mut heads = std::collections::BTreeSet::new();
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        let snap = s.export().await?;
        assert_chains(&snap.audit);
        let head = snap.audit.last().map_or(0, |r| r.seq);
        assert_eq!(snap.audit.len() as u64, head, "every record up to the head");
        let [key] = &snap.keys[..] else { panic!("one key: {:?}", snap.keys) };
        let changes: Vec<&AuditEntry> =
            snap.audit.iter().map(|r| &r.entry).filter(|e| e.event_name == "Change").collect();
        assert_eq!(key.revision, 1 + changes.len() as u64, "a change and its event are seen together");
        assert_eq!(changes.last().copied(), (key.revision > 1).then(|| event(key.revision)).as_ref());
        assert_eq!(
            key.description,
            if key.revision > 1 { format!("revision {}", key.revision) } else { k.description.clone() }
        );
        assert_eq!(snap.versions, (1..=key.current_version).map(|v| version(&k.id, v)).collect::<Vec<_>>());
        heads.insert(head);
    }
    stop.store(true, Ordering::Relaxed);
    writer.await??;
    appender.await??;
    assert!(heads.len() > 1, "the exports ran while the trail grew: {heads:?}");
    Ok(())
}

/// A snapshot with more rows a table than one statement of a batched
/// import writes (made quickly in memory) round-trips whole.
async fn large_snapshot_round_trips(s: Arc<dyn Store>) -> TestResult {
    const N: u32 = 1001;
    let src = InMemoryStore::new();
    let a = scope("111122223333", "us-east-1");
    for n in 1..=N {
        let k = key(&a, n);
        src.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
    }
    for n in 1..=N {
        src.insert_grant(&grant(&key(&a, 1), n, Some(RETIREE)), &[]).await?;
    }
    src.append_audit((0..2 * N + 100).map(audit_entry).collect::<Vec<_>>()).await?;
    let snap = src.export().await?;
    s.import(&snap).await?;
    assert_eq!(s.export().await?, snap);
    assert_eq!(s.audit_head().await?, src.audit_head().await?);
    let q =
        AuditQuery { attribute: Some(LookupAttribute::ResourceName(KEY_A.into())), limit: 5000, ..Default::default() };
    assert_eq!(s.lookup_audit(&q).await?, src.lookup_audit(&q).await?);
    Ok(())
}

/// An import that fails part way (here at the audit trail, written after
/// every other table: a record given twice) leaves the store as empty as
/// it was, and a good import then succeeds. SQL backends only: the
/// in-memory store takes the trail as given.
async fn failed_import_leaves_the_store_empty(s: Arc<dyn Store>) -> TestResult {
    let src = InMemoryStore::new();
    fill(&src).await?;
    let mut snap = src.export().await?;
    let twice = snap.audit.last().cloned().ok_or("a trail")?;
    snap.audit.push(twice);
    assert!(s.import(&snap).await.is_err());
    assert_eq!(s.export().await?, Snapshot::default());
    snap.audit.pop();
    s.import(&snap).await?;
    assert_eq!(s.export().await?, snap);
    Ok(())
}

macro_rules! conformance {
    ($backend:ident, $factory:ident) => {
        mod $backend {
            use super::*;
            conformance!(@tests $factory;
                domain_keys_round_trip,
                accounts_and_access_keys,
                users_and_their_policies,
                access_keys_come_and_go,
                keys_are_scoped_and_round_trip,
                list_keys_paginates_in_id_order,
                update_key_checks_the_revision,
                concurrent_updates_exactly_one_wins,
                aliases_round_trip_and_are_scoped,
                list_aliases_filters_and_paginates,
                concurrent_alias_creation_exactly_one_wins,
                versions_are_added_atomically_with_the_key,
                due_keys_are_found_across_scopes,
                destroying_a_key_leaves_only_a_tombstone,
                imported_material_comes_and_goes,
                grants_round_trip_paginate_and_die_with_their_key,
                audit_trail_chains_and_reads_back,
                audit_lookup_agrees_with_the_reference,
                usage_agrees_with_the_reference,
                key_lifetimes_of_stored_and_destroyed_keys,
                concurrent_audit_appends_form_one_chain,
                audit_checkpoints_keep_the_first,
                audit_retention_prunes_up_to_an_anchor,
                reads_racing_writes_end_on_the_last_write,
                user_reads_racing_policy_writes_end_on_the_last_write,
                user_reads_racing_tag_writes_end_on_the_last_write,
                roles_and_their_policies,
                role_changes_append_their_events_to_the_chain,
                role_reads_racing_writes_end_on_the_last_write,
                groups_their_policies_and_members,
                group_changes_append_their_events_to_the_chain,
                group_reads_racing_writes_end_on_the_last_write,
                managed_policies_their_versions_and_attachments,
                managed_policy_changes_append_their_events_to_the_chain,
                attached_policy_reads_racing_writes_end_on_the_last_write,
                oidc_providers_round_trip,
                oidc_provider_changes_append_their_events_to_the_chain,
                custom_key_stores_round_trip,
                keys_of_custom_key_stores_are_counted,
                custom_key_store_changes_append_their_events_to_the_chain,
                changes_append_their_events_to_the_chain,
                failed_changes_store_no_event,
                changes_and_appends_at_once_form_one_chain,
                export_is_one_snapshot_while_writers_go_on,
                large_snapshot_round_trips,
                related_keys_share_an_id_one_per_region,
                remote_regions_are_stored_and_updated,
                update_keys_is_atomic,
                grants_are_per_region,
                destroying_one_related_key_keeps_the_shared_versions,
                concurrent_destruction_of_related_keys_deletes_the_versions,
            );
            conformance!(@fresh_tests $factory;
                export_import_round_trips,
                import_refuses_a_store_holding_data,
            );
        }
    };
    (@tests $factory:ident; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() -> TestResult {
                let Some((store, _guard)) = super::$factory().await? else {
                    return Ok(());
                };
                super::$name(store).await
            }
        )+
    };
    // Tests that also take more empty stores of the backend, each kept
    // (with its directory) until the test ends.
    (@fresh_tests $factory:ident; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() -> TestResult {
                let Some((store, _guard)) = super::$factory().await? else {
                    return Ok(());
                };
                let guards = std::sync::Mutex::new(Vec::new());
                let fresh = async || -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
                    let (store, guard) = super::$factory().await?.ok_or("the backend went away")?;
                    guards.lock().unwrap().push(guard);
                    Ok(store)
                };
                super::$name(store, fresh).await
            }
        )+
    };
}

/// `store` with a row guard ([`Store::protect_rows`]) under a fixed test
/// key, as a deployment installs its own when it opens.
async fn guarded<S: Store>(store: S) -> Result<S, StoreError> {
    store.protect_rows(Arc::new(trent_core::integrity::RowGuard::for_tests())).await?;
    Ok(store)
}

type Factory<G> = Result<Option<(Arc<dyn Store>, G)>, Box<dyn std::error::Error>>;

async fn memory() -> Factory<()> {
    Ok(Some((Arc::new(InMemoryStore::new()), ())))
}

async fn sqlite() -> Factory<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let store = guarded(SqliteStore::open(&dir.path().join("trent.db"))?).await?;
    Ok(Some((Arc::new(store), dir)))
}

/// SQLite as the server opens it: group commits append to the audit log
/// file, and every read and change of the trail moves them in first.
async fn sqlite_served() -> Factory<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let store = guarded(SqliteStore::open_served(&dir.path().join("trent.db"))?).await?;
    Ok(Some((Arc::new(store), dir)))
}

/// The environment variable `.ci/run` sets to a fresh PostgreSQL database.
const POSTGRES_URL_VAR: &str = "TRENT_TEST_POSTGRES_URL";

/// Says, where the user sees it, that a PostgreSQL test was skipped: a line
/// on stderr, and a line in the file `TRENT_TEST_SKIP_LOG` names (set by
/// `./scripts/test`, which counts them in its summary; cargo shows a passing
/// test's stderr only with `--nocapture`).
fn note_postgres_skip() {
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!("SKIPPED {test}: {POSTGRES_URL_VAR} is not set (PostgreSQL test)");
    if let Ok(path) = std::env::var("TRENT_TEST_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{test}");
        }
    }
}

/// A URL of a fresh schema of its own in the database named by
/// [`POSTGRES_URL_VAR`]. Without the variable the PostgreSQL runs are
/// skipped (with a note); with it, an unreachable database fails them.
async fn postgres_url() -> Result<Option<String>, Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        note_postgres_skip();
        return Ok(None);
    };
    let schema = format!("conformance_{}", uuid::Uuid::new_v4().simple());
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).await?;
    drop(client);
    let _ = task.await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(Some(format!("{url}{sep}options=-c%20search_path%3D{schema}")))
}

/// A PostgreSQL store in a schema of its own ([`postgres_url`]).
async fn postgres() -> Factory<()> {
    let Some(url) = postgres_url().await? else {
        return Ok(None);
    };
    let store = guarded(PostgresStore::connect(&url).await?).await?;
    Ok(Some((Arc::new(store), ())))
}

conformance!(in_memory, memory);
conformance!(sqlite_file, sqlite);
conformance!(sqlite_served, sqlite_served);
conformance!(postgresql, postgres);

/// The session (transaction) advisory lock keys of `trent_store::postgres`:
/// `hashtext(CLASS || current_schema())` and the chain.
const APPEND_LOCK: &str = "trent-audit-append:";

/// PostgreSQL only: two nodes (two pools on one database) appending at
/// once each form a chain of their own, and no node waits on a lock the
/// other holds: every advisory lock an appender of one node waited for,
/// sampled from `pg_locks` during the run, is its own chain's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_nodes_append_to_chains_of_their_own() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let node = async |name: &str| -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
        let url = format!("{url}&application_name={name}");
        let store: Arc<dyn Store> = Arc::new(guarded(PostgresStore::connect(&url).await?).await?);
        Ok(store)
    };
    let (a, b) = (node("trent_node_a").await?, node("trent_node_b").await?);
    let (chain_a, chain_b) = (a.audit_chain().await?, b.audit_chain().await?);
    assert_ne!(chain_a, chain_b);
    // Sample the advisory locks waited for while both nodes append.
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = tokio::spawn({
        let done = Arc::clone(&done);
        async move {
            let (mut samples, mut waits) = (0u64, Vec::new());
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let rows = client
                    .query(
                        "SELECT a.application_name, l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a \
                         ON a.pid = l.pid WHERE l.locktype = 'advisory' AND NOT l.granted \
                         AND l.classid::int = hashtext($1 || current_schema())",
                        &[&APPEND_LOCK],
                    )
                    .await?;
                samples += 1;
                for r in rows {
                    waits.push((r.try_get::<_, String>(0)?, r.try_get::<_, i64>(1)?));
                }
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            Ok::<_, tokio_postgres::Error>((samples, waits))
        }
    });
    appends_form_one_chain(&[Arc::clone(&a), Arc::clone(&b)]).await?;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (samples, waits) = sampler.await??;
    assert!(samples > 0);
    for (app, objid) in &waits {
        let own = if app == "trent_node_a" { chain_a } else { chain_b };
        assert_eq!(*objid, i64::from(own), "{app} waited on another node's chain lock");
    }
    println!(
        "pg_locks sampled {samples} times: {} waits for append locks, each on the waiter's own chain",
        waits.len()
    );
    Ok(())
}

/// In-memory store: [`InMemoryStore::set_audit_failing`] makes the trail
/// unwritable.
#[tokio::test]
async fn in_memory_unwritable_audit_refuses_changes() -> TestResult {
    let store = Arc::new(InMemoryStore::new());
    let s: Arc<dyn Store> = store.clone();
    unwritable_audit_refuses_changes(s, async |failing| {
        store.set_audit_failing(failing);
        Ok(())
    })
    .await
}

/// SQLite: a trigger (made by another connection to the file) makes
/// inserting audit events fail, so each change must roll back with them.
#[tokio::test]
async fn sqlite_unwritable_audit_rolls_back_changes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("trent.db");
    let s: Arc<dyn Store> = Arc::new(guarded(SqliteStore::open(&path)?).await?);
    let other = rusqlite::Connection::open(&path)?;
    unwritable_audit_refuses_changes(s, async |failing| {
        other.execute_batch(if failing {
            "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit storage unwritable (test)'); END"
        } else {
            "DROP TRIGGER audit_unwritable"
        })?;
        Ok(())
    })
    .await
}

/// PostgreSQL: as [`sqlite_unwritable_audit_rolls_back_changes`].
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_unwritable_audit_rolls_back_changes() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let s: Arc<dyn Store> = Arc::new(guarded(PostgresStore::connect(&url).await?).await?);
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute(
            "CREATE FUNCTION audit_unwritable() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit storage unwritable (test)'; END $$",
        )
        .await?;
    unwritable_audit_refuses_changes(s, async |failing| {
        client
            .batch_execute(if failing {
                "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit_events \
                 FOR EACH STATEMENT EXECUTE FUNCTION audit_unwritable()"
            } else {
                "DROP TRIGGER audit_unwritable ON audit_events"
            })
            .await?;
        Ok(())
    })
    .await
}

/// PostgreSQL only: a change without events takes no audit lock (it
/// completes while another session holds its chain's append lock); one
/// with events waits for it, as appenders do; another node, appending to a
/// chain of its own, does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_changes_without_events_take_no_audit_lock() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let s = Arc::new(guarded(PostgresStore::connect(&url).await?).await?);
    let other = guarded(PostgresStore::connect(&url).await?).await?;
    let chain = i32::try_from(s.audit_chain().await?)?;
    assert_ne!(other.audit_chain().await?, s.audit_chain().await?);
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;

    let (mut client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let holder = client.transaction().await?;
    holder
        .execute("SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()), $2)", &[&APPEND_LOCK, &chain])
        .await?;

    let mut next = k.clone();
    next.revision = 2;
    tokio::time::timeout(std::time::Duration::from_secs(10), s.update_key(&next, &[])).await??;
    let ten = std::time::Duration::from_secs(10);
    tokio::time::timeout(ten, other.append_audit(vec![audit_entry(7)])).await??;
    next.revision = 3;
    let with_event = tokio::spawn({
        let (s, next) = (Arc::clone(&s), next.clone());
        async move { s.update_key(&next, &[change_event("UpdateKey", 1)]).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!with_event.is_finished(), "a change with events waits for its chain's append lock");
    holder.commit().await?;
    with_event.await??;
    assert_eq!(s.key(&a, &k.id).await?.map(|k| k.revision), Some(3));
    assert_chains(&whole_trail(&*s).await?);
    assert_eq!(s.audit_head().await?.map(|(seq, _)| seq), Some(1));
    Ok(())
}

/// A PostgreSQL deployment's trail as a backup holds it: chain 0 (seqs 1,
/// 3, 6: seq 5 went to an append that failed) and chain 2 (seqs 2, 4), and
/// a checkpoint of chain 2.
fn trail_of_two_chains() -> Snapshot {
    let zero = chain_on(0, None, vec![audit_entry(1), audit_entry(2), audit_entry(3)], [1, 3, 6]);
    let two = chain_on(2, None, vec![audit_entry(4), audit_entry(5)], [2, 4]);
    let mut audit: Vec<AuditRecord> = zero.into_iter().chain(two).collect();
    audit.sort_by_key(|r| r.seq);
    let checkpoints = vec![AuditCheckpoint {
        chain: 2,
        seq: 2,
        hash: audit[3].hash,
        created_at: 5,
        signature: vec![4],
        number: Some(1),
        prev: Some([0; HASH_LEN]),
    }];
    Snapshot { audit, checkpoints, ..Snapshot::default() }
}

/// SQLite and memory keep one chain: a backup with several restores only
/// to PostgreSQL (refused, nothing written); one chain whose seqs have gaps
/// restores with its seqs renumbered to its positions.
#[tokio::test]
async fn single_chain_stores_refuse_several_chains() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite: Arc<dyn Store> = Arc::new(guarded(SqliteStore::open(&dir.path().join("trent.db"))?).await?);
    let memory: Arc<dyn Store> = Arc::new(InMemoryStore::new());
    let snap = trail_of_two_chains();
    for s in [&sqlite, &memory] {
        let e = s.import(&snap).await.unwrap_err();
        assert!(e.to_string().contains("restore it to PostgreSQL"), "{e}");
        assert!(s.audit_records(0, 10).await?.is_empty());
    }
    let mut one = snap.clone();
    one.audit.retain(|r| r.chain == 0);
    one.checkpoints.clear();
    for s in [&sqlite, &memory] {
        s.import(&one).await?;
        let trail = whole_trail(&**s).await?;
        assert_eq!(trail.iter().map(|r| (r.seq, r.position)).collect::<Vec<_>>(), [(1, 1), (2, 2), (3, 3)]);
        assert_chains(&trail);
        let next = s.append_audit(vec![audit_entry(9)]).await?;
        assert_eq!((next[0].seq, next[0].position, next[0].prev_hash), (4, 4, trail[2].hash));
    }
    Ok(())
}

/// PostgreSQL: a backup of several chains restores as it was, each chain
/// goes on from its head, and the sequence after the highest seq.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_restores_several_chains() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let s = guarded(PostgresStore::connect(&url).await?).await?;
    let snap = trail_of_two_chains();
    s.import(&snap).await?;
    assert_eq!(s.export().await?, snap);
    assert_eq!(s.audit_chains().await?, [0, 2]);
    let all = AuditQuery { limit: 10, ..AuditQuery::default() };
    let found: Vec<u64> = s.lookup_audit(&all).await?.iter().map(|r| r.seq).collect();
    assert_eq!(found, [6, 4, 3, 2, 1], "indexed by the import, newest first");
    // This node takes chain 0 (free) and goes on from its head.
    assert_eq!(s.audit_chain().await?, 0);
    let next = s.append_audit(vec![audit_entry(9)]).await?;
    assert_eq!((next[0].seq, next[0].position, next[0].prev_hash), (7, 4, snap.audit[4].hash));
    let mut trail = whole_trail(&s).await?;
    assert_chains(&trail);
    trail.retain(|r| r.chain == 2);
    assert_eq!(s.audit_chain_records(2, 0, 10).await?, trail);
    Ok(())
}

/// SQLite as served: the events of group commits, durable in the audit log
/// file and not yet moved into the database when the server stopped, come
/// into the database at the next served open (not before: another process
/// opening the database reads it alone), and the chain goes on after them.
#[tokio::test]
async fn sqlite_served_log_survives_reopen() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("trent.db");
    let first = {
        let s = guarded(SqliteStore::open_served(&path)?).await?;
        let mut written = s.append_audit(vec![audit_entry(1), audit_entry(2)]).await?;
        // A change moves them in, and chains its own event after them.
        let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
        s.insert_account(&acct, &ak, &[change_event("CreateAccount", 3)]).await?;
        written.extend(s.append_audit(vec![audit_entry(4)]).await?);
        written.extend(s.append_audit(vec![audit_entry(5), audit_entry(6)]).await?);
        written
    };
    assert_eq!(first.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 4, 5, 6]);
    let plain = SqliteStore::open(&path)?;
    assert_eq!(plain.audit_head().await?.map(|h| h.0), Some(3), "the database alone ends at the change");
    drop(plain);
    let s = guarded(SqliteStore::open_served(&path)?).await?;
    let records = s.audit_records(0, 100).await?;
    assert_chains(&records);
    assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    for r in &first {
        assert_eq!(records.iter().find(|x| x.seq == r.seq), Some(r));
    }
    let next = s.append_audit(vec![audit_entry(7)]).await?;
    assert_eq!((next[0].seq, next[0].prev_hash), (7, records[5].hash));
    // Lookups and the indexer see them too.
    assert_eq!(s.lookup_audit(&AuditQuery { limit: 100, ..Default::default() }).await?.len(), 7);
    assert_eq!(s.index_audit(1000).await?, 7);
    Ok(())
}

/// SQLite only: everything written is there after reopening the file.
#[tokio::test]
async fn sqlite_state_survives_reopen() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("trent.db");
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    let al = alias(&a, "kept", &k.id);
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    let dk = DomainKeyRecord { id: 1, wrapped: vec![9; 40], created_at: 3 };
    let provider = oidc_provider("111122223333", "token.actions.githubusercontent.com");
    let hsm = custom_key_store(&a, 1, "hsm");
    let held = key_in_store(&a, 2, &hsm.id);
    {
        let s = guarded(SqliteStore::open(&path)?).await?;
        s.insert_domain_key(&dk).await?;
        s.insert_account(&acct, &ak, &[]).await?;
        s.insert_oidc_provider(&provider, &[]).await?;
        s.insert_custom_key_store(&hsm, &[]).await?;
        s.insert_key(&held, None, &[]).await?;
        s.insert_key(&k, Some(&version(&k.id, 1)), &[]).await?;
        s.insert_alias(&al, &[]).await?;
        s.append_audit(vec![audit_entry(1), audit_entry(2)]).await?;
        s.insert_audit_checkpoint(&AuditCheckpoint {
            chain: 0,
            seq: 2,
            hash: [1; HASH_LEN],
            created_at: 3,
            signature: vec![4],
            number: Some(1),
            prev: Some([0; HASH_LEN]),
        })
        .await?;
    }
    let s = guarded(SqliteStore::open(&path)?).await?;
    assert_eq!(s.domain_keys().await?, vec![dk]);
    assert_eq!(s.access_key(&ak.id).await?, Some(ak));
    assert_eq!(s.key(&a, &k.id).await?, Some(k.clone()));
    assert_eq!(s.key_version(&k.id, 1).await?, Some(version(&k.id, 1)));
    assert_eq!(s.alias(&a, &al.name).await?, Some(al));
    assert_eq!(s.oidc_provider(&acct.id, &provider.url).await?, Some(provider.clone()));
    assert_eq!(s.oidc_providers(&acct.id).await?, vec![provider]);
    assert_eq!(s.custom_key_store(&a, &hsm.id).await?, Some(hsm.clone()));
    assert_eq!(s.custom_key_stores(None).await?, vec![hsm.clone()]);
    assert_eq!(s.key(&a, &held.id).await?, Some(held));
    assert_eq!(s.custom_key_store_keys(&a, &hsm.id).await?, 1);
    let trail = s.audit_records(0, 10).await?;
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), vec![audit_entry(1), audit_entry(2)]);
    assert_chains(&trail);
    assert_eq!(s.audit_checkpoints().await?.len(), 1);
    Ok(())
}

/// SQLite only: a destroyed key's wrapped material is gone from the
/// database file and the WAL (secure_delete + checkpoint), not just unlinked.
#[tokio::test]
async fn sqlite_destroyed_material_leaves_no_bytes_on_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("trent.db");
    let s = guarded(SqliteStore::open(&path)?).await?;
    let a = scope("111122223333", "us-east-1");
    let k = key(&a, 1);
    let mut v = version(&k.id, 1);
    let marker = b"WRAPPED-MATERIAL-MARKER-0123456789abcdef".to_vec();
    v.wrapped_material = marker.clone();
    s.insert_key(&k, Some(&v), &[]).await?;
    let on_disk = |needle: &[u8]| -> Result<bool, std::io::Error> {
        for entry in std::fs::read_dir(dir.path())? {
            let bytes = std::fs::read(entry?.path())?;
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    assert!(on_disk(&marker)?, "the marker is written before destruction");
    s.destroy_key(&k, 5, &[]).await?;
    assert!(!on_disk(&marker)?, "no copy of the wrapped material remains");
    Ok(())
}

/// SQLite only: imported material deleted by replacing its version row
/// leaves no copy in the database file or the WAL either.
#[tokio::test]
async fn sqlite_deleted_imported_material_leaves_no_bytes_on_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let s = guarded(SqliteStore::open(&dir.path().join("trent.db"))?).await?;
    let a = scope("111122223333", "us-east-1");
    let mut k = key(&a, 1);
    k.origin = Origin::External;
    let marker = b"IMPORTED-MATERIAL-MARKER-0123456789abcdef".to_vec();
    let mut v = version(&k.id, 1);
    v.wrapped_material = marker.clone();
    s.insert_key(&k, Some(&v), &[]).await?;
    let on_disk = |needle: &[u8]| -> Result<bool, std::io::Error> {
        for entry in std::fs::read_dir(dir.path())? {
            let bytes = std::fs::read(entry?.path())?;
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    assert!(on_disk(&marker)?);
    v.wrapped_material.clear();
    k.state = KeyState::PendingImport;
    k.revision += 1;
    s.put_key_versions(&k, &[v], &[]).await?;
    assert!(!on_disk(&marker)?, "no copy of the deleted material remains");
    Ok(())
}

/// The migration path: a SQLite store's snapshot imported into
/// PostgreSQL (when [`POSTGRES_URL_VAR`] is set) and into memory holds the
/// same rows and answers reads alike; and back into a new SQLite file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_snapshot_moves_to_postgresql_and_memory() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite: Arc<dyn Store> = Arc::new(guarded(SqliteStore::open(&dir.path().join("trent.db"))?).await?);
    fill(&*sqlite).await?;
    let snap = sqlite.export().await?;
    let mut targets: Vec<(&str, Arc<dyn Store>)> = vec![("memory", Arc::new(InMemoryStore::new()))];
    if let Some(url) = postgres_url().await? {
        targets.push(("postgresql", Arc::new(guarded(PostgresStore::connect(&url).await?).await?)));
    }
    for (name, target) in &targets {
        target.import(&snap).await?;
        assert_eq!(target.export().await?, snap, "{name}");
        assert_same_reads(&*sqlite, &**target, &snap).await?;
    }
    let (name, last) = targets.last().ok_or("a target")?;
    let back = guarded(SqliteStore::open(&dir.path().join("back.db"))?).await?;
    back.import(&last.export().await?).await?;
    assert_eq!(back.export().await?, snap, "back from {name}");
    Ok(())
}

/// SQLite: [`failed_import_leaves_the_store_empty`].
#[tokio::test]
async fn sqlite_failed_import_leaves_the_store_empty() -> TestResult {
    let dir = tempfile::tempdir()?;
    failed_import_leaves_the_store_empty(Arc::new(guarded(SqliteStore::open(&dir.path().join("trent.db"))?).await?))
        .await
}

/// PostgreSQL: [`failed_import_leaves_the_store_empty`].
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_failed_import_leaves_the_store_empty() -> TestResult {
    let Some((store, ())) = postgres().await? else {
        return Ok(());
    };
    failed_import_leaves_the_store_empty(store).await
}

/// Rows edited behind the store's back ([`trent_core::integrity`]): `exec`
/// runs SQL on the store's database directly, as someone with write access
/// to it but not the seal would. Every table whose rows decide access
/// refuses an edited row on read with `Integrity`; the rows no one touched
/// still read. Then the rows of a store from before row MACs (no MACs, the
/// migration's marker) are sealed by the next store opened on it
/// (`reopen`), once.
async fn rows_edited_behind_the_store_are_refused(
    s: Arc<dyn Store>,
    exec: impl AsyncFn(&str) -> Result<u64, Box<dyn std::error::Error>>,
    reopen: impl AsyncFn() -> Result<Arc<dyn Store>, Box<dyn std::error::Error>>,
) -> TestResult {
    let integrity = |what: &str, e: StoreError| match e {
        StoreError::Integrity { .. } => Ok(()),
        other => Err(format!("{what}: {other:?}, not Integrity")),
    };
    let (op, op_key) = account("111122223333", "AKIAOPERATOR00000001");
    let (acct, acct_key) = account("444455556666", "AKIAACCOUNT000000001");
    s.insert_account(&op, &op_key, &[]).await?;
    s.insert_account(&acct, &acct_key, &[]).await?;
    // A key made inactive, to be made active again behind the store.
    let op_key2 = another_key(&op_key, "AKIAOPERATOR00000002");
    s.insert_access_key(&op_key2, None, &[]).await?;
    s.set_access_key_inactive(&op_key2.id, true, &[]).await?;
    let (alice, alice_key) = user("444455556666", "alice", "AKIAALICE00000000001");
    s.insert_user(&alice, Some(&alice_key), &[]).await?;
    s.put_user_policy(&user_policy(&alice, "p", r#"{"Statement":[]}"#), &[]).await?;
    let (ci, app) = (role("444455556666", "ci"), role("444455556666", "App"));
    s.insert_role(&ci, &[]).await?;
    s.insert_role(&app, &[]).await?;
    s.put_role_policy(&role_policy(&ci, "p", r#"{"Statement":[]}"#), &[]).await?;
    let (admins, ops, dev) =
        (group("444455556666", "admins"), group("444455556666", "Ops"), group("444455556666", "dev"));
    for g in [&admins, &ops, &dev] {
        s.insert_group(g, &[]).await?;
    }
    s.put_group_policy(&group_policy(&admins, "p", r#"{"Statement":[]}"#), &[]).await?;
    s.add_group_member(&member(&dev, "alice"), &[]).await?;
    let (mp, bound, moved) = (
        managed_policy("444455556666", "mp"),
        managed_policy("444455556666", "Bound"),
        managed_policy("444455556666", "moved"),
    );
    for p in [&mp, &bound, &moved] {
        s.insert_managed_policy(p, &policy_version(p, 1, r#"{"Statement":[]}"#), &[]).await?;
    }
    s.attach_policy(&attachment(&mp, AttachmentTarget::Role, "ci"), &[]).await?;
    s.attach_policy(&attachment(&bound, AttachmentTarget::UserBoundary, "alice"), &[]).await?;
    s.attach_policy(&attachment(&moved, AttachmentTarget::User, "alice"), &[]).await?;
    let (idp, kept_idp) =
        (oidc_provider("444455556666", "idp.example.com"), oidc_provider("444455556666", "kept.example.com"));
    s.insert_oidc_provider(&idp, &[]).await?;
    s.insert_oidc_provider(&kept_idp, &[]).await?;
    let sc = scope("444455556666", "us-east-1");
    let (cks, kept_cks) = (custom_key_store(&sc, 1, "edited"), custom_key_store(&sc, 2, "kept"));
    s.insert_custom_key_store(&cks, &[]).await?;
    s.insert_custom_key_store(&kept_cks, &[]).await?;
    let (k1, k2, k3) = (key(&sc, 1), key(&sc, 2), key(&sc, 3));
    s.insert_key(&k1, Some(&version(&k1.id, 1)), &[]).await?;
    s.insert_key(&k2, Some(&version(&k2.id, 1)), &[]).await?;
    s.insert_key(&k3, Some(&version(&k3.id, 1)), &[]).await?;
    s.insert_alias(&alias(&sc, "a", &k1.id), &[]).await?;
    s.insert_grant(&grant(&k1, 1, None), &[]).await?;

    let (id1, id2, id3) = (k1.id.as_str(), k2.id.as_str(), k3.id.as_str());
    let edits = [
        "UPDATE access_keys SET account = '111122223333', principal = 'arn:aws:iam::111122223333:root' \
         WHERE id = 'AKIAACCOUNT000000001'"
            .to_owned(),
        "UPDATE access_keys SET inactive = NOT inactive WHERE id = 'AKIAOPERATOR00000002'".to_owned(),
        "UPDATE accounts SET operator = NOT operator WHERE id = '444455556666'".to_owned(),
        format!("UPDATE keys SET policy = '{{\"Statement\":\"*\"}}' WHERE id = '{id1}'"),
        format!("UPDATE keys SET state = 'Disabled' WHERE id = '{id2}'"),
        // A key moved into a custom key store.
        format!("UPDATE keys SET custom_key_store_id = '{}' WHERE id = '{id3}'", cks.id),
        format!("UPDATE key_versions SET created_at = 5 WHERE key_id = '{id1}'"),
        format!("UPDATE aliases SET target = '{id2}' WHERE name = 'alias/a'"),
        "UPDATE grants SET grantee = 'arn:aws:iam::999988887777:root'".to_owned(),
        "UPDATE users SET tags = '[]' WHERE name = 'alice'".to_owned(),
        "UPDATE user_policies SET document = '{\"Statement\":\"*\"}'".to_owned(),
        "UPDATE roles SET trust_policy = '{\"Statement\":\"*\"}' WHERE name = 'ci'".to_owned(),
        "UPDATE role_policies SET document = '{\"Statement\":\"*\"}'".to_owned(),
        // name_key is not sealed: App's row under another name's key.
        "UPDATE roles SET name_key = 'other' WHERE name = 'App'".to_owned(),
        "UPDATE groups SET path = '/evil/' WHERE name = 'admins'".to_owned(),
        "UPDATE group_policies SET document = '{\"Statement\":\"*\"}'".to_owned(),
        // name_key is not sealed: Ops's row under another name's key.
        "UPDATE groups SET name_key = 'other' WHERE name = 'Ops'".to_owned(),
        // A membership moved to another group.
        "UPDATE group_members SET group_name = 'Ops' WHERE user_name = 'alice'".to_owned(),
        "UPDATE managed_policies SET path = '/evil/' WHERE name = 'mp'".to_owned(),
        "UPDATE policy_versions SET document = '{\"Statement\":\"*\"}' WHERE policy_name = 'Bound'".to_owned(),
        // name_key is not sealed: Bound's row under another name's key.
        "UPDATE managed_policies SET name_key = 'other' WHERE name = 'Bound'".to_owned(),
        // An attachment moved to another entity.
        "UPDATE policy_attachments SET target = 'role', entity_name = 'App' WHERE policy_name = 'moved'".to_owned(),
        // Another audience accepted.
        "UPDATE oidc_providers SET client_ids = '[\"evil\"]' WHERE url = 'idp.example.com'".to_owned(),
        // A key store pointed at another token.
        "UPDATE custom_key_stores SET cluster_id = 'evil' WHERE name = 'edited'".to_owned(),
    ];
    for sql in &edits {
        assert_eq!(exec(sql).await?, 1, "{sql}");
    }
    let alias_name = AliasName::new_unchecked("alias/a");
    integrity("access key", s.access_key(&acct_key.id).await.unwrap_err())?;
    integrity("access key reactivated", s.access_key(&op_key2.id).await.unwrap_err())?;
    integrity("account", s.account(&acct.id).await.unwrap_err())?;
    integrity("key policy", s.key(&sc, &k1.id).await.unwrap_err())?;
    integrity("key state", s.key(&sc, &k2.id).await.unwrap_err())?;
    integrity("list of keys", s.list_keys(&sc, None, 10).await.unwrap_err())?;
    integrity("version", s.key_version(&k1.id, 1).await.unwrap_err())?;
    integrity("versions", s.key_versions(&k1.id, 0, 10).await.unwrap_err())?;
    integrity("alias", s.alias(&sc, &alias_name).await.unwrap_err())?;
    integrity("grants", s.grants(&k1.scope, &k1.id, None, 10).await.unwrap_err())?;
    integrity("user", s.user(&alice.account, "alice").await.unwrap_err())?;
    integrity("users", s.users(&alice.account).await.unwrap_err())?;
    integrity("user policies", s.user_policies(&alice.account, "alice").await.unwrap_err())?;
    integrity("role", s.role(&ci.account, "CI").await.unwrap_err())?;
    integrity("roles", s.roles(&ci.account).await.unwrap_err())?;
    integrity("role policies", s.role_policies(&ci.account, "ci").await.unwrap_err())?;
    integrity("role under another name", s.role(&app.account, "other").await.unwrap_err())?;
    assert_eq!(s.role(&app.account, "app").await?, None, "not found under its own name's key");
    integrity("group", s.group(&admins.account, "ADMINS").await.unwrap_err())?;
    integrity("groups", s.groups(&admins.account).await.unwrap_err())?;
    integrity("group policies", s.group_policies(&admins.account, "admins").await.unwrap_err())?;
    integrity("group under another name", s.group(&ops.account, "other").await.unwrap_err())?;
    assert_eq!(s.group(&ops.account, "ops").await?, None, "not found under its own name's key");
    integrity("group members", s.group_members(&ops.account, "Ops").await.unwrap_err())?;
    integrity("groups of a user", s.groups_of_user(&alice.account, "alice").await.unwrap_err())?;
    assert!(s.group_members(&dev.account, "dev").await?.is_empty(), "the membership moved");
    {
        use AttachmentTarget::{Role, User, UserBoundary};
        let a = &mp.account;
        integrity("managed policy", s.managed_policy(a, "MP").await.unwrap_err())?;
        integrity("managed policies", s.managed_policies(a).await.unwrap_err())?;
        integrity("attached policy", s.attached_policies(a, Role, "ci").await.unwrap_err())?;
        integrity("policy versions", s.policy_versions(a, "Bound").await.unwrap_err())?;
        integrity("attached default version", s.attached_policies(a, UserBoundary, "alice").await.unwrap_err())?;
        integrity("policy under another name", s.managed_policy(a, "other").await.unwrap_err())?;
        assert_eq!(s.managed_policy(a, "bound").await?, None, "not found under its own name's key");
        integrity("policy attachments", s.policy_attachments(a, "moved").await.unwrap_err())?;
        integrity("attachment moved", s.attached_policies(a, Role, "App").await.unwrap_err())?;
        assert!(s.attached_policies(a, User, "alice").await?.is_empty(), "the attachment moved");
        assert_eq!(s.managed_policy(a, "MOVED").await?, Some(moved.clone()), "an untouched policy reads");
    }
    integrity("oidc provider", s.oidc_provider(&idp.account, &idp.url).await.unwrap_err())?;
    integrity("oidc providers", s.oidc_providers(&idp.account).await.unwrap_err())?;
    // An edited provider is refused, not sealed over nor deleted.
    integrity("oidc provider updated", s.update_oidc_provider(&idp, &[]).await.unwrap_err())?;
    integrity("oidc provider deleted", s.delete_oidc_provider(&idp.account, &idp.url, &[]).await.unwrap_err())?;
    assert_eq!(s.oidc_provider(&kept_idp.account, &kept_idp.url).await?, Some(kept_idp.clone()), "untouched");
    integrity("key moved into a key store", s.key(&sc, &k3.id).await.unwrap_err())?;
    integrity("custom key store", s.custom_key_store(&sc, &cks.id).await.unwrap_err())?;
    integrity("custom key stores", s.custom_key_stores(Some(&sc)).await.unwrap_err())?;
    integrity("all custom key stores", s.custom_key_stores(None).await.unwrap_err())?;
    // An edited key store is refused, not sealed over nor deleted.
    integrity("custom key store updated", s.update_custom_key_store(&cks, &[]).await.unwrap_err())?;
    integrity("custom key store deleted", s.delete_custom_key_store(&sc, &cks.id, &[]).await.unwrap_err())?;
    assert_eq!(s.custom_key_store(&sc, &kept_cks.id).await?, Some(kept_cks.clone()), "untouched");
    integrity("export", s.export().await.unwrap_err())?;
    // A target no AttachmentTarget names is a corrupt row: refused (not an
    // integrity failure: it does not decode), then put back.
    let bogus = "UPDATE policy_attachments SET target = 'bogus' WHERE policy_name = 'mp'";
    assert_eq!(exec(bogus).await?, 1);
    match s.policy_attachments(&mp.account, "mp").await {
        Err(StoreError::Backend(_)) => {}
        other => panic!("an unknown attachment target: {other:?}"),
    }
    assert!(s.export().await.is_err());
    assert_eq!(exec("UPDATE policy_attachments SET target = 'role' WHERE target = 'bogus'").await?, 1);
    // Untouched rows still read.
    assert_eq!(s.access_key(&op_key.id).await?, Some(op_key.clone()));
    assert_eq!(s.account(&op.id).await?, Some(op.clone()));
    assert_eq!(s.access_keys_of(&alice_key.principal).await?, vec![alice_key.clone()]);
    // A valid MAC does not move to another row.
    let copy = "UPDATE accounts SET mac = (SELECT mac FROM accounts WHERE id = '111122223333') \
                WHERE id = '444455556666'";
    assert_eq!(exec(copy).await?, 1);
    integrity("account with another's MAC", s.account(&acct.id).await.unwrap_err())?;
    // A row whose MAC is stripped is refused.
    assert_eq!(exec("UPDATE access_keys SET mac = NULL WHERE id = 'AKIAOPERATOR00000001'").await?, 1);
    integrity("access key without a MAC", s.access_key(&op_key.id).await.unwrap_err())?;

    // A store from before row MACs: no MAC anywhere, and the marker. The
    // next store opened on it seals every row (the edited ones too: it has
    // nothing to check them against), once.
    let mut rows = 0;
    for table in [
        "accounts",
        "access_keys",
        "users",
        "user_policies",
        "roles",
        "role_policies",
        "groups",
        "group_policies",
        "group_members",
        "managed_policies",
        "policy_versions",
        "policy_attachments",
        "oidc_providers",
        "custom_key_stores",
        "keys",
        "key_versions",
        "aliases",
        "grants",
    ] {
        rows += exec(&format!("UPDATE {table} SET mac = NULL")).await?;
    }
    exec("INSERT INTO row_mac_pending (id) VALUES (1)").await?;
    let s2 = reopen().await?;
    assert_eq!(s2.protect_rows(Arc::new(trent_core::integrity::RowGuard::for_tests())).await?, rows);
    assert_eq!(rows, 37);
    assert_eq!(s2.access_key(&op_key.id).await?, Some(op_key));
    assert_eq!(s2.export().await?.keys.len(), 3);
    let s3 = reopen().await?;
    assert_eq!(s3.protect_rows(Arc::new(trent_core::integrity::RowGuard::for_tests())).await?, 0, "sealed once");
    // A store without its guard refuses sealed rows rather than serve
    // them unchecked.
    let bare = reopen().await?;
    assert!(bare.account(&op.id).await.is_err());
    assert!(bare.insert_alias(&alias(&sc, "b", &k2.id), &[]).await.is_err());
    Ok(())
}

#[tokio::test]
async fn sqlite_rows_edited_behind_the_store_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("trent.db");
    let s: Arc<dyn Store> = Arc::new(guarded(SqliteStore::open(&path)?).await?);
    let exec = async |sql: &str| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(rusqlite::Connection::open(&path)?.execute(sql, [])? as u64)
    };
    let reopen = async || -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
        let s: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
        Ok(s)
    };
    rows_edited_behind_the_store_are_refused(s, exec, reopen).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_rows_edited_behind_the_store_are_refused() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let s: Arc<dyn Store> = Arc::new(guarded(PostgresStore::connect(&url).await?).await?);
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let exec = async |sql: &str| -> Result<u64, Box<dyn std::error::Error>> { Ok(client.execute(sql, &[]).await?) };
    let reopen = async || -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
        let s: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await?);
        Ok(s)
    };
    rows_edited_behind_the_store_are_refused(s, exec, reopen).await
}

/// PostgreSQL only: a node serves a key from memory, and another node's
/// change reaches it within [`trent_store::postgres::KEY_CACHE_TTL`] (in
/// practice within milliseconds, by notification); its own changes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_nodes_see_each_others_key_changes_within_the_cache_bound() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let a = guarded(PostgresStore::connect(&url).await?).await?;
    let b = guarded(PostgresStore::connect(&url).await?).await?;
    let s = scope("111122223333", "us-east-1");
    let k = key(&s, 1);
    a.insert_key(&k, None, &[]).await?;
    // Let b's listener subscribe before the changes it must hear of.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let bound = trent_store::postgres::KEY_CACHE_TTL;
    let mut current = k.clone();
    let mut slowest = std::time::Duration::ZERO;
    for round in 0..5 {
        assert_eq!(b.key(&s, &k.id).await?.map(|r| r.revision), Some(current.revision), "b caches it");
        current.description = format!("round {round}");
        current.revision += 1;
        a.update_key(&current, &[]).await?;
        assert_eq!(a.key(&s, &k.id).await?.map(|r| r.revision), Some(current.revision), "a sees its own at once");
        let start = std::time::Instant::now();
        loop {
            if b.key(&s, &k.id).await?.map(|r| r.revision) == Some(current.revision) {
                break;
            }
            assert!(start.elapsed() < bound, "b still serves revision {} after {bound:?}", current.revision - 1);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        slowest = slowest.max(start.elapsed());
    }
    eprintln!("slowest change seen by the other node after {slowest:?} (bound {bound:?})");
    // Destroyed through a: gone from b too.
    a.destroy_key(&current, 9, &[]).await?;
    let start = std::time::Instant::now();
    while b.key(&s, &k.id).await?.is_some() {
        assert!(start.elapsed() < bound, "b still serves a destroyed key");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}

/// PostgreSQL only: when a node's listening connection breaks, the node
/// empties its key cache, connects again, and hears changes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_a_broken_listener_reconnects_and_hears_again() -> TestResult {
    let Some(url) = postgres_url().await? else {
        return Ok(());
    };
    let name = format!("trent-listener-test-{}", uuid::Uuid::new_v4().simple());
    let url = format!("{url}&application_name={name}");
    let a = guarded(PostgresStore::connect(&url).await?).await?;
    let b = guarded(PostgresStore::connect(&url).await?).await?;
    let s = scope("111122223333", "us-east-1");
    let mut k = key(&s, 1);
    a.insert_key(&k, None, &[]).await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(b.key(&s, &k.id).await?.is_some());

    // Break both nodes' listening connections (only this test's).
    let admin_url = std::env::var(POSTGRES_URL_VAR)?;
    let (admin, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let killed: Vec<i32> = admin
        .query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", &[&name])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(killed.len(), 2, "one listener per node");
    for pid in &killed {
        admin.execute("SELECT pg_terminate_backend($1)", &[pid]).await?;
    }
    // Reconnected within a second or so; then a change is heard, not
    // waited out. A terminated backend can linger in pg_stat_activity for a
    // while, so only new backends whose LISTEN has finished count.
    let start = std::time::Instant::now();
    loop {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 \
                 AND query LIKE 'LISTEN%' AND state = 'idle' AND NOT (pid = ANY($2))",
                &[&name, &killed],
            )
            .await?
            .get(0);
        if n == 2 {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "listeners did not come back");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(b.key(&s, &k.id).await?.is_some(), "cached again");
    k.description = "changed".into();
    k.revision += 1;
    a.update_key(&k, &[]).await?;
    let start = std::time::Instant::now();
    while b.key(&s, &k.id).await?.map(|r| r.revision) != Some(k.revision) {
        // Under KEY_CACHE_TTL: the notification, not the expiry.
        assert!(start.elapsed() < std::time::Duration::from_millis(800), "no notification after the reconnect");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}
