//! Asymmetric, HMAC, key agreement and post-quantum keys through
//! `aws-sdk-kms`, with every result checked outside Trent (aws-lc-rs) using
//! only what the API returned.

use crate::common::TestServer;
use aws_lc_rs::{agreement, digest, kem, rsa, signature};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec,
    KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec as Alg,
};

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

async fn create(kms: &aws_sdk_kms::Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let out = kms.create_key().key_spec(spec).key_usage(usage).send().await.unwrap();
    out.key_metadata().unwrap().key_id().to_owned()
}

/// aws-lc-rs's verifier for a KMS signing algorithm, and the digest that
/// DIGEST-mode messages take.
fn verifier(
    alg: &Alg,
    spec: &KeySpec,
) -> (&'static dyn signature::VerificationAlgorithm, Option<&'static digest::Algorithm>) {
    match (alg, spec) {
        (Alg::RsassaPkcs1V15Sha256, _) => (&signature::RSA_PKCS1_2048_8192_SHA256, Some(&digest::SHA256)),
        (Alg::RsassaPkcs1V15Sha384, _) => (&signature::RSA_PKCS1_2048_8192_SHA384, Some(&digest::SHA384)),
        (Alg::RsassaPkcs1V15Sha512, _) => (&signature::RSA_PKCS1_2048_8192_SHA512, Some(&digest::SHA512)),
        (Alg::RsassaPssSha256, _) => (&signature::RSA_PSS_2048_8192_SHA256, Some(&digest::SHA256)),
        (Alg::RsassaPssSha384, _) => (&signature::RSA_PSS_2048_8192_SHA384, Some(&digest::SHA384)),
        (Alg::RsassaPssSha512, _) => (&signature::RSA_PSS_2048_8192_SHA512, Some(&digest::SHA512)),
        (Alg::EcdsaSha256, KeySpec::EccSecgP256K1) => (&signature::ECDSA_P256K1_SHA256_ASN1, Some(&digest::SHA256)),
        (Alg::EcdsaSha256, _) => (&signature::ECDSA_P256_SHA256_ASN1, Some(&digest::SHA256)),
        (Alg::EcdsaSha384, _) => (&signature::ECDSA_P384_SHA384_ASN1, Some(&digest::SHA384)),
        (Alg::EcdsaSha512, _) => (&signature::ECDSA_P521_SHA512_ASN1, Some(&digest::SHA512)),
        (Alg::Ed25519Sha512, _) => (&signature::ED25519, None),
        (Alg::MlDsaShake256, KeySpec::MlDsa44) => (&signature::ML_DSA_44, None),
        (Alg::MlDsaShake256, KeySpec::MlDsa65) => (&signature::ML_DSA_65, None),
        (Alg::MlDsaShake256, KeySpec::MlDsa87) => (&signature::ML_DSA_87, None),
        other => panic!("no external verifier for {other:?}"),
    }
}

/// The raw public key inside a SubjectPublicKeyInfo: the BIT STRING's
/// content, which ends the structure (RFC 5280).
fn spki_raw(spki: &[u8], raw_len: usize) -> &[u8] {
    &spki[spki.len() - raw_len..]
}

fn external_verify(spec: &KeySpec, alg: &Alg, spki: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let (v, _) = verifier(alg, spec);
    let key: &[u8] = match spec {
        // aws-lc-rs takes RSA and ECDSA keys as SubjectPublicKeyInfo; Ed25519
        // and ML-DSA as raw keys.
        KeySpec::EccNistEdwards25519 => spki_raw(spki, 32),
        KeySpec::MlDsa44 => spki_raw(spki, 1312),
        KeySpec::MlDsa65 => spki_raw(spki, 1952),
        KeySpec::MlDsa87 => spki_raw(spki, 2592),
        _ => spki,
    };
    signature::UnparsedPublicKey::new(v, key).verify(msg, sig).is_ok()
}

