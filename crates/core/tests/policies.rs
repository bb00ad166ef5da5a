//! Customer managed IAM policies and permissions boundaries (in-memory
//! store, no HTTP): attached to users and groups they allow as inline
//! policies do, their default version is what applies, and a boundary caps
//! what a user's identity policies allow.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use trent_api::ops::*;
use trent_api::{ErrorCode, SensitiveBlob};
use trent_core::{Caller, EntityKind, Kms, NewPolicy, PolicyFilter};

const ALICE: &str = "111122223333";
const REGION: &str = "us-east-1";

fn root() -> Caller {
    common::root_caller(ALICE, REGION)
}

fn user(name: &str) -> Caller {
    common::user_caller(ALICE, name, REGION)
}

fn allow(action: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#)
}

fn deny(action: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"*"}}]}}"#)
}

fn arn(name: &str) -> String {
    format!("arn:aws:iam::{ALICE}:policy/{name}")
}

async fn create_policy(kms: &Kms, name: &str, document: String) -> String {
    let new = NewPolicy { name: name.into(), document, ..Default::default() };
    kms.create_policy(&root(), new).await.unwrap().arn()
}

async fn encrypt(kms: &Kms, c: &Caller, key: &str) -> Result<Vec<u8>, (ErrorCode, String)> {
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"data".to_vec()))),
        ..Default::default()
    };
    kms.encrypt(c, req)
        .await
        .map(|r| r.ciphertext_blob.unwrap().as_bytes().to_vec())
        .map_err(|e| (e.code(), e.public_message()))
}

async fn decrypt(kms: &Kms, c: &Caller, blob: Vec<u8>) -> Result<(), (ErrorCode, String)> {
    let req = DecryptRequest { ciphertext_blob: Some(blob.into()), ..Default::default() };
    kms.decrypt(c, req).await.map(|_| ()).map_err(|e| (e.code(), e.public_message()))
}

async fn key(kms: &Kms, policy: Option<String>) -> String {
    let req = CreateKeyRequest { policy, bypass_policy_lockout_safety_check: Some(true), ..Default::default() };
    kms.create_key(&root(), req).await.unwrap().key_metadata.unwrap().arn
}

