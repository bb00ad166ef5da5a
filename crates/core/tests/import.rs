//! Imported key material (BYOK) on the in-memory store with a moved clock:
//! import, use, expire, reimport, delete; the token's and the material's
//! checks.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256};
use std::sync::Arc;
use trent_api::enums::{
    ExpirationModel, ImportType, IncludeKeyMaterial, KeyMaterialState, KeySpec, KeyState, KeyUsage, Origin,
    RotationType, SigningAlgorithm, WrappingAlgorithm, WrappingKeySpec,
};

use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::memory::InMemoryStore;
use trent_core::{Caller, Clock as _, Kms, KmsOptions, ManualClock};

const DAY: i64 = 86_400_000;

struct World {
    kms: Kms,
    clock: Arc<ManualClock>,
    alice: Caller,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let kms = common::kms_with(Arc::new(InMemoryStore::new()), clock.clone(), KmsOptions::default()).await;
    let alice = common::root_caller("111122223333", "us-east-1");
    World { kms, clock, alice }
}

/// What a client does with GetParametersForImport's public key: RSAES-OAEP-SHA-256.
fn wrap(public_der: &[u8], material: &[u8]) -> Vec<u8> {
    let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
    let mut out = vec![0u8; public.ciphertext_size()];
    public.encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut out, None).unwrap().to_vec()
}

impl World {
    async fn external_key(&self) -> KeyMetadata {
        let req = CreateKeyRequest { origin: Some(Origin::External), ..Default::default() };
        self.kms.create_key(&self.alice, req).await.unwrap().key_metadata.unwrap()
    }

    async fn params(&self, key: &str) -> (Vec<u8>, Vec<u8>) {
        let req = GetParametersForImportRequest {
            key_id: Some(key.into()),
            wrapping_algorithm: Some(WrappingAlgorithm::RsaesOaepSha256),
            wrapping_key_spec: Some(WrappingKeySpec::Rsa2048),
        };
        let r = self.kms.get_parameters_for_import(&self.alice, req).await.unwrap();
        assert_eq!(r.parameters_valid_to.unwrap().millis(), self.clock.now_millis() + DAY);
        (r.import_token.unwrap().0, r.public_key.unwrap().0)
    }

    async fn import(
        &self,
        key: &str,
        token: &[u8],
        encrypted: Vec<u8>,
        valid_to: Option<i64>,
    ) -> Result<ImportKeyMaterialResponse, ErrorCode> {
        let req = ImportKeyMaterialRequest {
            key_id: Some(key.into()),
            import_token: Some(Blob(token.to_vec())),
            encrypted_key_material: Some(Blob(encrypted)),
            valid_to: valid_to.map(Timestamp::from_millis),
            // Without ValidTo, the material does not expire: say so, as
            // AWS's default model is KEY_MATERIAL_EXPIRES.
            expiration_model: valid_to.is_none().then_some(ExpirationModel::KeyMaterialDoesNotExpire),
            ..Default::default()
        };
        self.kms.import_key_material(&self.alice, req).await.map_err(|e| e.code())
    }

    /// Fetches parameters and imports `material` with the given type.
    async fn import_as(&self, key: &str, material: &[u8], import_type: ImportType) -> Result<String, ErrorCode> {
        self.import_as_full(key, material, import_type).await.map_err(|e| e.code())
    }

    /// [`World::import_as`], keeping the whole error.
    async fn import_as_full(
        &self,
        key: &str,
        material: &[u8],
        import_type: ImportType,
    ) -> Result<String, trent_core::KmsError> {
        let (token, public) = self.params(key).await;
        let req = ImportKeyMaterialRequest {
            key_id: Some(key.into()),
            import_token: Some(Blob(token)),
            encrypted_key_material: Some(Blob(wrap(&public, material))),
            import_type: Some(import_type),
            key_material_description: Some("from the vault".into()),
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            ..Default::default()
        };
        self.kms.import_key_material(&self.alice, req).await.map(|r| r.key_material_id.unwrap())
    }

    async fn rotations(&self, key: &str) -> Vec<RotationsListEntry> {
        let req = ListKeyRotationsRequest {
            key_id: Some(key.into()),
            include_key_material: Some(IncludeKeyMaterial::AllKeyMaterial),
            ..Default::default()
        };
        self.kms.list_key_rotations(&self.alice, req).await.unwrap().rotations
    }

