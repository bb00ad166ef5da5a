//! Roles and temporary credentials end to end with the real SDKs: roles
//! managed with `aws-sdk-iam`, assumed with `aws-sdk-sts`, the session's
//! credentials (with `X-Amz-Security-Token`) used with `aws-sdk-kms`;
//! expired and altered tokens refused with AWS's codes; the session's
//! CloudTrail identity.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_sts::error::ProvideErrorMetadata;
use std::sync::Arc;
use trent_core::ManualClock;

const REGION: &str = "us-east-1";

fn creds(ak: &str, secret: &str, token: Option<&str>) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(ak, secret, token.map(str::to_owned), None, "test")
}

fn iam(s: &TestServer, c: aws_credential_types::Credentials) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .time_source(s.time_source())
        .credentials_provider(c)
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

fn sts(s: &TestServer, c: aws_credential_types::Credentials) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .time_source(s.time_source())
        .credentials_provider(c)
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

fn kms(s: &TestServer, c: aws_credential_types::Credentials) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(REGION))
        .endpoint_url(s.endpoint())
        .time_source(s.time_source())
        .credentials_provider(c)
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

fn doc(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

#[tokio::test]
async fn a_user_assumes_a_role_and_its_session_encrypts_until_it_expires() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let s = TestServer::builder().manual_clock(clock.clone()).build().await;
    let root = creds(ACCESS_KEY, SECRET_KEY, None);
    let admin = iam(&s, root.clone());

    // A user allowed to assume roles, and a role that trusts it.
    admin.create_user().user_name("dev").send().await.unwrap();
    let key = admin.create_access_key().user_name("dev").send().await.unwrap().access_key.unwrap();
    let dev = creds(key.access_key_id(), key.secret_access_key(), None);
    let assume_any = doc(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#);
    admin.put_user_policy().user_name("dev").policy_name("assume").policy_document(assume_any).send().await.unwrap();
    let trust = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/dev"}},"Action":"sts:AssumeRole"}}"#
    ));
    let role = admin
        .create_role()
        .role_name("encryptor")
        .assume_role_policy_document(trust)
        .max_session_duration(7200)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(role.arn(), format!("arn:aws:iam::{ACCOUNT}:role/encryptor"));
    assert!(role.role_id().starts_with("AROA"));
    let kms_only = doc(r#"{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}"#);
    admin.put_role_policy().role_name("encryptor").policy_name("kms").policy_document(kms_only).send().await.unwrap();
    let key_id = kms(&s, root.clone()).create_key().send().await.unwrap().key_metadata.unwrap().key_id;

    // Who am I, before and after.
    let who = sts(&s, dev.clone()).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(format!("arn:aws:iam::{ACCOUNT}:user/dev").as_str()));
    assert_eq!(who.account(), Some(ACCOUNT));
    let out = sts(&s, dev.clone())
        .assume_role()
        .role_arn(role.arn())
        .role_session_name("build-42")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/encryptor/build-42");
    assert_eq!(out.assumed_role_user.as_ref().unwrap().arn(), session_arn);
    let session = creds(c.access_key_id(), c.secret_access_key(), Some(c.session_token()));
    let who = sts(&s, session.clone()).get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(session_arn.as_str()));
    assert!(who.user_id().unwrap().starts_with(&format!("{}:", role.role_id())));

    // The session acts with the role's policies.
    let k = kms(&s, session.clone());
    let blob =
        k.encrypt().key_id(&key_id).plaintext(Blob::new("secret")).send().await.unwrap().ciphertext_blob.unwrap();
    let plain = k.decrypt().ciphertext_blob(blob).send().await.unwrap().plaintext.unwrap();
    assert_eq!(plain.as_ref(), b"secret");
    let e = k.create_key().send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert!(e.message().unwrap().starts_with(&format!("User: {session_arn} is not authorized")), "{e:?}");

    // Its Encrypt event names the session and the role it stands on.
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    let encrypt: serde_json::Value = records
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.entry.record).unwrap())
        .find(|e| e["eventName"] == "Encrypt")
        .unwrap();
    let id = &encrypt["userIdentity"];
    assert_eq!(id["type"], "AssumedRole");
    assert_eq!(id["arn"], session_arn.as_str());
    assert_eq!(id["accessKeyId"], c.access_key_id());
    assert_eq!(id["sessionContext"]["sessionIssuer"]["arn"], role.arn());
    assert_eq!(id["sessionContext"]["sessionIssuer"]["type"], "Role");
    // AssumeRole's own event keeps no secret and no token.
    let assume = records.iter().find(|r| r.entry.record.contains(r#""eventName":"AssumeRole""#)).unwrap();
    assert!(assume.entry.record.contains(r#""eventSource":"sts.amazonaws.com""#), "{}", assume.entry.record);
    assert!(!assume.entry.record.contains(c.secret_access_key()));
    assert!(!assume.entry.record.contains(c.session_token()));
    // It shows the session's access key id, so its calls trace back to it.
    let assume_event: serde_json::Value = serde_json::from_str(&assume.entry.record).unwrap();
    assert_eq!(assume_event["responseElements"]["credentials"]["accessKeyId"], c.access_key_id());
    assert_eq!(assume_event["responseElements"]["assumedRoleUser"]["arn"], session_arn.as_str());
    assert_eq!(assume_event["requestParameters"]["roleSessionName"], "build-42");
    assert_eq!(
        records.iter().filter(|r| r.entry.record.contains(r#""eventName":"AssumeRole""#)).count(),
        1,
        "one event per call"
    );

    // An altered token is not one Trent issued.
    let mut token = c.session_token().to_owned().into_bytes();
    let i = token.len() - 10;
    token[i] = if token[i] == b'A' { b'B' } else { b'A' };
    let forged = creds(c.access_key_id(), c.secret_access_key(), Some(std::str::from_utf8(&token).unwrap()));
    let e = kms(&s, forged).list_keys().send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("UnrecognizedClientException"));
    let e = sts(&s, creds(c.access_key_id(), c.secret_access_key(), None))
        .get_caller_identity()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("InvalidClientTokenId"));

    // Fifteen minutes later the session is over.
    clock.advance(900 * 1000);
    let e = k.encrypt().key_id(&key_id).plaintext(Blob::new("x")).send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("ExpiredTokenException"));
    let e = sts(&s, session).get_caller_identity().send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("ExpiredToken"));
}

#[tokio::test]
async fn sts_refuses_as_aws_does() {
    let s = TestServer::builder().build().await;
    let root = creds(ACCESS_KEY, SECRET_KEY, None);
    let trust = doc(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ACCOUNT}"}},"Action":"sts:AssumeRole"}}"#));
    iam(&s, root.clone()).create_role().role_name("r1").assume_role_policy_document(trust).send().await.unwrap();
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/r1");
    let client = sts(&s, root.clone());

    // Longer than the role's MaxSessionDuration (one hour by default).
    let e = client.assume_role().role_arn(&arn).role_session_name("s1").duration_seconds(7200).send().await;
    let e = e.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("ValidationError"));
    assert_eq!(e.message(), Some("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
    // A role that does not exist is a denial.
    let e = client.assume_role().role_arn(format!("{arn}x")).role_session_name("s1").send().await;
    let e = e.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("AccessDenied"));
    // A session policy that is not a policy.
    let e = client.assume_role().role_arn(&arn).role_session_name("s1").policy("{}").send().await;
    assert_eq!(e.unwrap_err().into_service_error().code(), Some("MalformedPolicyDocument"));
    // A session name outside the model's pattern.
    let e = client.assume_role().role_arn(&arn).role_session_name("a b").send().await;
    assert_eq!(e.unwrap_err().into_service_error().code(), Some("ValidationError"));
    // Managed session policies are not built: refused, not ignored.
    let e = client
        .assume_role()
        .role_arn(&arn)
        .role_session_name("s1")
        .policy_arns(aws_sdk_sts::types::PolicyDescriptorType::builder().arn("arn:aws:iam::aws:policy/x").build())
        .send()
        .await;
    assert_eq!(e.unwrap_err().into_service_error().code(), Some("ValidationError"));
    // GetSessionToken of a root lasts an hour at most.
    let e = client.get_session_token().duration_seconds(3601).send().await;
    assert_eq!(e.unwrap_err().into_service_error().code(), Some("ValidationError"));
    let c = client.get_session_token().duration_seconds(3600).send().await.unwrap().credentials.unwrap();
    let session = creds(c.access_key_id(), c.secret_access_key(), Some(c.session_token()));
    // Its session keys act as the root on KMS, and never on IAM.
    kms(&s, session.clone()).list_keys().send().await.unwrap();
    let e = iam(&s, session).list_roles().send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("InvalidClientTokenId"));
}
