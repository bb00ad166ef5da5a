//! Encrypt, Decrypt, ReEncrypt (symmetric keys, and RSA keys with
//! RSAES-OAEP), GenerateDataKey, GenerateDataKeyWithoutPlaintext (symmetric
//! keys).

use super::{check_encrypt_usage, check_usable, incompatible_algorithm, missing};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::KeyRecord;
use crate::{Caller, Kms};
use trent_api::enums::{DataKeySpec, DryRunModifier, EncryptionAlgorithm, KeySpec, WireEnum as _};
use trent_api::ids::KeyId;
use trent_api::operation::{REENCRYPT_FROM, REENCRYPT_TO};
use trent_api::ops::*;
use trent_api::Operation;
use trent_api::{Blob, SensitiveBlob};
use trent_crypto::asymmetric::OaepHash;
use trent_crypto::envelope::{self, BlobKeyId, CiphertextBlob, HsmBlob};
use trent_crypto::{CryptoError, SecretBytes};

/// The result of opening a ciphertext.
struct Opened {
    key: KeyRecord,
    plaintext: SecretBytes,
    material_id: String,
    algorithm: EncryptionAlgorithm,
}

fn context_bytes(ctx: Option<&EncryptionContext>) -> Vec<u8> {
    envelope::canonical_context(ctx.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A key id as a ciphertext blob holds it: a UUID's bytes, or a
/// multi-Region key id's 32 hex digits as bytes.
fn key_id_bytes(id: &KeyId) -> Result<BlobKeyId, KmsError> {
    let bad = || KmsError::corrupt(format!("stored key id {id} is neither a UUID nor a multi-Region key id"));
    if let Some(digits) = id.as_str().strip_prefix("mrk-") {
        let bytes: [u8; 16] = hex::decode(digits).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)?;
        return Ok(BlobKeyId { bytes, multi_region: true });
    }
    let u = uuid::Uuid::parse_str(id.as_str()).map_err(|_| bad())?;
    Ok(BlobKeyId { bytes: *u.as_bytes(), multi_region: false })
}

/// The key id a ciphertext blob names.
fn blob_key_id(id: &BlobKeyId) -> KeyId {
    if id.multi_region {
        super::multi_region::new_mrk_id(id.bytes)
    } else {
        KeyId::new_unchecked(uuid::Uuid::from_bytes(id.bytes).hyphenated().to_string())
    }
}

/// Checks the requested encryption algorithm against the key: `None` for a
/// symmetric key (SYMMETRIC_DEFAULT, the default), the OAEP hash for an RSA
/// key (which has no default: AWS requires the algorithm). AWS's refusal
/// names the algorithm and the spec, not the key ("Algorithm
/// SYMMETRIC_DEFAULT is incompatible with key spec RSA_4096.", as SOPS and
/// spring-cloud-config-aws-kms users recorded it from Encrypt).
fn check_algorithm(key: &KeyRecord, alg: Option<&EncryptionAlgorithm>) -> Result<Option<OaepHash>, KmsError> {
    let rsa = matches!(key.spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096);
    match (rsa, alg) {
        (false, None | Some(EncryptionAlgorithm::SymmetricDefault)) => Ok(None),
        (true, Some(EncryptionAlgorithm::RsaesOaepSha1)) => Ok(Some(OaepHash::Sha1)),
        (true, Some(EncryptionAlgorithm::RsaesOaepSha256)) => Ok(Some(OaepHash::Sha256)),
        (_, a) => Err(incompatible_algorithm(key, &a.map_or("SYMMETRIC_DEFAULT", |a| a.as_str()))),
    }
}

fn oaep_algorithm(hash: OaepHash) -> EncryptionAlgorithm {
    match hash {
        OaepHash::Sha1 => EncryptionAlgorithm::RsaesOaepSha1,
        OaepHash::Sha256 => EncryptionAlgorithm::RsaesOaepSha256,
    }
}

/// The longest plaintext RSAES-OAEP takes (RFC 8017 §7.1.1: k − 2·hLen − 2),
/// as AWS states it in its refusal.
fn oaep_limit(spec: &KeySpec, hash: OaepHash) -> usize {
    let k = match spec {
        KeySpec::Rsa2048 => 256,
        KeySpec::Rsa3072 => 384,
        _ => 512,
    };
    let h = match hash {
        OaepHash::Sha1 => 20,
        OaepHash::Sha256 => 32,
    };
    k - 2 * h - 2
}

/// AWS takes no encryption context with asymmetric keys.
fn check_no_context(key: &KeyRecord, ctx: Option<&EncryptionContext>) -> Result<(), KmsError> {
    if ctx.is_some_and(|c| !c.is_empty()) {
        return Err(KmsError::Validation(format!(
            "EncryptionContext is not supported with asymmetric KMS keys such as {}.",
            key.arn()
        )));
    }
    Ok(())
}

/// Refuses an asymmetric key where only symmetric encryption keys serve.
fn check_symmetric(key: &KeyRecord) -> Result<(), KmsError> {
    if key.spec == KeySpec::SymmetricDefault {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} key spec is {} which is not valid for this operation: it needs a symmetric encryption KMS key.",
            key.arn(),
            key.spec
        )))
    }
}

