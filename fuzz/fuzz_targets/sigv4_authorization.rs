//! The SigV4 Authorization header parser never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_bytes(data) {
        headers.insert("authorization", v);
        headers.insert("x-amz-date", http::HeaderValue::from_static("20150830T123600Z"));
        let _ = trent_sigv4::parse_authorization(&headers);
    }
});
