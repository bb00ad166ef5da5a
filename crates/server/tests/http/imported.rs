//! Imported asymmetric and HMAC key material through `aws-sdk-kms`: the
//! wrapping algorithms per key spec, PKCS#8 private keys and raw HMAC keys
//! checked against the spec, the imported keys used (GetPublicKey, Sign,
//! Verify, Decrypt, GenerateMac), their expiry and DeleteImportedKeyMaterial.
//! The key pairs are made outside Trent (aws-lc-rs here, openssl in the
//! interop script), and what Trent makes with them is checked outside.

use crate::common::TestServer;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::KeyPair as _;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, EncryptionAlgorithmSpec, ExpirationModelType, KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec,
    OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};
use std::sync::Arc;
use trent_core::ManualClock;

const DAY_MS: i64 = 86_400_000;
const START_MS: i64 = 1_800_000_000_000;

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

/// RSA-OAEP (SHA-1 or SHA-256, MGF1 with the same hash) of `material`, or,
/// for the key-wrap algorithms, of an AES-256 key that then wraps the
/// material with AES-KWP (RFC 5649).
pub(crate) fn wrap(public_der: &[u8], alg: &AlgorithmSpec, material: &[u8]) -> Vec<u8> {
    use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded as _, AES_256};
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256};
    let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
    let oaep = match alg {
        AlgorithmSpec::RsaesOaepSha1 | AlgorithmSpec::RsaAesKeyWrapSha1 => &OAEP_SHA1_MGF1SHA1,
        _ => &OAEP_SHA256_MGF1SHA256,
    };
    let key_wrap = matches!(alg, AlgorithmSpec::RsaAesKeyWrapSha1 | AlgorithmSpec::RsaAesKeyWrapSha256);
    let first = if key_wrap { &[0x5au8; 32][..] } else { material };
    let mut out = vec![0u8; public.ciphertext_size()];
    let mut wrapped = public.encrypt(oaep, first, &mut out, None).unwrap().to_vec();
    if key_wrap {
        let mut kwp = vec![0u8; material.len() + 16];
        let kek = AesKek::new(&AES_256, &[0x5au8; 32]).unwrap();
        wrapped.extend_from_slice(kek.wrap_with_padding(material, &mut kwp).unwrap());
    }
    wrapped
}

async fn external(kms: &aws_sdk_kms::Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let md = kms.create_key().origin(OriginType::External).key_spec(spec).key_usage(usage).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    md.arn().unwrap().to_owned()
}

/// GetParametersForImport, wrap, ImportKeyMaterial (expiring at `valid_to`
/// ms, or never).
async fn import(
    kms: &aws_sdk_kms::Client,
    key: &str,
    alg: AlgorithmSpec,
    spec: WrappingKeySpec,
    material: &[u8],
    valid_to: Option<i64>,
) -> Result<String, String> {
    let params = kms
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(alg.clone())
        .wrapping_key_spec(spec)
        .send()
        .await
        .map_err(|e| code(&e))?;
    let mut req = kms
        .import_key_material()
        .key_id(key)
        .import_token(params.import_token().unwrap().clone())
        .encrypted_key_material(Blob::new(wrap(params.public_key().unwrap().as_ref(), &alg, material)));
    req = match valid_to {
        Some(t) => {
            req.expiration_model(ExpirationModelType::KeyMaterialExpires).valid_to(DateTime::from_secs(t / 1000))
        }
        None => req.expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire),
    };
    req.send().await.map(|r| r.key_material_id().unwrap().to_owned()).map_err(|e| code(&e))
}

