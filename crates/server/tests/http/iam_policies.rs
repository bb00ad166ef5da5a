//! IAM's customer managed policies and permissions boundaries over the
//! Query protocol, driven by the real `aws-sdk-iam`: a user in a group
//! with a managed policy encrypts through `aws-sdk-kms`, a new default
//! version applies at once, a boundary caps the user, and the calls are
//! audited as IAM events.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;

fn iam(s: &TestServer) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(s.endpoint())
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

fn allow(actions: &[&str]) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
        .to_string()
}

fn code<E: ProvideErrorMetadata>(
    e: &aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
) -> String {
    e.code().unwrap_or("").to_owned()
}

#[tokio::test]
async fn a_grouped_user_acts_with_a_managed_policy_capped_by_its_boundary() {
    let s = TestServer::builder().build().await;
    let root = iam(&s);
    let policy = root
        .create_policy()
        .policy_name("kms-users")
        .path("/team/")
        .policy_document(allow(&["kms:Encrypt", "kms:Decrypt"]))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    let arn = policy.arn().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:policy/team/kms-users"));
    assert_eq!(policy.default_version_id(), Some("v1"));
    assert!(policy.policy_id().unwrap().starts_with("ANPA"));

    root.create_group().group_name("devs").send().await.unwrap();
    root.attach_group_policy().group_name("devs").policy_arn(&arn).send().await.unwrap();
    root.create_user().user_name("dev").send().await.unwrap();
    root.add_user_to_group().group_name("devs").user_name("dev").send().await.unwrap();
    let k = root.create_access_key().user_name("dev").send().await.unwrap().access_key.unwrap();
    let dev = s.client_with("us-east-1", k.access_key_id(), k.secret_access_key());
    let key = s.client().create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let blob = dev.encrypt().key_id(&key).plaintext(Blob::new("x")).send().await.unwrap().ciphertext_blob.unwrap();
    dev.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
    let got = root.get_policy().policy_arn(&arn).send().await.unwrap().policy.unwrap();
    assert_eq!(got.attachment_count(), Some(1));

    // A new default version applies at once.
    let v2 = root
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(allow(&["kms:Encrypt"]))
        .set_as_default(true)
        .send()
        .await
        .unwrap()
        .policy_version
        .unwrap();
    assert_eq!((v2.version_id(), v2.is_default_version()), (Some("v2"), true));
    assert!(dev.decrypt().ciphertext_blob(blob.clone()).send().await.is_err());
    root.set_default_policy_version().policy_arn(&arn).version_id("v1").send().await.unwrap();
    dev.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
    let versions = root.list_policy_versions().policy_arn(&arn).max_items(1).send().await.unwrap();
    assert_eq!(versions.versions().len(), 1);
    assert!(versions.is_truncated());

    // A permissions boundary caps the user to Encrypt.
    let boundary = root
        .create_policy()
        .policy_name("encrypt-only")
        .policy_document(allow(&["kms:Encrypt"]))
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.put_user_permissions_boundary().user_name("dev").permissions_boundary(&boundary).send().await.unwrap();
    let user = root.get_user().user_name("dev").send().await.unwrap().user.unwrap();
    assert_eq!(user.permissions_boundary().and_then(|b| b.permissions_boundary_arn()), Some(boundary.as_str()));
    dev.encrypt().key_id(&key).plaintext(Blob::new("x")).send().await.unwrap();
    let e = dev.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap_err();
    let message = aws_sdk_kms::error::ProvideErrorMetadata::message(&e).unwrap_or("").to_owned();
    assert!(message.ends_with("because no permissions boundary allows the kms:Decrypt action"), "{message}");
    let e = root.delete_policy().policy_arn(&boundary).send().await.unwrap_err();
    assert_eq!(code(&e), "DeleteConflict");
    root.delete_user_permissions_boundary().user_name("dev").send().await.unwrap();
    dev.decrypt().ciphertext_blob(blob).send().await.unwrap();

    // IAM's errors for what is not there.
    let e = root
        .attach_user_policy()
        .user_name("dev")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchEntity");
    let e = root.get_policy_version().policy_arn(&arn).version_id("v9").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchEntity");
    let e = root.get_policy_version().policy_arn(&arn).version_id("x1").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");

    // GetAccessKeyLastUsed, read back from the trail.
    let used = root.get_access_key_last_used().access_key_id(k.access_key_id()).send().await.unwrap();
    assert_eq!(used.user_name(), Some("dev"));
    let last = used.access_key_last_used().unwrap();
    assert_eq!((last.service_name(), last.region()), ("kms", "us-east-1"));
    assert!(last.last_used_date().is_some());
    let fresh = root.create_access_key().user_name("dev").send().await.unwrap().access_key.unwrap();
    let unused = root.get_access_key_last_used().access_key_id(fresh.access_key_id()).send().await.unwrap();
    let last = unused.access_key_last_used().unwrap();
    assert_eq!((last.service_name(), last.region(), last.last_used_date()), ("N/A", "N/A", None));
    let e = root.get_access_key_last_used().access_key_id("AKIANOSUCHKEY0000000").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // Audited as IAM events, the response's policy kept.
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    let created = records
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.entry.record).unwrap())
        .find(|e| e["eventName"] == "CreatePolicy")
        .unwrap();
    assert_eq!(created["eventSource"], "iam.amazonaws.com");
    assert_eq!(created["requestParameters"]["policyName"], "kms-users");
    assert_eq!(created["responseElements"]["policy"]["arn"], arn);
}
