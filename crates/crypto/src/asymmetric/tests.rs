use super::*;
use crate::AwsLcProvider;

fn key(kind: KeyKind) -> PrivateKey {
    let material = generate(&AwsLcProvider::new(), kind).unwrap();
    PrivateKey::load(kind, material.expose()).unwrap()
}

fn sha(hash: &'static digest::Algorithm, m: &[u8]) -> Vec<u8> {
    digest::digest(hash, m).as_ref().to_vec()
}

/// Every signing kind with every algorithm it takes: RAW and DIGEST
/// signatures verify both ways, with the key and with the public key
/// alone, and a changed message or signature does not.
#[test]
fn every_signing_key_signs_and_verifies_raw_and_digest() {
    use SigningAlgorithm as A;
    let rsa = [
        (A::RsaPssSha256, &digest::SHA256),
        (A::RsaPssSha384, &digest::SHA384),
        (A::RsaPssSha512, &digest::SHA512),
        (A::RsaPkcs1Sha256, &digest::SHA256),
        (A::RsaPkcs1Sha384, &digest::SHA384),
        (A::RsaPkcs1Sha512, &digest::SHA512),
    ];
    let cases: Vec<(KeyKind, Vec<(A, &'static digest::Algorithm)>)> = vec![
        (KeyKind::Rsa2048, rsa.to_vec()),
        (KeyKind::Rsa3072, rsa[..2].to_vec()),
        (KeyKind::EccP256, vec![(A::EcdsaSha256, &digest::SHA256)]),
        (KeyKind::EccP384, vec![(A::EcdsaSha384, &digest::SHA384)]),
        (KeyKind::EccP521, vec![(A::EcdsaSha512, &digest::SHA512)]),
        (KeyKind::EccSecp256k1, vec![(A::EcdsaSha256, &digest::SHA256)]),
        (KeyKind::Ed25519, vec![(A::Ed25519Ph, &digest::SHA512)]),
    ];
    let msg = b"the message Trent signs";
    for (kind, algs) in cases {
        let k = key(kind);
        let spki = k.public_key_der().unwrap();
        for (alg, hash) in algs {
            let d = sha(hash, msg);
            for (mk, m) in [(MessageKind::Raw, &msg[..]), (MessageKind::Digest, &d[..])] {
                let s = k.sign(alg, mk, m).unwrap();
                assert!(k.verify(alg, MessageKind::Raw, msg, &s).unwrap(), "{kind:?} {alg:?} {mk:?}");
                assert!(k.verify(alg, MessageKind::Digest, &d, &s).unwrap(), "{kind:?} {alg:?} {mk:?}");
                assert!(verify_with_public_key(kind, &spki, alg, MessageKind::Raw, msg, &s).unwrap());
                assert!(!k.verify(alg, MessageKind::Raw, b"another message", &s).unwrap());
                let mut bad = s.clone();
                bad[s.len() / 2] ^= 1;
                assert!(!k.verify(alg, MessageKind::Raw, msg, &bad).unwrap(), "{kind:?} {alg:?}");
            }
            assert!(matches!(k.sign(alg, MessageKind::Digest, &d[1..]), Err(CryptoError::InvalidInput(_))));
        }
    }
    // Pure Ed25519 takes RAW messages only.
    let k = key(KeyKind::Ed25519);
    let s = k.sign(A::Ed25519, MessageKind::Raw, msg).unwrap();
    assert!(k.verify(A::Ed25519, MessageKind::Raw, msg, &s).unwrap());
    assert!(k.sign(A::Ed25519, MessageKind::Digest, &sha(&digest::SHA512, msg)).is_err());
    // An algorithm of another key type is refused, not attempted.
    assert!(k.sign(A::EcdsaSha256, MessageKind::Raw, msg).is_err());
    assert!(key(KeyKind::EccP256).sign(A::EcdsaSha384, MessageKind::Raw, msg).is_err());
}

/// RFC 8032 §7.3, test "abc" for Ed25519ph: our prehash path gives the
/// published signature, from RAW and from DIGEST messages.
#[test]
fn ed25519ph_matches_rfc8032() {
    let seed = hex::decode("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42").unwrap();
    let public = hex::decode("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf").unwrap();
    let expected = hex::decode(
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41\
         31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
    )
    .unwrap();
    let pair = sig::Ed25519KeyPair::from_seed_and_public_key(&seed, &public).unwrap();
    let k = PrivateKey::load(KeyKind::Ed25519, pair.to_pkcs8v1().unwrap().as_ref()).unwrap();
    let raw = k.sign(SigningAlgorithm::Ed25519Ph, MessageKind::Raw, b"abc").unwrap();
    let digest = sha(&digest::SHA512, b"abc");
    let pre = k.sign(SigningAlgorithm::Ed25519Ph, MessageKind::Digest, &digest).unwrap();
    assert_eq!(raw, expected);
    assert_eq!(pre, expected);
    let spki = k.public_key_der().unwrap();
    assert_eq!(&spki[12..], &public[..]);
    assert!(verify_with_public_key(
        KeyKind::Ed25519,
        &spki,
        SigningAlgorithm::Ed25519Ph,
        MessageKind::Raw,
        b"abc",
        &expected
    )
    .unwrap());
}

/// ML-DSA: RAW signatures (aws-lc) verify as external μ (ml-dsa) and
/// the other way round, so the two libraries hold the same key.
#[test]
fn ml_dsa_raw_and_external_mu_agree() {
    for (kind, pk_len) in [(KeyKind::MlDsa44, 1312), (KeyKind::MlDsa65, 1952), (KeyKind::MlDsa87, 2592)] {
        let k = key(kind);
        let spki = k.public_key_der().unwrap();
        let pk = &spki[spki.len() - pk_len..];
        // μ = SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || M, 64): pure
        // ML-DSA with an empty context (FIPS 204 Algorithm 2 and 7).
        let tr = shake256(&[pk], 64);
        let msg = b"post-quantum";
        let mu = shake256(&[&tr, &[0, 0], msg], 64);
        let raw = k.sign(SigningAlgorithm::MlDsa, MessageKind::Raw, msg).unwrap();
        assert!(k.verify(SigningAlgorithm::MlDsa, MessageKind::ExternalMu, &mu, &raw).unwrap(), "{kind:?}");
        let ext = k.sign(SigningAlgorithm::MlDsa, MessageKind::ExternalMu, &mu).unwrap();
        assert!(k.verify(SigningAlgorithm::MlDsa, MessageKind::Raw, msg, &ext).unwrap(), "{kind:?}");
        assert!(!k.verify(SigningAlgorithm::MlDsa, MessageKind::Raw, b"other", &ext).unwrap());
        let mut bad_mu = mu.clone();
        bad_mu[0] ^= 1;
        assert!(!k.verify(SigningAlgorithm::MlDsa, MessageKind::ExternalMu, &bad_mu, &raw).unwrap());
        assert!(k.sign(SigningAlgorithm::MlDsa, MessageKind::ExternalMu, &mu[..32]).is_err());
        assert!(k.sign(SigningAlgorithm::MlDsa, MessageKind::Digest, &mu).is_err());
        assert!(k.private_key_pkcs8().unwrap().expose().len() > 32);
    }
}

fn shake256(parts: &[&[u8]], len: usize) -> Vec<u8> {
    use ::digest::{ExtendableOutput as _, Update as _, XofReader as _};
    let mut h = shake::Shake256::default();
    for p in parts {
        h.update(p);
    }
    let mut out = vec![0u8; len];
    h.finalize_xof().read(&mut out);
    out
}

#[test]
fn rsa_oaep_round_trips_and_refuses_long_or_bad_input() {
    for kind in [KeyKind::Rsa2048, KeyKind::Rsa4096] {
        let k = key(kind);
        for hash in [OaepHash::Sha1, OaepHash::Sha256] {
            let ct = k.encrypt_oaep(hash, b"secret").unwrap();
            assert_eq!(k.decrypt_oaep(hash, &ct).unwrap().expose(), b"secret");
            let other = if hash == OaepHash::Sha1 { OaepHash::Sha256 } else { OaepHash::Sha1 };
            assert!(matches!(k.decrypt_oaep(other, &ct), Err(CryptoError::Authentication)));
            let mut bad = ct.clone();
            bad[5] ^= 1;
            assert!(matches!(k.decrypt_oaep(hash, &bad), Err(CryptoError::Authentication)));
        }
        // 2048-bit OAEP-SHA-256 takes at most 256 - 2*32 - 2 = 190 bytes.
        let max = if kind == KeyKind::Rsa2048 { 190 } else { 446 };
        assert!(k.encrypt_oaep(OaepHash::Sha256, &vec![7; max]).is_ok());
        assert!(matches!(k.encrypt_oaep(OaepHash::Sha256, &vec![7; max + 1]), Err(CryptoError::InvalidInput(_))));
    }
}

#[test]
fn ecdh_agrees_with_a_peer_and_refuses_bad_peers() {
    for (kind, alg) in [
        (KeyKind::EccP256, &agreement::ECDH_P256),
        (KeyKind::EccP384, &agreement::ECDH_P384),
        (KeyKind::EccP521, &agreement::ECDH_P521),
    ] {
        let k = key(kind);
        let peer = agreement::PrivateKey::generate(alg).unwrap();
        let peer_spki = peer.compute_public_key().unwrap().as_der().unwrap();
        let ours = k.derive_shared_secret(peer_spki.as_ref()).unwrap();
        let unparsed = agreement::UnparsedPublicKey::new(alg, k.public_key_der().unwrap());
        let theirs = agreement::agree(&peer, unparsed, (), |s| Ok(s.to_vec())).unwrap();
        assert_eq!(ours.expose(), &theirs[..]);
        // A bare point is not DER SPKI; a key on another curve is refused.
        let point = peer.compute_public_key().unwrap();
        assert!(k.derive_shared_secret(point.as_ref()).is_err());
        let other = key(if kind == KeyKind::EccP256 { KeyKind::EccP384 } else { KeyKind::EccP256 });
        assert!(k.derive_shared_secret(&other.public_key_der().unwrap()).is_err());
    }
    assert!(key(KeyKind::EccSecp256k1).derive_shared_secret(&[0x30]).is_err());
}

#[test]
fn hmac_keys_mac_and_verify_only_their_algorithm() {
    for (kind, alg, len) in [
        (KeyKind::Hmac224, MacAlgorithm::Sha224, 28),
        (KeyKind::Hmac256, MacAlgorithm::Sha256, 32),
        (KeyKind::Hmac384, MacAlgorithm::Sha384, 48),
        (KeyKind::Hmac512, MacAlgorithm::Sha512, 64),
    ] {
        let material = generate(&AwsLcProvider::new(), kind).unwrap();
        assert_eq!(material.len(), len);
        let k = PrivateKey::load(kind, material.expose()).unwrap();
        let tag = k.mac(alg, b"token").unwrap();
        assert_eq!(tag.len(), len);
        assert!(k.verify_mac(alg, b"token", &tag).unwrap());
        assert!(!k.verify_mac(alg, b"token", &tag[1..]).unwrap());
        assert!(!k.verify_mac(alg, b"tokens", &tag).unwrap());
        let other = if alg == MacAlgorithm::Sha256 { MacAlgorithm::Sha512 } else { MacAlgorithm::Sha256 };
        assert!(k.mac(other, b"token").is_err());
        assert!(k.public_key_der().is_err());
    }
}

#[test]
fn ml_kem_encapsulates_to_itself_and_from_outside() {
    for (kind, alg, ct_len, ek_len) in [
        (KeyKind::MlKem512, &kem::ML_KEM_512, 768, 800),
        (KeyKind::MlKem768, &kem::ML_KEM_768, 1088, 1184),
        (KeyKind::MlKem1024, &kem::ML_KEM_1024, 1568, 1568),
    ] {
        let k = key(kind);
        let (ct, ss) = k.encapsulate().unwrap();
        assert_eq!(ct.len(), ct_len);
        assert_eq!(k.decapsulate(&ct).unwrap().expose(), ss.expose());
        let spki = k.public_key_der().unwrap();
        let ek = kem::EncapsulationKey::new(alg, &spki[spki.len() - ek_len..]).unwrap();
        let (ct2, ss2) = ek.encapsulate().unwrap();
        assert_eq!(k.decapsulate(ct2.as_ref()).unwrap().expose(), ss2.as_ref());
        assert!(matches!(k.decapsulate(&ct[1..]), Err(CryptoError::InvalidInput(_))));
        // Implicit rejection: a changed ciphertext gives another secret.
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_ne!(k.decapsulate(&bad).unwrap().expose(), ss.expose());
        let pkcs8 = k.private_key_pkcs8().unwrap();
        assert_eq!(pkcs8.expose()[0], 0x30);
    }
}

#[test]
fn material_of_another_kind_does_not_load() {
    let p256 = generate(&AwsLcProvider::new(), KeyKind::EccP256).unwrap();
    assert!(PrivateKey::load(KeyKind::EccP384, p256.expose()).is_err());
    assert!(PrivateKey::load(KeyKind::Rsa2048, p256.expose()).is_err());
    assert!(PrivateKey::load(KeyKind::EccP256, p256.expose()).is_ok());
    let rsa = generate(&AwsLcProvider::new(), KeyKind::Rsa2048).unwrap();
    assert!(PrivateKey::load(KeyKind::Rsa3072, rsa.expose()).is_err());
    assert!(PrivateKey::load(KeyKind::MlDsa65, &[0; 31]).is_err());
    assert!(PrivateKey::load(KeyKind::MlKem768, &[0; 100]).is_err());
    // An ML-KEM key whose stored H(ek) does not match fails the FIPS 203 check.
    let mut kem = generate(&AwsLcProvider::new(), KeyKind::MlKem768).unwrap().expose().to_vec();
    assert!(PrivateKey::load(KeyKind::MlKem768, &kem).is_ok());
    let h = kem.len() - 64;
    kem[h] ^= 1;
    assert!(PrivateKey::load(KeyKind::MlKem768, &kem).is_err());
    assert!(PrivateKey::load(KeyKind::Hmac256, &[]).is_err());
}

#[test]
fn public_keys_are_spki_that_aws_lc_parses() {
    for kind in KeyKind::ALL {
        if kind.hmac().is_some() || kind.ml_kem().is_some() || kind.rsa_size() == Some(rsa::KeySize::Rsa4096) {
            continue;
        }
        let k = key(kind);
        let spki = k.public_key_der().unwrap();
        assert_eq!(spki[0], 0x30, "{kind:?}");
        let private = k.private_key_pkcs8().unwrap();
        assert_eq!(private.expose()[0], 0x30, "{kind:?}");
    }
}

#[test]
fn der_lengths_are_definite_and_minimal() {
    assert_eq!(der::der(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
    assert_eq!(&der::der(0x04, &[0; 200])[..3], &[0x04, 0x81, 200]);
    assert_eq!(&der::der(0x04, &[0; 1184])[..4], &[0x04, 0x82, 0x04, 0xa0]);
}
