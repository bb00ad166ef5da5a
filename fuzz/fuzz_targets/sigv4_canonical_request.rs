//! The SigV4 canonicalizer and verifier: for any method, path, query,
//! headers (repeated, non-UTF-8, unsigned or absent ones included) and body,
//! `verify` never panics, answers the same twice, and never accepts a
//! signature it was not given a reason to (a signature drawn from the input
//! itself). When the input carries an `Authorization` header that parses, its
//! `SignedHeaders` are in canonical form.
//!
//! Input: `METHOD\nPATH\nQUERY\n` then `name:value` header lines, an empty
//! line, and the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trent_sigv4::{self as sigv4, Authorization, RequestParts};

fn line<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let l = &rest[..i];
            *rest = &rest[i + 1..];
            l
        }
        None => std::mem::take(rest),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let method = String::from_utf8_lossy(line(&mut rest)).into_owned();
    let path = String::from_utf8_lossy(line(&mut rest)).into_owned();
    let query = String::from_utf8_lossy(line(&mut rest)).into_owned();
    let mut headers = http::HeaderMap::new();
    loop {
        let l = line(&mut rest);
        if l.is_empty() {
            break;
        }
        let Some(colon) = l.iter().position(|&b| b == b':') else { continue };
        let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(&l[..colon]), http::HeaderValue::from_bytes(&l[colon + 1..]))
        else {
            continue;
        };
        headers.append(name, value);
    }
    let body = rest;
    let req = RequestParts { method: &method, path: &path, query: &query, headers: &headers, body };

    let auth = match sigv4::parse_authorization(&headers) {
        Ok(auth) => {
            let mut canonical = auth.signed_headers.clone();
            canonical.sort();
            canonical.dedup();
            assert_eq!(canonical, auth.signed_headers, "SignedHeaders not in canonical form");
            assert!(auth.signed_headers.iter().all(|h| h.bytes().all(|b| !b.is_ascii_uppercase())));
            auth
        }
        Err(_) => {
            // Sign every header present, with a signature taken from the input.
            let mut signed: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
            signed.sort();
            signed.dedup();
            let mut signature = [0u8; 32];
            for (i, b) in data.iter().enumerate() {
                signature[i % 32] ^= b.rotate_left(i as u32 % 8);
            }
            let request_time = time::macros::datetime!(2015-08-30 12:36:00 UTC);
            Authorization {
                access_key_id: "AKIDEXAMPLE".into(),
                date: "20150830".into(),
                region: "us-east-1".into(),
                service: sigv4::SERVICE.into(),
                signed_headers: signed,
                signature,
                request_time,
            }
        }
    };
    let key = sigv4::signing_key(
        b"trent-fuzz: a secret no corpus entry is signed with",
        &auth.date,
        &auth.region,
        &auth.service,
    );
    let first = sigv4::verify(&req, &auth, &key, auth.request_time, sigv4::DEFAULT_MAX_SKEW);
    let second = sigv4::verify(&req, &auth, &key, auth.request_time, sigv4::DEFAULT_MAX_SKEW);
    assert_eq!(format!("{first:?}"), format!("{second:?}"), "verify is not deterministic");
    assert!(first.is_err(), "a signature taken from the input verified");
});
