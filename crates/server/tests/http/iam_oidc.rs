//! IAM's OpenID Connect provider operations over the Query protocol, driven
//! by the real `aws-sdk-iam`: a provider's life (create, read, list, its
//! client ids, thumbprints and tags, delete), IAM's refusals, a user
//! without the permission, and the audit events.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::Tag;

fn iam(s: &TestServer, access_key: &str, secret: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(s.endpoint())
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// The code, message and HTTP status of a failed IAM call.
fn failure<E: ProvideErrorMetadata>(
    e: &aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
) -> (String, String, u16) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (e.code().unwrap_or("").to_owned(), e.message().unwrap_or("").to_owned(), status)
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter().map(|t| (t.key(), t.value())).collect()
}

const THUMB_A: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
const THUMB_B: &str = "3768084dfb3d2b68b7897bf5f565da8eaaaaaaaa";

#[tokio::test]
async fn a_provider_is_created_read_changed_and_deleted() {
    let s = TestServer::builder().build().await;
    let root = iam(&s, ACCESS_KEY, SECRET_KEY);
    let created = root
        .create_open_id_connect_provider()
        .url("https://Token.Example.com/")
        .client_id_list("sts.amazonaws.com")
        .client_id_list("app")
        .client_id_list("app")
        .thumbprint_list(THUMB_A)
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    let arn = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com");
    assert_eq!(created.open_id_connect_provider_arn(), Some(arn.as_str()));
    assert_eq!(pairs(created.tags()), [("team", "blue")]);

    // IAM shows the URL as it names the provider: no scheme.
    let got = root.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
    assert_eq!(got.url(), Some("token.example.com"));
    assert_eq!(got.client_id_list(), ["sts.amazonaws.com", "app"]);
    assert_eq!(got.thumbprint_list(), [THUMB_A]);
    assert!(got.create_date().is_some());
    assert_eq!(pairs(got.tags()), [("team", "blue")]);

    // A second provider, with a path and no thumbprint; listed by URL.
    let other = root
        .create_open_id_connect_provider()
        .url("https://auth.example.com/realms/dev")
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn
        .unwrap();
    assert_eq!(other, format!("arn:aws:iam::{ACCOUNT}:oidc-provider/auth.example.com/realms/dev"));
    let listed = root.list_open_id_connect_providers().send().await.unwrap();
    let arns: Vec<&str> = listed.open_id_connect_provider_list().iter().filter_map(|p| p.arn()).collect();
    assert_eq!(arns, [other.as_str(), arn.as_str()]);

    // Client ids: added once, removed (an absent one is no error).
    for _ in 0..2 {
        root.add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .client_id("cli")
            .send()
            .await
            .unwrap();
    }
    for id in ["app", "never-there"] {
        root.remove_client_id_from_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .client_id(id)
            .send()
            .await
            .unwrap();
    }
    root.update_open_id_connect_provider_thumbprint()
        .open_id_connect_provider_arn(&arn)
        .thumbprint_list(THUMB_B)
        .thumbprint_list(THUMB_A)
        .send()
        .await
        .unwrap();
    let got = root.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
    assert_eq!(got.client_id_list(), ["sts.amazonaws.com", "cli"]);
    assert_eq!(got.thumbprint_list(), [THUMB_B, THUMB_A]);

    // Tags: a key in another case replaces; paged; untagged.
    root.tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .tags(tag("TEAM", "red"))
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    let page =
        root.list_open_id_connect_provider_tags().open_id_connect_provider_arn(&arn).max_items(1).send().await.unwrap();
    assert_eq!(pairs(page.tags()), [("TEAM", "red")]);
    assert!(page.is_truncated());
    let rest = root
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(&arn)
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(pairs(rest.tags()), [("env", "dev")]);
    assert!(!rest.is_truncated());
    root.untag_open_id_connect_provider().open_id_connect_provider_arn(&arn).tag_keys("team").send().await.unwrap();
    let tags = root.list_open_id_connect_provider_tags().open_id_connect_provider_arn(&arn).send().await.unwrap();
    assert_eq!(pairs(tags.tags()), [("env", "dev")]);

    root.delete_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
    let e = root.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap_err();
    assert_eq!(failure(&e), ("NoSuchEntity".into(), format!("OpenIDConnect Provider not found for arn {arn}"), 404));
    let listed = root.list_open_id_connect_providers().send().await.unwrap();
    assert_eq!(listed.open_id_connect_provider_list().len(), 1);

    // Audited as IAM events, the new provider's ARN kept.
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    let events: Vec<serde_json::Value> =
        records.iter().map(|r| serde_json::from_str(&r.entry.record).unwrap()).collect();
    let created = events.iter().find(|e| e["eventName"] == "CreateOpenIDConnectProvider").unwrap();
    assert_eq!(created["eventSource"], "iam.amazonaws.com");
    assert_eq!(created["readOnly"], false);
    assert_eq!(created["requestParameters"]["url"], "https://Token.Example.com/");
    assert_eq!(created["responseElements"]["openIDConnectProviderArn"], arn);
    let deleted = events.iter().find(|e| e["eventName"] == "DeleteOpenIDConnectProvider").unwrap();
    assert_eq!(deleted["eventSource"], "iam.amazonaws.com");
    assert_eq!(deleted["requestParameters"]["openIDConnectProviderArn"], arn);
}