    async fn state(&self, key: &str) -> KeyState {
        let req = DescribeKeyRequest { key_id: Some(key.into()), ..Default::default() };
        self.kms.describe_key(&self.alice, req).await.unwrap().key_metadata.unwrap().key_state
    }

    async fn encrypt(&self, key: &str, data: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        let req = EncryptRequest {
            key_id: Some(key.into()),
            plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(data.to_vec()))),
            ..Default::default()
        };
        self.kms.encrypt(&self.alice, req).await.map(|r| r.ciphertext_blob.unwrap().0).map_err(|e| e.code())
    }

    async fn decrypt(&self, blob: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        let req = DecryptRequest { ciphertext_blob: Some(Blob(blob.to_vec())), ..Default::default() };
        self.kms.decrypt(&self.alice, req).await.map(|r| r.plaintext.unwrap().expose().to_vec()).map_err(|e| e.code())
    }
}

#[tokio::test]
async fn import_use_expire_reimport_and_delete() {
    let w = world().await;
    let k = w.external_key().await;
    assert_eq!(k.key_state, KeyState::PendingImport);
    assert_eq!(k.origin, Origin::External);
    assert!(k.current_key_material_id.is_none());
    assert_eq!(w.encrypt(&k.key_id, b"x").await.unwrap_err(), ErrorCode::KmsInvalidState);

    let material = [0x42u8; 32];
    let (token, public) = w.params(&k.key_id).await;
    let now = w.clock.now_millis();
    // Neither ExpirationModel nor ValidTo: AWS's default model wants ValidTo.
    let req = ImportKeyMaterialRequest {
        key_id: Some(k.key_id.clone()),
        import_token: Some(Blob(token.clone())),
        encrypted_key_material: Some(Blob(wrap(&public, &material))),
        ..Default::default()
    };
    let e = w.kms.import_key_material(&w.alice, req).await.unwrap_err();
    assert_eq!(
        (e.code(), e.public_message().as_str()),
        (ErrorCode::Validation, "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
    );
    let r = w.import(&k.key_id, &token, wrap(&public, &material), Some(now + 10 * DAY)).await.unwrap();
    let material_id = r.key_material_id.unwrap();
    assert_eq!(material_id.len(), 64);
    assert_eq!(r.key_id.as_deref(), Some(k.arn.as_str()));
    let md = w
        .kms
        .describe_key(&w.alice, DescribeKeyRequest { key_id: Some(k.key_id.clone()), ..Default::default() })
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.key_state, KeyState::Enabled);
    assert_eq!(md.expiration_model, Some(ExpirationModel::KeyMaterialExpires));
    assert_eq!(md.valid_to.unwrap().millis(), now + 10 * DAY);
    assert_eq!(md.current_key_material_id.as_deref(), Some(material_id.as_str()));

    let blob = w.encrypt(&k.key_id, b"imported").await.unwrap();
    assert_eq!(w.decrypt(&blob).await.unwrap(), b"imported");

    // Other material is refused, now and forever.
    let (token2, public2) = w.params(&k.key_id).await;
    let e = w.import(&k.key_id, &token2, wrap(&public2, &[0x43u8; 32]), None).await.unwrap_err();
    assert_eq!(e, ErrorCode::IncorrectKeyMaterial);
    // Material of the wrong size.
    let e = w.import(&k.key_id, &token2, wrap(&public2, &[0x42u8; 16]), None).await.unwrap_err();
    assert_eq!(e, ErrorCode::IncorrectKeyMaterial);

    // ValidTo passes: the scheduler deletes the material.
    w.clock.advance(10 * DAY);
    assert_eq!(w.kms.run_due_jobs().await.unwrap().expired, 1);
    assert_eq!(w.state(&k.key_id).await, KeyState::PendingImport);
    assert_eq!(w.decrypt(&blob).await.unwrap_err(), ErrorCode::KmsInvalidState);

    // Reimporting the same material brings every ciphertext back.
    let (token3, public3) = w.params(&k.key_id).await;
    let r = w.import(&k.key_id, &token3, wrap(&public3, &material), None).await.unwrap();
    assert_eq!(r.key_material_id.as_deref(), Some(material_id.as_str()), "same material, same id");
    assert_eq!(w.decrypt(&blob).await.unwrap(), b"imported");
    let d = w
        .kms
        .describe_key(&w.alice, DescribeKeyRequest { key_id: Some(k.key_id.clone()), ..Default::default() })
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!((d.expiration_model, d.valid_to), (Some(ExpirationModel::KeyMaterialDoesNotExpire), None));
    w.clock.advance(4000 * DAY);
    assert_eq!(w.kms.run_due_jobs().await.unwrap().expired, 0, "material that does not expire stays");

    // DeleteImportedKeyMaterial.
    let req = DeleteImportedKeyMaterialRequest { key_id: Some(k.key_id.clone()), key_material_id: None };
    let r = w.kms.delete_imported_key_material(&w.alice, req).await.unwrap();
    assert_eq!(r.key_material_id.as_deref(), Some(material_id.as_str()));
    assert_eq!(w.state(&k.key_id).await, KeyState::PendingImport);
    assert_eq!(w.encrypt(&k.key_id, b"x").await.unwrap_err(), ErrorCode::KmsInvalidState);
}

