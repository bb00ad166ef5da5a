//! Malformed and incomplete Authorization headers: AWS's codes and messages.

use super::*;
use http::HeaderValue;

fn headers_with(authorization: Option<&str>, extra: &[(&str, &str)]) -> HeaderMap {
    let mut pairs = vec![("host", "kms.us-east-1.amazonaws.com"), ("x-amz-date", "20150830T123600Z")];
    pairs.extend_from_slice(extra);
    if let Some(a) = authorization {
        pairs.push(("authorization", a));
    }
    header_map(&pairs)
}

const GOOD_SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn auth_header(credential: &str, signed: &str, signature: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={signature}")
}

fn parse_err(authorization: Option<&str>, extra: &[(&str, &str)]) -> SigV4Error {
    parse_authorization(&headers_with(authorization, extra)).unwrap_err()
}

const CRED: &str = "AKID/20150830/us-east-1/kms/aws4_request";

#[test]
fn good_header_parses() {
    let a = parse_authorization(&headers_with(Some(&auth_header(CRED, "host;x-amz-date", GOOD_SIG)), &[])).unwrap();
    assert_eq!(a.access_key_id, "AKID");
    assert_eq!(hex::encode(a.signature), GOOD_SIG);
    // Spacing and separators as some clients send them; last value wins.
    let a = parse_authorization(&headers_with(
        Some(&format!(
            "  AWS4-HMAC-SHA256   Credential=x/y/z/w/v,Credential={CRED},SignedHeaders=host;x-amz-date,Signature={GOOD_SIG},Extra=1 "
        )),
        &[],
    ))
    .unwrap();
    assert_eq!(a.access_key_id, "AKID");
}

#[test]
fn missing_header_is_missing_authentication_token() {
    let e = parse_err(None, &[]);
    assert_eq!(e.error_code(), SigV4ErrorCode::MissingAuthenticationToken);
    assert_eq!(e.to_string(), "Missing Authentication Token");
}

#[test]
fn other_schemes_are_incomplete_signatures_without_echoing_the_token() {
    let e = parse_err(Some("Bearer sekrit-token"), &[]);
    assert_eq!(e.error_code(), SigV4ErrorCode::IncompleteSignature);
    assert_eq!(e.to_string(), "Unsupported AWS 'algorithm': 'Bearer'.");
    let e = parse_err(Some(&auth_header(CRED, "host;x-amz-date", GOOD_SIG).replace("SHA256", "SHA512")), &[]);
    assert_eq!(e.to_string(), "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.");
}

#[test]
fn missing_parameters_are_listed_together() {
    let e = parse_err(Some("AWS4-HMAC-SHA256"), &[]);
    assert_eq!(e.error_code(), SigV4ErrorCode::IncompleteSignature);
    assert_eq!(
        e.to_string(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
    );
    let header = format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date");
    let mut h = header_map(&[("host", "h"), ("authorization", &header)]);
    let e = parse_authorization(&h).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}")
    );
    h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    assert!(matches!(
        parse_authorization(&h),
        Err(SigV4Error::MissingParameters { missing, .. }) if missing == [MissingParameter::Signature]
    ));
}

#[test]
fn a_token_without_equals_is_incomplete() {
    let header = format!("AWS4-HMAC-SHA256 Credential= {CRED}, SignedHeaders=host;x-amz-date, Signature={GOOD_SIG}");
    let e = parse_err(Some(&header), &[]);
    assert_eq!(e.error_code(), SigV4ErrorCode::IncompleteSignature);
    assert_eq!(
        e.to_string(),
        format!("'{CRED}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.")
    );
}

#[test]
fn credential_must_have_five_parts() {
    for cred in ["AKID/20150830/us-east-1/kms", "AKID/20150830/us-east-1/kms/aws4_request/x", ""] {
        let e = parse_err(Some(&auth_header(cred, "host;x-amz-date", GOOD_SIG)), &[]);
        assert_eq!(e.error_code(), SigV4ErrorCode::IncompleteSignature, "{cred}");
        assert_eq!(
            e.to_string(),
            format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'")
        );
    }
}

#[test]
fn scope_problems_are_reported_like_aws() {
    let cases = [
        ("AKID/20150830/us-east-1/s3/aws4_request", "Credential should be scoped to correct service: 'kms'. "),
        ("AKID/20150830/us-east-1/kms/aws5_request", "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "),
        ("AKID/20150830//kms/aws4_request", "Credential should be scoped to a valid region. "),
        ("AKID/20150830/US_EAST/kms/aws4_request", "Credential should be scoped to a valid region. "),
        (
            "AKID/foobar/x!/KMS/term",
            "Credential should be scoped to a valid region. Credential should be scoped to correct service: 'kms'. Credential should be scoped with a valid terminator: 'aws4_request', not 'term'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'foobar' != '20150830', from '20150830T123600Z'. ",
        ),
    ];
    for (cred, message) in cases {
        let e = parse_err(Some(&auth_header(cred, "host;x-amz-date", GOOD_SIG)), &[]);
        assert_eq!(e.error_code(), SigV4ErrorCode::InvalidSignature, "{cred}");
        assert_eq!(e.to_string(), message, "{cred}");
    }
}

