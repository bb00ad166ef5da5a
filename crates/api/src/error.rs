//! Error codes: the `__type` of an error body and its HTTP status.

macro_rules! error_codes {
    ($($variant:ident = ($name:literal, $status:literal)),+ $(,)?) => {
        /// Every error code Trent returns, named as AWS names it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(#[doc = $name] $variant,)+
        }

        impl ErrorCode {
            /// The `__type` string.
            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)+ }
            }
            /// The code whose `__type` is `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                // Two codes share a name (ExpiredTokenException): the
                // first is taken.
                [$(ErrorCode::$variant),+].into_iter().find(|c| c.name() == name)
            }
            /// The HTTP status AWS uses for this code.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }
        }
    };
}

error_codes! {
    // Protocol and authentication (common to AWS JSON services).
    MissingAuthenticationToken = ("MissingAuthenticationTokenException", 400),
    IncompleteSignature = ("IncompleteSignatureException", 400),
    InvalidSignature = ("InvalidSignatureException", 400),
    UnrecognizedClient = ("UnrecognizedClientException", 400),
    // Temporary credentials past their expiry.
    ExpiredToken = ("ExpiredTokenException", 400),
    AccessDenied = ("AccessDeniedException", 400),
    UnknownOperation = ("UnknownOperationException", 400),
    Serialization = ("SerializationException", 400),
    Validation = ("ValidationException", 400),
    Throttling = ("ThrottlingException", 400),
    RequestEntityTooLarge = ("RequestEntityTooLargeException", 413),
    // Transport failures, named as S3 names them (KMS has no code for them):
    // the body ended early, or arrived too slowly.
    IncompleteBody = ("IncompleteBody", 400),
    RequestTimeout = ("RequestTimeout", 400),
    // The Query protocol (IAM): an action the version does not have, and a
    // parameter outside the service model's constraints (`ValidationError`,
    // where the JSON protocol says `ValidationException`).
    InvalidAction = ("InvalidAction", 400),
    ValidationError = ("ValidationError", 400),
    // IAM: an entity that still has what must be deleted first.
    DeleteConflict = ("DeleteConflict", 409),
    // STS: a session's policy and tags are too large.
    PackedPolicyTooLarge = ("PackedPolicyTooLargeException", 400),
    // STS AssumeRoleWithWebIdentity: a web identity token that is not
    // valid for the role's account (malformed, unknown issuer, wrong
    // audience, bad signature), or past its expiry.
    InvalidIdentityToken = ("InvalidIdentityTokenException", 400),
    ExpiredIdentityToken = ("ExpiredTokenException", 400),
    // KMS.
    AlreadyExists = ("AlreadyExistsException", 400),
    Conflict = ("ConflictException", 400),
    DependencyTimeout = ("DependencyTimeoutException", 503),
    Disabled = ("DisabledException", 400),
    DryRunOperation = ("DryRunOperationException", 400),
    ExpiredImportToken = ("ExpiredImportTokenException", 400),
    IncorrectKey = ("IncorrectKeyException", 400),
    IncorrectKeyMaterial = ("IncorrectKeyMaterialException", 400),
    InvalidImportToken = ("InvalidImportTokenException", 400),
    InvalidAliasName = ("InvalidAliasNameException", 400),
    InvalidArn = ("InvalidArnException", 400),
    InvalidCiphertext = ("InvalidCiphertextException", 400),
    InvalidGrantId = ("InvalidGrantIdException", 400),
    InvalidGrantToken = ("InvalidGrantTokenException", 400),
    InvalidKeyUsage = ("InvalidKeyUsageException", 400),
    InvalidMarker = ("InvalidMarkerException", 400),
    KmsInternal = ("KMSInternalException", 500),
    KmsInvalidState = ("KMSInvalidStateException", 400),
    KmsInvalidSignature = ("KMSInvalidSignatureException", 400),
    KmsInvalidMac = ("KMSInvalidMacException", 400),
    KeyUnavailable = ("KeyUnavailableException", 500),
    LimitExceeded = ("LimitExceededException", 400),
    MalformedPolicyDocument = ("MalformedPolicyDocumentException", 400),
    NotAuthorized = ("NotAuthorizedException", 400),
    NotFound = ("NotFoundException", 400),
    Tag = ("TagException", 400),
    UnsupportedOperation = ("UnsupportedOperationException", 400),
    CustomKeyStoreNotFound = ("CustomKeyStoreNotFoundException", 400),
    CustomKeyStoreInvalidState = ("CustomKeyStoreInvalidStateException", 400),
    CustomKeyStoreHasCmks = ("CustomKeyStoreHasCMKsException", 400),
    CustomKeyStoreNameInUse = ("CustomKeyStoreNameInUseException", 400),
    CloudHsmClusterNotFound = ("CloudHsmClusterNotFoundException", 400),
    CloudHsmClusterInUse = ("CloudHsmClusterInUseException", 400),
    CloudHsmClusterNotRelated = ("CloudHsmClusterNotRelatedException", 400),
    CloudHsmClusterNotActive = ("CloudHsmClusterNotActiveException", 400),
    CloudHsmClusterInvalidConfiguration = ("CloudHsmClusterInvalidConfigurationException", 400),
    IncorrectTrustAnchor = ("IncorrectTrustAnchorException", 400),
    // CloudTrail (LookupEvents).
    InvalidLookupAttributes = ("InvalidLookupAttributesException", 400),
    InvalidTimeRange = ("InvalidTimeRangeException", 400),
    InvalidMaxResults = ("InvalidMaxResultsException", 400),
    InvalidNextToken = ("InvalidNextTokenException", 400),
    InvalidEventCategory = ("InvalidEventCategoryException", 400),
}