#[tokio::test]
async fn tokens_are_checked() {
    let w = world().await;
    let k = w.external_key().await;
    let other = w.external_key().await;
    let material = [7u8; 32];
    let (token, public) = w.params(&k.key_id).await;

    // A token made for another key.
    let (other_token, other_public) = w.params(&other.key_id).await;
    let e = w.import(&k.key_id, &other_token, wrap(&other_public, &material), None).await.unwrap_err();
    assert_eq!(e, ErrorCode::InvalidImportToken);
    // A tampered token.
    let mut bad = token.clone();
    bad[20] ^= 1;
    assert_eq!(
        w.import(&k.key_id, &bad, wrap(&public, &material), None).await.unwrap_err(),
        ErrorCode::InvalidImportToken
    );
    // Material wrapped for another public key, and garbage.
    assert_eq!(
        w.import(&k.key_id, &token, wrap(&other_public, &material), None).await.unwrap_err(),
        ErrorCode::InvalidCiphertext
    );
    assert_eq!(w.import(&k.key_id, &token, vec![1, 2, 3], None).await.unwrap_err(), ErrorCode::InvalidCiphertext);
    // Expiry terms.
    let now = w.clock.now_millis();
    for valid_to in [now - 1, now + 366 * DAY] {
        let e = w.import(&k.key_id, &token, wrap(&public, &material), Some(valid_to)).await.unwrap_err();
        assert_eq!(e, ErrorCode::Validation);
    }
    // After 24 hours the token has expired.
    w.clock.advance(DAY);
    assert_eq!(
        w.import(&k.key_id, &token, wrap(&public, &material), None).await.unwrap_err(),
        ErrorCode::ExpiredImportToken
    );
    assert_eq!(w.state(&k.key_id).await, KeyState::PendingImport, "nothing was imported");
}

