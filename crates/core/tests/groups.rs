//! IAM groups (in-memory store, no HTTP): a user acts with its groups'
//! policies; groups are managed as IAM manages them.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use trent_api::ops::*;
use trent_api::{ErrorCode, SensitiveBlob};
use trent_core::{Caller, Kms};

const ALICE: &str = "111122223333";
const BOB: &str = "444455556666";
const REGION: &str = "us-east-1";

fn root(account: &str) -> Caller {
    common::root_caller(account, REGION)
}

fn user(account: &str, name: &str) -> Caller {
    common::user_caller(account, name, REGION)
}

fn allow(action: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#)
}

fn deny(action: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"*"}}]}}"#)
}

async fn encrypt(kms: &Kms, c: &Caller, key: &str) -> Result<(), ErrorCode> {
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"data".to_vec()))),
        ..Default::default()
    };
    kms.encrypt(c, req).await.map(|_| ()).map_err(|e| e.code())
}

#[tokio::test]
async fn a_user_acts_with_the_policies_of_its_groups() {
    let kms = common::kms().await;
    let (owner, dev) = (root(ALICE), user(ALICE, "dev"));
    kms.create_user(&owner, "dev", vec![]).await.unwrap();
    let key = kms.create_key(&owner, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap().key_id;
    assert_eq!(encrypt(&kms, &dev, &key).await, Err(ErrorCode::AccessDenied));

    let group = kms.create_group(&owner, "Developers", None).await.unwrap();
    assert_eq!(group.arn(), format!("arn:aws:iam::{ALICE}:group/Developers"));
    assert!(group.group_id.starts_with("AGPA"));
    kms.put_group_policy(&owner, "developers", "kms", &allow("kms:Encrypt")).await.unwrap();
    // A policy of a group the user is not in gives nothing.
    assert_eq!(encrypt(&kms, &dev, &key).await, Err(ErrorCode::AccessDenied));
    kms.add_user_to_group(&owner, "Developers", "dev").await.unwrap();
    // Adding twice changes nothing.
    kms.add_user_to_group(&owner, "Developers", "dev").await.unwrap();
    encrypt(&kms, &dev, &key).await.unwrap();
    let (g, members) = kms.get_group(&owner, "Developers").await.unwrap();
    assert_eq!((g.name.as_str(), members.len()), ("Developers", 1));
    assert_eq!(kms.list_groups_for_user(&owner, "dev").await.unwrap().len(), 1);

    // A Deny in another group wins.
    kms.create_group(&owner, "Frozen", Some("/ops/")).await.unwrap();
    kms.put_group_policy(&owner, "Frozen", "no", &deny("kms:*")).await.unwrap();
    kms.add_user_to_group(&owner, "Frozen", "dev").await.unwrap();
    assert_eq!(encrypt(&kms, &dev, &key).await, Err(ErrorCode::AccessDenied));
    kms.remove_user_from_group(&owner, "Frozen", "dev").await.unwrap();
    encrypt(&kms, &dev, &key).await.unwrap();
    assert_eq!(kms.remove_user_from_group(&owner, "Frozen", "dev").await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(kms.list_groups(&owner, Some("/ops/")).await.unwrap().len(), 1);

    // DeleteGroup waits for members and policies to go.
    let e = kms.delete_group(&owner, "Developers").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DeleteConflict);
    kms.remove_user_from_group(&owner, "Developers", "dev").await.unwrap();
    assert_eq!(kms.delete_group(&owner, "Developers").await.unwrap_err().code(), ErrorCode::DeleteConflict);
    assert_eq!(encrypt(&kms, &dev, &key).await, Err(ErrorCode::AccessDenied));
    kms.delete_group_policy(&owner, "Developers", "kms").await.unwrap();
    kms.delete_group(&owner, "Developers").await.unwrap();
    assert_eq!(kms.get_group(&owner, "Developers").await.unwrap_err().code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn groups_are_managed_as_iam_manages_them() {
    let kms = common::kms().await;
    let owner = root(ALICE);
    kms.create_group(&owner, "Team", None).await.unwrap();
    assert_eq!(kms.create_group(&owner, "TEAM", None).await.unwrap_err().code(), ErrorCode::AlreadyExists);
    assert_eq!(kms.create_group(&owner, "a b", None).await.unwrap_err().code(), ErrorCode::Validation);
    assert_eq!(kms.add_user_to_group(&owner, "Team", "nobody").await.unwrap_err().code(), ErrorCode::NotFound);
    let e = kms.put_group_policy(&owner, "Team", "bad", "{}").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    kms.put_group_policy(&owner, "Team", "p2", &allow("kms:Encrypt")).await.unwrap();
    kms.put_group_policy(&owner, "Team", "p1", &allow("kms:Decrypt")).await.unwrap();
    assert_eq!(kms.list_group_policies(&owner, "Team").await.unwrap(), ["p1", "p2"]);
    assert_eq!(kms.get_group_policy(&owner, "Team", "p1").await.unwrap().document, allow("kms:Decrypt"));
    // A user with no iam: permission manages nothing; another account
    // never sees the group.
    kms.create_user(&owner, "dev", vec![]).await.unwrap();
    assert_eq!(kms.list_groups(&user(ALICE, "dev"), None).await.unwrap_err().code(), ErrorCode::AccessDenied);
    assert_eq!(kms.get_group(&root(BOB), "Team").await.unwrap_err().code(), ErrorCode::NotFound);
    // IAM's DeleteUser waits for the user to leave its groups; the admin
    // API's removes the memberships with the user.
    kms.add_user_to_group(&owner, "Team", "dev").await.unwrap();
    let key_id = kms.list_access_keys(&owner, Some("dev")).await.unwrap().0[0].id.clone();
    kms.delete_access_key(&owner, Some("dev"), key_id.as_str()).await.unwrap();
    assert_eq!(kms.delete_iam_user(&owner, "dev").await.unwrap_err().code(), ErrorCode::DeleteConflict);
    kms.delete_user(&owner, "dev").await.unwrap();
    assert!(kms.get_group(&owner, "Team").await.unwrap().1.is_empty());
}
