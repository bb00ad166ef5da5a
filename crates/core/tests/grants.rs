//! Grants (in-memory store, no HTTP): another account's principal uses a key
//! through a grant, within its constraints; names make retries idempotent;
//! a grant holding CreateGrant passes on only what it holds; retiring and
//! revoking take effect at once.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use trent_api::enums::GrantOperation as Op;

use trent_api::ops::*;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::error::KmsError;
use trent_core::{Caller, Kms};

const ALICE: &str = "111122223333";
const BOB: &str = "444455556666";
const CAROL: &str = "777788889999";

fn caller(account: &str) -> Caller {
    common::root_caller(account, "us-east-1")
}

fn root(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

async fn setup() -> (Kms, String) {
    let kms = common::kms().await;
    let key = kms.create_key(&caller(ALICE), CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap().arn;
    (kms, key)
}

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
}

async fn encrypt(kms: &Kms, c: &Caller, key: &str, ec: &[(&str, &str)]) -> Result<Vec<u8>, ErrorCode> {
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"data".to_vec()))),
        encryption_context: Some(ctx(ec)),
        ..Default::default()
    };
    kms.encrypt(c, req).await.map(|r| r.ciphertext_blob.unwrap().0).map_err(|e| e.code())
}

async fn grant(
    kms: &Kms,
    c: &Caller,
    key: &str,
    grantee: &str,
    ops: &[Op],
    constraints: Option<GrantConstraints>,
    name: Option<&str>,
) -> Result<CreateGrantResponse, ErrorCode> {
    let req = CreateGrantRequest {
        key_id: Some(key.into()),
        grantee_principal: Some(grantee.into()),
        retiring_principal: Some(root(BOB)),
        operations: Some(ops.to_vec()),
        constraints,
        name: name.map(Into::into),
        ..Default::default()
    };
    kms.create_grant(c, req).await.map_err(|e| e.code())
}

