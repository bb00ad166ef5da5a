//! Errors of KMS operations. Each variant is one KMS error code; the server
//! maps them to `(status, __type, message)` in one exhaustive match.
//!
//! Variants that answer the caller carry the AWS-worded message. `Internal`
//! carries the cause for the log only: the caller sees a generic message.

use crate::store::StoreError;

/// An operation's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KmsError {
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `NotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// `AlreadyExistsException`.
    #[error("{0}")]
    AlreadyExists(String),
    /// `DisabledException`.
    #[error("{0}")]
    Disabled(String),
    /// `KMSInvalidStateException`.
    #[error("{0}")]
    InvalidState(String),
    /// `InvalidKeyUsageException`.
    #[error("{0}")]
    InvalidKeyUsage(String),
    /// `InvalidCiphertextException`. AWS sends no detail; neither do we.
    #[error("")]
    InvalidCiphertext,
    /// `KMSInvalidSignatureException`: Verify found the signature invalid.
    #[error("")]
    InvalidSignature,
    /// `KMSInvalidMacException`: VerifyMac found the MAC invalid.
    #[error("")]
    InvalidMac,
    /// `IncorrectKeyException`.
    #[error("{0}")]
    IncorrectKey(String),
    /// `InvalidAliasNameException`.
    #[error("{0}")]
    InvalidAliasName(String),
    /// `InvalidArnException`.
    #[error("{0}")]
    InvalidArn(String),
    /// `InvalidMarkerException`.
    #[error("{0}")]
    InvalidMarker(String),
    /// `InvalidGrantIdException`.
    #[error("{0}")]
    InvalidGrantId(String),
    /// `InvalidGrantTokenException`.
    #[error("{0}")]
    InvalidGrantToken(String),
    /// `TagException`.
    #[error("{0}")]
    Tag(String),
    /// `MalformedPolicyDocumentException`.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `LimitExceededException`.
    #[error("{0}")]
    LimitExceeded(String),
    /// `ExpiredImportTokenException`.
    #[error("{0}")]
    ExpiredImportToken(String),
    /// `InvalidImportTokenException`.
    #[error("{0}")]
    InvalidImportToken(String),
    /// `IncorrectKeyMaterialException`.
    #[error("{0}")]
    IncorrectKeyMaterial(String),
    /// STS's `PackedPolicyTooLarge`: a session's policy and tags together
    /// make a token larger than Trent accepts.
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// STS's refusals of a web identity token (AssumeRoleWithWebIdentity):
    /// `InvalidIdentityToken` or `ExpiredTokenException`.
    #[error("{1}")]
    WebIdentity(trent_api::ErrorCode, String),
    /// IAM's `DeleteConflict`: an entity still has what must go first.
    #[error("{0}")]
    DeleteConflict(String),
    /// `ConflictException`: a concurrent operation on the same key.
    #[error("{0}")]
    Conflict(String),
    /// `DryRunOperationException`: all checks passed.
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRun,
    /// `UnsupportedOperationException`: valid in AWS, not (yet) in Trent.
    #[error("{0}")]
    Unsupported(String),
    /// `CustomKeyStoreNotFoundException`.
    #[error("{0}")]
    CustomKeyStoreNotFound(String),
    /// The custom key store family's refusals
    /// (`CustomKeyStoreInvalidStateException`, `CloudHsmCluster…`,
    /// `IncorrectTrustAnchorException`, …), and `DependencyTimeoutException`
    /// when a token does not answer.
    #[error("{1}")]
    KeyStore(trent_api::ErrorCode, String),
    /// `AccessDeniedException`.
    #[error("{0}")]
    AccessDenied(String),
    /// What a peer site answered to a message (its own error, passed on),
    /// or `DependencyTimeoutException` when it could not be reached.
    #[error("{1}")]
    Peer(trent_api::ErrorCode, String),
    /// `UnrecognizedClientException`: the request's access key is no longer
    /// valid (its user was deleted).
    #[error("{0}")]
    UnrecognizedClient(String),
    /// `NotAuthorizedException`: AWS's answer to touching an alias in the
    /// reserved `alias/aws/` namespace.
    #[error("{0}")]
    NotAuthorized(String),
    /// CloudTrail LookupEvents refusals: `InvalidLookupAttributesException`,
    /// `InvalidTimeRangeException`, `InvalidMaxResultsException`,
    /// `InvalidNextTokenException`, `InvalidEventCategoryException`.
    #[error("{1}")]
    Lookup(trent_api::ErrorCode, String),
    /// `KMSInternalException`: the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(#[source] InternalError),
}

/// The cause of an internal error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InternalError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The crypto layer failed where it must not (not a bad ciphertext).
    #[error("crypto: {0}")]
    Crypto(#[from] trent_crypto::CryptoError),
    /// Stored state violates an invariant.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// The call's audit event could not be recorded (audit is fail-closed).
    #[error("{0}")]
    Audit(#[from] crate::audit::AuditError),
    /// An HSM token answered with an error the API has no code for.
    #[error("HSM: {0}")]
    Hsm(String),
}

impl From<StoreError> for KmsError {
    fn from(e: StoreError) -> Self {
        KmsError::Internal(InternalError::Store(e))
    }
}

impl KmsError {
    /// An internal error from a crypto failure.
    pub fn crypto(e: trent_crypto::CryptoError) -> Self {
        KmsError::Internal(InternalError::Crypto(e))
    }
    /// An internal error from corrupt stored state.
    pub fn corrupt(what: impl Into<String>) -> Self {
        KmsError::Internal(InternalError::Corrupt(what.into()))
    }
}

impl KmsError {
    /// The error code, in the one exhaustive mapping of core errors.
    pub fn code(&self) -> trent_api::ErrorCode {
        use trent_api::ErrorCode as C;
        match self {
            KmsError::Validation(_) => C::Validation,
            KmsError::NotFound(_) => C::NotFound,
            KmsError::AlreadyExists(_) => C::AlreadyExists,
            KmsError::Disabled(_) => C::Disabled,
            KmsError::InvalidState(_) => C::KmsInvalidState,
            KmsError::InvalidKeyUsage(_) => C::InvalidKeyUsage,
            KmsError::InvalidCiphertext => C::InvalidCiphertext,
            KmsError::InvalidSignature => C::KmsInvalidSignature,
            KmsError::InvalidMac => C::KmsInvalidMac,
            KmsError::IncorrectKey(_) => C::IncorrectKey,
            KmsError::InvalidAliasName(_) => C::InvalidAliasName,
            KmsError::InvalidArn(_) => C::InvalidArn,
            KmsError::InvalidMarker(_) => C::InvalidMarker,
            KmsError::InvalidGrantId(_) => C::InvalidGrantId,
            KmsError::InvalidGrantToken(_) => C::InvalidGrantToken,
            KmsError::Tag(_) => C::Tag,
            KmsError::MalformedPolicyDocument(_) => C::MalformedPolicyDocument,
            KmsError::LimitExceeded(_) => C::LimitExceeded,
            KmsError::Conflict(_) => C::Conflict,
            KmsError::DeleteConflict(_) => C::DeleteConflict,
            KmsError::PackedPolicyTooLarge(_) => C::PackedPolicyTooLarge,
            KmsError::ExpiredImportToken(_) => C::ExpiredImportToken,
            KmsError::InvalidImportToken(_) => C::InvalidImportToken,
            KmsError::IncorrectKeyMaterial(_) => C::IncorrectKeyMaterial,
            KmsError::DryRun => C::DryRunOperation,
            KmsError::Unsupported(_) => C::UnsupportedOperation,
            KmsError::CustomKeyStoreNotFound(_) => C::CustomKeyStoreNotFound,
            KmsError::AccessDenied(_) => C::AccessDenied,
            KmsError::UnrecognizedClient(_) => C::UnrecognizedClient,
            KmsError::NotAuthorized(_) => C::NotAuthorized,
            KmsError::Lookup(code, _)
            | KmsError::WebIdentity(code, _)
            | KmsError::KeyStore(code, _)
            | KmsError::Peer(code, _) => *code,
            KmsError::Internal(_) => C::KmsInternal,
        }
    }

    /// The message for the caller. Internal errors get a generic message;
    /// their detail belongs in the log (see `Display`).
    pub fn public_message(&self) -> String {
        match self {
            KmsError::Internal(_) => "The request failed because of an internal error.".to_owned(),
            other => other.to_string(),
        }
    }

    /// True for errors that are the service's fault (5xx).
    pub fn is_internal(&self) -> bool {
        matches!(self, KmsError::Internal(_))
    }
}
