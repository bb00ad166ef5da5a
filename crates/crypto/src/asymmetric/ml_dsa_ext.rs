use super::{KeyKind, ML_DSA_MU_LEN, ML_DSA_SEED_LEN};
use crate::CryptoError;
use ml_dsa::common::array::Array;
use ml_dsa::common::typenum::U64;
use ml_dsa::{EncodedSignature, EncodedVerifyingKey, MlDsa44, MlDsa65, MlDsa87, MlDsaParams};

/// aws-lc's RNG for `ml-dsa`'s hedged signing.
struct AwsLcRng;

#[derive(Debug)]
struct RngFailure;

impl core::fmt::Display for RngFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("random generator failure")
    }
}

impl core::error::Error for RngFailure {}

impl rand_core::TryRng for AwsLcRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        aws_lc_rs::rand::fill(dst).map_err(|_| RngFailure)
    }
}

impl rand_core::TryCryptoRng for AwsLcRng {}

fn mu(bytes: &[u8]) -> Result<Array<u8, U64>, CryptoError> {
    if bytes.len() != ML_DSA_MU_LEN {
        return Err(CryptoError::InvalidInput("external mu length"));
    }
    Array::try_from(bytes).map_err(|_| CryptoError::InvalidInput("external mu length"))
}

fn sign_with<P: MlDsaParams>(seed: &[u8], mu_bytes: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let seed = ml_dsa::Seed::try_from(seed).map_err(|_| CryptoError::Malformed("private key material"))?;
    let key = ml_dsa::SigningKey::<P>::from_seed(&seed);
    let signature = key
        .expanded_key()
        .sign_mu_randomized(&mu(mu_bytes)?, &mut AwsLcRng)
        .map_err(|_| CryptoError::Library("ml-dsa external mu signing"))?;
    Ok(signature.encode().to_vec())
}

fn verify_with<P: MlDsaParams>(spki: &[u8], mu_bytes: &[u8], signature: &[u8]) -> Result<bool, CryptoError> {
    let mu = mu(mu_bytes)?;
    // SPKI: the raw key is the BIT STRING's tail; its length is fixed
    // per parameter set, and aws-lc checks the whole DER when RAW
    // messages are verified. Here, anything else simply fails to verify.
    let raw_len = core::mem::size_of::<EncodedVerifyingKey<P>>();
    let Some(raw) = spki.len().checked_sub(raw_len).map(|start| &spki[start..]) else {
        return Ok(false);
    };
    let (Ok(raw), Ok(signature)) =
        (EncodedVerifyingKey::<P>::try_from(raw), EncodedSignature::<P>::try_from(signature))
    else {
        return Ok(false);
    };
    let Some(signature) = ml_dsa::Signature::<P>::decode(&signature) else {
        return Ok(false);
    };
    Ok(ml_dsa::VerifyingKey::<P>::decode(&raw).verify_mu(&mu, &signature))
}

pub(super) fn sign_mu(kind: KeyKind, seed: &[u8], mu: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if seed.len() != ML_DSA_SEED_LEN {
        return Err(CryptoError::Malformed("private key material"));
    }
    match kind {
        KeyKind::MlDsa44 => sign_with::<MlDsa44>(seed, mu),
        KeyKind::MlDsa65 => sign_with::<MlDsa65>(seed, mu),
        KeyKind::MlDsa87 => sign_with::<MlDsa87>(seed, mu),
        _ => Err(CryptoError::InvalidInput("not an ML-DSA key")),
    }
}

pub(super) fn verify_mu(kind: KeyKind, spki: &[u8], mu: &[u8], signature: &[u8]) -> Result<bool, CryptoError> {
    match kind {
        KeyKind::MlDsa44 => verify_with::<MlDsa44>(spki, mu, signature),
        KeyKind::MlDsa65 => verify_with::<MlDsa65>(spki, mu, signature),
        KeyKind::MlDsa87 => verify_with::<MlDsa87>(spki, mu, signature),
        _ => Err(CryptoError::InvalidInput("not an ML-DSA key")),
    }
}
