//! The wire protocol with raw requests: authentication errors, routing,
//! body errors, and every signed part of a valid request mutated.

use crate::common::{TestServer, ACCESS_KEY, SECRET_KEY};
use aws_credential_types::Credentials;
use http_body_util::BodyExt as _;
use std::time::{Duration, SystemTime};
use tower::ServiceExt as _;

const HOST: &str = "kms.us-east-1.amazonaws.com";

pub(crate) struct Req {
    pub(crate) service: &'static str,
    target: String,
    body: Vec<u8>,
    region: String,
    time: SystemTime,
    access_key: String,
    pub(crate) secret: String,
}

impl Req {
    pub(crate) fn new(target: &str, body: &str) -> Self {
        Req {
            service: "kms",
            target: target.into(),
            body: body.as_bytes().to_vec(),
            region: "us-east-1".into(),
            time: SystemTime::now(),
            access_key: ACCESS_KEY.into(),
            secret: SECRET_KEY.into(),
        }
    }

    /// Signed with another access key.
    pub(crate) fn by(mut self, access_key: &str, secret: &str) -> Self {
        self.access_key = access_key.into();
        self.secret = secret.into();
        self
    }

    pub(crate) fn signed(&self) -> http::Request<Vec<u8>> {
        let mut req = http::Request::builder()
            .method("POST")
            .uri(format!("http://{HOST}/"))
            .header("host", HOST)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", &self.target)
            .body(self.body.clone())
            .unwrap();
        crate::common::sign_request(
            &mut req,
            Credentials::new(&self.access_key, &self.secret, None, None, "test"),
            &self.region,
            self.service,
            self.time,
        );
        req
    }
}

/// Sends a request through the real router; returns status, `__type` and body.
pub(crate) async fn send(s: &TestServer, req: http::Request<Vec<u8>>) -> (u16, String, serde_json::Value) {
    let req = req.map(axum::body::Body::from);
    let resp = trent_server::router(s.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["content-type"], "application/x-amz-json-1.1");
    assert!(resp.headers().contains_key("x-amzn-requestid"));
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let ty = v.get("__type").and_then(|t| t.as_str()).unwrap_or("").to_owned();
    (status, ty, v)
}

