//! Asymmetric, HMAC and post-quantum keys: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate.

#[allow(unused_imports)]
use super::*;

shape!(
    /// Sign input.
    request SignRequest {
        /// Signing key.
        key_id: String,
        /// The message, or its digest (MessageType DIGEST), or μ (EXTERNAL_MU).
        message: SensitiveBlob,
        /// RAW (default), DIGEST or EXTERNAL_MU.
        message_type: MessageType,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Signing algorithm.
        signing_algorithm: SigningAlgorithm,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// Sign output.
    response SignResponse {
        /// Key ARN.
        key_id: String,
        /// The signature (DER for ECDSA).
        signature: Blob,
        /// Algorithm used.
        signing_algorithm: SigningAlgorithm,
    }
);

shape!(
    /// Verify input.
    request VerifyRequest {
        /// Verification key.
        key_id: String,
        /// The message, or its digest, or μ.
        message: SensitiveBlob,
        /// RAW (default), DIGEST or EXTERNAL_MU.
        message_type: MessageType,
        /// The signature.
        signature: Blob,
        /// Signing algorithm.
        signing_algorithm: SigningAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// Verify output.
    response VerifyResponse {
        /// Key ARN.
        key_id: String,
        /// Always true: an invalid signature is `KMSInvalidSignatureException`.
        signature_valid: bool,
        /// Algorithm used.
        signing_algorithm: SigningAlgorithm,
    }
);

shape!(
    /// GetPublicKey input.
    request GetPublicKeyRequest {
        /// Asymmetric key.
        key_id: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
    }
);

shape!(
    /// GetPublicKey output.
    response GetPublicKeyResponse {
        /// Key ARN.
        key_id: String,
        /// DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Deprecated spec member.
        customer_master_key_spec: CustomerMasterKeySpec,
        /// Key spec.
        key_spec: KeySpec,
        /// Key usage.
        key_usage: KeyUsage,
        /// For ENCRYPT_DECRYPT keys.
        encryption_algorithms: Vec<EncryptionAlgorithm>,
        /// For SIGN_VERIFY keys.
        signing_algorithms: Vec<SigningAlgorithm>,
        /// For KEY_AGREEMENT keys.
        key_agreement_algorithms: Vec<KeyAgreementAlgorithm>,
        /// For KEY_ENCAPSULATION keys.
        encapsulation_algorithms: Vec<EncapsulationAlgorithm>,
    }
);

shape!(
    /// GenerateMac input.
    request GenerateMacRequest {
        /// The message.
        message: SensitiveBlob,
        /// HMAC key.
        key_id: String,
        /// MAC algorithm.
        mac_algorithm: MacAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// GenerateMac output.
    response GenerateMacResponse {
        /// The MAC.
        mac: Blob,
        /// Algorithm used.
        mac_algorithm: MacAlgorithm,
        /// Key ARN.
        key_id: String,
    }
);

shape!(
    /// VerifyMac input.
    request VerifyMacRequest {
        /// The message.
        message: SensitiveBlob,
        /// HMAC key.
        key_id: String,
        /// MAC algorithm.
        mac_algorithm: MacAlgorithm,
        /// The MAC to check.
        mac: Blob,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// VerifyMac output.
    response VerifyMacResponse {
        /// Key ARN.
        key_id: String,
        /// Always true: an invalid MAC is `KMSInvalidMacException`.
        mac_valid: bool,
        /// Algorithm used.
        mac_algorithm: MacAlgorithm,
    }
);

shape!(
    /// DeriveSharedSecret input.
    request DeriveSharedSecretRequest {
        /// KEY_AGREEMENT key.
        key_id: String,
        /// ECDH.
        key_agreement_algorithm: KeyAgreementAlgorithm,
        /// The peer's public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
    }
);

shape!(
    /// DeriveSharedSecret output.
    response DeriveSharedSecretResponse {
        /// Key ARN.
        key_id: String,
        /// The raw shared secret.
        shared_secret: SensitiveBlob,
        /// Shared secret for a Nitro enclave (not used).
        ciphertext_for_recipient: Blob,
        /// Algorithm used.
        key_agreement_algorithm: KeyAgreementAlgorithm,
        /// Origin of the key.
        key_origin: Origin,
    }
);

shape!(
    /// Encapsulate input.
    request EncapsulateRequest {
        /// ML-KEM key.
        key_id: String,
        /// ML_KEM.
        encapsulation_algorithm: EncapsulationAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// Encapsulate output.
    response EncapsulateResponse {
        /// Key ARN.
        key_id: String,
        /// The shared secret.
        shared_secret: SensitiveBlob,
        /// The ML-KEM ciphertext of the shared secret.
        shared_secret_ciphertext_blob: Blob,
        /// Algorithm used.
        encapsulation_algorithm: EncapsulationAlgorithm,
    }
);

shape!(
    /// Decapsulate input.
    request DecapsulateRequest {
        /// ML-KEM key.
        key_id: String,
        /// The ML-KEM ciphertext.
        shared_secret_ciphertext_blob: Blob,
        /// ML_KEM.
        encapsulation_algorithm: EncapsulationAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// Decapsulate output.
    response DecapsulateResponse {
        /// Key ARN.
        key_id: String,
        /// The shared secret.
        shared_secret: SensitiveBlob,
        /// Algorithm used.
        encapsulation_algorithm: EncapsulationAlgorithm,
    }
);
