//! GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext: a fresh key
//! pair for use outside Trent, its private key (PKCS#8 DER) encrypted under
//! a symmetric KMS key.

use super::{check_encrypt_usage, check_usable, missing};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::data_key_pair_kind;
use crate::{Caller, Kms};
use trent_api::enums::{DataKeyPairSpec, KeySpec};
use trent_api::ops::*;
use trent_api::Operation;
use trent_api::{Blob, SensitiveBlob};
use trent_crypto::asymmetric::{self, PrivateKey};
use trent_crypto::SecretBytes;

/// A generated pair: the private key (PKCS#8 DER), its ciphertext, the public
/// key (SubjectPublicKeyInfo DER), the KMS key's ARN and material id.
struct Pair {
    private: SecretBytes,
    ciphertext: Vec<u8>,
    public: Vec<u8>,
    key_arn: String,
    material_id: String,
}

impl Kms {
    async fn new_data_key_pair(
        &self,
        caller: &Caller,
        op: Operation,
        key_id: Option<&str>,
        spec: Option<&DataKeyPairSpec>,
        ctx: Option<&EncryptionContext>,
        dry_run: Option<bool>,
    ) -> Result<Pair, KmsError> {
        let access = Access::new(op)
            .encryption_context(ctx)
            .with("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
            .with_opt("kms:DataKeyPairSpec", spec);
        let key = self.resolve_key(caller, key_id.ok_or_else(|| missing("keyId"))?, Names::KeyOrAlias, &access).await?;
        check_usable(&key)?;
        check_encrypt_usage(&key, op)?;
        if key.spec != KeySpec::SymmetricDefault {
            return Err(KmsError::InvalidKeyUsage(format!(
                "{} is not a symmetric encryption KMS key: data key pairs are encrypted under symmetric keys only.",
                key.arn()
            )));
        }
        let spec = spec.ok_or_else(|| missing("keyPairSpec"))?;
        let kind = match (spec, data_key_pair_kind(spec)) {
            (_, Some(kind)) => kind,
            (DataKeyPairSpec::Sm2, None) => {
                return Err(KmsError::Unsupported("KeyPairSpec SM2 is not supported in this Region.".into()))
            }
            (other, None) => return Err(KmsError::Unsupported(format!("KeyPairSpec {other} is not supported."))),
        };
        if dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let material = asymmetric::generate(self.crypto(), kind).map_err(KmsError::crypto)?;
        let pair = PrivateKey::load(kind, material.expose()).map_err(KmsError::crypto)?;
        let private = pair.private_key_pkcs8().map_err(KmsError::crypto)?;
        let public = pair.public_key_der().map_err(KmsError::crypto)?;
        let (ciphertext, material_id) = self.seal_under(&key, ctx, private.expose()).await?;
        Ok(Pair { private, ciphertext, public, key_arn: key.arn(), material_id })
    }

    /// GenerateDataKeyPair.
    pub async fn generate_data_key_pair(
        &self,
        caller: &Caller,
        req: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        let pair = self
            .new_data_key_pair(
                caller,
                Operation::GenerateDataKeyPair,
                req.key_id.as_deref(),
                req.key_pair_spec.as_ref(),
                req.encryption_context.as_ref(),
                req.dry_run,
            )
            .await?;
        Ok(GenerateDataKeyPairResponse {
            private_key_ciphertext_blob: Some(Blob(pair.ciphertext)),
            private_key_plaintext: Some(SensitiveBlob::new(pair.private.into_zeroizing())),
            public_key: Some(Blob(pair.public)),
            key_id: Some(pair.key_arn),
            key_pair_spec: req.key_pair_spec,
            ciphertext_for_recipient: None,
            key_material_id: Some(pair.material_id),
        })
    }

    /// GenerateDataKeyPairWithoutPlaintext.
    pub async fn generate_data_key_pair_without_plaintext(
        &self,
        caller: &Caller,
        req: GenerateDataKeyPairWithoutPlaintextRequest,
    ) -> Result<GenerateDataKeyPairWithoutPlaintextResponse, KmsError> {
        let pair = self
            .new_data_key_pair(
                caller,
                Operation::GenerateDataKeyPairWithoutPlaintext,
                req.key_id.as_deref(),
                req.key_pair_spec.as_ref(),
                req.encryption_context.as_ref(),
                req.dry_run,
            )
            .await?;
        Ok(GenerateDataKeyPairWithoutPlaintextResponse {
            private_key_ciphertext_blob: Some(Blob(pair.ciphertext)),
            public_key: Some(Blob(pair.public)),
            key_id: Some(pair.key_arn),
            key_pair_spec: req.key_pair_spec,
            key_material_id: Some(pair.material_id),
        })
    }
}