/// The request's KeyId names a key that cannot decrypt (an HMAC, signing
/// or key-agreement key): AWS answers Decrypt and ReEncrypt's source with
/// `IncorrectKeyException`, not `InvalidKeyUsageException`.
fn check_decrypt_key(key: &KeyRecord) -> Result<(), KmsError> {
    if key.usage == trent_api::enums::KeyUsage::EncryptDecrypt {
        Ok(())
    } else {
        Err(incorrect_key())
    }
}

/// A key material id for a response: AWS shows it only for symmetric
/// encryption keys.
fn symmetric_only(key: &KeyRecord, material_id: String) -> Option<String> {
    (key.spec == KeySpec::SymmetricDefault).then_some(material_id)
}

/// AWS's `IncorrectKeyException` wording (it still says CMK).
fn incorrect_key() -> KmsError {
    KmsError::IncorrectKey("The key ID in the request does not identify a CMK that can perform this operation.".into())
}

/// Data key length from GenerateDataKey's KeySpec / NumberOfBytes: exactly one.
fn data_key_len(spec: Option<&DataKeySpec>, n: Option<i64>) -> Result<usize, KmsError> {
    let either = || KmsError::Validation("Please specify either number of bytes or key spec.".into());
    match (spec, n) {
        (Some(DataKeySpec::Aes256), None) => Ok(32),
        (Some(DataKeySpec::Aes128), None) => Ok(16),
        (None, Some(n)) => usize::try_from(n).map_err(|_| either()),
        _ => Err(either()),
    }
}

impl Kms {
    /// Encrypts under any ENCRYPT_DECRYPT key: the symmetric envelope, or
    /// RSAES-OAEP with the key's public half. Returns the ciphertext, the
    /// key material id and the algorithm.
    async fn encrypt_under(
        &self,
        key: &KeyRecord,
        hash: Option<OaepHash>,
        ctx: Option<&EncryptionContext>,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, String, EncryptionAlgorithm), KmsError> {
        let Some(hash) = hash else {
            let (blob, material) = self.seal_under(key, ctx, plaintext).await?;
            return Ok((blob, material, EncryptionAlgorithm::SymmetricDefault));
        };
        check_no_context(key, ctx)?;
        let (pk, version) = self.private_material(key).await?;
        let ct = pk.encrypt_oaep(hash, plaintext).map_err(|e| match e {
            CryptoError::InvalidInput(_) => KmsError::Validation(format!(
                "Algorithm {} and key spec {} cannot encrypt data larger than {} bytes.",
                oaep_algorithm(hash),
                key.spec,
                oaep_limit(&key.spec, hash)
            )),
            other => KmsError::crypto(other),
        })?;
        Ok((ct, version.material_id, oaep_algorithm(hash)))
    }

    /// Decrypts an RSAES-OAEP ciphertext with an RSA key.
    async fn open_rsa(
        &self,
        key: KeyRecord,
        blob: &[u8],
        ctx: Option<&EncryptionContext>,
        alg: Option<&EncryptionAlgorithm>,
    ) -> Result<Opened, KmsError> {
        check_usable(&key)?;
        check_decrypt_key(&key)?;
        let hash = check_algorithm(&key, alg)?.ok_or_else(|| KmsError::corrupt("RSA key without OAEP hash"))?;
        check_no_context(&key, ctx)?;
        let (pk, version) = self.private_material(&key).await?;
        let plaintext = pk.decrypt_oaep(hash, blob).map_err(|_| KmsError::InvalidCiphertext)?;
        Ok(Opened { key, plaintext, material_id: version.material_id, algorithm: oaep_algorithm(hash) })
    }