#[tokio::test]
async fn every_signing_spec_signs_what_outside_verifiers_accept() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let message = b"a release manifest, signed by Trent".to_vec();
    for spec in [
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256K1,
        KeySpec::EccNistEdwards25519,
        KeySpec::MlDsa44,
        KeySpec::MlDsa65,
        KeySpec::MlDsa87,
    ] {
        let key = create(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let md = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
        let algs = md.signing_algorithms().to_vec();
        assert!(!algs.is_empty(), "{spec}: DescribeKey lists signing algorithms");
        assert!(md.encryption_algorithms().is_empty(), "{spec}: no encryption algorithms");
        let pk = kms.get_public_key().key_id(&key).send().await.unwrap();
        assert_eq!(pk.key_spec(), Some(&spec));
        assert_eq!(pk.key_usage(), Some(&KeyUsageType::SignVerify));
        assert_eq!(pk.signing_algorithms(), algs.as_slice());
        let spki = pk.public_key().unwrap().as_ref().to_vec();
        for alg in &algs {
            let sig = kms
                .sign()
                .key_id(&key)
                .message(Blob::new(message.clone()))
                .signing_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            let sig = sig.signature().unwrap().as_ref().to_vec();
            if *alg != Alg::Ed25519PhSha512 {
                assert!(external_verify(&spec, alg, &spki, &message, &sig), "{spec} {alg}: verifies outside Trent");
            }
            let ok = kms
                .verify()
                .key_id(&key)
                .message(Blob::new(message.clone()))
                .signature(Blob::new(sig.clone()))
                .signing_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert!(ok.signature_valid());
            let mut bad = message.clone();
            bad[0] ^= 1;
            let e = kms
                .verify()
                .key_id(&key)
                .message(Blob::new(bad))
                .signature(Blob::new(sig.clone()))
                .signing_algorithm(alg.clone())
                .send()
                .await
                .unwrap_err();
            assert_eq!(code(&e), "KMSInvalidSignatureException", "{spec} {alg}");

            // DIGEST mode: a signature over the digest is a signature over
            // the message.
            let digest_alg = match alg {
                Alg::Ed25519PhSha512 => Some(&digest::SHA512),
                other => verifier(other, &spec).1,
            };
            match digest_alg {
                Some(d) => {
                    let dg = digest::digest(d, &message).as_ref().to_vec();
                    let sig_d = kms
                        .sign()
                        .key_id(&key)
                        .message(Blob::new(dg.clone()))
                        .message_type(MessageType::Digest)
                        .signing_algorithm(alg.clone())
                        .send()
                        .await
                        .unwrap();
                    let sig_d = sig_d.signature().unwrap().as_ref().to_vec();
                    if matches!(
                        alg,
                        Alg::RsassaPkcs1V15Sha256
                            | Alg::RsassaPkcs1V15Sha384
                            | Alg::RsassaPkcs1V15Sha512
                            | Alg::Ed25519PhSha512
                    ) {
                        assert_eq!(sig_d, sig, "{spec} {alg}: deterministic DIGEST signature equals RAW");
                    }
                    if *alg != Alg::Ed25519PhSha512 {
                        assert!(external_verify(&spec, alg, &spki, &message, &sig_d), "{spec} {alg}: DIGEST sig");
                    }
                    kms.verify()
                        .key_id(&key)
                        .message(Blob::new(message.clone()))
                        .signature(Blob::new(sig_d))
                        .signing_algorithm(alg.clone())
                        .send()
                        .await
                        .unwrap();
                    let e = kms
                        .sign()
                        .key_id(&key)
                        .message(Blob::new(dg[1..].to_vec()))
                        .message_type(MessageType::Digest)
                        .signing_algorithm(alg.clone())
                        .send()
                        .await
                        .unwrap_err();
                    assert_eq!(code(&e), "ValidationException", "{spec} {alg}: digest length is checked");
                }
                None => {
                    let e = kms
                        .sign()
                        .key_id(&key)
                        .message(Blob::new(vec![0u8; 64]))
                        .message_type(MessageType::Digest)
                        .signing_algorithm(alg.clone())
                        .send()
                        .await
                        .unwrap_err();
                    assert_eq!(code(&e), "ValidationException", "{spec} {alg}: no DIGEST mode");
                }
            }
        }
        // An algorithm of another spec is refused.
        let foreign = if algs.contains(&Alg::EcdsaSha384) { Alg::EcdsaSha256 } else { Alg::EcdsaSha384 };
        let e = kms
            .sign()
            .key_id(&key)
            .message(Blob::new(message.clone()))
            .signing_algorithm(foreign)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "InvalidKeyUsageException", "{spec}");
        // Signing keys do not encrypt.
        let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
        assert_eq!(code(&e), "InvalidKeyUsageException", "{spec}");
    }
}

