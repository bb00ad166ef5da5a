//! DeriveSharedSecret (ECDH), Encapsulate and Decapsulate (ML-KEM).

use super::{crypto_input, incompatible_algorithm, missing};
use crate::authz::Access;
use crate::error::KmsError;
use crate::model::SpecCapabilities;
use crate::{Caller, Kms};
use trent_api::enums::{KeyUsage, Origin};
use trent_api::ops::*;
use trent_api::Operation;
use trent_api::{Blob, SensitiveBlob};
use trent_crypto::CryptoError;

impl Kms {
    /// DeriveSharedSecret: ECDH between the key's private half and the
    /// caller's public key; the raw shared secret (the x coordinate), as in
    /// AWS.
    pub async fn derive_shared_secret(
        &self,
        caller: &Caller,
        req: DeriveSharedSecretRequest,
    ) -> Result<DeriveSharedSecretResponse, KmsError> {
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        let access = Access::new(Operation::DeriveSharedSecret)
            .with_opt("kms:KeyAgreementAlgorithm", req.key_agreement_algorithm.as_ref());
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::KeyAgreement, &access).await?;
        let alg = req.key_agreement_algorithm.ok_or_else(|| missing("keyAgreementAlgorithm"))?;
        if !key.spec.key_agreement_algorithms().contains(&alg) {
            return Err(incompatible_algorithm(&key, &alg));
        }
        let peer = req.public_key.ok_or_else(|| missing("publicKey"))?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        let secret = pk.derive_shared_secret(&peer.0).map_err(|e| match e {
            CryptoError::InvalidInput(_) => KmsError::Validation(format!(
                "The public key is not a valid DER-encoded SubjectPublicKeyInfo of a point on the curve of {} ({}).",
                key.arn(),
                key.spec
            )),
            other => KmsError::crypto(other),
        })?;
        Ok(DeriveSharedSecretResponse {
            key_id: Some(key.arn()),
            shared_secret: Some(SensitiveBlob::new(secret.into_zeroizing())),
            ciphertext_for_recipient: None,
            key_agreement_algorithm: Some(alg),
            key_origin: Some(Origin::AwsKms),
        })
    }

    /// Encapsulate: a fresh shared secret and its ML-KEM ciphertext under
    /// the key's public half.
    pub async fn encapsulate(&self, caller: &Caller, req: EncapsulateRequest) -> Result<EncapsulateResponse, KmsError> {
        let access = Access::new(Operation::Encapsulate);
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::EncapsulateDecapsulate, &access).await?;
        let alg = req.encapsulation_algorithm.ok_or_else(|| missing("encapsulationAlgorithm"))?;
        if !key.spec.encapsulation_algorithms().contains(&alg) {
            return Err(incompatible_algorithm(&key, &alg));
        }
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        let (ciphertext, secret) = pk.encapsulate().map_err(crypto_input)?;
        Ok(EncapsulateResponse {
            key_id: Some(key.arn()),
            shared_secret: Some(SensitiveBlob::new(secret.into_zeroizing())),
            shared_secret_ciphertext_blob: Some(Blob(ciphertext)),
            encapsulation_algorithm: Some(alg),
        })
    }

    /// Decapsulate. A ciphertext of the wrong length is
    /// `InvalidCiphertextException`; a wrong one of the right length yields
    /// ML-KEM's implicit-rejection secret, which matches nothing.
    pub async fn decapsulate(&self, caller: &Caller, req: DecapsulateRequest) -> Result<DecapsulateResponse, KmsError> {
        let access = Access::new(Operation::Decapsulate);
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::EncapsulateDecapsulate, &access).await?;
        let alg = req.encapsulation_algorithm.ok_or_else(|| missing("encapsulationAlgorithm"))?;
        if !key.spec.encapsulation_algorithms().contains(&alg) {
            return Err(incompatible_algorithm(&key, &alg));
        }
        let ciphertext = req.shared_secret_ciphertext_blob.ok_or_else(|| missing("sharedSecretCiphertextBlob"))?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        let secret = pk.decapsulate(&ciphertext.0).map_err(|e| match e {
            CryptoError::InvalidInput(_) | CryptoError::Authentication => KmsError::InvalidCiphertext,
            other => KmsError::crypto(other),
        })?;
        Ok(DecapsulateResponse {
            key_id: Some(key.arn()),
            shared_secret: Some(SensitiveBlob::new(secret.into_zeroizing())),
            encapsulation_algorithm: Some(alg),
        })
    }
}