#[tokio::test]
async fn refusals_are_iam_errors() {
    let s = TestServer::builder().build().await;
    let root = iam(&s, ACCESS_KEY, SECRET_KEY);
    let create = |url: &str| root.create_open_id_connect_provider().url(url).thumbprint_list(THUMB_A);
    let arn = create("https://issuer.example.com").send().await.unwrap().open_id_connect_provider_arn.unwrap();

    // The same URL, however spelled.
    let e = create("https://ISSUER.example.com/").send().await.unwrap_err();
    assert_eq!(
        failure(&e),
        ("EntityAlreadyExists".into(), "Provider with url https://issuer.example.com already exists.".into(), 409)
    );
    let (code, message, status) = failure(&create("http://plain.example.com").send().await.unwrap_err());
    assert_eq!((code.as_str(), status), ("InvalidInput", 400));
    assert!(message.contains("must begin with https://"), "{message}");
    let e = root
        .create_open_id_connect_provider()
        .url("https://short.example.com")
        .thumbprint_list("abc")
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = failure(&e);
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(message.contains("'thumbprintList.1.member'"), "{message}");
    let e = root
        .update_open_id_connect_provider_thumbprint()
        .open_id_connect_provider_arn(&arn)
        .set_thumbprint_list(Some(vec![THUMB_A.to_owned(); 6]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e).0, "InvalidInput");
    let many: Vec<String> = (0..101).map(|i| format!("client-{i}")).collect();
    let e = create("https://many.example.com").set_client_id_list(Some(many)).send().await.unwrap_err();
    assert_eq!(failure(&e).0, "LimitExceeded");

    // What is not there, or not a provider's ARN.
    let missing = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/nowhere.example.com");
    let e = root.get_open_id_connect_provider().open_id_connect_provider_arn(&missing).send().await.unwrap_err();
    assert_eq!(
        failure(&e),
        ("NoSuchEntity".into(), format!("OpenIDConnect Provider not found for arn {missing}"), 404)
    );
    let e = root.delete_open_id_connect_provider().open_id_connect_provider_arn(&missing).send().await.unwrap_err();
    assert_eq!(failure(&e).0, "NoSuchEntity");
    let elsewhere = "arn:aws:iam::444455556666:oidc-provider/issuer.example.com";
    let e = root
        .add_client_id_to_open_id_connect_provider()
        .open_id_connect_provider_arn(elsewhere)
        .client_id("app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e).0, "NoSuchEntity");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/not-a-provider");
    let e = root.get_open_id_connect_provider().open_id_connect_provider_arn(&role).send().await.unwrap_err();
    assert_eq!(failure(&e).0, "InvalidInput");
    let e = root
        .tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .tags(tag("aws:reserved", "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e).0, "InvalidInput");

    // A user needs an identity policy allowing the action.
    root.create_user().user_name("dev").send().await.unwrap();
    let key = root.create_access_key().user_name("dev").send().await.unwrap().access_key.unwrap();
    let dev = iam(&s, key.access_key_id(), key.secret_access_key());
    let e = dev.create_open_id_connect_provider().url("https://dev.example.com").send().await.unwrap_err();
    let (code, message, status) = failure(&e);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    let user = format!("arn:aws:iam::{ACCOUNT}:user/dev");
    assert!(
        message.starts_with(&format!(
            "User: {user} is not authorized to perform: iam:CreateOpenIDConnectProvider on resource: \
             arn:aws:iam::{ACCOUNT}:oidc-provider/dev.example.com"
        )),
        "{message}"
    );
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:CreateOpenIDConnectProvider",
        "Resource": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/dev.example.com"),
    }]});
    root.put_user_policy()
        .user_name("dev")
        .policy_name("oidc")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    dev.create_open_id_connect_provider().url("https://dev.example.com").send().await.unwrap();
    let e = dev.list_open_id_connect_providers().send().await.unwrap_err();
    assert_eq!(failure(&e).0, "AccessDenied");

    // The refusal is in the trail too.
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    let denied = records
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.entry.record).unwrap())
        .find(|e| e["eventName"] == "CreateOpenIDConnectProvider" && e["errorCode"] == "AccessDenied")
        .unwrap();
    assert_eq!(denied["eventSource"], "iam.amazonaws.com");
}