    /// Encrypts `plaintext` under the key's current version.
    pub(super) async fn seal_under(
        &self,
        key: &KeyRecord,
        ctx: Option<&EncryptionContext>,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, String), KmsError> {
        let version = self
            .key_version(key, key.current_version)
            .await?
            .ok_or_else(|| KmsError::corrupt(format!("{} has no version {}", key.arn(), key.current_version)))?;
        if key.custom_key_store_id.is_some() {
            let blob = self
                .token_seal(key, key_id_bytes(&key.id)?.bytes, &version.material_id, context_bytes(ctx), plaintext)
                .await?;
            return Ok((blob, version.material_id.clone()));
        }
        let bk = self.keyring.backing_key(self.store.as_ref(), key, &version).await?;
        let blob = envelope::encrypt(
            self.crypto(),
            &bk,
            key_id_bytes(&key.id)?,
            version.version,
            &context_bytes(ctx),
            plaintext,
        )
        .map_err(KmsError::crypto)?;
        Ok((blob, version.material_id.clone()))
    }

    /// The key of a ciphertext that names a key of another account in the
    /// caller's region, for an action AWS allows across accounts (Decrypt,
    /// ReEncryptFrom): AWS ciphertexts carry the key's ARN, so another
    /// account decrypts without `KeyId` when the key policy allows it.
    async fn foreign_key(&self, caller: &Caller, id: &KeyId, access: &Access) -> Result<Option<KeyRecord>, KmsError> {
        if !access.cross_account() {
            return Ok(None);
        }
        match self.store.key_owner(id, &caller.region).await? {
            Some(scope) if scope.account != caller.account => Ok(self.store.key(&scope, id).await?),
            _ => Ok(None),
        }
    }

    /// Resolves, checks and opens a ciphertext. `expected` is the request's
    /// KeyId (or SourceKeyId), which must name the ciphertext's key.
    async fn open_ciphertext(
        &self,
        caller: &Caller,
        blob: &[u8],
        ctx: Option<&EncryptionContext>,
        expected: Option<&str>,
        alg: Option<&EncryptionAlgorithm>,
        access: &Access,
    ) -> Result<Opened, KmsError> {
        let expected_key = match expected {
            Some(r) => Some(self.resolve_key(caller, r, Names::KeyOrAlias, access).await?),
            None => None,
        };
        if let Some(k) = expected_key.as_ref().filter(|k| k.spec != KeySpec::SymmetricDefault) {
            // An asymmetric ciphertext names no key: the request's KeyId does.
            return self.open_rsa(k.clone(), blob, ctx, alg).await;
        }
        // A blob of a key in a custom key store (format 3), or of one
        // whose material Trent holds (formats 1 and 2).
        let (parsed, token_blob) = match HsmBlob::parse(blob) {
            Ok(h) => (None, Some(h)),
            Err(_) => (Some(CiphertextBlob::parse(blob).map_err(|_| KmsError::InvalidCiphertext)?), None),
        };
        let (blob_key_id, blob_version) = match (&parsed, &token_blob) {
            (Some(p), _) => (blob_key_id(&p.key_id), p.key_version),
            (None, Some(h)) => (blob_key_id(&BlobKeyId { bytes: h.key_id, multi_region: false }), 1),
            (None, None) => return Err(KmsError::InvalidCiphertext),
        };
        if let Some(k) = &expected_key {
            if k.id != blob_key_id {
                return Err(incorrect_key());
            }
        }
        // A ciphertext of a key that this account and region cannot see
        // (another account or region, or not a Trent ciphertext) is invalid.
        let expected_matched = expected_key.is_some();
        let key = match expected_key {
            Some(k) => k,
            None => match self.store.key(&caller.scope(), &blob_key_id).await? {
                Some(k) => k,
                // The key existed here and was destroyed: say so, as AWS does.
                None if self.store.key_destroyed(&caller.scope(), &blob_key_id).await? => {
                    return Err(KmsError::NotFound(format!(
                        "Key '{}' does not exist",
                        trent_api::ids::key_arn(&caller.region, &caller.account, &blob_key_id)
                    )))
                }
                None => self.foreign_key(caller, &blob_key_id, access).await?.ok_or(KmsError::InvalidCiphertext)?,
            },
        };
        if !expected_matched {
            self.authorize(caller, &key, access, None).await?;
        }
        check_usable(&key)?;
        check_decrypt_key(&key)?;
        check_algorithm(&key, alg)?;
        let version = self.key_version(&key, blob_version).await?.ok_or(KmsError::InvalidCiphertext)?;
        if !version.has_material() {
            // Imported material deleted or expired: it may come back.
            return Err(KmsError::InvalidState(format!(
                "The key material {} of {} is pending import.",
                version.material_id,
                key.arn()
            )));
        }
        let plaintext = match (parsed, token_blob) {
            (None, Some(h)) if key.custom_key_store_id.as_deref() == Some(h.key_store.as_str()) => {
                self.token_open(&key, &version.material_id, &h, &context_bytes(ctx)).await?
            }
            (Some(p), None) if key.custom_key_store_id.is_none() => {
                let bk = self.keyring.backing_key(self.store.as_ref(), &key, &version).await?;
                envelope::decrypt(self.crypto(), &bk, &p, &context_bytes(ctx))
                    .map_err(|_| KmsError::InvalidCiphertext)?
            }
            _ => return Err(KmsError::InvalidCiphertext),
        };
        Ok(Opened {
            key,
            plaintext,
            material_id: version.material_id.clone(),
            algorithm: EncryptionAlgorithm::SymmetricDefault,
        })
    }

