//! IAM users and identity policies end to end, with two accounts: users are
//! created over Trent's admin API (signed requests through the real
//! router), then act through `aws-sdk-kms`. What the key policy and the
//! user's identity policies allow together works; the rest is
//! `AccessDeniedException` with AWS's message.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use crate::protocol::{send, Req};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;

const BOB: &str = "444455556666";
const BOB_KEY: &str = "AKIABOBBOBBOBBOB0001";
const BOB_SECRET: &str = "bob-secret-bob-secret-bob-secret";

/// Calls a TrentAdmin operation signed by (access key, secret).
async fn admin(s: &TestServer, by: (&str, &str), op: &str, body: serde_json::Value) -> serde_json::Value {
    let req = Req::new(&format!("TrentAdmin.{op}"), &body.to_string()).by(by.0, by.1);
    let (status, ty, v) = send(s, req.signed()).await;
    assert_eq!(status, 200, "{op}: {ty} {v}");
    v
}

/// Creates a user; returns an SDK client signed with its access key.
async fn user(s: &TestServer, by: (&str, &str), name: &str) -> aws_sdk_kms::Client {
    let v = admin(s, by, "CreateUser", serde_json::json!({"UserName": name})).await;
    let (ak, secret) = (v["AccessKeyId"].as_str().unwrap(), v["SecretAccessKey"].as_str().unwrap());
    assert!(v["User"]["Arn"].as_str().unwrap().ends_with(&format!(":user/{name}")));
    s.client_with("us-east-1", ak, secret)
}

async fn put_policy(s: &TestServer, by: (&str, &str), user: &str, statements: &str) {
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":{statements}}}"#);
    let body = serde_json::json!({"UserName": user, "PolicyName": "kms", "PolicyDocument": doc});
    admin(s, by, "PutUserPolicy", body).await;
}

fn denied<E: ProvideErrorMetadata>(e: &E, principal: &str, action: &str, why: &str) {
    assert_eq!(e.code(), Some("AccessDeniedException"), "{:?}", e.message());
    let m = e.message().unwrap();
    assert!(m.starts_with(&format!("User: {principal} is not authorized to perform: {action} on resource: ")), "{m}");
    assert!(m.ends_with(why), "{m}");
}

