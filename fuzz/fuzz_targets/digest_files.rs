//! Audit digest files (read from storage outside Trent's control): the
//! parser never panics, and a checkpoint made of fuzz input never verifies
//! under the deployment's key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trent_core::audit::digest;
use trent_crypto::audit::CheckpointSigner;
use trent_crypto::hierarchy::RootKey;
use trent_crypto::{AwsLcProvider, SecretKey};

fn public_key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        let root = RootKey::new(SecretKey::from_bytes([7u8; 32]));
        CheckpointSigner::derive(&AwsLcProvider::new(), &root).unwrap().public_key()
    })
}

fuzz_target!(|data: &[u8]| {
    // The first line names the file; the rest is its content.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let name = String::from_utf8_lossy(&data[..split]);
    let body = data.get(split + 1..).unwrap_or_default();
    if let Ok(cp) = digest::parse(&name, body) {
        assert_eq!(name, digest::file_name(cp.number.unwrap()));
        assert!(!cp.verifies(public_key()), "a checkpoint from fuzz input verified");
    }
});
