//! The ciphertext blob parser and decryption never panic, and nothing but a
//! genuine blob decrypts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trent_crypto::envelope::{canonical_context, decrypt, CiphertextBlob};
use trent_crypto::{AwsLcProvider, SecretKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(blob) = CiphertextBlob::parse(data) {
        let p = AwsLcProvider::new();
        let key = SecretKey::from_bytes([7u8; 32]);
        assert!(decrypt(&p, &key, &blob, &canonical_context([])).is_err());
    }
});