#[tokio::test]
async fn rsa_oaep_ciphertexts_made_outside_decrypt_inside() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let key = create(&kms, spec.clone(), KeyUsageType::EncryptDecrypt).await;
        let md = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(
            md.encryption_algorithms(),
            &[EncryptionAlgorithmSpec::RsaesOaepSha1, EncryptionAlgorithmSpec::RsaesOaepSha256]
        );
        let spki = kms.get_public_key().key_id(&key).send().await.unwrap().public_key.unwrap().into_inner();
        let public = rsa::PublicEncryptingKey::from_der(&spki).unwrap();
        let public = rsa::OaepPublicEncryptingKey::new(public).unwrap();
        for (alg, oaep) in [
            (EncryptionAlgorithmSpec::RsaesOaepSha1, &rsa::OAEP_SHA1_MGF1SHA1),
            (EncryptionAlgorithmSpec::RsaesOaepSha256, &rsa::OAEP_SHA256_MGF1SHA256),
        ] {
            let mut ct = vec![0u8; public.ciphertext_size()];
            let ct = public.encrypt(oaep, b"made outside", &mut ct, None).unwrap().to_vec();
            let out = kms
                .decrypt()
                .key_id(&key)
                .ciphertext_blob(Blob::new(ct.clone()))
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(out.plaintext().unwrap().as_ref(), b"made outside", "{spec} {alg}");
            assert_eq!(out.encryption_algorithm(), Some(&alg));

            let enc = kms
                .encrypt()
                .key_id(&key)
                .plaintext(Blob::new(b"made inside".to_vec()))
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(enc.encryption_algorithm(), Some(&alg));
            let blob = enc.ciphertext_blob().unwrap().clone();
            assert_eq!(blob.as_ref().len(), public.ciphertext_size(), "a real RSA ciphertext");
            let out = kms
                .decrypt()
                .key_id(&key)
                .ciphertext_blob(blob.clone())
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(out.plaintext().unwrap().as_ref(), b"made inside");

            // ReEncrypt from RSA to a symmetric key and back to RSA.
            let sym = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
            let re = kms
                .re_encrypt()
                .ciphertext_blob(blob.clone())
                .source_key_id(&key)
                .source_encryption_algorithm(alg.clone())
                .destination_key_id(&sym)
                .send()
                .await
                .unwrap();
            let back = kms
                .re_encrypt()
                .ciphertext_blob(re.ciphertext_blob.unwrap())
                .destination_key_id(&key)
                .destination_encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(back.destination_encryption_algorithm(), Some(&alg));
            let out = kms
                .decrypt()
                .key_id(&key)
                .ciphertext_blob(back.ciphertext_blob.unwrap())
                .encryption_algorithm(alg.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(out.plaintext().unwrap().as_ref(), b"made inside");
        }
        // No algorithm, a context, a tampered ciphertext, a data key: refused as AWS refuses them.
        let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
        assert_eq!(code(&e), "InvalidKeyUsageException");
        let e = kms
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .encryption_context("a", "b")
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException");
        let e = kms
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(vec![7u8; 600]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "too long for OAEP");
        let e = kms
            .decrypt()
            .key_id(&key)
            .ciphertext_blob(Blob::new(vec![1u8; public.ciphertext_size()]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "InvalidCiphertextException");
        let e = kms.generate_data_key().key_id(&key).number_of_bytes(32).send().await.unwrap_err();
        assert_eq!(code(&e), "InvalidKeyUsageException");
    }
}