#[tokio::test]
async fn managed_policies_attached_to_a_user_or_its_group_allow_with_their_default_version() {
    let kms = common::kms().await;
    kms.create_user(&root(), "dev", vec![]).await.unwrap();
    let dev = user("dev");
    let key = key(&kms, None).await;
    let encryptors = create_policy(&kms, "Encryptors", allow("kms:Encrypt")).await;
    assert_eq!(encryptors, arn("Encryptors"));
    assert!(encrypt(&kms, &dev, &key).await.is_err());

    kms.attach_policy(&root(), EntityKind::User, "dev", &encryptors).await.unwrap();
    // Attaching twice changes nothing.
    kms.attach_policy(&root(), EntityKind::User, "DEV", &encryptors).await.unwrap();
    encrypt(&kms, &dev, &key).await.unwrap();
    let attached = kms.list_attached_policies(&root(), EntityKind::User, "dev", None).await.unwrap();
    assert_eq!(attached.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Encryptors"]);
    assert_eq!(kms.get_policy(&root(), &encryptors).await.unwrap().attachment_count, 1);

    // A new default version applies at once; the old one is kept.
    let (v2, is_default) = kms.create_policy_version(&root(), &encryptors, &allow("kms:Decrypt"), true).await.unwrap();
    assert_eq!((v2.version, is_default), (2, true));
    assert_eq!(encrypt(&kms, &dev, &key).await.unwrap_err().0, ErrorCode::AccessDenied);
    kms.set_default_policy_version(&root(), &encryptors, "v1").await.unwrap();
    let blob = encrypt(&kms, &dev, &key).await.unwrap();
    assert_eq!(decrypt(&kms, &dev, blob.clone()).await.unwrap_err().0, ErrorCode::AccessDenied);

    // Through a group: detached from the user, attached to its group.
    kms.detach_policy(&root(), EntityKind::User, "dev", &encryptors).await.unwrap();
    assert!(encrypt(&kms, &dev, &key).await.is_err());
    kms.create_group(&root(), "Team", None).await.unwrap();
    kms.add_user_to_group(&root(), "Team", "dev").await.unwrap();
    kms.attach_policy(&root(), EntityKind::Group, "Team", &encryptors).await.unwrap();
    encrypt(&kms, &dev, &key).await.unwrap();
    let entities = kms.list_entities_for_policy(&root(), &encryptors, None, None).await.unwrap();
    assert_eq!((entities.groups.len(), entities.users.len(), entities.roles.len()), (1, 0, 0));
    // A Deny in another attached policy wins.
    let frozen = create_policy(&kms, "Frozen", deny("kms:*")).await;
    kms.attach_policy(&root(), EntityKind::User, "dev", &frozen).await.unwrap();
    assert!(encrypt(&kms, &dev, &key).await.is_err());

    // What must go first, as IAM says.
    let conflict = |r: Result<(), trent_core::KmsError>| assert_eq!(r.unwrap_err().code(), ErrorCode::DeleteConflict);
    conflict(kms.delete_policy(&root(), &frozen).await);
    // Members go first; then the attached policy is the conflict.
    conflict(kms.delete_group(&root(), "Team").await);
    kms.remove_user_from_group(&root(), "Team", "dev").await.unwrap();
    conflict(kms.delete_group(&root(), "Team").await);
    kms.detach_policy(&root(), EntityKind::Group, "Team", &encryptors).await.unwrap();
    kms.delete_group(&root(), "Team").await.unwrap();
    let key_id = kms.list_access_keys(&root(), Some("dev")).await.unwrap().0[0].id.clone();
    kms.delete_access_key(&root(), Some("dev"), key_id.as_str()).await.unwrap();
    conflict(kms.delete_iam_user(&root(), "dev").await);
    kms.detach_policy(&root(), EntityKind::User, "dev", &frozen).await.unwrap();
    kms.delete_iam_user(&root(), "dev").await.unwrap();
    conflict(kms.delete_policy(&root(), &encryptors).await); // two versions
    kms.delete_policy_version(&root(), &encryptors, "v2").await.unwrap();
    kms.delete_policy(&root(), &encryptors).await.unwrap();
    kms.delete_policy(&root(), &frozen).await.unwrap();
    assert_eq!(kms.get_policy(&root(), &frozen).await.unwrap_err().code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn policies_and_versions_are_managed_as_iam_manages_them() {
    let kms = common::kms().await;
    let p = create_policy(&kms, "P", allow("kms:Encrypt")).await;
    let dup = NewPolicy { name: "p".into(), document: allow("kms:Encrypt"), ..Default::default() };
    assert_eq!(kms.create_policy(&root(), dup).await.unwrap_err().code(), ErrorCode::AlreadyExists);
    let bad = NewPolicy { name: "Bad".into(), document: "{}".into(), ..Default::default() };
    assert_eq!(kms.create_policy(&root(), bad).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
    let pathed = NewPolicy {
        name: "Pathed".into(),
        path: Some("/team/".into()),
        document: allow("kms:Encrypt"),
        ..Default::default()
    };
    let pathed = kms.create_policy(&root(), pathed).await.unwrap();
    assert_eq!(pathed.arn(), format!("arn:aws:iam::{ALICE}:policy/team/Pathed"));
    assert!(pathed.policy_id.starts_with("ANPA"));
    // The ARN names the path too.
    assert_eq!(kms.get_policy(&root(), &arn("Pathed")).await.unwrap_err().code(), ErrorCode::NotFound);
    let filter = PolicyFilter { path_prefix: Some("/team/".into()), ..Default::default() };
    assert_eq!(kms.list_policies(&root(), &filter).await.unwrap().len(), 1);
    let only_attached = PolicyFilter { only_attached: true, ..Default::default() };
    assert!(kms.list_policies(&root(), &only_attached).await.unwrap().is_empty());
    let aws = PolicyFilter { scope: Some("AWS".into()), ..Default::default() };
    assert!(kms.list_policies(&root(), &aws).await.unwrap().is_empty());

    // Five versions at most; numbers are never reused; the default stays.
    for _ in 2..=5 {
        kms.create_policy_version(&root(), &p, &allow("kms:Decrypt"), false).await.unwrap();
    }
    let e = kms.create_policy_version(&root(), &p, &allow("kms:Decrypt"), false).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
    let e = kms.delete_policy_version(&root(), &p, "v1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DeleteConflict);
    kms.delete_policy_version(&root(), &p, "v5").await.unwrap();
    let (v6, _) = kms.create_policy_version(&root(), &p, &allow("kms:Sign"), false).await.unwrap();
    assert_eq!(v6.version, 6);
    let versions = kms.list_policy_versions(&root(), &p).await.unwrap();
    let listed: Vec<(u32, bool)> = versions.iter().map(|(v, d)| (v.version, *d)).collect();
    assert_eq!(listed, [(6, false), (4, false), (3, false), (2, false), (1, true)]);
    let (v1, is_default) = kms.get_policy_version(&root(), &p, "v1").await.unwrap();
    assert_eq!((v1.document, is_default), (allow("kms:Encrypt"), true));
    assert_eq!(kms.get_policy_version(&root(), &p, "v5").await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(kms.get_policy_version(&root(), &p, "v0").await.unwrap_err().code(), ErrorCode::Validation);

    // Tags, as on users and roles.
    kms.tag_policy(&root(), &p, vec![("team".into(), "blue".into()), ("env".into(), "prod".into())]).await.unwrap();
    kms.tag_policy(&root(), &p, vec![("TEAM".into(), "red".into())]).await.unwrap();
    kms.untag_policy(&root(), &p, vec!["Env".into()]).await.unwrap();
    assert_eq!(kms.list_policy_tags(&root(), &p).await.unwrap(), [("TEAM".to_owned(), "red".to_owned())]);
    let e = kms.tag_policy(&root(), &p, vec![("aws:x".into(), "v".into())]).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);

    // AWS managed policies and other accounts' are not attachable here.
    kms.create_user(&root(), "dev", vec![]).await.unwrap();
    for other in ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::444455556666:policy/P"] {
        let e = kms.attach_policy(&root(), EntityKind::User, "dev", other).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert!(e.public_message().contains("does not exist or is not attachable"));
    }
    let e = kms.attach_policy(&root(), EntityKind::User, "dev", "not-an-arn").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    let e = kms.attach_policy(&root(), EntityKind::Role, "nobody", &p).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    // Ten attached policies per user.
    for i in 0..10 {
        let a = create_policy(&kms, &format!("A{i}"), allow("kms:Encrypt")).await;
        kms.attach_policy(&root(), EntityKind::User, "dev", &a).await.unwrap();
    }
    let e = kms.attach_policy(&root(), EntityKind::User, "dev", &p).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LimitExceeded);
    // A user with no iam: permission manages nothing.
    assert_eq!(
        kms.list_policies(&user("dev"), &PolicyFilter::default()).await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
}

#[tokio::test]
async fn a_permissions_boundary_caps_what_a_users_identity_policies_allow() {
    let kms = common::kms().await;
    kms.create_user(&root(), "dev", vec![]).await.unwrap();
    let dev = user("dev");
    kms.put_user_policy(&root(), "dev", "all", &allow("kms:*")).await.unwrap();
    let key = key(&kms, None).await;
    let blob = encrypt(&kms, &dev, &key).await.unwrap();
    decrypt(&kms, &dev, blob.clone()).await.unwrap();

    let boundary = create_policy(&kms, "EncryptOnly", allow("kms:Encrypt")).await;
    kms.put_permissions_boundary(&root(), EntityKind::User, "dev", &boundary).await.unwrap();
    assert_eq!(
        kms.permissions_boundary_arn(&root().account, EntityKind::User, "dev").await.unwrap().as_deref(),
        Some(boundary.as_str())
    );
    encrypt(&kms, &dev, &key).await.unwrap();
    let (code, msg) = decrypt(&kms, &dev, blob.clone()).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied);
    assert!(msg.ends_with("because no permissions boundary allows the kms:Decrypt action"), "{msg}");
    // Operations on no key are capped too.
    let e = kms.list_keys(&dev, ListKeysRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    // A boundary grants nothing by itself.
    let e = kms.list_policies(&dev, &PolicyFilter::default()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);

    // A key policy naming the user itself is not capped by the boundary.
    let names_dev = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ALICE}:root"}},"Action":"kms:*","Resource":"*"}},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ALICE}:user/dev"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    let direct = self::key(&kms, Some(names_dev)).await;
    let blob2 = encrypt(&kms, &dev, &direct).await.unwrap();
    decrypt(&kms, &dev, blob2.clone()).await.unwrap();
    // An explicit Deny in the boundary refuses, however the key policy
    // names the user.
    kms.create_policy_version(
        &root(),
        &boundary,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#,
        true,
    )
    .await
    .unwrap();
    let (code, msg) = decrypt(&kms, &dev, blob2).await.unwrap_err();
    assert_eq!(code, ErrorCode::AccessDenied);
    assert!(msg.ends_with("with an explicit deny in a permissions boundary"), "{msg}");

    // Removed: the identity policies alone again. A policy in use as a
    // boundary is not deleted.
    assert_eq!(kms.delete_policy(&root(), &boundary).await.unwrap_err().code(), ErrorCode::DeleteConflict);
    kms.delete_permissions_boundary(&root(), EntityKind::User, "dev").await.unwrap();
    decrypt(&kms, &dev, blob).await.unwrap();
    let e = kms.delete_permissions_boundary(&root(), EntityKind::User, "dev").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = kms.put_permissions_boundary(&root(), EntityKind::User, "dev", &arn("Nope")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}
