//! GenerateRandom.

use crate::error::KmsError;
use crate::{Caller, Kms};
use trent_api::ops::{GenerateRandomRequest, GenerateRandomResponse};
use trent_api::Operation;
use trent_api::SensitiveBlob;
use zeroize::Zeroizing;

impl Kms {
    /// GenerateRandom: 1–1024 random bytes from the provider's CSPRNG, or
    /// from a custom key store's token.
    pub async fn generate_random(
        &self,
        caller: &Caller,
        req: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse, KmsError> {
        self.authorize_identity(caller, Operation::GenerateRandom, "*", &[]).await?;
        if req.recipient.is_some() {
            return Err(KmsError::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by Trent.".into(),
            ));
        }
        // The model makes NumberOfBytes optional; AWS refuses its absence
        // in these words.
        let n = req.number_of_bytes.ok_or_else(|| KmsError::Validation("NumberOfBytes is required.".into()))?;
        if let Some(id) = req.custom_key_store_id {
            // From the key store's token, which must be connected.
            let n = u32::try_from(n).map_err(|_| KmsError::Validation("numberOfBytes must be positive".into()))?;
            let buf = self.token_random(&caller.scope(), &id, n).await?;
            return Ok(GenerateRandomResponse { plaintext: Some(SensitiveBlob::new(buf)) });
        }
        let n = usize::try_from(n).map_err(|_| KmsError::Validation("numberOfBytes must be positive".into()))?;
        let mut buf = Zeroizing::new(vec![0u8; n]);
        self.random(&mut buf)?;
        Ok(GenerateRandomResponse { plaintext: Some(SensitiveBlob::new(buf)) })
    }
}