#[tokio::test]
async fn hmac_keys_generate_and_verify_macs() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    for (spec, alg, len) in [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
    ] {
        let key = create(&kms, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        let md = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(md.mac_algorithms(), std::slice::from_ref(&alg));
        let msg = Blob::new(b"token payload".to_vec());
        let mac = kms.generate_mac().key_id(&key).message(msg.clone()).mac_algorithm(alg.clone()).send().await.unwrap();
        let mac = mac.mac().unwrap().as_ref().to_vec();
        assert_eq!(mac.len(), len);
        let again =
            kms.generate_mac().key_id(&key).message(msg.clone()).mac_algorithm(alg.clone()).send().await.unwrap();
        assert_eq!(again.mac().unwrap().as_ref(), mac.as_slice(), "HMAC is deterministic");
        let ok = kms
            .verify_mac()
            .key_id(&key)
            .message(msg.clone())
            .mac(Blob::new(mac.clone()))
            .mac_algorithm(alg.clone())
            .send()
            .await
            .unwrap();
        assert!(ok.mac_valid());
        let mut bad = mac.clone();
        bad[3] ^= 0x10;
        let e = kms
            .verify_mac()
            .key_id(&key)
            .message(msg.clone())
            .mac(Blob::new(bad))
            .mac_algorithm(alg.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "KMSInvalidMacException", "{spec}");
        let e = kms
            .verify_mac()
            .key_id(&key)
            .message(msg.clone())
            .mac(Blob::new(mac[..len - 1].to_vec()))
            .mac_algorithm(alg.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "KMSInvalidMacException", "{spec}: a truncated MAC is not valid");
        let other = if alg == MacAlgorithmSpec::HmacSha256 {
            MacAlgorithmSpec::HmacSha512
        } else {
            MacAlgorithmSpec::HmacSha256
        };
        let e = kms.generate_mac().key_id(&key).message(msg.clone()).mac_algorithm(other).send().await.unwrap_err();
        assert_eq!(code(&e), "InvalidKeyUsageException", "{spec}");
        let e = kms.get_public_key().key_id(&key).send().await.unwrap_err();
        assert_eq!(code(&e), "UnsupportedOperationException");
    }
    let e = kms.create_key().key_spec(KeySpec::Hmac256).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException", "HMAC keys need GENERATE_VERIFY_MAC");
}

#[tokio::test]
async fn ecdh_agrees_with_a_peer_outside() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    for (spec, curve, point_len) in [
        (KeySpec::EccNistP256, &agreement::ECDH_P256, 65),
        (KeySpec::EccNistP384, &agreement::ECDH_P384, 97),
        (KeySpec::EccNistP521, &agreement::ECDH_P521, 133),
    ] {
        let key = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let md = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(md.key_agreement_algorithms(), &[KeyAgreementAlgorithmSpec::Ecdh]);
        assert!(md.signing_algorithms().is_empty());
        let kms_spki = kms.get_public_key().key_id(&key).send().await.unwrap().public_key.unwrap().into_inner();

        let mine = agreement::PrivateKey::generate(curve).unwrap();
        let my_spki = {
            use aws_lc_rs::encoding::AsDer;
            let pk = mine.compute_public_key().unwrap();
            let der: aws_lc_rs::encoding::PublicKeyX509Der<'_> = pk.as_der().unwrap();
            der.as_ref().to_vec()
        };
        let theirs = kms
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(my_spki))
            .send()
            .await
            .unwrap();
        let peer = agreement::UnparsedPublicKey::new(curve, spki_raw(&kms_spki, point_len));
        let ours = agreement::agree(&mine, peer, aws_lc_rs::error::Unspecified, |s| Ok(s.to_vec())).unwrap();
        assert_eq!(theirs.shared_secret().unwrap().as_ref(), ours.as_slice(), "{spec}");

        // A key on another curve is refused.
        let other = if spec == KeySpec::EccNistP256 { &agreement::ECDH_P384 } else { &agreement::ECDH_P256 };
        let wrong = {
            use aws_lc_rs::encoding::AsDer;
            let k = agreement::PrivateKey::generate(other).unwrap();
            let der: aws_lc_rs::encoding::PublicKeyX509Der<'_> = k.compute_public_key().unwrap().as_der().unwrap();
            der.as_ref().to_vec()
        };
        let e = kms
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(wrong))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{spec}");
        let _ = &rng;
    }
}