#[tokio::test]
async fn users_of_two_accounts_act_as_key_and_identity_policies_allow() {
    let s = TestServer::builder().build().await;
    let alice_root = (ACCESS_KEY, SECRET_KEY);
    let bob_root = (BOB_KEY, BOB_SECRET);
    let bob_root_client = s.client_of_new_account(BOB, BOB_KEY, BOB_SECRET).await;
    let app = user(&s, alice_root, "app").await;
    let bob_app = user(&s, bob_root, "bob-app").await;
    let app_arn = format!("arn:aws:iam::{ACCOUNT}:user/app");
    let bob_app_arn = format!("arn:aws:iam::{BOB}:user/bob-app");

    // A user starts with no permissions at all.
    let e = app.create_key().send().await.unwrap_err();
    denied(
        e.as_service_error().unwrap(),
        &app_arn,
        "kms:CreateKey",
        "because no identity-based policy allows the kms:CreateKey action",
    );

    // Alice's key: the account delegates to IAM; Bob's account may encrypt.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
  {{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"*"}}]}}"#
    );
    let key = s.client().create_key().policy(policy).send().await.unwrap().key_metadata.unwrap().arn.unwrap();
    let encrypt = |c: &aws_sdk_kms::Client| c.encrypt().key_id(&key).plaintext(Blob::new(b"payload".to_vec())).send();

    // Same account: the delegation needs the user's identity policy.
    let e = encrypt(&app).await.unwrap_err();
    denied(
        e.as_service_error().unwrap(),
        &app_arn,
        "kms:Encrypt",
        "because no identity-based policy allows the kms:Encrypt action",
    );
    put_policy(&s, alice_root, "app", &format!(r#"[{{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"arn:aws:kms:*:{ACCOUNT}:key/*"}}]"#)).await;
    let ct = encrypt(&app).await.unwrap().ciphertext_blob.unwrap();
    let back = app.decrypt().ciphertext_blob(ct.clone()).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"payload");
    let e = app.schedule_key_deletion().key_id(&key).send().await.unwrap_err();
    denied(
        e.as_service_error().unwrap(),
        &app_arn,
        "kms:ScheduleKeyDeletion",
        "because no identity-based policy allows the kms:ScheduleKeyDeletion action",
    );

    // Another account: its root needs only the key policy; its user needs
    // its own account's identity policy too.
    encrypt(&bob_root_client).await.unwrap();
    let e = encrypt(&bob_app).await.unwrap_err();
    denied(
        e.as_service_error().unwrap(),
        &bob_app_arn,
        "kms:Encrypt",
        "because no identity-based policy allows the kms:Encrypt action",
    );
    put_policy(
        &s,
        bob_root,
        "bob-app",
        &format!(r#"{{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"}}"#),
    )
    .await;
    encrypt(&bob_app).await.unwrap();
    // The key policy gives Bob's account no Decrypt: IAM cannot add it.
    let e = bob_app.decrypt().key_id(&key).ciphertext_blob(ct.clone()).send().await.unwrap_err();
    denied(
        e.as_service_error().unwrap(),
        &bob_app_arn,
        "kms:Decrypt",
        "because no resource-based policy allows the kms:Decrypt action",
    );
    // An explicit Deny in the user's policies wins over both allows.
    put_policy(&s, bob_root, "bob-app", r#"[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:username":"nobody"}}}]"#).await;
    let e = encrypt(&bob_app).await.unwrap_err();
    denied(
        e.as_service_error().unwrap(),
        &bob_app_arn,
        "kms:Encrypt",
        "with an explicit deny in an identity-based policy",
    );

    // A user cannot manage users, nor another account's users.
    let req = Req::new("TrentAdmin.ListUsers", "{}");
    let (status, _, v) = send(&s, req.by(BOB_KEY, BOB_SECRET).signed()).await;
    assert_eq!(status, 200);
    assert_eq!(v["Users"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["Users"][0]["UserName"], "bob-app");
    assert!(v["Users"][0].get("Tags").is_none(), "{v}");

    // Tags: given at creation, listed, replaced and removed; IAM's rules
    // on their shape are validation errors.
    let tagged = serde_json::json!({"UserName": "tagged", "Tags": [{"Key": "team", "Value": "blue"}]});
    let v = admin(&s, bob_root, "CreateUser", tagged).await;
    assert_eq!(v["User"]["Tags"], serde_json::json!([{"Key": "team", "Value": "blue"}]));
    let retag = serde_json::json!({"UserName": "tagged", "Tags": [{"Key": "Team", "Value": "red"}]});
    admin(&s, bob_root, "TagUser", retag).await;
    let v = admin(&s, bob_root, "ListUserTags", serde_json::json!({"UserName": "tagged"})).await;
    assert_eq!(v, serde_json::json!({"Tags": [{"Key": "Team", "Value": "red"}], "IsTruncated": false}));
    admin(&s, bob_root, "UntagUser", serde_json::json!({"UserName": "tagged", "TagKeys": ["team"]})).await;
    let v = admin(&s, bob_root, "ListUserTags", serde_json::json!({"UserName": "tagged"})).await;
    assert_eq!(v["Tags"], serde_json::json!([]));
    let bad = serde_json::json!({"UserName": "tagged", "Tags": [{"Key": "no#hash", "Value": "x"}]});
    let req = Req::new("TrentAdmin.TagUser", &bad.to_string()).by(BOB_KEY, BOB_SECRET);
    let (status, ty, _) = send(&s, req.signed()).await;
    assert_eq!((status, ty.as_str()), (400, "ValidationException"));

    // Rotation: a second key works at once; the first, deleted, stops.
    let v = admin(&s, bob_root, "CreateAccessKey", serde_json::json!({"UserName": "bob-app"})).await;
    let (new_id, new_secret) =
        (v["AccessKey"]["AccessKeyId"].as_str().unwrap(), v["AccessKey"]["SecretAccessKey"].as_str().unwrap());
    assert_eq!(
        (v["AccessKey"]["UserName"].as_str(), v["AccessKey"]["Status"].as_str()),
        (Some("bob-app"), Some("Active"))
    );
    let rotated = s.client_with("us-east-1", new_id, new_secret);
    rotated.describe_key().key_id(&key).send().await.unwrap();
    let v = admin(&s, bob_root, "ListAccessKeys", serde_json::json!({"UserName": "bob-app"})).await;
    let listed = v["AccessKeyMetadata"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{v}");
    assert!(listed.iter().all(|k| k.get("SecretAccessKey").is_none()), "{v}");
    let old_id = listed.iter().map(|k| k["AccessKeyId"].as_str().unwrap()).find(|id| *id != new_id).unwrap();
    let body = serde_json::json!({"UserName": "bob-app", "AccessKeyId": old_id});
    admin(&s, bob_root, "DeleteAccessKey", body).await;
    let e = bob_app.describe_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(e.as_service_error().unwrap().code(), Some("UnrecognizedClientException"));
    rotated.describe_key().key_id(&key).send().await.unwrap();

    // Deleting the user revokes its access keys at once.
    admin(&s, bob_root, "DeleteUser", serde_json::json!({"UserName": "bob-app"})).await;
    let e = rotated.describe_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(e.as_service_error().unwrap().code(), Some("UnrecognizedClientException"));

    // The trail names the created access key, never its secret.
    let v = admin(&s, alice_root, "ReadAuditTrail", serde_json::json!({})).await;
    let events: Vec<&str> = v["Records"].as_array().unwrap().iter().map(|r| r["Event"].as_str().unwrap()).collect();
    let created =
        events.iter().find(|e| e.contains(r#""eventName":"CreateAccessKey""#)).expect("a CreateAccessKey event");
    assert!(created.contains(new_id), "{created}");
    assert!(events.iter().all(|e| !e.contains(new_secret)), "a secret access key reached the trail");
    s.stop().await;
}

#[tokio::test]
async fn seal_is_the_operators_and_only_a_shamir_deployment_has_a_sealed_state() {
    let s = TestServer::builder().build().await;
    // The operator account may ask; the key-file seal has no sealed state.
    let (status, ty, v) = send(&s, Req::new("TrentAdmin.Seal", "{}").signed()).await;
    assert_eq!((status, ty.as_str()), (400, "UnsupportedOperationException"), "{v}");
    assert!(v["message"].as_str().unwrap().contains("Shamir"), "{v}");
    let (_, ty, _) = send(&s, Req::new("TrentAdmin.Seal", r#"{"Now":true}"#).signed()).await;
    assert_eq!(ty, "SerializationException");
    // Another account may not.
    s.client_of_new_account(BOB, BOB_KEY, BOB_SECRET).await;
    let (_, ty, v) = send(&s, Req::new("TrentAdmin.Seal", "{}").by(BOB_KEY, BOB_SECRET).signed()).await;
    assert_eq!(ty, "AccessDeniedException", "{v}");
    assert!(v["message"].as_str().unwrap().contains("trent:Seal"), "{v}");
    s.stop().await;
}