    async fn encryption_key(
        &self,
        caller: &Caller,
        key_id: Option<&str>,
        member: &str,
        access: &Access,
    ) -> Result<KeyRecord, KmsError> {
        let key = self.resolve_key(caller, key_id.ok_or_else(|| missing(member))?, Names::KeyOrAlias, access).await?;
        check_usable(&key)?;
        check_encrypt_usage(&key, access.op())?;
        Ok(key)
    }

    /// Encrypt.
    pub async fn encrypt(&self, caller: &Caller, req: EncryptRequest) -> Result<EncryptResponse, KmsError> {
        let access = Access::new(Operation::Encrypt)
            .encryption_context(req.encryption_context.as_ref())
            .with("kms:EncryptionAlgorithm", algorithm_name(req.encryption_algorithm.as_ref()));
        let key = self.encryption_key(caller, req.key_id.as_deref(), "keyId", &access).await?;
        let hash = check_algorithm(&key, req.encryption_algorithm.as_ref())?;
        let plaintext = req.plaintext.ok_or_else(|| missing("plaintext"))?;
        if hash.is_some() {
            check_no_context(&key, req.encryption_context.as_ref())?;
        }
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (blob, _, alg) =
            self.encrypt_under(&key, hash, req.encryption_context.as_ref(), plaintext.expose()).await?;
        Ok(EncryptResponse {
            ciphertext_blob: Some(Blob(blob)),
            key_id: Some(key.arn()),
            encryption_algorithm: Some(alg),
        })
    }

    /// Decrypt.
    pub async fn decrypt(&self, caller: &Caller, req: DecryptRequest) -> Result<DecryptResponse, KmsError> {
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        let access = Access::new(Operation::Decrypt)
            .encryption_context(req.encryption_context.as_ref())
            .with("kms:EncryptionAlgorithm", algorithm_name(req.encryption_algorithm.as_ref()));
        let dry_run = req.dry_run == Some(true);
        let ignore_ct = req.dry_run_modifiers.iter().flatten().any(|m| *m == DryRunModifier::IgnoreCiphertext);
        if dry_run && ignore_ct {
            // The ciphertext is not examined; only the named key is checked.
            let key_ref = req.key_id.as_deref().ok_or_else(|| missing("keyId"))?;
            let key = self.resolve_key(caller, key_ref, Names::KeyOrAlias, &access).await?;
            check_usable(&key)?;
            check_decrypt_key(&key)?;
            check_algorithm(&key, req.encryption_algorithm.as_ref())?;
            return Err(KmsError::DryRun);
        }
        let blob = req.ciphertext_blob.ok_or_else(|| missing("ciphertextBlob"))?;
        let opened = self
            .open_ciphertext(
                caller,
                &blob.0,
                req.encryption_context.as_ref(),
                req.key_id.as_deref(),
                req.encryption_algorithm.as_ref(),
                &access,
            )
            .await?;
        if dry_run {
            return Err(KmsError::DryRun);
        }
        Ok(DecryptResponse {
            key_id: Some(opened.key.arn()),
            plaintext: Some(SensitiveBlob::new(opened.plaintext.into_zeroizing())),
            encryption_algorithm: Some(opened.algorithm),
            key_material_id: symmetric_only(&opened.key, opened.material_id),
        })
    }