#[tokio::test]
async fn ml_kem_encapsulates_and_decapsulates() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    for (spec, alg, ek_len) in [
        (KeySpec::MlKem512, &kem::ML_KEM_512, 800),
        (KeySpec::MlKem768, &kem::ML_KEM_768, 1184),
        (KeySpec::MlKem1024, &kem::ML_KEM_1024, 1568),
    ] {
        let key = create(&kms, spec.clone(), KeyUsageType::EncapsulateDecapsulate).await;
        let md = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(md.encapsulation_algorithms(), &[EncapsulationAlgorithmSpec::MlKem]);
        let enc = kms
            .encapsulate()
            .key_id(&key)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .unwrap();
        let dec = kms
            .decapsulate()
            .key_id(&key)
            .shared_secret_ciphertext_blob(enc.shared_secret_ciphertext_blob().unwrap().clone())
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .unwrap();
        assert_eq!(dec.shared_secret().unwrap().as_ref(), enc.shared_secret().unwrap().as_ref(), "{spec}");

        // Encapsulated outside with GetPublicKey's key.
        let spki = kms.get_public_key().key_id(&key).send().await.unwrap().public_key.unwrap().into_inner();
        let ek = kem::EncapsulationKey::new(alg, spki_raw(&spki, ek_len)).unwrap();
        let (ct, secret) = ek.encapsulate().unwrap();
        let dec = kms
            .decapsulate()
            .key_id(&key)
            .shared_secret_ciphertext_blob(Blob::new(ct.as_ref().to_vec()))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .unwrap();
        assert_eq!(dec.shared_secret().unwrap().as_ref(), secret.as_ref(), "{spec}: outside encapsulation");
        let e = kms
            .decapsulate()
            .key_id(&key)
            .shared_secret_ciphertext_blob(Blob::new(vec![1, 2, 3]))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "InvalidCiphertextException");
    }
}

