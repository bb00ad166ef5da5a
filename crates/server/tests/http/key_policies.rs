//! Key policies through `aws-sdk-kms`, with two accounts: what the policy
//! allows works, what it does not is `AccessDeniedException` with AWS's
//! message, and PutKeyPolicy takes effect on the next request.

use crate::common::{TestServer, ACCOUNT};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;

const BOB: &str = "444455556666";

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

fn policy(bob_actions: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Id":"two-accounts","Statement":[
  {{"Sid":"Admin","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
  {{"Sid":"Bob","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{BOB}:root"}},"Action":{bob_actions},"Resource":"*",
    "Condition":{{"StringEquals":{{"kms:EncryptionContext:app":"shared"}}}}}}
]}}"#
    )
}

#[tokio::test]
async fn two_accounts_share_a_key_as_its_policy_says() {
    let s = TestServer::builder().build().await;
    let alice = s.client();
    let bob = s.client_of_new_account(BOB, "AKIABOBBOBBOBBOB0000", "bob-secret-bob-secret-bob-secret").await;

    let key = alice
        .create_key()
        .policy(policy(r#"["kms:Encrypt","kms:Decrypt"]"#))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let got = alice.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(got.policy_name(), Some("default"));
    assert!(got.policy().unwrap().contains("two-accounts"));
    let names = alice.list_key_policies().key_id(&key).send().await.unwrap();
    assert_eq!(names.policy_names(), ["default"]);

    // Bob encrypts by ARN with the context the policy asks for, and decrypts.
    let ct = bob
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"for alice".to_vec()))
        .encryption_context("app", "shared")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let back = bob.decrypt().key_id(&key).ciphertext_blob(ct.clone()).encryption_context("app", "shared").send().await;
    assert_eq!(back.unwrap().plaintext.unwrap().as_ref(), b"for alice");
    let back = alice.decrypt().ciphertext_blob(ct).encryption_context("app", "shared").send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"for alice");

    // Without the context, or for an action not granted: denied, AWS-worded.
    let e = bob.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    assert_eq!(
        e.message(),
        Some(
            format!(
                "User: arn:aws:iam::{BOB}:root is not authorized to perform: kms:Encrypt on resource: {key} because no resource-based policy allows the kms:Encrypt action"
            )
            .as_str()
        )
    );
    let e = bob.describe_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    // Management actions never cross accounts: not found.
    let e = bob.get_key_policy().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    // By bare key id Bob looks in his own account.
    let key_id = key.rsplit('/').next().unwrap();
    let e = bob.encrypt().key_id(key_id).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");

    // Alice withdraws Encrypt: the next request is refused.
    alice.put_key_policy().key_id(&key).policy(policy(r#""kms:Decrypt""#)).send().await.unwrap();
    let e = bob
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"x".to_vec()))
        .encryption_context("app", "shared")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
}

#[tokio::test]
async fn put_key_policy_refuses_bad_documents_and_lockouts() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    for (doc, wording) in [
        ("{", "not a valid JSON document"),
        (r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#, "no principal"),
        (r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*"}}"#, "invalid principals"),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEqualz":{"kms:A":"b"}}}}"#,
            "invalid condition operator",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt"}}"#,
            "will not allow you to update the key policy",
        ),
    ] {
        let e = kms.put_key_policy().key_id(&key).policy(doc).send().await.unwrap_err();
        assert_eq!(code(&e), "MalformedPolicyDocumentException", "{doc}");
        assert!(e.message().unwrap().contains(wording), "{doc}: {:?}", e.message());
    }
    let e = kms.get_key_policy().key_id(&key).policy_name("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    let e = kms.put_key_policy().key_id(&key).policy_name("a-b").policy("{}").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    // The bypass stores a lockout policy; the account then cannot read or change it.
    let lockout = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt"}}"#;
    kms.put_key_policy().key_id(&key).policy(lockout).bypass_policy_lockout_safety_check(true).send().await.unwrap();
    let e = kms.get_key_policy().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    assert!(kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.is_ok());
}

#[tokio::test]
async fn grants_through_the_sdk() {
    use aws_sdk_kms::types::{GrantConstraints, GrantOperation};
    let s = TestServer::builder().build().await;
    let alice = s.client();
    let bob = s.client_of_new_account(BOB, "AKIABOBBOBBOBBOB0000", "bob-secret-bob-secret-bob-secret").await;
    let key = alice.create_key().send().await.unwrap().key_metadata.unwrap().arn.unwrap();
    let bob_root = format!("arn:aws:iam::{BOB}:root");

    let e = bob.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    let g = alice
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_root)
        .retiring_principal(&bob_root)
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::Decrypt)
        .constraints(GrantConstraints::builder().encryption_context_equals("app", "shared").build())
        .name("bob")
        .send()
        .await
        .unwrap();
    let token = g.grant_token().unwrap().to_owned();
    let ct = bob
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"granted".to_vec()))
        .encryption_context("app", "shared")
        .grant_tokens(&token)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let e = bob
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"x".to_vec()))
        .encryption_context("app", "other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");

    let listed = alice.list_grants().key_id(&key).send().await.unwrap();
    assert_eq!(listed.grants().len(), 1);
    let entry = &listed.grants()[0];
    assert_eq!(entry.grant_id(), g.grant_id());
    assert_eq!(entry.grantee_principal(), Some(bob_root.as_str()));
    assert_eq!(entry.operations(), [GrantOperation::Decrypt, GrantOperation::Encrypt]);
    assert!(entry.creation_date().is_some());
    let retirable = bob.list_retirable_grants().retiring_principal(&bob_root).send().await.unwrap();
    assert_eq!(retirable.grants().len(), 1);

    bob.retire_grant().grant_token(&token).send().await.unwrap();
    let e =
        bob.decrypt().key_id(&key).ciphertext_blob(ct).encryption_context("app", "shared").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    let e = alice.revoke_grant().key_id(&key).grant_id(g.grant_id().unwrap()).send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    let e = alice.revoke_grant().key_id(&key).grant_id("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidGrantIdException");
}

#[tokio::test]
async fn source_ip_and_secure_transport_come_from_the_connection() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let with = |extra: &str| {
        format!(
            r#"{{"Statement":[
  {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
  {extra}]}}"#
        )
    };
    // Requests come from 127.0.0.1 over plain HTTP.
    let loopback_only = with(
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}"#,
    );
    let key = kms.create_key().policy(loopback_only).send().await.unwrap().key_metadata.unwrap().key_id;
    assert!(kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.is_ok());
    let elsewhere = with(
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
    );
    kms.put_key_policy().key_id(&key).policy(elsewhere).send().await.unwrap();
    let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    let tls_only = with(
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    );
    kms.put_key_policy().key_id(&key).policy(tls_only).send().await.unwrap();
    let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
}