    /// ReEncrypt: decrypts under the source key and encrypts under the
    /// destination key; the plaintext never leaves the service.
    pub async fn re_encrypt(&self, caller: &Caller, req: ReEncryptRequest) -> Result<ReEncryptResponse, KmsError> {
        let blob = req.ciphertext_blob.ok_or_else(|| missing("ciphertextBlob"))?;
        // kms:ReEncryptOnSameKey for the source: the destination named by
        // key id or key ARN (an alias is resolved only later).
        let dest_id = req.destination_key_id.as_deref().and_then(|d| match trent_api::ids::KeyRef::parse(d) {
            trent_api::ids::KeyRef::Id(id) | trent_api::ids::KeyRef::KeyArn { key_id: id, .. } => Some(id),
            _ => None,
        });
        let from = Access::re_encrypt(REENCRYPT_FROM)
            .other_key(dest_id)
            .encryption_context(req.source_encryption_context.as_ref())
            .with("kms:EncryptionAlgorithm", algorithm_name(req.source_encryption_algorithm.as_ref()));
        let opened = self
            .open_ciphertext(
                caller,
                &blob.0,
                req.source_encryption_context.as_ref(),
                req.source_key_id.as_deref(),
                req.source_encryption_algorithm.as_ref(),
                &from,
            )
            .await?;
        let to = Access::re_encrypt(REENCRYPT_TO)
            .other_key(Some(opened.key.id.clone()))
            .encryption_context(req.destination_encryption_context.as_ref())
            .with("kms:EncryptionAlgorithm", algorithm_name(req.destination_encryption_algorithm.as_ref()));
        let dest = self.encryption_key(caller, req.destination_key_id.as_deref(), "destinationKeyId", &to).await?;
        let dest_hash = check_algorithm(&dest, req.destination_encryption_algorithm.as_ref())?;
        if dest_hash.is_some() {
            check_no_context(&dest, req.destination_encryption_context.as_ref())?;
        }
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (new_blob, dest_material, dest_alg) = self
            .encrypt_under(&dest, dest_hash, req.destination_encryption_context.as_ref(), opened.plaintext.expose())
            .await?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(Blob(new_blob)),
            source_key_id: Some(opened.key.arn()),
            key_id: Some(dest.arn()),
            source_encryption_algorithm: Some(opened.algorithm),
            destination_encryption_algorithm: Some(dest_alg),
            // Material ids are shown for symmetric encryption keys only.
            source_key_material_id: symmetric_only(&opened.key, opened.material_id),
            destination_key_material_id: symmetric_only(&dest, dest_material),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn new_data_key(
        &self,
        caller: &Caller,
        op: Operation,
        key_id: Option<&str>,
        spec: Option<&DataKeySpec>,
        n: Option<i64>,
        ctx: Option<&EncryptionContext>,
        dry_run: Option<bool>,
    ) -> Result<(KeyRecord, SecretBytes, Vec<u8>, String), KmsError> {
        let access = Access::new(op).encryption_context(ctx).with("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        let key = self.encryption_key(caller, key_id, "keyId", &access).await?;
        check_symmetric(&key)?;
        let len = data_key_len(spec, n)?;
        if dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let mut dk = SecretBytes::zeroed(len);
        self.random(dk.expose_mut())?;
        let (blob, material) = self.seal_under(&key, ctx, dk.expose()).await?;
        Ok((key, dk, blob, material))
    }

    /// GenerateDataKey.
    pub async fn generate_data_key(
        &self,
        caller: &Caller,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        let (key, dk, blob, material) = self
            .new_data_key(
                caller,
                Operation::GenerateDataKey,
                req.key_id.as_deref(),
                req.key_spec.as_ref(),
                req.number_of_bytes,
                req.encryption_context.as_ref(),
                req.dry_run,
            )
            .await?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Some(Blob(blob)),
            plaintext: Some(SensitiveBlob::new(dk.into_zeroizing())),
            key_id: Some(key.arn()),
            key_material_id: Some(material),
        })
    }

    /// GenerateDataKeyWithoutPlaintext.
    pub async fn generate_data_key_without_plaintext(
        &self,
        caller: &Caller,
        req: GenerateDataKeyWithoutPlaintextRequest,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse, KmsError> {
        let (key, _dk, blob, material) = self
            .new_data_key(
                caller,
                Operation::GenerateDataKeyWithoutPlaintext,
                req.key_id.as_deref(),
                req.key_spec.as_ref(),
                req.number_of_bytes,
                req.encryption_context.as_ref(),
                req.dry_run,
            )
            .await?;
        Ok(GenerateDataKeyWithoutPlaintextResponse {
            ciphertext_blob: Some(Blob(blob)),
            key_id: Some(key.arn()),
            key_material_id: Some(material),
        })
    }
}

/// The `kms:EncryptionAlgorithm` of a request: the one named, else the
/// default (SYMMETRIC_DEFAULT), as AWS reports it.
fn algorithm_name(alg: Option<&EncryptionAlgorithm>) -> String {
    alg.map_or_else(|| "SYMMETRIC_DEFAULT".to_owned(), ToString::to_string)
}