#[tokio::test]
async fn data_key_pairs_for_every_spec() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::Rsa3072,
        DataKeyPairSpec::Rsa4096,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256K1,
        DataKeyPairSpec::EccNistEdwards25519,
        DataKeyPairSpec::MlKem512,
        DataKeyPairSpec::MlKem768,
        DataKeyPairSpec::MlKem1024,
    ] {
        let pair = kms
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(spec.clone())
            .encryption_context("use", "pair")
            .send()
            .await
            .unwrap();
        assert_eq!(pair.key_pair_spec(), Some(&spec));
        let private = pair.private_key_plaintext().unwrap().as_ref().to_vec();
        let public = pair.public_key().unwrap().as_ref().to_vec();
        let opened = kms
            .decrypt()
            .ciphertext_blob(pair.private_key_ciphertext_blob().unwrap().clone())
            .encryption_context("use", "pair")
            .send()
            .await
            .unwrap();
        assert_eq!(opened.plaintext().unwrap().as_ref(), private.as_slice(), "{spec}");

        // The private key signs what the public key verifies.
        let msg = b"signed with a data key pair";
        let verified = match spec {
            DataKeyPairSpec::Rsa2048 | DataKeyPairSpec::Rsa3072 | DataKeyPairSpec::Rsa4096 => {
                let kp = signature::RsaKeyPair::from_pkcs8(&private).unwrap();
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PSS_SHA256, &rng, msg, &mut sig).unwrap();
                signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &public)
                    .verify(msg, &sig)
                    .is_ok()
            }
            DataKeyPairSpec::EccNistP256
            | DataKeyPairSpec::EccNistP384
            | DataKeyPairSpec::EccNistP521
            | DataKeyPairSpec::EccSecgP256K1 => {
                let (s_alg, v_alg): (&signature::EcdsaSigningAlgorithm, &signature::EcdsaVerificationAlgorithm) =
                    match spec {
                        DataKeyPairSpec::EccNistP256 => {
                            (&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &signature::ECDSA_P256_SHA256_ASN1)
                        }
                        DataKeyPairSpec::EccNistP384 => {
                            (&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &signature::ECDSA_P384_SHA384_ASN1)
                        }
                        DataKeyPairSpec::EccNistP521 => {
                            (&signature::ECDSA_P521_SHA512_ASN1_SIGNING, &signature::ECDSA_P521_SHA512_ASN1)
                        }
                        _ => (&signature::ECDSA_P256K1_SHA256_ASN1_SIGNING, &signature::ECDSA_P256K1_SHA256_ASN1),
                    };
                let kp = signature::EcdsaKeyPair::from_pkcs8(s_alg, &private).unwrap();
                let sig = kp.sign(&rng, msg).unwrap();
                signature::UnparsedPublicKey::new(v_alg, &public).verify(msg, sig.as_ref()).is_ok()
            }
            DataKeyPairSpec::EccNistEdwards25519 => {
                let kp = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&private).unwrap();
                let sig = kp.sign(msg);
                signature::UnparsedPublicKey::new(&signature::ED25519, spki_raw(&public, 32))
                    .verify(msg, sig.as_ref())
                    .is_ok()
            }
            // ML-KEM: the public key is an SPKI of the right algorithm and size.
            DataKeyPairSpec::MlKem512 => public.len() > 800,
            DataKeyPairSpec::MlKem768 => public.len() > 1184,
            _ => public.len() > 1568,
        };
        assert!(verified, "{spec}");

        let without = kms
            .generate_data_key_pair_without_plaintext()
            .key_id(&key)
            .key_pair_spec(spec.clone())
            .send()
            .await
            .unwrap();
        assert!(without.public_key().is_some());
        let opened =
            kms.decrypt().ciphertext_blob(without.private_key_ciphertext_blob().unwrap().clone()).send().await.unwrap();
        assert!(!opened.plaintext().unwrap().as_ref().is_empty(), "{spec}");
    }
    let e = kms.generate_data_key_pair().key_id(&key).key_pair_spec(DataKeyPairSpec::Sm2).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    let signing = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let e = kms
        .generate_data_key_pair()
        .key_id(&signing)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidKeyUsageException");
}

#[tokio::test]
async fn specs_and_usages_are_checked_as_aws_checks_them() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let e = kms.create_key().key_spec(KeySpec::Sm2).key_usage(KeyUsageType::SignVerify).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    assert!(e.message().unwrap_or_default().contains("not supported in this Region"), "{e:?}");
    for (spec, usage) in [
        (KeySpec::EccNistP256, KeyUsageType::EncryptDecrypt),
        (KeySpec::EccSecgP256K1, KeyUsageType::KeyAgreement),
        (KeySpec::EccNistEdwards25519, KeyUsageType::EncryptDecrypt),
        (KeySpec::MlDsa65, KeyUsageType::EncryptDecrypt),
        (KeySpec::MlKem768, KeyUsageType::SignVerify),
        (KeySpec::Rsa2048, KeyUsageType::GenerateVerifyMac),
        (KeySpec::SymmetricDefault, KeyUsageType::SignVerify),
    ] {
        let e = kms.create_key().key_spec(spec.clone()).key_usage(usage.clone()).send().await.unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{spec} {usage}");
    }
    let sym = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let e = kms.get_public_key().key_id(&sym).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    let e = kms
        .sign()
        .key_id(&sym)
        .message(Blob::new(b"m".to_vec()))
        .signing_algorithm(Alg::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidKeyUsageException");

    // A disabled signing key refuses to sign; rotation is for symmetric keys.
    let key = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    kms.disable_key().key_id(&key).send().await.unwrap();
    let e = kms
        .sign()
        .key_id(&key)
        .message(Blob::new(b"m".to_vec()))
        .signing_algorithm(Alg::EcdsaSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DisabledException");
    let e = kms.get_public_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "DisabledException");
    let e = kms.enable_key_rotation().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
}