#[tokio::test]
async fn import_operations_refuse_keys_with_generated_material() {
    let w = world().await;
    let k = w.kms.create_key(&w.alice, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap();
    let req = GetParametersForImportRequest {
        key_id: Some(k.key_id.clone()),
        wrapping_algorithm: Some(WrappingAlgorithm::RsaesOaepSha256),
        wrapping_key_spec: Some(WrappingKeySpec::Rsa2048),
    };
    let e = w.kms.get_parameters_for_import(&w.alice, req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedOperation);
    assert_eq!(e.public_message(), format!("{} origin is AWS_KMS which is not valid for this operation.", k.arn));
    let ext = w.external_key().await;
    let e = w.kms.rotate_key_on_demand(&w.alice, RotateKeyOnDemandRequest { key_id: Some(ext.key_id.clone()) }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::KmsInvalidState, "no material yet");
    let req = EnableKeyRotationRequest { key_id: Some(ext.key_id.clone()), rotation_period_in_days: None };
    let e = w.kms.enable_key_rotation(&w.alice, req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedOperation, "no automatic rotation of imported material");
}

#[tokio::test]
async fn cancelled_deletion_of_a_key_awaiting_material_returns_to_pending_import() {
    let w = world().await;
    let k = w.external_key().await;
    let req = ScheduleKeyDeletionRequest { key_id: Some(k.key_id.clone()), pending_window_in_days: Some(7) };
    w.kms.schedule_key_deletion(&w.alice, req).await.unwrap();
    assert_eq!(w.state(&k.key_id).await, KeyState::PendingDeletion);
    w.kms.cancel_key_deletion(&w.alice, CancelKeyDeletionRequest { key_id: Some(k.key_id.clone()) }).await.unwrap();
    assert_eq!(w.state(&k.key_id).await, KeyState::PendingImport);
}

#[tokio::test]
async fn imported_material_rotates_on_demand_to_new_material() {
    let w = world().await;
    let k = w.external_key().await;
    let rotate = || w.kms.rotate_key_on_demand(&w.alice, RotateKeyOnDemandRequest { key_id: Some(k.key_id.clone()) });

    let e = w.import_as(&k.key_id, &[1u8; 32], ImportType::NewKeyMaterial).await.unwrap_err();
    assert_eq!(e, ErrorCode::KmsInvalidState, "new material needs a first material");
    let first = w.import_as(&k.key_id, &[1u8; 32], ImportType::ExistingKeyMaterial).await.unwrap();
    let old = w.encrypt(&k.key_id, b"first").await.unwrap();
    let e = rotate().await.unwrap_err();
    assert_eq!(
        (e.code(), e.public_message()),
        (ErrorCode::KmsInvalidState, format!("No available key material pending rotation for the key: {}.", k.arn)),
        "nothing pending rotation"
    );

    let e = w.import_as(&k.key_id, &[1u8; 32], ImportType::NewKeyMaterial).await.unwrap_err();
    assert_eq!(e, ErrorCode::IncorrectKeyMaterial, "new material must be new");
    let second = w.import_as(&k.key_id, &[2u8; 32], ImportType::NewKeyMaterial).await.unwrap();
    assert_ne!(first, second);
    let e = w.import_as_full(&k.key_id, &[3u8; 32], ImportType::NewKeyMaterial).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidState, "one material pending rotation at a time");
    let m = e.public_message();
    assert!(
        m.starts_with("New key material (id: ")
            && m.ends_with(&format!(
                ") cannot be imported into KMS key {}, because another key material is pending rotation.",
                k.arn
            )),
        "{m}"
    );
    let r = w.rotations(&k.key_id).await;
    let states: Vec<_> = r.iter().map(|e| e.key_material_state.clone().unwrap()).collect();
    assert_eq!(states, [KeyMaterialState::Current, KeyMaterialState::PendingRotation]);
    assert_eq!(r[1].import_state.as_deref(), Some("IMPORTED"));
    assert_eq!(r[1].key_material_description.as_deref(), Some("from the vault"));
    // Still encrypting under the first material until the rotation.
    let still = w.encrypt(&k.key_id, b"still first").await.unwrap();

    rotate().await.unwrap();
    let d = w
        .kms
        .describe_key(&w.alice, DescribeKeyRequest { key_id: Some(k.key_id.clone()), ..Default::default() })
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.current_key_material_id.as_deref(), Some(second.as_str()));
    let r = w.rotations(&k.key_id).await;
    assert_eq!(r[1].rotation_type, Some(RotationType::OnDemand));
    assert_eq!(r[1].key_material_state, Some(KeyMaterialState::Current));
    let new = w.encrypt(&k.key_id, b"second").await.unwrap();
    for (blob, pt) in [(&old, &b"first"[..]), (&still, b"still first"), (&new, b"second")] {
        assert_eq!(w.decrypt(blob).await.unwrap(), pt);
    }

    // Delete the old (non-current) material by id: the key stays usable,
    // its old ciphertexts wait for the material to come back.
    let req = DeleteImportedKeyMaterialRequest { key_id: Some(k.key_id.clone()), key_material_id: Some(first.clone()) };
    w.kms.delete_imported_key_material(&w.alice, req).await.unwrap();
    assert_eq!(w.state(&k.key_id).await, KeyState::Enabled);
    assert_eq!(w.decrypt(&old).await.unwrap_err(), ErrorCode::KmsInvalidState);
    assert_eq!(w.decrypt(&new).await.unwrap(), b"second");
    assert_eq!(w.rotations(&k.key_id).await[0].import_state.as_deref(), Some("PENDING_IMPORT"));
    let (token, public) = w.params(&k.key_id).await;
    let req = ImportKeyMaterialRequest {
        key_id: Some(k.key_id.clone()),
        import_token: Some(Blob(token)),
        encrypted_key_material: Some(Blob(wrap(&public, &[1u8; 32]))),
        key_material_id: Some(first.clone()),
        expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
        ..Default::default()
    };
    w.kms.import_key_material(&w.alice, req).await.unwrap();
    assert_eq!(w.decrypt(&old).await.unwrap(), b"first", "the old material is back");
    let req =
        DeleteImportedKeyMaterialRequest { key_id: Some(k.key_id.clone()), key_material_id: Some("0".repeat(64)) };
    let e = w.kms.delete_imported_key_material(&w.alice, req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

/// RSA_AES_KEY_WRAP_*: RSA-OAEP of an ephemeral AES-256 key, then AES-KWP
/// (RFC 5649) of the material, as `openssl enc -id-aes256-wrap-pad` makes it.
fn wrap_kwp(public_der: &[u8], material: &[u8]) -> Vec<u8> {
    use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded as _, AES_256};
    let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
    let aes = [0x5au8; 32];
    let mut out = vec![0u8; public.ciphertext_size()];
    let mut wrapped = public.encrypt(&OAEP_SHA256_MGF1SHA256, &aes, &mut out, None).unwrap().to_vec();
    let mut kwp = vec![0u8; material.len() + 16];
    let kek = AesKek::new(&AES_256, &aes).unwrap();
    wrapped.extend_from_slice(kek.wrap_with_padding(material, &mut kwp).unwrap());
    wrapped
}