#[tokio::test]
async fn a_grant_lets_another_account_use_the_key_within_its_constraints() {
    let (kms, key) = setup().await;
    let (alice, bob) = (caller(ALICE), caller(BOB));
    assert_eq!(encrypt(&kms, &bob, &key, &[("app", "x")]).await, Err(ErrorCode::AccessDenied));
    let subset = GrantConstraints { encryption_context_subset: Some(ctx(&[("App", "x")])), ..Default::default() };
    let g = grant(&kms, &alice, &key, &root(BOB), &[Op::Encrypt, Op::Decrypt], Some(subset.clone()), Some("bob-app"))
        .await
        .unwrap();
    let id = g.grant_id.clone().unwrap();
    assert_eq!(id.len(), 64);
    // Constraint keys compare case-insensitively, values exactly.
    let blob = encrypt(&kms, &bob, &key, &[("app", "x"), ("more", "ok")]).await.unwrap();
    assert_eq!(encrypt(&kms, &bob, &key, &[("app", "X")]).await, Err(ErrorCode::AccessDenied));
    assert_eq!(encrypt(&kms, &bob, &key, &[]).await, Err(ErrorCode::AccessDenied));
    let dec = DecryptRequest {
        key_id: Some(key.clone()),
        ciphertext_blob: Some(Blob(blob.clone())),
        encryption_context: Some(ctx(&[("app", "x"), ("more", "ok")])),
        ..Default::default()
    };
    assert_eq!(kms.decrypt(&bob, dec).await.unwrap().plaintext.unwrap().expose(), b"data");
    // Only the granted operations.
    let e = kms.describe_key(&bob, DescribeKeyRequest { key_id: Some(key.clone()), ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::AccessDenied);

    // The same name and grant again: the same grant back.
    let again = grant(&kms, &alice, &key, &root(BOB), &[Op::Decrypt, Op::Encrypt], Some(subset), Some("bob-app"))
        .await
        .unwrap();
    assert_eq!(again.grant_id, g.grant_id);
    assert_eq!(again.grant_token, g.grant_token);

    let listed = kms.list_grants(&alice, ListGrantsRequest { key_id: Some(key.clone()), ..Default::default() }).await;
    let listed = listed.unwrap();
    assert_eq!(listed.grants.len(), 1);
    let entry = &listed.grants[0];
    assert_eq!(entry.key_id, key);
    assert_eq!(entry.grant_id, id);
    assert_eq!(entry.name.as_deref(), Some("bob-app"));
    assert_eq!(entry.grantee_principal, root(BOB));
    assert_eq!(entry.issuing_account, root(ALICE));
    assert_eq!(entry.operations, vec![Op::Decrypt, Op::Encrypt]);
    assert!(entry.constraints.as_ref().unwrap().encryption_context_subset.is_some());

    let retirable = kms
        .list_retirable_grants(
            &bob,
            ListRetirableGrantsRequest { retiring_principal: Some(root(BOB)), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(retirable.grants.len(), 1);
    assert_eq!(retirable.grants[0].key_id, key);

    // Bob, the retiring principal, retires it by token: refused at once after.
    kms.retire_grant(&bob, RetireGrantRequest { grant_token: g.grant_token.clone(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(encrypt(&kms, &bob, &key, &[("app", "x")]).await, Err(ErrorCode::AccessDenied));
    let e = kms.retire_grant(&bob, RetireGrantRequest { grant_token: g.grant_token, ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
    let e = kms
        .retire_grant(&bob, RetireGrantRequest { grant_token: Some("not-a-token".into()), ..Default::default() })
        .await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidGrantToken);
}

async fn revoke(kms: &Kms, who: &Caller, key: &str, id: &str) -> Result<Empty, KmsError> {
    kms.revoke_grant(who, RevokeGrantRequest { key_id: Some(key.into()), grant_id: Some(id.into()), dry_run: None })
        .await
}

#[tokio::test]
async fn revoking_and_refusals() {
    let (kms, key) = setup().await;
    let (alice, bob, carol) = (caller(ALICE), caller(BOB), caller(CAROL));
    let g = grant(&kms, &alice, &key, &root(CAROL), &[Op::Encrypt], None, None).await.unwrap();
    assert!(encrypt(&kms, &carol, &key, &[]).await.is_ok());
    // Carol is neither retiring principal nor holder of RetireGrant.
    let by_id = RetireGrantRequest { key_id: Some(key.clone()), grant_id: g.grant_id.clone(), ..Default::default() };
    assert_eq!(kms.retire_grant(&carol, by_id).await.unwrap_err().code(), ErrorCode::AccessDenied);
    // Bob cannot revoke: the key policy does not let him (and the action crosses accounts).
    assert_eq!(
        revoke(&kms, &bob, &key, g.grant_id.as_deref().unwrap()).await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    revoke(&kms, &alice, &key, g.grant_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(encrypt(&kms, &carol, &key, &[]).await, Err(ErrorCode::AccessDenied));
    assert_eq!(
        revoke(&kms, &alice, &key, g.grant_id.as_deref().unwrap()).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(revoke(&kms, &alice, &key, "short").await.unwrap_err().code(), ErrorCode::InvalidGrantId);
    // Grantees must be principal ARNs; operations must not be empty.
    assert_eq!(grant(&kms, &alice, &key, "bob", &[Op::Encrypt], None, None).await.unwrap_err(), ErrorCode::Validation);
    assert_eq!(grant(&kms, &alice, &key, &root(BOB), &[], None, None).await.unwrap_err(), ErrorCode::Validation);
    // Only the key's account (through its key policy) grants; Bob cannot.
    assert_eq!(
        grant(&kms, &bob, &key, &root(BOB), &[Op::Encrypt], None, None).await.unwrap_err(),
        ErrorCode::AccessDenied
    );
}

#[tokio::test]
async fn a_grant_with_create_grant_passes_on_only_what_it_holds() {
    let (kms, key) = setup().await;
    let (alice, bob, carol) = (caller(ALICE), caller(BOB), caller(CAROL));
    let eq = GrantConstraints { encryption_context_equals: Some(ctx(&[("team", "b")])), ..Default::default() };
    grant(&kms, &alice, &key, &root(BOB), &[Op::Encrypt, Op::CreateGrant], Some(eq.clone()), None).await.unwrap();
    // Bob passes Encrypt on to Carol with the same constraint: allowed.
    let c = grant(&kms, &bob, &key, &root(CAROL), &[Op::Encrypt], Some(eq.clone()), None).await.unwrap();
    assert!(c.grant_id.is_some());
    assert!(encrypt(&kms, &carol, &key, &[("team", "b")]).await.is_ok());
    assert_eq!(encrypt(&kms, &carol, &key, &[("team", "c")]).await, Err(ErrorCode::AccessDenied));
    // Not an operation Bob holds, or a looser constraint: refused.
    assert_eq!(
        grant(&kms, &bob, &key, &root(CAROL), &[Op::Decrypt], Some(eq), None).await.unwrap_err(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        grant(&kms, &bob, &key, &root(CAROL), &[Op::Encrypt], None, None).await.unwrap_err(),
        ErrorCode::AccessDenied
    );
}
