//! Round trip with the real aws-sigv4 signer: what it signs, Trent verifies,
//! and every signed part is covered.

use crate::*;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use http::HeaderValue;
use std::time::SystemTime;

pub(super) const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub(super) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const OTHER_AKID: &str = "AKIAOTHEREXAMPLE0001";
const OTHER_SECRET: &str = "otherSecretKeyOtherSecretKeyOtherSecretK";
const HOST: &str = "kms.us-east-1.amazonaws.com";
const BODY: &[u8] = br#"{"KeyId":"alias/test","Plaintext":"aGVsbG8="}"#;

/// 2015-08-30 12:36:00 UTC.
pub(super) fn signing_time() -> OffsetDateTime {
    parse_amz_date("20150830T123600Z").unwrap()
}

/// A KMS-like POST signed by aws-sigv4 at `t`.
pub(super) fn signed_request(t: OffsetDateTime, settings: SigningSettings) -> http::Request<Vec<u8>> {
    let mut req = http::Request::builder()
        .method("POST")
        .uri(format!("https://{HOST}/"))
        .header("host", HOST)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "TrentService.Encrypt")
        .body(BODY.to_vec())
        .unwrap();
    let identity: Identity = Credentials::new(AKID, SECRET, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("kms")
        .time(SystemTime::from(t))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let instructions = {
        let signable = SignableRequest::new(
            req.method().as_str(),
            req.uri().to_string(),
            req.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            SignableBody::Bytes(req.body()),
        )
        .unwrap();
        sign(signable, &params).unwrap().into_parts().0
    };
    instructions.apply_to_request_http1x(&mut req);
    req
}

/// What the server does: parse, look up, derive, verify.
pub(super) fn check(req: &http::Request<Vec<u8>>, now: OffsetDateTime) -> Result<(), SigV4Error> {
    let auth = parse_authorization(req.headers())?;
    let secret = match auth.access_key_id.as_str() {
        AKID => SECRET,
        OTHER_AKID => OTHER_SECRET,
        _ => return Err(SigV4Error::UnrecognizedClient),
    };
    let key = signing_key(secret.as_bytes(), &auth.date, &auth.region, &auth.service);
    let parts = RequestParts {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        headers: req.headers(),
        body: req.body(),
    };
    verify(&parts, &auth, &key, now, DEFAULT_MAX_SKEW)
}

fn authorization(req: &http::Request<Vec<u8>>) -> String {
    req.headers()["authorization"].to_str().unwrap().to_owned()
}

fn with_authorization(req: &http::Request<Vec<u8>>, value: &str) -> http::Request<Vec<u8>> {
    let mut req = req.clone();
    req.headers_mut().insert("authorization", HeaderValue::from_str(value).unwrap());
    req
}

fn expect(result: Result<(), SigV4Error>, code: SigV4ErrorCode, what: &str) -> SigV4Error {
    let err = result.expect_err(what);
    assert_eq!(err.error_code(), code, "{what}: {err:?}");
    let message = err.to_string();
    assert!(!message.contains(SECRET), "{what}: secret in message");
    err
}

#[test]
fn signed_by_aws_sigv4_verifies() {
    let req = signed_request(signing_time(), SigningSettings::default());
    let auth = parse_authorization(req.headers()).unwrap();
    assert_eq!(auth.access_key_id, AKID);
    assert_eq!(auth.date, "20150830");
    assert_eq!(auth.region, "us-east-1");
    assert_eq!(auth.service, "kms");
    assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-target"]);
    assert_eq!(auth.scope(), "20150830/us-east-1/kms/aws4_request");
    check(&req, signing_time()).unwrap();
    check_region(&auth, "us-east-1").unwrap();
}

