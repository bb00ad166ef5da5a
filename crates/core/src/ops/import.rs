//! Imported key material (BYOK): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial, and the expiry of imported material.
//!
//! The import token is stateless: it is the wrapping private key and its
//! terms (key ARN, expiry, wrapping algorithm), sealed under the active
//! domain key and bound to the key ARN. Nothing about a pending import is
//! stored; a token is good for any number of imports into its key until it
//! expires, 24 hours after it was made.
//!
//! An imported material's id is an HKDF-SHA256 fingerprint of the material
//! bound to the key ARN: deterministic, so a reimport can be checked against
//! the material a version had without keeping that material once it is
//! deleted.
//!
//! Each imported material is one key version with its own terms (expiry,
//! description). ImportType NEW_KEY_MATERIAL adds a version pending
//! rotation; RotateKeyOnDemand makes it current (symmetric encryption keys
//! only, as in AWS).
//!
//! What the material is, by key spec (AWS's rules):
//! - SYMMETRIC_DEFAULT: 32 raw bytes; its id is HKDF of the material.
//! - HMAC_224/256/384/512: raw bytes, 28–64, 32–64, 48–128 and 64–128 bytes
//!   long; its id is HKDF of the SHA-256 of the material.
//! - RSA_2048/3072/4096, ECC_NIST_P256/384/521, ECC_SECG_P256K1: the private
//!   key as PKCS#8 DER, which must be a key of exactly the spec (modulus
//!   size, curve); its id is HKDF of the SHA-256 of its public key, so the
//!   same key in another encoding is the same material. RSA private keys do
//!   not fit in one OAEP block, so GetParametersForImport offers them the
//!   RSA_AES_KEY_WRAP algorithms only.

use super::invalid_state;
use crate::audit::AuditEntry;
use crate::authz::Access;
use crate::error::{InternalError, KmsError};
use crate::kms::Names;
use crate::model::{ImportTerms, KeyRecord, KeyVersionRecord, SpecCapabilities as _};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::{ExpirationModel, ImportType, KeySpec, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec};
use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::Operation;
use trent_crypto::asymmetric::{KeyKind, PrivateKey};
use trent_crypto::import::{self as wrap, WrappingKeyPair};
use trent_crypto::{SecretBytes, SecretKey};
use zeroize::Zeroizing;

/// How long GetParametersForImport's token and public key are valid.
const TOKEN_LIFETIME_MS: i64 = 24 * 3_600_000;
/// The latest ValidTo AWS accepts, from the time of the import.
const MAX_VALID_TO_MS: i64 = 365 * 86_400_000;
/// Version byte of the token's contents.
const TOKEN_FORMAT: u8 = 1;

/// The imported material must be a 256-bit key for SYMMETRIC_DEFAULT.
const MATERIAL_LEN: usize = 32;

fn check_external(key: &KeyRecord) -> Result<(), KmsError> {
    if key.origin == Origin::External {
        Ok(())
    } else {
        Err(KmsError::Unsupported(format!(
            "{} origin is {} which is not valid for this operation.",
            key.arn(),
            key.origin
        )))
    }
}

fn algorithm(a: &WrappingAlgorithm) -> Result<(wrap::WrappingAlgorithm, u8), KmsError> {
    Ok(match a {
        WrappingAlgorithm::RsaesOaepSha1 => (wrap::WrappingAlgorithm::RsaesOaepSha1, 1),
        WrappingAlgorithm::RsaesOaepSha256 => (wrap::WrappingAlgorithm::RsaesOaepSha256, 2),
        WrappingAlgorithm::RsaAesKeyWrapSha1 => (wrap::WrappingAlgorithm::RsaAesKeyWrapSha1, 3),
        WrappingAlgorithm::RsaAesKeyWrapSha256 => (wrap::WrappingAlgorithm::RsaAesKeyWrapSha256, 4),
        other => {
            return Err(KmsError::Unsupported(format!(
                "WrappingAlgorithm {other} is not supported by this version of Trent."
            )))
        }
    })
}

