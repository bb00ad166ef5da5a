//! GenerateMac, VerifyMac: HMAC keys.

use super::{crypto_input, incompatible_algorithm, missing};
use crate::authz::Access;
use crate::error::KmsError;
use crate::model::{KeyRecord, SpecCapabilities};
use crate::{Caller, Kms};
use trent_api::enums::{KeyUsage, MacAlgorithm};
use trent_api::ops::*;
use trent_api::Blob;
use trent_api::Operation;
use trent_crypto::asymmetric as asym;

fn algorithm(key: &KeyRecord, alg: Option<&MacAlgorithm>) -> Result<asym::MacAlgorithm, KmsError> {
    let alg = alg.ok_or_else(|| missing("macAlgorithm"))?;
    if !key.spec.mac_algorithms().contains(alg) {
        return Err(incompatible_algorithm(key, alg));
    }
    Ok(match alg {
        MacAlgorithm::HmacSha224 => asym::MacAlgorithm::Sha224,
        MacAlgorithm::HmacSha256 => asym::MacAlgorithm::Sha256,
        MacAlgorithm::HmacSha384 => asym::MacAlgorithm::Sha384,
        MacAlgorithm::HmacSha512 => asym::MacAlgorithm::Sha512,
        other => return Err(incompatible_algorithm(key, other)),
    })
}

impl Kms {
    /// GenerateMac.
    pub async fn generate_mac(
        &self,
        caller: &Caller,
        req: GenerateMacRequest,
    ) -> Result<GenerateMacResponse, KmsError> {
        let access = Access::new(Operation::GenerateMac).with_opt("kms:MacAlgorithm", req.mac_algorithm.as_ref());
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::GenerateVerifyMac, &access).await?;
        let alg = algorithm(&key, req.mac_algorithm.as_ref())?;
        let message = req.message.ok_or_else(|| missing("message"))?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        let mac = pk.mac(alg, message.expose()).map_err(crypto_input)?;
        Ok(GenerateMacResponse { mac: Some(Blob(mac)), mac_algorithm: req.mac_algorithm, key_id: Some(key.arn()) })
    }

    /// VerifyMac. A MAC that does not match is `KMSInvalidMacException`, as
    /// in AWS; the comparison is constant-time.
    pub async fn verify_mac(&self, caller: &Caller, req: VerifyMacRequest) -> Result<VerifyMacResponse, KmsError> {
        let access = Access::new(Operation::VerifyMac).with_opt("kms:MacAlgorithm", req.mac_algorithm.as_ref());
        let key = self.usable_key(caller, req.key_id.as_deref(), &KeyUsage::GenerateVerifyMac, &access).await?;
        let alg = algorithm(&key, req.mac_algorithm.as_ref())?;
        let message = req.message.ok_or_else(|| missing("message"))?;
        let mac = req.mac.ok_or_else(|| missing("mac"))?;
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let (pk, _) = self.private_material(&key).await?;
        if !pk.verify_mac(alg, message.expose(), &mac.0).map_err(crypto_input)? {
            return Err(KmsError::InvalidMac);
        }
        Ok(VerifyMacResponse { key_id: Some(key.arn()), mac_valid: Some(true), mac_algorithm: req.mac_algorithm })
    }
}
