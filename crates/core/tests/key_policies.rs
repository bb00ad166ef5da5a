//! Key policies, evaluated on every operation (in-memory store, no HTTP):
//! the default policy, PutKeyPolicy/GetKeyPolicy/ListKeyPolicies, the
//! lockout safety check, conditions on request values, and cross-account use.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use trent_api::ops::*;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::{Caller, Kms};

const ALICE: &str = "111122223333";
const BOB: &str = "444455556666";

fn caller(account: &str) -> Caller {
    common::root_caller(account, "us-east-1")
}

async fn kms() -> Kms {
    common::kms().await
}

fn statement(effect: &str, principal: &str, actions: &str, condition: &str) -> String {
    let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
    format!(
        r#"{{"Effect":"{effect}","Principal":{{"AWS":"{principal}"}},"Action":{actions},"Resource":"*"{condition}}}"#
    )
}

fn policy(statements: &[String]) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

fn admin() -> String {
    statement(
        "Allow",
        &format!("arn:aws:iam::{ALICE}:root"),
        r#"["kms:PutKeyPolicy","kms:GetKeyPolicy","kms:DescribeKey"]"#,
        "",
    )
}

async fn create(kms: &Kms, c: &Caller, policy: Option<String>) -> Result<String, ErrorCode> {
    let req = CreateKeyRequest { policy, ..Default::default() };
    kms.create_key(c, req).await.map(|r| r.key_metadata.unwrap().arn).map_err(|e| e.code())
}

async fn encrypt(kms: &Kms, c: &Caller, key: &str, ec: &[(&str, &str)]) -> Result<Vec<u8>, ErrorCode> {
    let ec: BTreeMap<String, String> = ec.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"data".to_vec()))),
        encryption_context: Some(ec),
        ..Default::default()
    };
    kms.encrypt(c, req).await.map(|r| r.ciphertext_blob.unwrap().0).map_err(|e| e.code())
}

async fn decrypt(kms: &Kms, c: &Caller, key: Option<&str>, blob: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    let req = DecryptRequest {
        key_id: key.map(Into::into),
        ciphertext_blob: Some(Blob(blob.to_vec())),
        ..Default::default()
    };
    kms.decrypt(c, req).await.map(|r| r.plaintext.unwrap().expose().to_vec()).map_err(|e| e.code())
}

async fn put(kms: &Kms, c: &Caller, key: &str, text: String, bypass: bool) -> Result<(), ErrorCode> {
    let req = PutKeyPolicyRequest {
        key_id: Some(key.into()),
        policy: Some(text),
        bypass_policy_lockout_safety_check: Some(bypass),
        ..Default::default()
    };
    kms.put_key_policy(c, req).await.map(|_| ()).map_err(|e| e.code())
}