#[tokio::test]
async fn imported_ecc_rsa_and_hmac_keys_work_through_the_sdk() {
    let clock = Arc::new(ManualClock::new(START_MS));
    let s = TestServer::builder().manual_clock(clock.clone()).build().await;
    let kms = s.client();

    // ECC P-384, signing, with material that expires.
    let ecc = external(&kms, KeySpec::EccNistP384, KeyUsageType::SignVerify).await;
    let pair =
        aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING).unwrap();
    let pkcs8 = pair.to_pkcs8v1().unwrap().as_ref().to_vec();
    let public = pair.public_key().as_der().unwrap().as_ref().to_vec();
    // A P-256 key is not P-384 material.
    let p256 = aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING)
        .unwrap()
        .to_pkcs8v1()
        .unwrap();
    let e = import(&kms, &ecc, AlgorithmSpec::RsaAesKeyWrapSha256, WrappingKeySpec::Rsa3072, p256.as_ref(), None)
        .await
        .unwrap_err();
    assert_eq!(e, "IncorrectKeyMaterialException");
    let valid_to = START_MS + DAY_MS;
    import(&kms, &ecc, AlgorithmSpec::RsaAesKeyWrapSha256, WrappingKeySpec::Rsa3072, &pkcs8, Some(valid_to))
        .await
        .unwrap();
    let md = kms.describe_key().key_id(&ecc).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.expiration_model(), Some(&ExpirationModelType::KeyMaterialExpires));
    assert_eq!(md.valid_to().map(|t| t.secs()), Some(valid_to / 1000));
    assert_eq!(md.current_key_material_id(), None, "shown for symmetric encryption keys only");
    let got = kms.get_public_key().key_id(&ecc).send().await.unwrap();
    assert_eq!(got.public_key().unwrap().as_ref(), public.as_slice());
    let msg = Blob::new(b"signed by an imported P-384 key".to_vec());
    let sig = kms
        .sign()
        .key_id(&ecc)
        .message(msg.clone())
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await
        .unwrap();
    let sig = sig.signature().unwrap().as_ref().to_vec();
    aws_lc_rs::signature::ParsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1, &public)
        .unwrap()
        .verify_sig(msg.as_ref(), &sig)
        .unwrap();
    let ok = kms
        .verify()
        .key_id(&ecc)
        .message(msg.clone())
        .signature(Blob::new(sig))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await
        .unwrap();
    assert!(ok.signature_valid());
    clock.advance(2 * DAY_MS);
    assert_eq!(s.state.kms().run_due_jobs().await.unwrap().expired, 1);
    let e = kms
        .sign()
        .key_id(&ecc)
        .message(msg)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha384)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException", "expired material");

    // RSA 3072, encryption: plain OAEP cannot carry the private key.
    let rsa = external(&kms, KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt).await;
    let e = kms
        .get_parameters_for_import()
        .key_id(&rsa)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa4096)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa3072).unwrap();
    let pkcs8 = pair.as_der().unwrap().as_ref().to_vec();
    import(&kms, &rsa, AlgorithmSpec::RsaAesKeyWrapSha1, WrappingKeySpec::Rsa2048, &pkcs8, None).await.unwrap();
    let ct = kms
        .encrypt()
        .key_id(&rsa)
        .plaintext(Blob::new(b"to the imported RSA key".to_vec()))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    let ct = ct.ciphertext_blob().unwrap().as_ref().to_vec();
    // The original private key, outside Trent, decrypts what Trent encrypted.
    let outside = aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(
        aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; outside.min_output_size()];
    let pt = outside.decrypt(&aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256, &ct, &mut out, None).unwrap();
    assert_eq!(pt, b"to the imported RSA key");
    let back = kms
        .decrypt()
        .key_id(&rsa)
        .ciphertext_blob(Blob::new(ct))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), b"to the imported RSA key");
    assert_eq!(back.key_material_id(), None);

    // HMAC_512: raw bytes, 64 to 128 of them.
    let hmac = external(&kms, KeySpec::Hmac512, KeyUsageType::GenerateVerifyMac).await;
    let e = import(&kms, &hmac, AlgorithmSpec::RsaesOaepSha1, WrappingKeySpec::Rsa2048, &[1u8; 63], None)
        .await
        .unwrap_err();
    assert_eq!(e, "IncorrectKeyMaterialException");
    let material = [0x6bu8; 100];
    import(&kms, &hmac, AlgorithmSpec::RsaesOaepSha1, WrappingKeySpec::Rsa2048, &material, None).await.unwrap();
    let mac = kms
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new(b"mac".to_vec()))
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .send()
        .await
        .unwrap();
    let local = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA512, &material), b"mac");
    assert_eq!(mac.mac().unwrap().as_ref(), local.as_ref());
    kms.delete_imported_key_material().key_id(&hmac).send().await.unwrap();
    let e = kms
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new(b"mac".to_vec()))
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    s.stop().await;
}
