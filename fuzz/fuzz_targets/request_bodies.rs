//! Request bodies: parsing and validation never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trent_api::ops::*;
use trent_api::validate::Validate;

fn one<T: serde::de::DeserializeOwned + Validate>(data: &[u8]) {
    if let Ok(req) = serde_json::from_slice::<T>(data) {
        let _ = req.validate();
    }
}

fuzz_target!(|data: &[u8]| {
    one::<CreateKeyRequest>(data);
    one::<EncryptRequest>(data);
    one::<DecryptRequest>(data);
    one::<ReEncryptRequest>(data);
    one::<GenerateDataKeyRequest>(data);
    one::<ListAliasesRequest>(data);
});