fn rsa_pkcs8(size: aws_lc_rs::rsa::KeySize) -> (Vec<u8>, Vec<u8>) {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature::KeyPair as _;
    let pair = aws_lc_rs::rsa::KeyPair::generate(size).unwrap();
    let der = pair.as_der().unwrap().as_ref().to_vec();
    let public = pair.public_key().as_der().unwrap().as_ref().to_vec();
    (der, public)
}

fn ec_pkcs8(alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> (Vec<u8>, Vec<u8>) {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature::KeyPair as _;
    let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(alg).unwrap();
    let der = pair.to_pkcs8v1().unwrap().as_ref().to_vec();
    let public = pair.public_key().as_der().unwrap().as_ref().to_vec();
    (der, public)
}

impl World {
    async fn external_of(&self, spec: KeySpec, usage: KeyUsage) -> String {
        let req = CreateKeyRequest {
            origin: Some(Origin::External),
            key_spec: Some(spec),
            key_usage: Some(usage),
            ..Default::default()
        };
        self.kms.create_key(&self.alice, req).await.unwrap().key_metadata.unwrap().arn
    }

    /// GetParametersForImport with `alg` (RSA_4096 wrapping key), then
    /// ImportKeyMaterial of `material` wrapped as `alg` says.
    async fn import_with(
        &self,
        key: &str,
        alg: WrappingAlgorithm,
        material: &[u8],
        valid_to: Option<i64>,
    ) -> Result<String, trent_core::KmsError> {
        let req = GetParametersForImportRequest {
            key_id: Some(key.into()),
            wrapping_algorithm: Some(alg.clone()),
            wrapping_key_spec: Some(WrappingKeySpec::Rsa4096),
        };
        let p = self.kms.get_parameters_for_import(&self.alice, req).await?;
        let public = p.public_key.unwrap().0;
        let encrypted = match alg {
            WrappingAlgorithm::RsaAesKeyWrapSha256 => wrap_kwp(&public, material),
            _ => wrap(&public, material),
        };
        let req = ImportKeyMaterialRequest {
            key_id: Some(key.into()),
            import_token: p.import_token,
            encrypted_key_material: Some(Blob(encrypted)),
            valid_to: valid_to.map(Timestamp::from_millis),
            expiration_model: valid_to.is_none().then_some(ExpirationModel::KeyMaterialDoesNotExpire),
            ..Default::default()
        };
        self.kms.import_key_material(&self.alice, req).await.map(|r| r.key_material_id.unwrap())
    }

    async fn sign(&self, key: &str, alg: SigningAlgorithm, msg: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        let req = SignRequest {
            key_id: Some(key.into()),
            message: Some(SensitiveBlob::new(zeroize::Zeroizing::new(msg.to_vec()))),
            signing_algorithm: Some(alg),
            ..Default::default()
        };
        self.kms.sign(&self.alice, req).await.map(|r| r.signature.unwrap().0).map_err(|e| e.code())
    }

    async fn public_key(&self, key: &str) -> Vec<u8> {
        let req = GetPublicKeyRequest { key_id: Some(key.into()), ..Default::default() };
        self.kms.get_public_key(&self.alice, req).await.unwrap().public_key.unwrap().0
    }
}

#[tokio::test]
async fn rsa_private_keys_are_imported_with_key_wrap_and_sign_and_decrypt() {
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{ParsedPublicKey, RSA_PSS_2048_8192_SHA256};
    let w = world().await;
    let key = w.external_of(KeySpec::Rsa2048, KeyUsage::SignVerify).await;
    let (der, public) = rsa_pkcs8(KeySize::Rsa2048);

    // An RSA private key does not fit in one OAEP block: AWS offers the key-wrap algorithms only.
    let req = GetParametersForImportRequest {
        key_id: Some(key.clone()),
        wrapping_algorithm: Some(WrappingAlgorithm::RsaesOaepSha256),
        wrapping_key_spec: Some(WrappingKeySpec::Rsa4096),
    };
    let e = w.kms.get_parameters_for_import(&w.alice, req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);

    // Material of another spec is refused: a P-256 key, an RSA-3072 key, bytes that are no key.
    let (p256, _) = ec_pkcs8(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING);
    let (rsa3072, _) = rsa_pkcs8(KeySize::Rsa3072);
    for bad in [&p256[..], &rsa3072[..], &[7u8; 300][..]] {
        let e = w.import_with(&key, WrappingAlgorithm::RsaAesKeyWrapSha256, bad, None).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::IncorrectKeyMaterial, "{}", e.public_message());
    }
    assert_eq!(w.state(&key).await, KeyState::PendingImport);

    let id = w.import_with(&key, WrappingAlgorithm::RsaAesKeyWrapSha256, &der, None).await.unwrap();
    assert_eq!(w.state(&key).await, KeyState::Enabled);
    let md = w
        .kms
        .describe_key(&w.alice, DescribeKeyRequest { key_id: Some(key.clone()), ..Default::default() })
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(md.current_key_material_id.is_none(), "material ids are shown for symmetric keys only");
    assert_eq!(md.expiration_model, Some(ExpirationModel::KeyMaterialDoesNotExpire));
    assert_eq!(w.public_key(&key).await, public, "GetPublicKey gives the imported key's public half");
    let sig = w.sign(&key, SigningAlgorithm::RsassaPssSha256, b"signed by an imported key").await.unwrap();
    ParsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, &public)
        .unwrap()
        .verify_sig(b"signed by an imported key", &sig)
        .unwrap();

    // Only symmetric keys take NEW_KEY_MATERIAL.
    let req = ImportKeyMaterialRequest {
        key_id: Some(key.clone()),
        import_type: Some(ImportType::NewKeyMaterial),
        import_token: Some(Blob(vec![1])),
        encrypted_key_material: Some(Blob(vec![1])),
        expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
        ..Default::default()
    };
    let e = w.kms.import_key_material(&w.alice, req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedOperation, "{e}");

    // Delete, then only the same key comes back (in any encoding of it).
    let req = DeleteImportedKeyMaterialRequest { key_id: Some(key.clone()), key_material_id: None };
    w.kms.delete_imported_key_material(&w.alice, req).await.unwrap();
    assert_eq!(w.state(&key).await, KeyState::PendingImport);
    assert_eq!(w.sign(&key, SigningAlgorithm::RsassaPssSha256, b"m").await.unwrap_err(), ErrorCode::KmsInvalidState);
    let (other, _) = rsa_pkcs8(KeySize::Rsa2048);
    let e = w.import_with(&key, WrappingAlgorithm::RsaAesKeyWrapSha256, &other, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::IncorrectKeyMaterial);
    assert_eq!(w.import_with(&key, WrappingAlgorithm::RsaAesKeyWrapSha256, &der, None).await.unwrap(), id);
    assert!(w.sign(&key, SigningAlgorithm::RsassaPssSha256, b"m").await.is_ok());

    // An imported RSA encryption key decrypts what its public key encrypted.
    let enc = w.external_of(KeySpec::Rsa3072, KeyUsage::EncryptDecrypt).await;
    let (der, public) = rsa_pkcs8(KeySize::Rsa3072);
    w.import_with(&enc, WrappingAlgorithm::RsaAesKeyWrapSha256, &der, None).await.unwrap();
    let ct = wrap(&public, b"for the imported key");
    let req = DecryptRequest {
        key_id: Some(enc.clone()),
        ciphertext_blob: Some(Blob(ct)),
        encryption_algorithm: Some(trent_api::enums::EncryptionAlgorithm::RsaesOaepSha256),
        ..Default::default()
    };
    let r = w.kms.decrypt(&w.alice, req).await.unwrap();
    assert_eq!(r.plaintext.unwrap().expose(), b"for the imported key");
    assert!(r.key_material_id.is_none());
}

