//! IAM's user operations over AWS's Query protocol, driven by the real
//! `aws-sdk-iam` (and, for the wire shapes of errors, by raw signed form
//! requests): users, tags, paging, inline policies, access keys, IAM's
//! error codes and statuses, and the audit events.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::Tag;
use http_body_util::BodyExt as _;
use std::time::SystemTime;
use tower::ServiceExt as _;

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// An IAM client of `s` signed with (access key, secret), in us-east-1 as
/// every IAM client signs.
pub(crate) fn iam(s: &TestServer, access_key: &str, secret: &str) -> aws_sdk_iam::Client {
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

/// RFC 3986 percent-decoding (IAM answers policy documents encoded).
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A form request signed for IAM, sent through the real router: status,
/// content type and body.
async fn raw(s: &TestServer, body: &str, access_key: &str, secret: &str) -> (u16, String, String) {
    let host = "iam.amazonaws.com";
    let mut req = http::Request::builder()
        .method("POST")
        .uri(format!("http://{host}/"))
        .header("host", host)
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .body(body.as_bytes().to_vec())
        .unwrap();
    crate::common::sign_request(
        &mut req,
        Credentials::new(access_key, secret, None, None, "test"),
        "us-east-1",
        "iam",
        SystemTime::now(),
    );
    let resp = trent_server::router(s.state.clone()).oneshot(req.map(axum::body::Body::from)).await.unwrap();
    let status = resp.status().as_u16();
    let ty = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(resp.headers().contains_key("x-amzn-requestid"));
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ty, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Every stored event, oldest first, parsed.
async fn events(s: &TestServer) -> Vec<(serde_json::Value, String)> {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| (serde_json::from_str(&r.entry.record).unwrap(), r.entry.record.clone())).collect()
}

#[tokio::test]
async fn users_policies_tags_and_access_keys_with_the_iam_sdk() {
    // IAM is global: signed for us-east-1 even where the deployment serves
    // another region.
    let s = TestServer::builder().regions(&["eu-west-1"]).build().await;
    let root = iam(&s, ACCESS_KEY, SECRET_KEY);

    // CreateUser with tags; GetUser shows them.
    let created = root
        .create_user()
        .user_name("alice")
        .tags(tag("team", "blue"))
        .tags(tag("cost-center", "a+b=c @d"))
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(created.path, "/");
    assert_eq!(created.user_name, "alice");
    assert_eq!(created.arn, format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert!(created.user_id.starts_with("AIDA"), "{}", created.user_id);
    let got = root.get_user().user_name("alice").send().await.unwrap().user.unwrap();
    assert_eq!(got.user_id, created.user_id);
    assert_eq!(got.create_date, created.create_date);
    let tags: Vec<(&str, &str)> = got.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("team", "blue"), ("cost-center", "a+b=c @d")]);
    // GetUser without a name: the caller, here the account root.
    let me = root.get_user().send().await.unwrap().user.unwrap();
    assert_eq!(me.arn, format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(me.user_id, ACCOUNT);

    // ListUsers, one at a time, following the markers.
    for name in ["bob", "carol"] {
        root.create_user().user_name(name).send().await.unwrap();
    }
    let (mut names, mut marker, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let page = root.list_users().max_items(1).set_marker(marker.clone()).send().await.unwrap();
        pages += 1;
        assert!(page.users().len() <= 1);
        names.extend(page.users().iter().map(|u| u.user_name.clone()));
        if !page.is_truncated() {
            assert!(page.marker().is_none());
            break;
        }
        marker = Some(page.marker().unwrap().to_owned());
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(names, ["alice", "bob", "carol"]);
    let all = root.list_users().send().await.unwrap();
    assert_eq!(all.users().len(), 3);
    assert!(!all.is_truncated());

    // Inline policies: put, get (URL-encoded as IAM answers it), list, delete.
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateKey","kms:ListKeys"],"Resource":"*"}]}"#;
    root.put_user_policy().user_name("alice").policy_name("kms").policy_document(doc).send().await.unwrap();
    let p = root.get_user_policy().user_name("alice").policy_name("kms").send().await.unwrap();
    assert_eq!((p.user_name(), p.policy_name()), ("alice", "kms"));
    assert_eq!(url_decode(p.policy_document()), doc);
    let listed = root.list_user_policies().user_name("alice").send().await.unwrap();
    assert_eq!(listed.policy_names(), ["kms"]);
    root.put_user_policy().user_name("alice").policy_name("extra").policy_document(doc).send().await.unwrap();
    let first = root.list_user_policies().user_name("alice").max_items(1).send().await.unwrap();
    assert_eq!((first.policy_names(), first.is_truncated()), (&["extra".to_owned()][..], true));
    let rest = root.list_user_policies().user_name("alice").marker(first.marker().unwrap()).send().await.unwrap();
    assert_eq!((rest.policy_names(), rest.is_truncated()), (&["kms".to_owned()][..], false));
    root.delete_user_policy().user_name("alice").policy_name("extra").send().await.unwrap();
    let e = root
        .put_user_policy()
        .user_name("alice")
        .policy_name("bad")
        .policy_document(r#"{"Version":"2012-10-17","Statement":"nope"}"#)
        .send()
        .await
        .unwrap_err();
    let (code, _, status) = failure(&e);
    assert_eq!((code.as_str(), status), ("MalformedPolicyDocument", 400));

    // Tags: add, replace, remove.
    root.tag_user().user_name("alice").tags(tag("team", "red")).tags(tag("env", "prod")).send().await.unwrap();
    root.untag_user().user_name("alice").tag_keys("cost-center").send().await.unwrap();
    let t = root.list_user_tags().user_name("alice").send().await.unwrap();
    let tags: Vec<(&str, &str)> = t.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("team", "red"), ("env", "prod")]);
    assert!(!t.is_truncated());

    // Access keys: CreateUser made none (as IAM's); two; a third is over
    // the quota.
    let none = root.list_access_keys().user_name("alice").send().await.unwrap();
    assert!(none.access_key_metadata().is_empty());
    root.create_access_key().user_name("alice").send().await.unwrap();
    let key = root.create_access_key().user_name("alice").send().await.unwrap().access_key.unwrap();
    assert_eq!((key.user_name(), key.status().as_str()), ("alice", "Active"));
    assert_eq!(key.secret_access_key().len(), 40);
    let e = root.create_access_key().user_name("alice").send().await.unwrap_err();
    let (code, message, status) = failure(&e);
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409), "{message}");
    assert_eq!(message, "Cannot exceed quota for AccessKeysPerUser: 2");
    let keys = root.list_access_keys().user_name("alice").send().await.unwrap();
    let ids: Vec<&str> = keys.access_key_metadata().iter().filter_map(|k| k.access_key_id()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&key.access_key_id()));
    let page = root.list_access_keys().user_name("alice").max_items(1).send().await.unwrap();
    assert!(page.is_truncated() && page.access_key_metadata().len() == 1);

    // The new key works with KMS, within alice's policy.
    let alice_kms = s.client_with("eu-west-1", key.access_key_id(), key.secret_access_key());
    alice_kms.create_key().send().await.unwrap();
    alice_kms.list_keys().send().await.unwrap();
    // UpdateAccessKey: an inactive key is refused as an unknown one is
    // (KMS's UnrecognizedClientException, IAM's InvalidClientTokenId),
    // listed Inactive; active again, it works again.
    root.update_access_key()
        .user_name("alice")
        .access_key_id(key.access_key_id())
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let e = alice_kms.list_keys().send().await.unwrap_err();
    assert_eq!(e.code(), Some("UnrecognizedClientException"), "{e:?}");
    let e = iam(&s, key.access_key_id(), key.secret_access_key()).get_user().send().await.unwrap_err();
    assert_eq!(failure(&e).0, "InvalidClientTokenId");
    let listed = root.list_access_keys().user_name("alice").send().await.unwrap();
    let status = |id: &str| {
        listed.access_key_metadata().iter().find(|k| k.access_key_id() == Some(id)).and_then(|k| k.status().cloned())
    };
    assert_eq!(status(key.access_key_id()), Some(aws_sdk_iam::types::StatusType::Inactive));
    let e = root
        .update_access_key()
        .user_name("alice")
        .access_key_id(key.access_key_id())
        .status(aws_sdk_iam::types::StatusType::from("Paused"))
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = failure(&e);
    assert_eq!((code.as_str(), status), ("ValidationError", 400), "{message}");
    assert!(message.contains("Member must satisfy enum value set: [Active, Inactive, Expired]"), "{message}");
    root.update_access_key()
        .user_name("alice")
        .access_key_id(key.access_key_id())
        .status(aws_sdk_iam::types::StatusType::Active)
        .send()
        .await
        .unwrap();
    alice_kms.list_keys().send().await.unwrap();
    // The other key goes; the new one stays.
    let old = ids.iter().find(|id| **id != key.access_key_id()).unwrap();
    root.delete_access_key().user_name("alice").access_key_id(*old).send().await.unwrap();
    let keys = root.list_access_keys().user_name("alice").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);

    // IAM's errors: NoSuchEntity (404) with IAM's message, EntityAlreadyExists (409).
    let e = root.get_user().user_name("nobody").send().await.unwrap_err();
    assert!(e.as_service_error().unwrap().is_no_such_entity_exception());
    assert_eq!(failure(&e), ("NoSuchEntity".into(), "The user with name nobody cannot be found.".into(), 404));
    let e = root.create_user().user_name("alice").send().await.unwrap_err();
    assert!(e.as_service_error().unwrap().is_entity_already_exists_exception());
    assert_eq!(failure(&e), ("EntityAlreadyExists".into(), "User with name alice already exists.".into(), 409));

    // DeleteUser, once the user has no access key and no policy left
    // (IAM's DeleteConflict before).
    let e = root.delete_user().user_name("alice").send().await.unwrap_err();
    let (code, message, status) = failure(&e);
    assert_eq!(
        (code.as_str(), message.as_str(), status),
        ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    );
    root.delete_user().user_name("bob").send().await.unwrap();
    let e = root.get_user().user_name("bob").send().await.unwrap_err();
    assert_eq!(failure(&e).0, "NoSuchEntity");

    // The audit trail: IAM's events, with CloudTrail's request parameters
    // and never a secret.
    let events = events(&s).await;
    let (create, _) = events
        .iter()
        .find(|(e, _)| e["eventName"] == "CreateUser" && e["requestParameters"]["userName"] == "alice")
        .expect("a CreateUser event for alice");
    assert_eq!(create["eventSource"], "iam.amazonaws.com");
    assert_eq!(create["awsRegion"], "us-east-1");
    assert_eq!(create["requestParameters"]["tags"][0], serde_json::json!({"key": "team", "value": "blue"}));
    let (put, _) = events.iter().find(|(e, _)| e["eventName"] == "PutUserPolicy").unwrap();
    assert_eq!(put["requestParameters"]["policyName"], "kms");
    assert_eq!(put["requestParameters"]["policyDocument"], doc);
    let (denied, _) = events
        .iter()
        .find(|(e, _)| e["eventName"] == "GetUser" && e["requestParameters"]["userName"] == "nobody")
        .unwrap();
    assert_eq!(denied["errorCode"], "NoSuchEntity");
    assert_eq!(denied["eventSource"], "iam.amazonaws.com");
    // The inactive key's call: refused at authentication, named by its key.
    let (inactive, _) =
        events.iter().find(|(e, _)| e["eventName"] == "GetUser" && e["errorCode"] == "InvalidClientTokenId").unwrap();
    assert_eq!(inactive["userIdentity"]["accessKeyId"], key.access_key_id());
    for (_, text) in &events {
        assert!(!text.contains(key.secret_access_key()), "a secret in the trail: {text}");
    }
}