#[tokio::test]
async fn a_valid_request_passes_and_every_mutation_fails() {
    let s = TestServer::builder().build().await;
    let (st, ty, _) = send(&s, Req::new("TrentService.ListKeys", "{}").signed()).await;
    assert_eq!((st, ty.as_str()), (200, ""));

    let base = Req::new("TrentService.ListKeys", r#"{"Limit":5}"#);
    let good = base.signed();
    assert_eq!(send(&s, good).await.0, 200);

    type Mutation = (&'static str, Box<dyn Fn(&mut http::Request<Vec<u8>>)>, &'static str);
    let mutations: Vec<Mutation> = vec![
        ("body byte", Box::new(|r| r.body_mut()[9] = b'6'), "InvalidSignatureException"),
        ("body extended", Box::new(|r| r.body_mut().push(b' ')), "InvalidSignatureException"),
        (
            "target header",
            Box::new(|r| {
                r.headers_mut().insert("x-amz-target", "TrentService.ListAliases".parse().unwrap());
            }),
            "InvalidSignatureException",
        ),
        (
            "host header",
            Box::new(|r| {
                r.headers_mut().insert("host", "evil.example.com".parse().unwrap());
            }),
            "InvalidSignatureException",
        ),
        (
            "date header",
            Box::new(|r| {
                let d = r.headers()["x-amz-date"].to_str().unwrap().to_owned();
                let mut b = d.into_bytes();
                b[14] = if b[14] == b'0' { b'1' } else { b'0' };
                r.headers_mut().insert("x-amz-date", String::from_utf8(b).unwrap().parse().unwrap());
            }),
            "InvalidSignatureException",
        ),
        (
            "signature",
            Box::new(|r| {
                let a = r.headers()["authorization"].to_str().unwrap().to_owned();
                let last = a.chars().last().unwrap();
                let flipped = format!("{}{}", &a[..a.len() - 1], if last == '0' { '1' } else { '0' });
                r.headers_mut().insert("authorization", flipped.parse().unwrap());
            }),
            "InvalidSignatureException",
        ),
        ("method", Box::new(|r| *r.method_mut() = http::Method::PUT), "InvalidSignatureException"),
        ("path", Box::new(|r| *r.uri_mut() = format!("http://{HOST}/x").parse().unwrap()), "InvalidSignatureException"),
        (
            "query",
            Box::new(|r| *r.uri_mut() = format!("http://{HOST}/?a=b").parse().unwrap()),
            "InvalidSignatureException",
        ),
        (
            "access key",
            Box::new(|r| {
                let a = r.headers()["authorization"].to_str().unwrap().replace(ACCESS_KEY, "AKIAIOSFODNN7EXAMPLF");
                r.headers_mut().insert("authorization", a.parse().unwrap());
            }),
            "UnrecognizedClientException",
        ),
        (
            "no authorization",
            Box::new(|r| {
                r.headers_mut().remove("authorization");
            }),
            "MissingAuthenticationTokenException",
        ),
        (
            "credential missing",
            Box::new(|r| {
                let a = r.headers()["authorization"].to_str().unwrap().replace("Credential=", "Cred=");
                r.headers_mut().insert("authorization", a.parse().unwrap());
            }),
            "IncompleteSignatureException",
        ),
    ];
    for (name, mutate, expected) in mutations {
        let mut r = base.signed();
        mutate(&mut r);
        let (status, ty, _) = send(&s, r).await;
        assert_eq!((status, ty.as_str()), (400, expected), "mutation: {name}");
    }
}

#[tokio::test]
async fn clock_skew_region_and_secret() {
    let s = TestServer::builder().regions(&["us-east-1", "eu-west-1"]).build().await;
    let mut old = Req::new("TrentService.ListKeys", "{}");
    old.time = SystemTime::now() - Duration::from_secs(6 * 60);
    let (_, ty, v) = send(&s, old.signed()).await;
    assert_eq!(ty, "InvalidSignatureException");
    assert!(v["message"].as_str().unwrap().starts_with("Signature expired"), "{v}");
    let mut recent = Req::new("TrentService.ListKeys", "{}");
    recent.time = SystemTime::now() - Duration::from_secs(4 * 60);
    assert_eq!(send(&s, recent.signed()).await.0, 200);
    let mut wrong = Req::new("TrentService.ListKeys", "{}");
    wrong.secret = "not-the-secret-not-the-secret".into();
    assert_eq!(send(&s, wrong.signed()).await.1, "InvalidSignatureException");
    let mut west = Req::new("TrentService.ListKeys", "{}");
    west.region = "eu-west-1".into();
    assert_eq!(send(&s, west.signed()).await.0, 200, "any region is a namespace");
}

#[tokio::test]
async fn routing_and_body_errors() {
    let s = TestServer::builder().build().await;
    let (st, ty, _) = send(&s, Req::new("TrentService.NoSuchThing", "{}").signed()).await;
    assert_eq!((st, ty.as_str()), (400, "UnknownOperationException"));
    let (_, ty, _) = send(&s, Req::new("Other.ListKeys", "{}").signed()).await;
    assert_eq!(ty, "UnknownOperationException");
    let (_, ty, v) = send(&s, Req::new("TrentService.UpdateCustomKeyStore", "{}").signed()).await;
    assert_eq!(ty, "ValidationException", "{v}");
    assert!(v["message"].as_str().unwrap().contains("'customKeyStoreId'"), "{v}");
    let (_, ty, v) = send(&s, Req::new("TrentService.Sign", "{}").signed()).await;
    assert_eq!(ty, "ValidationException", "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("3 validation errors detected"), "{v}");
    let (_, ty, _) = send(&s, Req::new("TrentService.ListKeys", "{not json").signed()).await;
    assert_eq!(ty, "SerializationException");
    let (_, ty, _) = send(&s, Req::new("TrentService.ListKeys", r#"{"Limit":"ten"}"#).signed()).await;
    assert_eq!(ty, "SerializationException");
    let (_, ty, v) = send(&s, Req::new("TrentService.Encrypt", r#"{"Plaintext":"aGk="}"#).signed()).await;
    assert_eq!(ty, "ValidationException");
    assert_eq!(
        v["message"],
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
    let (_, ty, _) = send(&s, Req::new("TrentService.Decrypt", r#"{"CiphertextBlob":"AAAA"}"#).signed()).await;
    assert_eq!(ty, "InvalidCiphertextException");
}
