//! Request bodies of every operation (KMS, Trent's admin API, CloudTrail's
//! `LookupEvents`): parsing and validation, exactly as the server runs them
//! before an operation, never panic, and a refusal is a
//! `SerializationException` or `ValidationException`.
//!
//! Input: `OperationName\n` followed by the body. A name Trent does not know
//! is skipped; the seed corpus has one valid body per operation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trent_api::ErrorCode;

fuzz_target!(|data: &[u8]| {
    let Some(nl) = data.iter().position(|&b| b == b'\n') else { return };
    let Ok(op) = std::str::from_utf8(&data[..nl]) else { return };
    let body = &data[nl + 1..];
    if let Some(Err((code, _message))) = trent_server::parse_request(op, body) {
        assert!(matches!(code, ErrorCode::Serialization | ErrorCode::Validation), "{op}: refused as {code:?}");
    }
});
