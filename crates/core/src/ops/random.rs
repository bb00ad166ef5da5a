//! GenerateRandom.

use crate::error::KmsError;
use crate::{Caller, Kms};
use trent_api::ops::{GenerateRandomRequest, GenerateRandomResponse};
use trent_api::Operation;
use trent_api::SensitiveBlob;
use zeroize::Zeroizing;

impl Kms {
    /// GenerateRandom: 1–1024 random bytes from the provider's CSPRNG.
    pub async fn generate_random(
        &self,
        caller: &Caller,
        req: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse, KmsError> {
        self.authorize_identity(caller, Operation::GenerateRandom, "*", &[]).await?;
        if let Some(id) = req.custom_key_store_id {
            return Err(KmsError::CustomKeyStoreNotFound(format!("Custom key store '{id}' does not exist.")));
        }
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        // The model makes NumberOfBytes optional; AWS refuses its absence
        // in these words.
        let n = req.number_of_bytes.ok_or_else(|| KmsError::Validation("NumberOfBytes is required.".into()))?;
        let n = usize::try_from(n).map_err(|_| KmsError::Validation("numberOfBytes must be positive".into()))?;
        let mut buf = Zeroizing::new(vec![0u8; n]);
        self.random(&mut buf)?;
        Ok(GenerateRandomResponse { plaintext: Some(SensitiveBlob::new(buf)) })
    }
}
