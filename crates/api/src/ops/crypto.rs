//! Symmetric cryptography and data keys: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateDataKeyPair*, GenerateRandom.

#[allow(unused_imports)]
use super::*;

shape!(
    /// Encrypt input.
    request EncryptRequest {
        /// Key to encrypt under.
        key_id: String,
        /// Data to encrypt (1–4096 bytes).
        plaintext: SensitiveBlob,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Algorithm.
        encryption_algorithm: EncryptionAlgorithm,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// Encrypt output.
    response EncryptResponse {
        /// The ciphertext.
        ciphertext_blob: Blob,
        /// ARN of the key used.
        key_id: String,
        /// Algorithm used.
        encryption_algorithm: EncryptionAlgorithm,
    }
);

shape!(
    /// Decrypt input.
    request DecryptRequest {
        /// The ciphertext.
        ciphertext_blob: Blob,
        /// Encryption context used at encryption.
        encryption_context: EncryptionContext,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Expected key.
        key_id: String,
        /// Algorithm.
        encryption_algorithm: EncryptionAlgorithm,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
        /// Dry run.
        dry_run: bool,
        /// Dry-run modifiers.
        dry_run_modifiers: Vec<DryRunModifier>,
    }
);

shape!(
    /// Decrypt output.
    response DecryptResponse {
        /// ARN of the key used.
        key_id: String,
        /// The plaintext.
        plaintext: SensitiveBlob,
        /// Algorithm used.
        encryption_algorithm: EncryptionAlgorithm,
        /// Key material that decrypted.
        key_material_id: String,
    }
);

shape!(
    /// ReEncrypt input.
    request ReEncryptRequest {
        /// The ciphertext.
        ciphertext_blob: Blob,
        /// Source encryption context.
        source_encryption_context: EncryptionContext,
        /// Expected source key.
        source_key_id: String,
        /// Destination key.
        destination_key_id: String,
        /// Destination encryption context.
        destination_encryption_context: EncryptionContext,
        /// Source algorithm.
        source_encryption_algorithm: EncryptionAlgorithm,
        /// Destination algorithm.
        destination_encryption_algorithm: EncryptionAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
        /// Dry-run modifiers.
        dry_run_modifiers: Vec<DryRunModifier>,
    }
);

shape!(
    /// ReEncrypt output.
    response ReEncryptResponse {
        /// New ciphertext.
        ciphertext_blob: Blob,
        /// ARN of the source key.
        source_key_id: String,
        /// ARN of the destination key.
        key_id: String,
        /// Source algorithm.
        source_encryption_algorithm: EncryptionAlgorithm,
        /// Destination algorithm.
        destination_encryption_algorithm: EncryptionAlgorithm,
        /// Source key material.
        source_key_material_id: String,
        /// Destination key material.
        destination_key_material_id: String,
    }
);

shape!(
    /// GenerateDataKey input.
    request GenerateDataKeyRequest {
        /// Key to encrypt the data key under.
        key_id: String,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Data key length in bytes.
        number_of_bytes: i64,
        /// Data key spec.
        key_spec: DataKeySpec,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// GenerateDataKey output.
    response GenerateDataKeyResponse {
        /// Encrypted data key.
        ciphertext_blob: Blob,
        /// Plaintext data key.
        plaintext: SensitiveBlob,
        /// ARN of the key used.
        key_id: String,
        /// Key material used.
        key_material_id: String,
    }
);

shape!(
    /// GenerateDataKeyWithoutPlaintext input.
    request GenerateDataKeyWithoutPlaintextRequest {
        /// Key to encrypt the data key under.
        key_id: String,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Data key spec.
        key_spec: DataKeySpec,
        /// Data key length in bytes.
        number_of_bytes: i64,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// GenerateDataKeyWithoutPlaintext output.
    response GenerateDataKeyWithoutPlaintextResponse {
        /// Encrypted data key.
        ciphertext_blob: Blob,
        /// ARN of the key used.
        key_id: String,
        /// Key material used.
        key_material_id: String,
    }
);

shape!(
    /// GenerateRandom input.
    request GenerateRandomRequest {
        /// Number of bytes (1–1024).
        number_of_bytes: i64,
        /// Custom key store.
        custom_key_store_id: String,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
    }
);

shape!(
    /// GenerateRandom output.
    response GenerateRandomResponse {
        /// Random bytes.
        plaintext: SensitiveBlob,
    }
);

shape!(
    /// GenerateDataKeyPair input.
    request GenerateDataKeyPairRequest {
        /// Encryption context for the private key's ciphertext.
        encryption_context: EncryptionContext,
        /// Symmetric key that encrypts the private key.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// GenerateDataKeyPair output.
    response GenerateDataKeyPairResponse {
        /// The private key, encrypted under the KMS key.
        private_key_ciphertext_blob: Blob,
        /// The private key, PKCS#8 DER.
        private_key_plaintext: SensitiveBlob,
        /// The public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Key ARN.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// For a Nitro enclave (not used).
        ciphertext_for_recipient: Blob,
        /// Key material that encrypted the private key.
        key_material_id: String,
    }
);

shape!(
    /// GenerateDataKeyPairWithoutPlaintext input.
    request GenerateDataKeyPairWithoutPlaintextRequest {
        /// Encryption context for the private key's ciphertext.
        encryption_context: EncryptionContext,
        /// Symmetric key that encrypts the private key.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);

shape!(
    /// GenerateDataKeyPairWithoutPlaintext output.
    response GenerateDataKeyPairWithoutPlaintextResponse {
        /// The private key, encrypted under the KMS key.
        private_key_ciphertext_blob: Blob,
        /// The public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Key ARN.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// Key material that encrypted the private key.
        key_material_id: String,
    }
);
