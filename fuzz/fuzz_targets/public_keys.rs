//! Caller-supplied public keys and ciphertexts reaching asymmetric keys:
//! DeriveSharedSecret's peer key, signature verification with a DER public
//! key, ML-KEM ciphertexts and signatures of any shape. Nothing panics, and
//! garbage never verifies or agrees.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trent_crypto::asymmetric::{generate, verify_with_public_key, KeyKind, MessageKind, PrivateKey, SigningAlgorithm};
use trent_crypto::AwsLcProvider;

fn key(kind: KeyKind) -> PrivateKey {
    let material = generate(&AwsLcProvider::new(), kind).expect("generate");
    PrivateKey::load(kind, material.expose()).expect("load")
}

fuzz_target!(|data: &[u8]| {
    static KEYS: OnceLock<(PrivateKey, PrivateKey, PrivateKey)> = OnceLock::new();
    let (p256, kem, ed) = KEYS.get_or_init(|| (key(KeyKind::EccP256), key(KeyKind::MlKem768), key(KeyKind::Ed25519)));
    // Any SPKI-shaped input: agreement must fail unless it is a real point.
    let _ = p256.derive_shared_secret(data);
    let _ = kem.decapsulate(data);
    for (kind, alg) in [
        (KeyKind::EccP256, SigningAlgorithm::EcdsaSha256),
        (KeyKind::Rsa2048, SigningAlgorithm::RsaPssSha256),
        (KeyKind::Ed25519, SigningAlgorithm::Ed25519Ph),
        (KeyKind::MlDsa44, SigningAlgorithm::MlDsa),
    ] {
        assert!(!verify_with_public_key(kind, data, alg, MessageKind::Raw, b"m", data).unwrap_or(false));
    }
    assert!(!ed.verify(SigningAlgorithm::Ed25519, MessageKind::Raw, b"m", data).unwrap_or(false));
    assert!(!p256.verify(SigningAlgorithm::EcdsaSha256, MessageKind::Raw, b"m", data).unwrap_or(false));
});
