//! Cryptography of Trent: primitives behind a provider trait, secret types,
//! the key hierarchy, the ciphertext blob format and the seals.
//!
//! # Layout
//! - [`provider`]: the [`CryptoProvider`] trait (random bytes, AES-256-GCM,
//!   HKDF-SHA256) and its aws-lc-rs implementation. Everything above takes
//!   `&dyn CryptoProvider`, so tests and later HSM-backed providers plug in.
//! - [`secret`]: [`SecretKey`] and [`SecretBytes`]: no `Debug`, `Clone` or
//!   `Serialize`; zeroized on drop.
//! - [`hierarchy`]: root key → domain keys → backing keys. Each layer is
//!   wrapped under the one above with AES-256-GCM and an AAD that binds what
//!   the key is for, so a wrapped key moved to another row does not unwrap.
//! - [`envelope`]: symmetric Encrypt/Decrypt under a backing key with a
//!   fresh HKDF-derived key per ciphertext, and the [`envelope::CiphertextBlob`]
//!   format.
//! - [`seal`]: how the root key is obtained (key file, Argon2id passphrase).
//! - [`asymmetric`]: RSA, ECC, Ed25519, ML-DSA, ML-KEM and HMAC key
//!   material and the operations on it (sign/verify, RSA-OAEP, ECDH, MAC,
//!   encapsulation).
//! - [`import`]: importing key material (BYOK): RSA wrapping key pairs and
//!   unwrapping material sent with AWS' RSA-OAEP and RSA+AES-KWP algorithms.
//!
//! - [`audit`]: the audit trail's hash chain and signed checkpoints.
//! - [`backup`]: chunked AES-256-GCM encryption of backups.
//! - [`jws`]: RS256 and ES256 signature checks of OpenID Connect tokens.
//!
//! No tokio, no SQL, no HTTP, no serde here.

pub mod asymmetric;
pub mod audit;
pub mod backup;
pub mod envelope;
pub mod hierarchy;
pub mod import;
pub mod jws;
pub mod pkcs11;
pub mod provider;
pub mod rows;
pub mod seal;
pub mod secret;
pub mod shamir;

#[cfg(test)]
mod wycheproof;

pub use provider::{AwsLcProvider, CryptoProvider};

/// Whether two byte strings are equal, in time that depends on their
/// lengths only (for tokens and MACs).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
pub use secret::{SecretBytes, SecretKey};

/// Errors of the crypto layer. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Authenticated decryption failed: wrong key, wrong AAD, or tampering.
    #[error("authentication failed")]
    Authentication,
    /// A serialized structure (blob, wrapped key) is malformed.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The underlying library refused an operation.
    #[error("crypto library failure in {0}")]
    Library(&'static str),
    /// Imported key material could not be unwrapped. Deliberately one variant
    /// for every cause (length, padding, wrong key or algorithm, integrity).
    #[error("wrapped key material could not be unwrapped")]
    WrappedMaterial,
    /// The caller's input does not fit the operation (a digest of the wrong
    /// length, a plaintext too long for RSA-OAEP, a malformed peer key, an
    /// algorithm the key does not take). The text says which, never a secret.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// This build cannot do it.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// A seal could not produce the root key.
    #[error("seal: {0}")]
    Seal(String),
    /// I/O on a seal's file.
    #[error("seal file {path}: {source}")]
    SealIo {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
