//! Sign, Verify, GetPublicKey: asymmetric keys.

use super::{check_usable, crypto_input, customer_master_key_spec, incompatible_algorithm, missing};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::{KeyRecord, SpecCapabilities};
use crate::{Caller, Kms};
use trent_api::enums::{KeySpec, KeyUsage, MessageType, SigningAlgorithm};
use trent_api::ops::*;
use trent_api::Blob;
use trent_api::Operation;
use trent_crypto::asymmetric::{self as asym, MessageKind};

/// The crypto layer's algorithm, and the digest length DIGEST messages of
/// it must have (`None` where DIGEST is not allowed).
fn algorithm(alg: &SigningAlgorithm) -> Option<(asym::SigningAlgorithm, Option<usize>)> {
    use asym::SigningAlgorithm as A;
    Some(match alg {
        SigningAlgorithm::RsassaPssSha256 => (A::RsaPssSha256, Some(32)),
        SigningAlgorithm::RsassaPssSha384 => (A::RsaPssSha384, Some(48)),
        SigningAlgorithm::RsassaPssSha512 => (A::RsaPssSha512, Some(64)),
        SigningAlgorithm::RsassaPkcs1V15Sha256 => (A::RsaPkcs1Sha256, Some(32)),
        SigningAlgorithm::RsassaPkcs1V15Sha384 => (A::RsaPkcs1Sha384, Some(48)),
        SigningAlgorithm::RsassaPkcs1V15Sha512 => (A::RsaPkcs1Sha512, Some(64)),
        SigningAlgorithm::EcdsaSha256 => (A::EcdsaSha256, Some(32)),
        SigningAlgorithm::EcdsaSha384 => (A::EcdsaSha384, Some(48)),
        SigningAlgorithm::EcdsaSha512 => (A::EcdsaSha512, Some(64)),
        SigningAlgorithm::Ed25519Sha512 => (A::Ed25519, None),
        SigningAlgorithm::Ed25519PhSha512 => (A::Ed25519Ph, Some(64)),
        SigningAlgorithm::MlDsaShake256 => (A::MlDsa, None),
        _ => return None,
    })
}

/// Checks the algorithm against the key and the message against the
/// algorithm and message type, as AWS does, and returns what the crypto
/// layer needs.
fn prepare(
    key: &KeyRecord,
    alg: Option<&SigningAlgorithm>,
    message_type: Option<&MessageType>,
    message_len: usize,
) -> Result<(asym::SigningAlgorithm, MessageKind), KmsError> {
    let alg = alg.ok_or_else(|| missing("signingAlgorithm"))?;
    if !key.spec.signing_algorithms().contains(alg) {
        return Err(incompatible_algorithm(key, alg));
    }
    let (crypto_alg, digest_len) = algorithm(alg).ok_or_else(|| incompatible_algorithm(key, alg))?;
    let is_ml_dsa = matches!(key.spec, KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87);
    let kind = match message_type.unwrap_or(&MessageType::Raw) {
        MessageType::Raw => MessageKind::Raw,
        MessageType::Digest => match digest_len {
            Some(n) if n == message_len => MessageKind::Digest,
            Some(_) => return Err(KmsError::Validation(format!("Digest is invalid length for algorithm {alg}."))),
            None => {
                return Err(KmsError::Validation(format!(
                    "The signing algorithm {alg} does not support message type DIGEST."
                )))
            }
        },
        MessageType::ExternalMu if is_ml_dsa => {
            if message_len != 64 {
                return Err(KmsError::Validation("The EXTERNAL_MU message must be exactly 64 bytes long.".into()));
            }
            MessageKind::ExternalMu
        }
        other => {
            return Err(KmsError::Validation(format!(
                "The signing algorithm {alg} does not support message type {other}."
            )))
        }
    };
    Ok((crypto_alg, kind))
}

impl Kms {
    /// Sign.
    pub async fn sign(&self, caller: &Caller, req: SignRequest) -> Result<SignResponse, KmsError> {
        let access = Access::new(Operation::Sign)
            .with_opt("kms:SigningAlgorithm", req.signing_algorithm.as_ref())
            .with("kms:MessageType", req.message_type.as_ref().map_or_else(|| "RAW".to_owned(), ToString::to_string));
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::SignVerify, &access).await?;
        let message = req.message.ok_or_else(|| missing("message"))?;
        let (alg, kind) = prepare(&key, req.signing_algorithm.as_ref(), req.message_type.as_ref(), message.len())?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        let signature = pk.sign(alg, kind, message.expose()).map_err(crypto_input)?;
        Ok(SignResponse {
            key_id: Some(key.arn()),
            signature: Some(Blob(signature)),
            signing_algorithm: req.signing_algorithm,
        })
    }

    /// Verify. A signature that does not verify is
    /// `KMSInvalidSignatureException`, as in AWS.
    pub async fn verify(&self, caller: &Caller, req: VerifyRequest) -> Result<VerifyResponse, KmsError> {
        let access = Access::new(Operation::Verify)
            .with_opt("kms:SigningAlgorithm", req.signing_algorithm.as_ref())
            .with("kms:MessageType", req.message_type.as_ref().map_or_else(|| "RAW".to_owned(), ToString::to_string));
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::SignVerify, &access).await?;
        let message = req.message.ok_or_else(|| missing("message"))?;
        let signature = req.signature.ok_or_else(|| missing("signature"))?;
        let (alg, kind) = prepare(&key, req.signing_algorithm.as_ref(), req.message_type.as_ref(), message.len())?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        if !pk.verify(alg, kind, message.expose(), &signature.0).map_err(crypto_input)? {
            return Err(KmsError::InvalidSignature);
        }
        Ok(VerifyResponse {
            key_id: Some(key.arn()),
            signature_valid: Some(true),
            signing_algorithm: req.signing_algorithm,
        })
    }

    /// GetPublicKey: the public key of an asymmetric key as DER
    /// SubjectPublicKeyInfo, with what it may be used for.
    pub async fn get_public_key(
        &self,
        caller: &Caller,
        req: GetPublicKeyRequest,
    ) -> Result<GetPublicKeyResponse, KmsError> {
        let access = Access::new(Operation::GetPublicKey);
        let key =
            self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOrAlias, &access).await?;
        check_usable(&key)?;
        if key.spec == KeySpec::SymmetricDefault || key.usage == KeyUsage::GenerateVerifyMac {
            return Err(KmsError::Unsupported(format!(
                "{} is not an asymmetric KMS key: GetPublicKey is valid only for asymmetric KMS keys.",
                key.arn()
            )));
        }
        let (pk, _) = self.private_material(&key).await?;
        let public_key = pk.public_key_der().map_err(KmsError::crypto)?;
        let usage = |u: KeyUsage| key.usage == u;
        Ok(GetPublicKeyResponse {
            key_id: Some(key.arn()),
            public_key: Some(Blob(public_key)),
            customer_master_key_spec: customer_master_key_spec(&key),
            key_spec: Some(key.spec.clone()),
            key_usage: Some(key.usage.clone()),
            encryption_algorithms: usage(KeyUsage::EncryptDecrypt).then(|| key.spec.encryption_algorithms()),
            signing_algorithms: usage(KeyUsage::SignVerify).then(|| key.spec.signing_algorithms()),
            key_agreement_algorithms: usage(KeyUsage::KeyAgreement).then(|| key.spec.key_agreement_algorithms()),
            encapsulation_algorithms: usage(KeyUsage::EncapsulateDecapsulate)
                .then(|| key.spec.encapsulation_algorithms()),
        })
    }
}
