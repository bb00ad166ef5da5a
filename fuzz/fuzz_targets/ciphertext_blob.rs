//! The ciphertext blob parsers (formats 1 and 2, and 3 of keys in custom
//! key stores) and decryption never panic, and nothing but a genuine blob
//! decrypts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trent_crypto::envelope::{canonical_context, decrypt, CiphertextBlob, HsmBlob};
use trent_crypto::{AwsLcProvider, SecretKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(blob) = CiphertextBlob::parse(data) {
        let p = AwsLcProvider::new();
        let key = SecretKey::from_bytes([7u8; 32]);
        assert!(decrypt(&p, &key, &blob, &canonical_context([])).is_err());
    }
    if let Ok(blob) = HsmBlob::parse(data) {
        // What the token is given: the header (the id's digits kept as
        // they came) and the rest.
        assert!(blob.key_store.starts_with("cks-") && blob.key_store.len() == 21);
        assert_eq!(blob.aad(b"").len() + blob.body.len(), data.len());
    }
});