#[test]
fn a_target_added_after_signing_is_refused() {
    // One signature over a body must not run as another operation.
    let mut req = signed_request(signing_time(), SigningSettings::default());
    let mut unsigned = req.clone();
    let auth = authorization(&req).replace("x-amz-target;", "").replace(";x-amz-target", "");
    unsigned.headers_mut().insert("authorization", HeaderValue::from_str(&auth).unwrap());
    let e = expect(check(&unsigned, signing_time()), SigV4ErrorCode::InvalidSignature, "target unsigned");
    assert_eq!(e.to_string(), "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    // Signed, a changed target breaks the signature.
    req.headers_mut().insert("x-amz-target", HeaderValue::from_static("TrentService.DisableKey"));
    expect(check(&req, signing_time()), SigV4ErrorCode::InvalidSignature, "target changed");
}

#[test]
fn signed_with_content_sha256_verifies_and_the_header_is_checked() {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let req = signed_request(signing_time(), settings);
    assert!(authorization(&req).contains("x-amz-content-sha256"));
    check(&req, signing_time()).unwrap();

    let mut bad = req.clone();
    bad.headers_mut().insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("0000000000000000000000000000000000000000000000000000000000000000"),
    );
    let err = expect(check(&bad, signing_time()), SigV4ErrorCode::InvalidSignature, "sha256");
    assert!(matches!(err, SigV4Error::ContentSha256Mismatch));

    let mut body = req.clone();
    body.body_mut()[0] ^= 1;
    let err = expect(check(&body, signing_time()), SigV4ErrorCode::InvalidSignature, "body");
    assert!(matches!(err, SigV4Error::ContentSha256Mismatch));

    let mut unsigned = signed_request(signing_time(), SigningSettings::default());
    let hash = hex::encode(sha256(unsigned.body()));
    unsigned.headers_mut().insert("x-amz-content-sha256", HeaderValue::from_str(&hash).unwrap());
    let err = expect(check(&unsigned, signing_time()), SigV4ErrorCode::InvalidSignature, "unsigned sha");
    assert_eq!(err.to_string(), "'X-Amz-Content-SHA256' must be a 'SignedHeader' in the AWS Authorization.");
}

