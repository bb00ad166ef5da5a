//! Query protocol requests (IAM, STS): form bodies parse without panicking,
//! and every IAM operation's parser reads any parameters without panicking
//! (a refusal is an error code and message).
#![no_main]
use libfuzzer_sys::fuzz_target;
use trent_api::iam::IamRequest;
use trent_api::query::Params;
use trent_api::{Api, Operation};

fuzz_target!(|data: &[u8]| {
    let Ok(params) = Params::parse(data) else { return };
    let _ = params.get("Action");
    let _ = params.list("TagKeys");
    let _ = params.structs("Tags", &["Key", "Value"]);
    for op in Operation::ALL.iter().filter(|op| op.api() == Api::Iam) {
        if let Some(Err((_, message))) = IamRequest::parse(*op, &params) {
            assert!(message.len() < 64 * 1024 + 4096, "{}", op.name());
        }
    }
});