#[tokio::test]
async fn refusals_are_iam_error_documents() {
    let s = TestServer::builder().build().await;
    let root = iam(&s, ACCESS_KEY, SECRET_KEY);
    root.create_user().user_name("dave").send().await.unwrap();
    let key = root.create_access_key().user_name("dave").send().await.unwrap().access_key.unwrap();
    let (dave_key, dave_secret) = (key.access_key_id(), key.secret_access_key());

    // A user without IAM permissions: AccessDenied, 403, IAM's shape.
    let e = iam(&s, dave_key, dave_secret).list_users().send().await.unwrap_err();
    let (code, message, status) = failure(&e);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    let dave = format!("arn:aws:iam::{ACCOUNT}:user/dave");
    assert!(message.starts_with(&format!("User: {dave} is not authorized to perform: iam:ListUsers")), "{message}");
    let (status, ty, body) = raw(&s, "Action=ListUsers&Version=2010-05-08", dave_key, dave_secret).await;
    assert_eq!((status, ty.as_str()), (403, "text/xml"));
    assert!(
        body.starts_with(&format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: {dave} "
        )),
        "{body}"
    );
    assert!(body.contains("</Message></Error><RequestId>") && body.ends_with("</RequestId></ErrorResponse>"), "{body}");

    // A wrong secret: SignatureDoesNotMatch; an unknown key: InvalidClientTokenId.
    let (status, _, body) = raw(&s, "Action=ListUsers&Version=2010-05-08", ACCESS_KEY, "not-the-secret").await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    let e = iam(&s, "AKIANOBODYNOBODY0000", "x").list_users().send().await.unwrap_err();
    assert_eq!((failure(&e).0.as_str(), failure(&e).2), ("InvalidClientTokenId", 403));

    // An unknown action, a missing or wrong version: InvalidAction.
    let (status, _, body) = raw(&s, "Action=Nope&Version=2010-05-08", ACCESS_KEY, SECRET_KEY).await;
    assert_eq!(status, 400);
    assert!(
        body.contains(
            "<Code>InvalidAction</Code><Message>Could not find operation Nope for version 2010-05-08</Message>"
        ),
        "{body}"
    );
    let (status, _, body) = raw(&s, "Action=ListUsers", ACCESS_KEY, SECRET_KEY).await;
    assert_eq!(status, 400);
    assert!(body.contains("Could not find operation ListUsers for version NO_VERSION_SPECIFIED"), "{body}");
    let (_, _, body) = raw(&s, "Action=ListUsers&Version=2011-06-15", ACCESS_KEY, SECRET_KEY).await;
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
    // Trent's own operations are not IAM actions.
    let (_, _, body) = raw(&s, "Action=CreateAccount&Version=2010-05-08", ACCESS_KEY, SECRET_KEY).await;
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");

    // The service model's constraints: ValidationError.
    let (status, _, body) =
        raw(&s, "Action=CreateUser&Version=2010-05-08&UserName=b%21d", ACCESS_KEY, SECRET_KEY).await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>ValidationError</Code><Message>1 validation error detected: Value &apos;b!d&apos; at &apos;userName&apos;"), "{body}");
    let (_, _, body) = raw(&s, "Action=ListUsers&Version=2010-05-08&MaxItems=0", ACCESS_KEY, SECRET_KEY).await;
    assert!(body.contains("<Code>ValidationError</Code>"), "{body}");

    // A success is a response document with the request id.
    let (status, ty, body) = raw(&s, "Action=ListUsers&Version=2010-05-08", ACCESS_KEY, SECRET_KEY).await;
    assert_eq!((status, ty.as_str()), (200, "text/xml"));
    assert!(
        body.starts_with(&format!(
            "<ListUsersResponse xmlns=\"{NS}\"><ListUsersResult><Users><member><Path>/</Path><UserName>dave</UserName>"
        )),
        "{body}"
    );
    assert!(body.contains("<IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>"), "{body}");

    // The admin API still reaches the same operations.
    let req = crate::protocol::Req::new("TrentAdmin.GetUser", r#"{"UserName":"dave"}"#);
    let (status, _, v) = crate::protocol::send(&s, req.signed()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["User"]["Arn"], dave);
}