#[test]
fn every_signed_part_is_covered() {
    let t = signing_time();
    let req = signed_request(t, SigningSettings::default());
    let invalid = SigV4ErrorCode::InvalidSignature;

    let mut m = req.clone();
    *m.method_mut() = http::Method::PUT;
    let e = expect(check(&m, t), invalid, "method");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    let mut m = req.clone();
    *m.uri_mut() = format!("https://{HOST}/x").parse().unwrap();
    let e = expect(check(&m, t), invalid, "path");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    let mut m = req.clone();
    *m.uri_mut() = format!("https://{HOST}/?a=b").parse().unwrap();
    let e = expect(check(&m, t), invalid, "query");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    for (name, value) in [
        ("content-type", "application/json"),
        ("host", "kms.us-west-2.amazonaws.com"),
        ("x-amz-target", "TrentService.Decrypt"),
        ("x-amz-date", "20150830T123601Z"),
    ] {
        let mut m = req.clone();
        m.headers_mut().insert(name, HeaderValue::from_static(value));
        let e = expect(check(&m, t), invalid, name);
        assert!(matches!(e, SigV4Error::SignatureMismatch), "{name}: {e:?}");
    }

    // A signed header sent twice changes its canonical value.
    let mut m = req.clone();
    m.headers_mut().append("x-amz-target", HeaderValue::from_static("TrentService.Encrypt"));
    let e = expect(check(&m, t), invalid, "repeated header");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    let mut m = req.clone();
    let last = m.body().len() - 1;
    m.body_mut()[last] ^= 1;
    let e = expect(check(&m, t), invalid, "body");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    let mut m = req.clone();
    m.body_mut().push(b' ');
    expect(check(&m, t), invalid, "body length");

    let auth = authorization(&req);
    let last = auth.chars().last().unwrap();
    let flipped = if last == '0' { '1' } else { '0' };
    let m = with_authorization(&req, &format!("{}{flipped}", &auth[..auth.len() - 1]));
    let e = expect(check(&m, t), invalid, "signature");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    // Scope date moved one day: no longer the date of x-amz-date.
    let m = with_authorization(&req, &auth.replace("/20150830/", "/20150831/"));
    let e = expect(check(&m, t), invalid, "scope date");
    assert_eq!(
        e.to_string(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'. "
    );

    // x-amz-date moved one day (and the clock with it).
    let mut m = req.clone();
    m.headers_mut().insert("x-amz-date", HeaderValue::from_static("20150831T123600Z"));
    let e = expect(check(&m, t + Duration::days(1)), invalid, "date header");
    assert!(matches!(e, SigV4Error::InvalidCredentialScope { .. }));

    // Region: the key is derived for the claimed region, so it fails
    // the signature; a server that pins its region says so first.
    let m = with_authorization(&req, &auth.replace("/us-east-1/", "/eu-west-1/"));
    let e = expect(check(&m, t), invalid, "region");
    assert!(matches!(e, SigV4Error::SignatureMismatch));
    let parsed = parse_authorization(m.headers()).unwrap();
    let e = check_region(&parsed, "us-east-1").unwrap_err();
    assert_eq!(e.error_code(), invalid);
    assert_eq!(e.to_string(), "Credential should be scoped to a valid region, not 'eu-west-1'. ");

    // Access key: unknown, or known with another secret.
    let m = with_authorization(&req, &auth.replace(AKID, "AKIAUNKNOWNEXAMPLE00"));
    let e = expect(check(&m, t), SigV4ErrorCode::UnrecognizedClient, "unknown key");
    assert_eq!(e.to_string(), "The security token included in the request is invalid.");
    let m = with_authorization(&req, &auth.replace(AKID, OTHER_AKID));
    let e = expect(check(&m, t), invalid, "other key");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    // A signed header removed from the request.
    for name in ["content-type", "x-amz-target"] {
        let mut m = req.clone();
        m.headers_mut().remove(name);
        let e = expect(check(&m, t), invalid, name);
        assert!(matches!(&e, SigV4Error::SignedHeaderAbsent { header } if header == name), "{e:?}");
        assert_eq!(e.to_string(), SIGNATURE_MISMATCH);
    }
    let mut m = req.clone();
    m.headers_mut().remove("host");
    expect(check(&m, t), invalid, "host removed");

    // A header dropped from SignedHeaders (still sent).
    let m = with_authorization(&req, &auth.replace("content-type;host;", "host;"));
    let e = expect(check(&m, t), invalid, "signed list shortened");
    assert!(matches!(e, SigV4Error::SignatureMismatch));

    // An unsigned extra header is ignored.
    let mut m = req.clone();
    m.headers_mut().insert("user-agent", HeaderValue::from_static("something else"));
    check(&m, t).unwrap();
}

#[test]
fn signing_key_depends_on_every_scope_element() {
    let base = signing_key(SECRET.as_bytes(), "20150830", "us-east-1", "kms");
    let sts = b"string to sign";
    let sig = compute_signature(&base, sts);
    for key in [
        signing_key(OTHER_SECRET.as_bytes(), "20150830", "us-east-1", "kms"),
        signing_key(SECRET.as_bytes(), "20150831", "us-east-1", "kms"),
        signing_key(SECRET.as_bytes(), "20150830", "us-east-2", "kms"),
        signing_key(SECRET.as_bytes(), "20150830", "us-east-1", "s3"),
    ] {
        assert_ne!(compute_signature(&key, sts), sig);
    }
    assert_eq!(compute_signature(&signing_key(SECRET.as_bytes(), "20150830", "us-east-1", "kms"), sts), sig);
}

#[test]
fn the_signing_key_cache_derives_once_per_secret_and_scope() {
    let cache = SigningKeyCache::new(3);
    let sts = b"string to sign";
    let sig = |k: &SigningKey| compute_signature(k, sts);
    let want = sig(&signing_key(SECRET.as_bytes(), "20150830", "us-east-1", "kms"));
    let first = cache.get("AKID", SECRET.as_bytes(), "20150830", "us-east-1", "kms");
    assert_eq!(sig(&first), want);
    // The same access key, secret and scope: the key derived before.
    let again = cache.get("AKID", SECRET.as_bytes(), "20150830", "us-east-1", "kms");
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    // The same access key id with another secret never gets the cached key.
    let other = cache.get("AKID", OTHER_SECRET.as_bytes(), "20150830", "us-east-1", "kms");
    assert_eq!(sig(&other), sig(&signing_key(OTHER_SECRET.as_bytes(), "20150830", "us-east-1", "kms")));
    assert_ne!(sig(&other), want);
    // Every scope element is part of the entry.
    for (date, region, service) in
        [("20150831", "us-east-1", "kms"), ("20150830", "us-east-2", "kms"), ("20150830", "us-east-1", "s3")]
    {
        let k = cache.get("AKID", SECRET.as_bytes(), date, region, service);
        assert_eq!(sig(&k), sig(&signing_key(SECRET.as_bytes(), date, region, service)));
    }
    // Past its capacity the cache starts again, and still answers right.
    let k = cache.get("AKID", SECRET.as_bytes(), "20150830", "us-east-1", "kms");
    assert_eq!(sig(&k), want);
}