#[tokio::test]
async fn the_default_policy_gives_the_account_everything_and_reads_back() {
    let kms = kms().await;
    let alice = caller(ALICE);
    let key = create(&kms, &alice, None).await.unwrap();
    let blob = encrypt(&kms, &alice, &key, &[]).await.unwrap();
    assert_eq!(decrypt(&kms, &alice, None, &blob).await.unwrap(), b"data");
    let got = kms
        .get_key_policy(&alice, GetKeyPolicyRequest { key_id: Some(key.clone()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(got.policy_name.as_deref(), Some("default"));
    let doc: serde_json::Value = serde_json::from_str(got.policy.as_deref().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Principal"]["AWS"], format!("arn:aws:iam::{ALICE}:root"));
    assert_eq!(doc["Statement"][0]["Action"], "kms:*");
    let names = kms
        .list_key_policies(&alice, ListKeyPoliciesRequest { key_id: Some(key.clone()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(names.policy_names, vec!["default".to_owned()]);
    let e = kms
        .get_key_policy(&alice, GetKeyPolicyRequest { key_id: Some(key), policy_name: Some("other".into()) })
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_policy_without_an_allow_denies_with_aws_wording() {
    let kms = kms().await;
    let alice = caller(ALICE);
    let key = create(&kms, &alice, Some(policy(&[admin()]))).await.unwrap();
    let e = kms
        .encrypt(
            &alice,
            EncryptRequest {
                key_id: Some(key.clone()),
                plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"x".to_vec()))),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert_eq!(
        e.to_string(),
        format!(
            "User: arn:aws:iam::{ALICE}:root is not authorized to perform: kms:Encrypt on resource: {key} because no resource-based policy allows the kms:Encrypt action"
        )
    );
    // DescribeKey is allowed by the same policy.
    assert!(kms.describe_key(&alice, DescribeKeyRequest { key_id: Some(key), ..Default::default() }).await.is_ok());
}

#[tokio::test]
async fn explicit_deny_wins_and_conditions_see_the_encryption_context() {
    let kms = kms().await;
    let alice = caller(ALICE);
    let root = format!("arn:aws:iam::{ALICE}:root");
    let text = policy(&[
        statement("Allow", &root, r#""kms:*""#, ""),
        statement("Deny", "*", r#""kms:Encrypt""#, r#"{"StringNotEquals":{"kms:EncryptionContext:tenant":"blue"}}"#),
    ]);
    let key = create(&kms, &alice, Some(text)).await.unwrap();
    assert!(encrypt(&kms, &alice, &key, &[("tenant", "blue")]).await.is_ok());
    assert_eq!(encrypt(&kms, &alice, &key, &[("tenant", "red")]).await, Err(ErrorCode::AccessDenied));
    assert_eq!(
        encrypt(&kms, &alice, &key, &[]).await,
        Err(ErrorCode::AccessDenied),
        "a missing key fails StringNotEquals' negation"
    );
    // Aliases: kms:RequestAlias is the alias the request named.
    kms.create_alias(
        &alice,
        CreateAliasRequest { alias_name: Some("alias/blue".into()), target_key_id: Some(key.clone()) },
    )
    .await
    .unwrap();
    assert!(encrypt(&kms, &alice, "alias/blue", &[("tenant", "blue")]).await.is_ok());
}

#[tokio::test]
async fn put_key_policy_checks_the_document_and_the_lockout() {
    let kms = kms().await;
    let alice = caller(ALICE);
    let key = create(&kms, &alice, None).await.unwrap();
    assert_eq!(put(&kms, &alice, &key, "{".into(), false).await, Err(ErrorCode::MalformedPolicyDocument));
    let no_admin = policy(&[statement("Allow", ALICE, r#"["kms:Encrypt","kms:Decrypt"]"#, "")]);
    let e = kms
        .put_key_policy(
            &alice,
            PutKeyPolicyRequest { key_id: Some(key.clone()), policy: Some(no_admin.clone()), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
    assert_eq!(e.to_string(), "The new key policy will not allow you to update the key policy in the future.");
    // CreateKey runs the same check.
    assert_eq!(create(&kms, &alice, Some(no_admin.clone())).await, Err(ErrorCode::MalformedPolicyDocument));
    // With the bypass it is stored, and then even the account is locked out of PutKeyPolicy.
    put(&kms, &alice, &key, no_admin.clone(), true).await.unwrap();
    assert!(encrypt(&kms, &alice, &key, &[]).await.is_ok());
    assert_eq!(put(&kms, &alice, &key, policy(&[admin()]), false).await, Err(ErrorCode::AccessDenied));
    let got = kms.get_key_policy(&alice, GetKeyPolicyRequest { key_id: Some(key), ..Default::default() }).await;
    assert_eq!(got.unwrap_err().code(), ErrorCode::AccessDenied, "GetKeyPolicy is not allowed either");
}

#[tokio::test]
async fn another_account_uses_a_key_its_policy_allows_by_arn_only() {
    let kms = kms().await;
    let (alice, bob) = (caller(ALICE), caller(BOB));
    let root = format!("arn:aws:iam::{ALICE}:root");
    let text = policy(&[
        statement("Allow", &root, r#""kms:*""#, ""),
        statement("Allow", BOB, r#"["kms:Encrypt","kms:Decrypt","kms:DescribeKey"]"#, ""),
    ]);
    let key = create(&kms, &alice, Some(text)).await.unwrap();
    let key_id = key.rsplit('/').next().unwrap().to_owned();
    let blob = encrypt(&kms, &bob, &key, &[]).await.unwrap();
    assert_eq!(decrypt(&kms, &alice, None, &blob).await.unwrap(), b"data");
    assert_eq!(decrypt(&kms, &bob, Some(&key), &blob).await.unwrap(), b"data");
    // Decrypt authorizes against the key the ciphertext names, in whichever
    // account: Bob needs no KeyId.
    assert_eq!(decrypt(&kms, &bob, None, &blob).await.unwrap(), b"data");
    // By bare key id Bob looks in his own account.
    assert_eq!(encrypt(&kms, &bob, &key_id, &[]).await, Err(ErrorCode::NotFound));
    // Actions the policy does not give Bob are denied; non-cross-account ones are not found.
    let e = kms.get_public_key(&bob, GetPublicKeyRequest { key_id: Some(key.clone()), ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::AccessDenied);
    let e = kms.get_key_policy(&bob, GetKeyPolicyRequest { key_id: Some(key.clone()), ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
    // Alice takes it back: Bob is refused at once.
    put(&kms, &alice, &key, policy(&[statement("Allow", &root, r#""kms:*""#, "")]), false).await.unwrap();
    assert_eq!(encrypt(&kms, &bob, &key, &[]).await, Err(ErrorCode::AccessDenied));
    assert_eq!(decrypt(&kms, &bob, None, &blob).await, Err(ErrorCode::AccessDenied));
    // In another region the key's ciphertext names nothing Bob can see.
    let bob_eu = common::root_caller(BOB, "eu-west-1");
    assert_eq!(decrypt(&kms, &bob_eu, None, &blob).await, Err(ErrorCode::InvalidCiphertext));
}

#[tokio::test]
async fn resource_aliases_and_reencrypt_on_same_key_are_in_the_context() {
    let kms = kms().await;
    let alice = caller(ALICE);
    let root = format!("arn:aws:iam::{ALICE}:root");
    let text = policy(&[
        statement("Allow", &root, r#""kms:*""#, ""),
        statement(
            "Deny",
            "*",
            r#""kms:Encrypt""#,
            r#"{"ForAllValues:StringNotLike":{"kms:ResourceAliases":"alias/finance-*"}}"#,
        ),
        statement(
            "Deny",
            "*",
            r#"["kms:ReEncryptFrom","kms:ReEncryptTo"]"#,
            r#"{"Bool":{"kms:ReEncryptOnSameKey":"true"}}"#,
        ),
    ]);
    let key = create(&kms, &alice, Some(text)).await.unwrap();
    // No alias at all: ForAllValues over an empty set holds, so the Deny applies.
    assert_eq!(encrypt(&kms, &alice, &key, &[]).await, Err(ErrorCode::AccessDenied));
    kms.create_alias(
        &alice,
        CreateAliasRequest { alias_name: Some("alias/other".into()), target_key_id: Some(key.clone()) },
    )
    .await
    .unwrap();
    assert_eq!(encrypt(&kms, &alice, &key, &[]).await, Err(ErrorCode::AccessDenied));
    kms.create_alias(
        &alice,
        CreateAliasRequest { alias_name: Some("alias/finance-1".into()), target_key_id: Some(key.clone()) },
    )
    .await
    .unwrap();
    // Now one alias (finance-1) is like finance-*, so "no alias is like
    // finance-*" is false and the Deny lapses.
    let blob = encrypt(&kms, &alice, &key, &[]).await.unwrap();

    let other = create(&kms, &alice, None).await.unwrap();
    let reencrypt = |dest: &str| ReEncryptRequest {
        ciphertext_blob: Some(Blob(blob.clone())),
        destination_key_id: Some(dest.into()),
        ..Default::default()
    };
    assert!(kms.re_encrypt(&alice, reencrypt(&other)).await.is_ok());
    let e = kms.re_encrypt(&alice, reencrypt(&key)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}