/// The wrapping algorithms a key spec takes: RSA private keys are longer
/// than any OAEP block, so only the key-wrap algorithms carry them.
fn check_algorithm_for_spec(key: &KeyRecord, a: &WrappingAlgorithm) -> Result<(), KmsError> {
    let rsa = matches!(key.spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096);
    let oaep = matches!(a, WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256);
    if rsa && oaep {
        return Err(KmsError::Validation(format!(
            "The wrapping algorithm {a} cannot wrap the key material of key spec {}: use \
             RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.",
            key.spec
        )));
    }
    Ok(())
}

/// The lengths AWS accepts for imported HMAC key material, in bytes.
fn hmac_lengths(kind: KeyKind) -> Option<(usize, usize)> {
    match kind {
        KeyKind::Hmac224 => Some((28, 64)),
        KeyKind::Hmac256 => Some((32, 64)),
        KeyKind::Hmac384 => Some((48, 128)),
        KeyKind::Hmac512 => Some((64, 128)),
        _ => None,
    }
}

/// Unwrapped material checked against the key spec, in the form it is
/// stored in.
enum Material {
    /// The 256-bit backing key of a symmetric encryption key.
    Backing(SecretKey),
    /// The storage form of an asymmetric or HMAC key (see
    /// [`trent_crypto::asymmetric::KeyKind`]).
    Private(SecretBytes),
}

fn algorithm_from_code(code: u8) -> Option<wrap::WrappingAlgorithm> {
    Some(match code {
        1 => wrap::WrappingAlgorithm::RsaesOaepSha1,
        2 => wrap::WrappingAlgorithm::RsaesOaepSha256,
        3 => wrap::WrappingAlgorithm::RsaAesKeyWrapSha1,
        4 => wrap::WrappingAlgorithm::RsaAesKeyWrapSha256,
        _ => return None,
    })
}

/// The token's contents: format | expiry (i64 BE) | algorithm | PKCS#8.
pub(super) struct TokenTerms {
    pub(super) expires_at: i64,
    algorithm: wrap::WrappingAlgorithm,
    pub(super) pkcs8: SecretBytes,
}

pub(super) fn encode_terms(expires_at: i64, alg_code: u8, pkcs8: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(10 + pkcs8.len()));
    out.push(TOKEN_FORMAT);
    out.extend_from_slice(&expires_at.to_be_bytes());
    out.push(alg_code);
    out.extend_from_slice(pkcs8);
    out
}

pub(super) fn decode_terms(b: &[u8]) -> Option<TokenTerms> {
    let (&format, rest) = b.split_first()?;
    if format != TOKEN_FORMAT || rest.len() < 9 {
        return None;
    }
    let (expiry, rest) = rest.split_at(8);
    let expires_at = i64::from_be_bytes(expiry.try_into().ok()?);
    let (&alg, pkcs8) = rest.split_first()?;
    Some(TokenTerms {
        expires_at,
        algorithm: algorithm_from_code(alg)?,
        pkcs8: SecretBytes::new(Zeroizing::new(pkcs8.to_vec())),
    })
}