#[test]
fn timestamp_must_be_iso8601_basic() {
    let header = auth_header(CRED, "host;x-amz-date", GOOD_SIG);
    let mut h = headers_with(Some(&header), &[]);
    h.insert("x-amz-date", HeaderValue::from_static("2015-08-30T12:36:00Z"));
    let e = parse_authorization(&h).unwrap_err();
    assert_eq!(e.error_code(), SigV4ErrorCode::IncompleteSignature);
    assert_eq!(
        e.to_string(),
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn signed_headers_rules() {
    // (SignedHeaders, extra request headers, expected message)
    type Case = (&'static str, &'static [(&'static str, &'static str)], &'static str);
    let cases: [Case; 7] = [
        ("x-amz-date", &[], "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
        ("", &[], "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
        ("host", &[], "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."),
        (
            "host;x-amz-date",
            &[("x-amz-content-sha256", "e3b0")],
            "'X-Amz-Content-SHA256' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        ("x-amz-date;host", &[], SIGNATURE_MISMATCH),
        ("host;host;x-amz-date", &[], SIGNATURE_MISMATCH),
        ("Host;host;x-amz-date", &[], SIGNATURE_MISMATCH),
    ];
    for (signed, extra, message) in cases {
        let e = parse_err(Some(&auth_header(CRED, signed, GOOD_SIG)), extra);
        assert_eq!(e.error_code(), SigV4ErrorCode::InvalidSignature, "{signed}");
        assert_eq!(e.to_string(), message, "{signed}");
    }
    let e = parse_err(Some(&auth_header(CRED, "x-amz-date;host", GOOD_SIG)), &[]);
    assert!(matches!(e, SigV4Error::SignedHeadersNotCanonical));
}

#[test]
fn the_target_and_every_x_amz_header_must_be_signed() {
    let cases: [(&str, &str); 4] = [
        ("x-amz-target", "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."),
        ("x-amz-security-token", "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."),
        ("x-amz-content-sha256", "'X-Amz-Content-SHA256' must be a 'SignedHeader' in the AWS Authorization."),
        ("x-amz-meta-thing", "'x-amz-meta-thing' must be a 'SignedHeader' in the AWS Authorization."),
    ];
    for (header, message) in cases {
        let e = parse_err(Some(&auth_header(CRED, "host;x-amz-date", GOOD_SIG)), &[(header, "v")]);
        assert!(matches!(e, SigV4Error::HeaderNotSigned { .. }), "{header}: {e:?}");
        assert_eq!(e.error_code(), SigV4ErrorCode::InvalidSignature, "{header}");
        assert_eq!(e.to_string(), message, "{header}");
        // Signed, it passes.
        let signed = format!("host;x-amz-date;{header}");
        let mut list: Vec<&str> = signed.split(';').collect();
        list.sort_unstable();
        let auth = auth_header(CRED, &list.join(";"), GOOD_SIG);
        parse_authorization(&headers_with(Some(&auth), &[(header, "v")])).unwrap();
    }
    // `x-amzn-*` is not `x-amz-*`: SDKs leave the trace id unsigned.
    let auth = auth_header(CRED, "host;x-amz-date", GOOD_SIG);
    parse_authorization(&headers_with(Some(&auth), &[("x-amzn-trace-id", "Root=1-abc")])).unwrap();
}

#[test]
fn a_second_authorization_header_is_refused() {
    let auth = auth_header(CRED, "host;x-amz-date", GOOD_SIG);
    let e = parse_err(Some(&auth), &[("authorization", &auth)]);
    assert!(matches!(e, SigV4Error::DuplicateAuthorization), "{e:?}");
    assert_eq!(e.error_code(), SigV4ErrorCode::IncompleteSignature);
}

#[test]
fn signature_must_be_64_lowercase_hex() {
    for sig in ["", "abc", &GOOD_SIG.to_uppercase(), &GOOD_SIG.replace('5', "g"), &format!("{GOOD_SIG}00")] {
        let e = parse_err(Some(&auth_header(CRED, "host;x-amz-date", sig)), &[]);
        assert!(matches!(e, SigV4Error::MalformedSignature), "{sig}: {e:?}");
        assert_eq!(e.error_code(), SigV4ErrorCode::InvalidSignature);
        assert_eq!(e.to_string(), SIGNATURE_MISMATCH);
    }
}

/// Signs `headers` (which must hold `host` and the timestamp header) with
/// this module's own functions, the way a client would.
fn self_signed(mut headers: HeaderMap, signed: &str, amz_date_for_sts: &str) -> (HeaderMap, SigningKey) {
    let key = signing_key(b"secret", "20150830", "us-east-1", SERVICE);
    let signed_list: Vec<String> = signed.split(';').map(str::to_owned).collect();
    let req = RequestParts { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
    let creq = canonical_request(&req, &signed_list, &hex::encode(sha256(b"{}"))).unwrap();
    let sts = string_to_sign(amz_date_for_sts, "20150830/us-east-1/kms/aws4_request", &creq);
    let sig = hex::encode(compute_signature(&key, sts.as_bytes()));
    let value = auth_header("AKID/20150830/us-east-1/kms/aws4_request", signed, &sig);
    headers.insert(http::header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
    (headers, key)
}

#[test]
fn date_header_is_accepted_as_a_fallback() {
    let now = parse_amz_date("20150830T123600Z").unwrap();
    for date in ["20150830T123600Z", "Sun, 30 Aug 2015 12:36:00 GMT"] {
        let headers = header_map(&[("host", "kms.local"), ("date", date)]);
        let (headers, key) = self_signed(headers, "date;host", "20150830T123600Z");
        let auth = parse_authorization(&headers).unwrap();
        assert_eq!(auth.request_time, now);
        let req = RequestParts { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
        verify(&req, &auth, &key, now, DEFAULT_MAX_SKEW).unwrap();
    }
    // The Date header must be signed when it carries the time.
    let headers = header_map(&[("host", "kms.local"), ("date", "20150830T123600Z")]);
    let (headers, _) = self_signed(headers, "host", "20150830T123600Z");
    let e = parse_authorization(&headers).unwrap_err();
    assert_eq!(e.to_string(), "'Date' must be a 'SignedHeader' in the AWS Authorization.");
    // x-amz-date wins over Date.
    let headers = header_map(&[
        ("host", "kms.local"),
        ("date", "Mon, 31 Aug 2015 00:00:00 GMT"),
        ("x-amz-date", "20150830T123600Z"),
    ]);
    let (headers, _) = self_signed(headers, "host;x-amz-date", "20150830T123600Z");
    assert_eq!(parse_authorization(&headers).unwrap().request_time, now);
}

#[test]
fn verify_rechecks_a_hand_built_authorization() {
    let headers = header_map(&[("host", "kms.local"), ("x-amz-date", "20150830T123600Z")]);
    let (headers, key) = self_signed(headers, "host;x-amz-date", "20150830T123600Z");
    let good = parse_authorization(&headers).unwrap();
    let req = RequestParts { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
    let now = good.request_time;
    verify(&req, &good, &key, now, DEFAULT_MAX_SKEW).unwrap();

    let mut auth = good.clone();
    auth.service = "s3".into();
    assert!(matches!(verify(&req, &auth, &key, now, DEFAULT_MAX_SKEW), Err(SigV4Error::InvalidCredentialScope { .. })));
    let mut auth = good.clone();
    auth.signed_headers = vec!["x-amz-date".into()];
    assert!(matches!(verify(&req, &auth, &key, now, DEFAULT_MAX_SKEW), Err(SigV4Error::HostNotSigned)));
    let mut auth = good.clone();
    auth.signed_headers = vec!["host".into(), "x-amz-date".into(), "x-missing".into()];
    assert!(matches!(
        verify(&req, &auth, &key, now, DEFAULT_MAX_SKEW),
        Err(SigV4Error::SignedHeaderAbsent { header }) if header == "x-missing"
    ));
}

#[test]
fn messages_never_carry_key_material() {
    let headers = header_map(&[("host", "kms.local"), ("x-amz-date", "20150830T123600Z")]);
    let (headers, key) = self_signed(headers, "host;x-amz-date", "20150830T123600Z");
    let auth = parse_authorization(&headers).unwrap();
    let req = RequestParts { method: "GET", path: "/", query: "", headers: &headers, body: b"{}" };
    let err = verify(&req, &auth, &key, auth.request_time, DEFAULT_MAX_SKEW).unwrap_err();
    // What the server computed for this (tampered) request:
    let creq = canonical_request(&req, &auth.signed_headers, &hex::encode(sha256(b"{}"))).unwrap();
    let sts = string_to_sign("20150830T123600Z", &auth.scope(), &creq);
    let computed = hex::encode(compute_signature(&key, sts.as_bytes()));
    let text = format!("{err} {err:?}");
    assert!(!text.contains(&computed));
    assert!(!text.contains(&hex::encode(&key.0[..])));
}