#[tokio::test]
async fn ecc_and_hmac_material_is_imported_checked_used_and_expires() {
    use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING};
    let w = world().await;

    // ECC P-256, wrapped with plain OAEP (a P-256 PKCS#8 fits in one block).
    let key = w.external_of(KeySpec::EccNistP256, KeyUsage::SignVerify).await;
    let (der, public) = ec_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING);
    let now = w.clock.now_millis();
    w.import_with(&key, WrappingAlgorithm::RsaesOaepSha256, &der, Some(now + DAY)).await.unwrap();
    assert_eq!(w.public_key(&key).await, public);
    let sig = w.sign(&key, SigningAlgorithm::EcdsaSha256, b"ecc").await.unwrap();
    let point = &public[public.len() - 65..];
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point).verify(b"ecc", &sig).unwrap();
    // The material expires at ValidTo.
    w.clock.advance(2 * DAY);
    assert_eq!(w.kms.run_due_jobs().await.unwrap().expired, 1);
    assert_eq!(w.state(&key).await, KeyState::PendingImport);
    assert_eq!(w.sign(&key, SigningAlgorithm::EcdsaSha256, b"ecc").await.unwrap_err(), ErrorCode::KmsInvalidState);

    // secp256k1 takes a secp256k1 key, not a P-256 one.
    let k1 = w.external_of(KeySpec::EccSecgP256k1, KeyUsage::SignVerify).await;
    let e = w.import_with(&k1, WrappingAlgorithm::RsaAesKeyWrapSha256, &der, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::IncorrectKeyMaterial);
    let (k1_der, _) = ec_pkcs8(&aws_lc_rs::signature::ECDSA_P256K1_SHA256_ASN1_SIGNING);
    w.import_with(&k1, WrappingAlgorithm::RsaAesKeyWrapSha256, &k1_der, None).await.unwrap();
    assert!(w.sign(&k1, SigningAlgorithm::EcdsaSha256, b"k1").await.is_ok());

    // HMAC: raw bytes within AWS's lengths; the MAC is the HMAC of those bytes.
    let hmac = w.external_of(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac).await;
    for len in [31, 65] {
        let e = w.import_with(&hmac, WrappingAlgorithm::RsaesOaepSha256, &vec![9u8; len], None).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::IncorrectKeyMaterial, "{len} bytes");
        assert_eq!(e.public_message(), "The key material for a HMAC_256 key must be 32 to 64 bytes long.");
    }
    let material = [0x33u8; 40];
    w.import_with(&hmac, WrappingAlgorithm::RsaesOaepSha256, &material, None).await.unwrap();
    let req = GenerateMacRequest {
        key_id: Some(hmac.clone()),
        message: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"mac me".to_vec()))),
        mac_algorithm: Some(trent_api::enums::MacAlgorithm::HmacSha256),
        ..Default::default()
    };
    let mac = w.kms.generate_mac(&w.alice, req).await.unwrap().mac.unwrap().0;
    let local = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &material), b"mac me");
    assert_eq!(mac, local.as_ref());

    // Specs AWS does not import stay refused.
    for spec in [KeySpec::EccNistEdwards25519, KeySpec::MlDsa65] {
        let req = CreateKeyRequest {
            origin: Some(Origin::External),
            key_spec: Some(spec.clone()),
            key_usage: Some(KeyUsage::SignVerify),
            ..Default::default()
        };
        let e = w.kms.create_key(&w.alice, req).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsupportedOperation, "{spec}");
    }
}