impl Kms {
    /// GetParametersForImport.
    pub async fn get_parameters_for_import(
        &self,
        caller: &Caller,
        req: GetParametersForImportRequest,
    ) -> Result<GetParametersForImportResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOnly,
                &Access::new(Operation::GetParametersForImport),
            )
            .await?;
        check_external(&key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(invalid_state(&key));
        }
        let wrapping = req.wrapping_algorithm.as_ref().unwrap_or(&WrappingAlgorithm::RsaesOaepSha256);
        let (_, alg_code) = algorithm(wrapping)?;
        check_algorithm_for_spec(&key, wrapping)?;
        let spec = match req.wrapping_key_spec.as_ref().unwrap_or(&WrappingKeySpec::Rsa2048) {
            WrappingKeySpec::Rsa2048 => wrap::WrappingKeySpec::Rsa2048,
            WrappingKeySpec::Rsa3072 => wrap::WrappingKeySpec::Rsa3072,
            WrappingKeySpec::Rsa4096 => wrap::WrappingKeySpec::Rsa4096,
            other => {
                return Err(KmsError::Unsupported(format!(
                    "WrappingKeySpec {other} is not supported by this version of Trent."
                )))
            }
        };
        let pair = WrappingKeyPair::generate(spec).map_err(KmsError::crypto)?;
        let expires_at = self.now().saturating_add(TOKEN_LIFETIME_MS);
        let terms = encode_terms(expires_at, alg_code, pair.to_pkcs8_der().expose());
        let token = self.keyring.seal_import_token(&key.arn(), &terms)?;
        Ok(GetParametersForImportResponse {
            key_id: Some(key.arn()),
            import_token: Some(trent_api::Blob(token)),
            public_key: Some(trent_api::Blob(pair.public_key_der())),
            parameters_valid_to: Some(Timestamp::from_millis(expires_at)),
        })
    }

    /// The id of imported material: HKDF-SHA256 of the material, bound to
    /// the key ARN, as 64 hex digits.
    fn imported_material_id(&self, key: &KeyRecord, material: &SecretKey) -> Result<String, KmsError> {
        let fp = self
            .crypto()
            .hkdf_sha256(material, b"trent/v1/imported-material-id", key.arn().as_bytes())
            .map_err(KmsError::crypto)?;
        Ok(hex::encode(fp.expose()))
    }

    /// Checks unwrapped material against the key's spec and gives its
    /// stored form and its id.
    fn imported_material(&self, key: &KeyRecord, material: SecretBytes) -> Result<(Material, String), KmsError> {
        let Some(kind) = key.spec.key_kind() else {
            let material: [u8; MATERIAL_LEN] = material.expose().try_into().map_err(|_| {
                KmsError::IncorrectKeyMaterial(
                    "The key material must be a 256-bit key for a SYMMETRIC_DEFAULT key.".into(),
                )
            })?;
            let material = SecretKey::from_bytes(material);
            let id = self.imported_material_id(key, &material)?;
            return Ok((Material::Backing(material), id));
        };
        let fingerprint = if let Some((min, max)) = hmac_lengths(kind) {
            if !(min..=max).contains(&material.len()) {
                return Err(KmsError::IncorrectKeyMaterial(format!(
                    "The key material for a {} key must be {min} to {max} bytes long.",
                    key.spec
                )));
            }
            wrap::fingerprint_key(material.expose())
        } else {
            // PKCS#8 DER of a private key of exactly this spec.
            let pk = PrivateKey::load(kind, material.expose()).map_err(|_| {
                KmsError::IncorrectKeyMaterial(format!(
                    "The key material is not a PKCS#8 DER-encoded private key of key spec {}.",
                    key.spec
                ))
            })?;
            wrap::fingerprint_key(&pk.public_key_der().map_err(KmsError::crypto)?)
        };
        let id = self.imported_material_id(key, &fingerprint)?;
        Ok((Material::Private(material), id))
    }

    /// ImportKeyMaterial.
    pub async fn import_key_material(
        &self,
        caller: &Caller,
        req: ImportKeyMaterialRequest,
    ) -> Result<ImportKeyMaterialResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOnly,
                &Access::new(Operation::ImportKeyMaterial),
            )
            .await?;
        check_external(&key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(invalid_state(&key));
        }
        if req.import_type == Some(ImportType::NewKeyMaterial) && key.spec != KeySpec::SymmetricDefault {
            // New material is for a later RotateKeyOnDemand, which AWS
            // offers for symmetric encryption keys only.
            return Err(KmsError::Unsupported(format!(
                "{} key spec is {} which is not valid for ImportType NEW_KEY_MATERIAL.",
                key.arn(),
                key.spec
            )));
        }
        let now = self.now();
        let (model, valid_to) = match (req.expiration_model, req.valid_to) {
            (Some(ExpirationModel::KeyMaterialDoesNotExpire), Some(_)) => {
                return Err(KmsError::Validation(
                    "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE".into(),
                ))
            }
            // AWS's default model is KEY_MATERIAL_EXPIRES, so a request
            // with neither member is refused the same way.
            (Some(ExpirationModel::KeyMaterialExpires) | None, None) => {
                return Err(KmsError::Validation(
                    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES".into(),
                ))
            }
            (None | Some(ExpirationModel::KeyMaterialExpires), Some(t)) => {
                let t = t.millis();
                if t <= now || t > now.saturating_add(MAX_VALID_TO_MS) {
                    return Err(KmsError::Validation(
                        "ValidTo must be in the future and at most 365 days from now.".into(),
                    ));
                }
                (ExpirationModel::KeyMaterialExpires, Some(t))
            }
            _ => (ExpirationModel::KeyMaterialDoesNotExpire, None),
        };

        let token = req.import_token.map(|b| b.0).unwrap_or_default();
        let terms = self
            .keyring
            .open_import_token(self.store.as_ref(), &key.arn(), &token)
            .await
            .and_then(|t| decode_terms(t.expose()))
            .ok_or_else(|| KmsError::InvalidImportToken("The import token is invalid for this KMS key.".into()))?;
        if terms.expires_at <= now {
            return Err(KmsError::ExpiredImportToken(
                "The import token has expired. Call GetParametersForImport for a new one.".into(),
            ));
        }
        let pair = WrappingKeyPair::from_pkcs8_der(terms.pkcs8.expose()).map_err(KmsError::crypto)?;
        let encrypted = req.encrypted_key_material.map(|b| b.0).unwrap_or_default();
        let material = pair.unwrap_material(terms.algorithm, &encrypted).map_err(|_| KmsError::InvalidCiphertext)?;
        let (material, material_id) = self.imported_material(&key, material)?;
        let mismatch = || {
            KmsError::IncorrectKeyMaterial(
                "The key material doesn't match the key material previously imported into this KMS key.".into(),
            )
        };

        let mut versions = self.all_versions(&key).await?;
        let mut next = key.clone();
        let target = if req.import_type == Some(ImportType::NewKeyMaterial) {
            // New material for a later RotateKeyOnDemand.
            if versions.is_empty() {
                return Err(invalid_state(&key));
            }
            if versions.iter().any(|v| v.material_id == material_id) {
                return Err(KmsError::IncorrectKeyMaterial(format!(
                    "This key material has been imported into {} already.",
                    key.arn()
                )));
            }
            if versions.iter().any(|v| v.version > key.current_version) {
                return Err(KmsError::InvalidState(format!(
                    "New key material (id: {material_id}) cannot be imported into KMS key {}, because another key \
                     material is pending rotation.",
                    key.arn()
                )));
            }
            if req.key_material_id.as_ref().is_some_and(|id| *id != material_id) {
                return Err(mismatch());
            }
            let version = versions.iter().map(|v| v.version).max().unwrap_or(0).saturating_add(1);
            versions.push(KeyVersionRecord {
                key_id: key.id.clone(),
                version,
                material_id: material_id.clone(),
                wrapped_material: Vec::new(),
                created_at: now,
                rotation_type: None,
                import: None,
            });
            versions.len() - 1
        } else if versions.is_empty() {
            // The key's first material.
            if req.key_material_id.as_ref().is_some_and(|id| *id != material_id) {
                return Err(mismatch());
            }
            versions.push(KeyVersionRecord {
                key_id: key.id.clone(),
                version: key.current_version,
                material_id: material_id.clone(),
                wrapped_material: Vec::new(),
                created_at: now,
                rotation_type: None,
                import: None,
            });
            versions.len() - 1
        } else {
            // Reimport of material the key has had: the named one, or the current one.
            let wanted = req.key_material_id.as_ref();
            let i = versions
                .iter()
                .position(|v| match wanted {
                    Some(id) => v.material_id == *id,
                    None => v.version == key.current_version,
                })
                .ok_or_else(mismatch)?;
            if versions[i].material_id != material_id {
                return Err(mismatch());
            }
            i
        };
        let description = req.key_material_description.clone();
        let v = &mut versions[target];
        v.wrapped_material = match &material {
            Material::Backing(m) => self.keyring.wrap_backing_key(&key.material_binding(), &material_id, m)?,
            Material::Private(m) => self.keyring.wrap_private_key(&key.material_binding(), &material_id, m)?,
        };
        v.import = Some(ImportTerms { expiration_model: model, valid_to, description });
        let written = v.clone();
        if written.version == key.current_version && next.state == KeyState::PendingImport {
            next.state = KeyState::Enabled;
        }
        next.next_expiry_at = next_expiry(&versions);
        next.revision += 1;
        let response = ImportKeyMaterialResponse { key_id: Some(key.arn()), key_material_id: Some(material_id) };
        match self
            .commit_answering(caller, &response, async |events| {
                self.store.put_key_versions(&next, &[written], events).await
            })
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(KmsError::Conflict(format!(
                    "{} is being changed by another request. Try again.",
                    key.arn()
                )))
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(key = %key.arn(), "key material imported");
        Ok(response)
    }

    /// DeleteImportedKeyMaterial: deletes the named (or the current)
    /// imported material. Deleting the current material puts the key in
    /// PendingImport; the same material can be imported again.
    pub async fn delete_imported_key_material(
        &self,
        caller: &Caller,
        req: DeleteImportedKeyMaterialRequest,
    ) -> Result<DeleteImportedKeyMaterialResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOnly,
                &Access::new(Operation::DeleteImportedKeyMaterial),
            )
            .await?;
        check_external(&key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(invalid_state(&key));
        }
        let versions = self.all_versions(&key).await?;
        let target = match &req.key_material_id {
            Some(id) => versions
                .iter()
                .find(|v| v.material_id == *id)
                .ok_or_else(|| KmsError::NotFound(format!("Key material '{id}' does not exist for {}", key.arn())))?,
            None => versions.iter().find(|v| v.version == key.current_version).ok_or_else(|| invalid_state(&key))?,
        };
        let material_id = target.material_id.clone();
        let version = target.version;
        let removed = self.commit(caller, async |events| {
            self.remove_material(key.clone(), versions, |v| v.version == version, events).await
        });
        match removed.await {
            Ok(_) => {}
            Err(KmsError::Internal(InternalError::Store(StoreError::Conflict))) => {
                return Err(KmsError::Conflict(format!(
                    "{} is being changed by another request. Try again.",
                    key.arn()
                )))
            }
            Err(e) => return Err(e),
        }
        Ok(DeleteImportedKeyMaterialResponse { key_id: Some(key.arn()), key_material_id: Some(material_id) })
    }

    /// Deletes the imported material of the versions `which` selects (on
    /// request or at expiry); the key goes to PendingImport when its current
    /// material goes. Returns how many materials were deleted.
    pub(crate) async fn remove_material(
        &self,
        key: KeyRecord,
        mut versions: Vec<KeyVersionRecord>,
        which: impl Fn(&KeyVersionRecord) -> bool,
        audit: &[AuditEntry],
    ) -> Result<usize, KmsError> {
        let mut changed = Vec::new();
        for v in versions.iter_mut().filter(|v| v.has_material() && which(v)) {
            v.wrapped_material.clear();
            if let Some(t) = v.import.as_mut() {
                t.valid_to = None;
            }
            changed.push(v.clone());
        }
        let mut next = key;
        if changed.iter().any(|v| v.version == next.current_version) && next.state != KeyState::PendingDeletion {
            next.state = KeyState::PendingImport;
        }
        next.next_expiry_at = next_expiry(&versions);
        next.revision += 1;
        self.store.put_key_versions(&next, &changed, audit).await?;
        self.keyring.forget(&next.id);
        tracing::info!(key = %next.arn(), deleted = changed.len(), "imported key material deleted");
        Ok(changed.len())
    }
}

/// The earliest ValidTo among versions whose material is present.
pub(crate) fn next_expiry(versions: &[KeyVersionRecord]) -> Option<i64> {
    versions.iter().filter(|v| v.has_material()).filter_map(|v| v.import.as_ref()?.valid_to).min()
}
