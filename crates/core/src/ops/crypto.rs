//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext: symmetric keys.

use super::{check_encrypt_usage, check_usable};
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::KeyRecord;
use crate::{Caller, Kms};
use trent_api::enums::{DataKeySpec, DryRunModifier, EncryptionAlgorithm};
use trent_api::ids::KeyId;
use trent_api::ops::*;
use trent_api::{Blob, SensitiveBlob};
use trent_crypto::envelope::{self, CiphertextBlob};
use trent_crypto::SecretBytes;

/// The result of opening a ciphertext.
struct Opened {
    key: KeyRecord,
    plaintext: SecretBytes,
    material_id: String,
}

fn context_bytes(ctx: Option<&EncryptionContext>) -> Vec<u8> {
    envelope::canonical_context(ctx.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn key_id_bytes(id: &KeyId) -> Result<[u8; 16], KmsError> {
    uuid::Uuid::parse_str(id.as_str())
        .map(|u| *u.as_bytes())
        .map_err(|_| KmsError::corrupt(format!("stored key id {id} is not a UUID")))
}

fn check_algorithm(key: &KeyRecord, alg: Option<&EncryptionAlgorithm>) -> Result<(), KmsError> {
    match alg {
        None | Some(EncryptionAlgorithm::SymmetricDefault) => Ok(()),
        Some(a) => Err(KmsError::InvalidKeyUsage(format!(
            "The encryption algorithm {a} is not valid for {}, whose key spec is {}.",
            key.arn(),
            key.spec
        ))),
    }
}

fn missing(member: &str) -> KmsError {
    KmsError::Validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
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
    /// Encrypts `plaintext` under the key's current version.
    async fn seal_under(
        &self,
        key: &KeyRecord,
        ctx: Option<&EncryptionContext>,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, String), KmsError> {
        let version = self
            .store
            .key_version(&key.id, key.current_version)
            .await?
            .ok_or_else(|| KmsError::corrupt(format!("{} has no version {}", key.arn(), key.current_version)))?;
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
        Ok((blob, version.material_id))
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
    ) -> Result<Opened, KmsError> {
        let expected_key = match expected {
            Some(r) => Some(self.resolve_key(caller, r, Names::KeyOrAlias).await?),
            None => None,
        };
        let parsed = CiphertextBlob::parse(blob).map_err(|_| KmsError::InvalidCiphertext)?;
        let blob_key_id = KeyId::new_unchecked(uuid::Uuid::from_bytes(parsed.key_id).hyphenated().to_string());
        if let Some(k) = &expected_key {
            if k.id != blob_key_id {
                return Err(KmsError::IncorrectKey(
                    "The key ID in the request does not identify a CMK that can perform this operation.".into(),
                ));
            }
        }
        // A ciphertext of a key that this account and region cannot see
        // (another account or region, or not a Trent ciphertext) is invalid.
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
                None => return Err(KmsError::InvalidCiphertext),
            },
        };
        check_usable(&key)?;
        check_encrypt_usage(&key)?;
        check_algorithm(&key, alg)?;
        let version = self.store.key_version(&key.id, parsed.key_version).await?.ok_or(KmsError::InvalidCiphertext)?;
        if !version.has_material() {
            // Imported material deleted or expired: it may come back.
            return Err(KmsError::InvalidState(format!(
                "The key material {} of {} is pending import.",
                version.material_id,
                key.arn()
            )));
        }
        let bk = self.keyring.backing_key(self.store.as_ref(), &key, &version).await?;
        let plaintext = envelope::decrypt(self.crypto(), &bk, &parsed, &context_bytes(ctx))
            .map_err(|_| KmsError::InvalidCiphertext)?;
        Ok(Opened { key, plaintext, material_id: version.material_id })
    }

    async fn encryption_key(&self, caller: &Caller, key_id: Option<&str>, member: &str) -> Result<KeyRecord, KmsError> {
        let key = self.resolve_key(caller, key_id.ok_or_else(|| missing(member))?, Names::KeyOrAlias).await?;
        check_usable(&key)?;
        check_encrypt_usage(&key)?;
        Ok(key)
    }

    /// Encrypt.
    pub async fn encrypt(&self, caller: &Caller, req: EncryptRequest) -> Result<EncryptResponse, KmsError> {
        let key = self.encryption_key(caller, req.key_id.as_deref(), "keyId").await?;
        check_algorithm(&key, req.encryption_algorithm.as_ref())?;
        let plaintext = req.plaintext.ok_or_else(|| missing("plaintext"))?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (blob, _) = self.seal_under(&key, req.encryption_context.as_ref(), plaintext.expose()).await?;
        Ok(EncryptResponse {
            ciphertext_blob: Some(Blob(blob)),
            key_id: Some(key.arn()),
            encryption_algorithm: Some(EncryptionAlgorithm::SymmetricDefault),
        })
    }

    /// Decrypt.
    pub async fn decrypt(&self, caller: &Caller, req: DecryptRequest) -> Result<DecryptResponse, KmsError> {
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        let dry_run = req.dry_run == Some(true);
        let ignore_ct = req.dry_run_modifiers.iter().flatten().any(|m| *m == DryRunModifier::IgnoreCiphertext);
        if dry_run && ignore_ct {
            // The ciphertext is not examined; only the named key is checked.
            let key = self.encryption_key(caller, req.key_id.as_deref(), "keyId").await?;
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
            )
            .await?;
        if dry_run {
            return Err(KmsError::DryRun);
        }
        Ok(DecryptResponse {
            key_id: Some(opened.key.arn()),
            plaintext: Some(SensitiveBlob::new(opened.plaintext.into_zeroizing())),
            encryption_algorithm: Some(EncryptionAlgorithm::SymmetricDefault),
            key_material_id: Some(opened.material_id),
        })
    }

    /// ReEncrypt: decrypts under the source key and encrypts under the
    /// destination key; the plaintext never leaves the service.
    pub async fn re_encrypt(&self, caller: &Caller, req: ReEncryptRequest) -> Result<ReEncryptResponse, KmsError> {
        let blob = req.ciphertext_blob.ok_or_else(|| missing("ciphertextBlob"))?;
        let opened = self
            .open_ciphertext(
                caller,
                &blob.0,
                req.source_encryption_context.as_ref(),
                req.source_key_id.as_deref(),
                req.source_encryption_algorithm.as_ref(),
            )
            .await?;
        let dest = self.encryption_key(caller, req.destination_key_id.as_deref(), "destinationKeyId").await?;
        check_algorithm(&dest, req.destination_encryption_algorithm.as_ref())?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (new_blob, dest_material) =
            self.seal_under(&dest, req.destination_encryption_context.as_ref(), opened.plaintext.expose()).await?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Some(Blob(new_blob)),
            source_key_id: Some(opened.key.arn()),
            key_id: Some(dest.arn()),
            source_encryption_algorithm: Some(EncryptionAlgorithm::SymmetricDefault),
            destination_encryption_algorithm: Some(EncryptionAlgorithm::SymmetricDefault),
            source_key_material_id: Some(opened.material_id),
            destination_key_material_id: Some(dest_material),
        })
    }

    async fn new_data_key(
        &self,
        caller: &Caller,
        key_id: Option<&str>,
        spec: Option<&DataKeySpec>,
        n: Option<i64>,
        ctx: Option<&EncryptionContext>,
        dry_run: Option<bool>,
    ) -> Result<(KeyRecord, SecretBytes, Vec<u8>, String), KmsError> {
        let key = self.encryption_key(caller, key_id, "keyId").await?;
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
