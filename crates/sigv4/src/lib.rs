//! Server-side verification of AWS Signature Version 4 (SigV4).
//!
//! Stock AWS SDKs, the `aws` CLI and boto3 sign every KMS request with an
//! `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
//! header. This crate checks that header. It does no I/O and reads no clock.
//!
//! # Layout
//! - `lib.rs`: the public types, errors and entry points ([`parse_authorization`],
//!   [`verify`], [`signing_key`]).
//! - `rules.rs`: which headers must be signed, the credential scope.
//! - `canonical.rs`: the canonical request and the signature.
//! - `timestamp.rs`: `x-amz-date` and HTTP dates.
//! - `tests/`: the AWS SigV4 test-suite vectors (`tests/data/sigv4-suite.json`
//!   at the crate root), a round trip with the `aws-sigv4` signer, malformed
//!   headers.
//!
//! # How a request is checked
//!
//! 1. [`parse_authorization`] reads the `Authorization` header and the request
//!    timestamp (`x-amz-date`, or `Date` as a fallback) and checks everything
//!    that needs no secret: the algorithm, the `key=value` syntax, the
//!    credential scope (`AKID/YYYYMMDD/region/kms/aws4_request`), which
//!    headers must be signed, and the timestamp format.
//! 2. The caller may call [`check_region`] and [`check_clock_skew`] (both
//!    cheap), then looks up the secret for [`Authorization::access_key_id`].
//!    An unknown key id is [`SigV4Error::UnrecognizedClient`]. It derives the
//!    key with [`signing_key`] (a pure function of the secret and the scope,
//!    so it can be cached per access key and day: [`SigningKeyCache`]).
//! 3. [`verify`] recomputes the signature over the request and compares it in
//!    constant time.
//!
//! # Why this is hand-written
//!
//! The `aws-sigv4` crate only signs: it chooses by itself which headers to
//! sign and offers no way to rebuild a canonical request from a list the
//! client chose. A verifier has to use the client's own `SignedHeaders` list,
//! so the canonicalization is written here. Its tests run the official AWS
//! SigV4 test suite vectors and do a round trip with `aws-sigv4` as the client.
//!
//! # Canonicalization (non-S3 rules)
//!
//! * URI: the path as received is normalized (RFC 3986 dot segments removed,
//!   empty segments dropped, `/` if empty), then percent-encoded once more,
//!   leaving only RFC 3986 unreserved characters and `/` as they are. For
//!   example, a `%` on the wire becomes `%25`.
//! * Query: split on `&` and then on the first `=`. Each name and value is
//!   percent-decoded and then encoded again with the RFC 3986 unreserved set
//!   (space becomes `%20`, and a literal `+` becomes `%2B`). The pairs are
//!   sorted by encoded name, then by encoded value.
//! * Headers: only the signed ones. Each value has its leading and trailing
//!   whitespace removed, and each run of spaces becomes one space. Repeated
//!   headers are joined with `,` in the order they were received.
//! * Payload: always the hex SHA-256 of the body as received. If
//!   `x-amz-content-sha256` is present, it must be signed and must equal that
//!   hash.
//!
//! # Headers that must be signed
//!
//! `host` (behind HTTP/2, `:authority` copied into `host`), the header the
//! timestamp came from (`x-amz-date` or `Date`), and every `x-amz-*` header
//! the request carries: `x-amz-target` (so a signature binds the operation),
//! `x-amz-content-sha256`, `x-amz-security-token`. A request that leaves one
//! out is refused with AWS's `'<Header>' must be a 'SignedHeader' in the AWS
//! Authorization.` A second `Authorization` header is refused too.
//!
//! # Errors
//!
//! Every [`SigV4Error`] displays the message AWS sends for that case, and
//! [`SigV4Error::error_code`] gives its `__type`. Where AWS would answer with
//! a plain signature mismatch (a signed header missing from the request, a
//! `SignedHeaders` list that is not sorted, a signature that is not hex),
//! there is a separate variant whose `Debug` names the cause for the log,
//! while the client gets the mismatch message. No message contains the
//! secret, the signing key or the computed signature.
//!
//! Behind HTTP/2 the caller must copy `:authority` into a `host` header before
//! calling in here: SDKs sign `host`.

use std::borrow::Cow;
use std::fmt;

use aws_lc_rs::{digest, hmac};
use http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use zeroize::Zeroizing;

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name a credential scope must name.
pub const SERVICE: &str = "kms";
/// The services whose requests Trent verifies: KMS, CloudTrail for
/// LookupEvents on its own trail, and IAM for its user operations.
pub const SERVICES: &[&str] = &[SERVICE, "cloudtrail", "iam", "sts"];
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The clock skew the server allows by default, as AWS does.
pub const DEFAULT_MAX_SKEW: Duration = Duration::minutes(5);

/// AWS's message for any signature that does not verify.
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
const X_AMZ_TARGET: &str = "x-amz-target";
/// The header that carries a temporary credential's session token.
pub const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
/// Headers with this prefix must all be signed.
const X_AMZ_PREFIX: &str = "x-amz-";

/// Everything of the HTTP request that the signature covers.
///
/// It has no `Debug` on purpose: the body may be plaintext.
#[derive(Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as received (still percent-encoded), e.g. `/`.
    pub path: &'a str,
    /// The raw query string without the `?`, or `""`.
    pub query: &'a str,
    /// All request headers. Behind HTTP/2, `:authority` must have been copied
    /// into `host`.
    pub headers: &'a HeaderMap,
    /// The body exactly as received.
    pub body: &'a [u8],
}

/// The parsed `Authorization` header, with the request timestamp.
///
/// [`parse_authorization`] has already checked that the scope names `kms`
/// and `aws4_request`, that the region is well formed, and that the scope date
/// is the date of [`request_time`](Self::request_time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id (first element of `Credential`).
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD`.
    pub date: String,
    /// The scope region, e.g. `us-east-1`.
    pub region: String,
    /// The scope service; always [`SERVICE`] after parsing.
    pub service: String,
    /// The client's `SignedHeaders`: lowercase, sorted, unique.
    pub signed_headers: Vec<String>,
    /// The signature the client sent (not a secret: it came over the wire).
    pub signature: [u8; 32],
    /// The request time from `x-amz-date` (or `Date`), in UTC.
    pub request_time: OffsetDateTime,
}

impl Authorization {
    /// The credential scope, `YYYYMMDD/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!("{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }
}

/// A derived SigV4 signing key (`kSigning`), zeroized on drop.
///
/// It has no `Debug` and no `Clone`. It is derived from the secret for one
/// access key, one day, one region and one service, so it can be cached
/// under that tuple.
pub struct SigningKey(Zeroizing<[u8; 32]>);

/// Derives the SigV4 signing key:
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
///
/// The intermediate keys are zeroized. The `hmac::Tag` values that aws-lc-rs
/// returns cannot be, so this is best effort.
pub fn signing_key(secret_access_key: &[u8], date: &str, region: &str, service: &str) -> SigningKey {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret_access_key);
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_region = hmac_sha256(&k_date[..], region.as_bytes());
    let k_service = hmac_sha256(&k_region[..], service.as_bytes());
    SigningKey(hmac_sha256(&k_service[..], TERMINATOR.as_bytes()))
}

/// Signing keys derived before, by access key id and credential scope, so
/// that a client's requests of one day derive the key once (four HMACs)
/// rather than each time, as AWS's own SDKs cache it on the signing side.
///
/// An entry also holds the SHA-256 of the secret it was derived from and
/// serves only a request whose looked-up secret has the same digest
/// (compared in constant time): a key id whose secret changed derives
/// again. At `capacity` entries the cache is emptied and fills again (a
/// caller naming many dates cannot grow it).
pub struct SigningKeyCache {
    capacity: usize,
    /// By `access key id/date/region/service`: the secret's SHA-256 and the
    /// key.
    map: std::sync::Mutex<std::collections::HashMap<String, CachedKey>>,
}

type CachedKey = ([u8; 32], std::sync::Arc<SigningKey>);

impl SigningKeyCache {
    /// A cache of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        SigningKeyCache { capacity: capacity.max(1), map: std::sync::Mutex::default() }
    }

    /// [`signing_key`] for `access_key_id` (whose secret is
    /// `secret_access_key`), `date`, `region` and `service`, derived once.
    pub fn get(
        &self,
        access_key_id: &str,
        secret_access_key: &[u8],
        date: &str,
        region: &str,
        service: &str,
    ) -> std::sync::Arc<SigningKey> {
        let lock = || self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = format!("{access_key_id}/{date}/{region}/{service}");
        let mut secret_digest = [0u8; 32];
        secret_digest.copy_from_slice(sha256(secret_access_key).as_ref());
        if let Some((d, key)) = lock().get(&id) {
            if bool::from(d.ct_eq(&secret_digest)) {
                return key.clone();
            }
        }
        let key = std::sync::Arc::new(signing_key(secret_access_key, date, region, service));
        let mut map = lock();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(id, (secret_digest, key.clone()));
        key
    }
}

/// The AWS error code (`__type`) of a [`SigV4Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigV4ErrorCode {
    /// `MissingAuthenticationTokenException`: no `Authorization` header.
    MissingAuthenticationToken,
    /// `IncompleteSignatureException`: the header is malformed.
    IncompleteSignature,
    /// `InvalidSignatureException`: well formed, but it does not verify.
    InvalidSignature,
    /// `UnrecognizedClientException`: the access key id is unknown.
    UnrecognizedClient,
}

impl SigV4ErrorCode {
    /// The `__type` sent to the client (JSON 1.1 protocol).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature => "IncompleteSignatureException",
            Self::InvalidSignature => "InvalidSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
        }
    }

    /// The HTTP status. The AWS common-errors tables give 403 for a missing
    /// token. JSON 1.x services such as KMS answer 400 for the others.
    pub const fn http_status(self) -> StatusCode {
        match self {
            Self::MissingAuthenticationToken => StatusCode::FORBIDDEN,
            Self::IncompleteSignature | Self::InvalidSignature | Self::UnrecognizedClient => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for SigV4ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A part of the `Authorization` header, or a date header, that is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingParameter {
    /// No `Credential=`.
    Credential,
    /// No `Signature=`.
    Signature,
    /// No `SignedHeaders=`.
    SignedHeaders,
    /// Neither an `x-amz-date` nor a `Date` header.
    Date,
}

impl fmt::Display for MissingParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Credential => "Authorization header requires 'Credential' parameter.",
            Self::Signature => "Authorization header requires 'Signature' parameter.",
            Self::SignedHeaders => "Authorization header requires 'SignedHeaders' parameter.",
            Self::Date => "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        })
    }
}

/// One thing wrong with a credential scope. AWS reports all of them at once,
/// each message ending with `". "`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeProblem {
    /// The region is empty or has characters no region has.
    InvalidRegion,
    /// The region is well formed but not the one this server serves.
    UnexpectedRegion(String),
    /// The service is not the one expected (named).
    WrongService(&'static str),
    /// The terminator (given) is not [`TERMINATOR`].
    WrongTerminator(String),
    /// The scope date is not the date of the request timestamp.
    DateMismatch {
        /// The date in the credential scope, as sent.
        scope_date: String,
        /// `YYYYMMDD` of the request timestamp.
        request_date: String,
        /// The request timestamp, `YYYYMMDDTHHMMSSZ`.
        request_time: String,
    },
}

impl fmt::Display for ScopeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRegion => f.write_str("Credential should be scoped to a valid region. "),
            Self::UnexpectedRegion(region) => write!(
                f,
                "Credential should be scoped to a valid region, not '{region}'. "
            ),
            Self::WrongService(service) => write!(
                f,
                "Credential should be scoped to correct service: '{service}'. "
            ),
            Self::WrongTerminator(term) => write!(
                f,
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{term}'. "
            ),
            Self::DateMismatch {
                scope_date,
                request_date,
                request_time,
            } => write!(
                f,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{request_time}'. "
            ),
        }
    }
}

/// Why a request's signature was not accepted.
///
/// `Display` is the exact message sent to the client.
/// [`error_code`](Self::error_code) is its `__type`.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SigV4Error {
    /// There is no `Authorization` header.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// The scheme is not `AWS4-HMAC-SHA256`. Only the scheme word is kept, so
    /// a bearer token never reaches a log.
    #[error("Unsupported AWS 'algorithm': '{algorithm}'.")]
    UnsupportedAlgorithm {
        /// The first word of the header.
        algorithm: String,
    },
    /// A parameter has no `=`.
    #[error("'{parameter}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.")]
    MalformedParameter {
        /// The offending token.
        parameter: String,
        /// The whole `Authorization` header.
        header: String,
    },
    /// Required parameters or the date header are missing.
    #[error("{} Authorization={header}", join(.missing, " "))]
    MissingParameters {
        /// What is missing, in AWS's order.
        missing: Vec<MissingParameter>,
        /// The whole `Authorization` header.
        header: String,
    },
    /// `Credential` does not have exactly five `/`-separated parts.
    #[error("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'")]
    MalformedCredential {
        /// The `Credential` value as sent.
        credential: String,
    },
    /// The timestamp header is not `YYYYMMDD'T'HHMMSS'Z'` (or, for `Date`,
    /// not an IMF-fixdate either).
    #[error("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601")]
    MalformedDate {
        /// The header value as sent.
        value: String,
    },
    /// The credential scope is wrong (region, service, terminator, date).
    #[error("{}", join(.problems, ""))]
    InvalidCredentialScope {
        /// Every problem found, in AWS's order.
        problems: Vec<ScopeProblem>,
    },
    /// `host` is not in `SignedHeaders`.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,
    /// A header that must be signed (`X-Amz-Date`, `Date`, `X-Amz-Target`,
    /// or any other `x-amz-*` header the request carries) is not in
    /// `SignedHeaders`. The wording is AWS's: its SigV4 verifier answers
    /// `'<Header>' must be a 'SignedHeader' in the AWS Authorization.` for a
    /// header it requires to be signed (the same template as the `Host`
    /// message, reproduced by scratchstack-aws-signature's error-ordering
    /// tests against AWS), reported as a signature failure.
    #[error("'{header}' must be a 'SignedHeader' in the AWS Authorization.")]
    HeaderNotSigned {
        /// The header, spelled as AWS spells it in this message (a header
        /// without a customary spelling is named as received, lowercase).
        header: Cow<'static, str>,
    },
    /// The `Authorization` header appears more than once. AWS's front end
    /// would read the first; Trent refuses, so that no proxy and Trent can
    /// disagree on which one was checked.
    #[error("The 'Authorization' header must appear only once.")]
    DuplicateAuthorization,
    /// `SignedHeaders` is not lowercase, sorted and free of duplicates (AWS
    /// sorts it itself, so the client's signature cannot match).
    #[error("{}", SIGNATURE_MISMATCH)]
    SignedHeadersNotCanonical,
    /// A header listed in `SignedHeaders` is not in the request.
    #[error("{}", SIGNATURE_MISMATCH)]
    SignedHeaderAbsent {
        /// The missing header name.
        header: String,
    },
    /// `Signature` is not 64 lowercase hex digits.
    #[error("{}", SIGNATURE_MISMATCH)]
    MalformedSignature,
    /// `x-amz-content-sha256` is not the SHA-256 of the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,
    /// The request time is more than the allowed skew before now.
    #[error(
        "Signature expired: {} is now earlier than {} ({} - {}.)",
        amz_date(.request_time), amz_date(.earliest), amz_date(.now), skew_text(.max_skew)
    )]
    SignatureExpired {
        /// The request timestamp.
        request_time: OffsetDateTime,
        /// `now - max_skew`.
        earliest: OffsetDateTime,
        /// The server's time.
        now: OffsetDateTime,
        /// The allowed skew.
        max_skew: Duration,
    },
    /// The request time is more than the allowed skew after now.
    #[error(
        "Signature not yet current: {} is still later than {} ({} + {}.)",
        amz_date(.request_time), amz_date(.latest), amz_date(.now), skew_text(.max_skew)
    )]
    SignatureNotYetCurrent {
        /// The request timestamp.
        request_time: OffsetDateTime,
        /// `now + max_skew`.
        latest: OffsetDateTime,
        /// The server's time.
        now: OffsetDateTime,
        /// The allowed skew.
        max_skew: Duration,
    },
    /// The recomputed signature differs from the one sent.
    #[error("{}", SIGNATURE_MISMATCH)]
    SignatureMismatch,
    /// The access key id is unknown. The caller returns this when its
    /// lookup finds nothing.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
}

impl SigV4Error {
    /// A credential scoped to a well-formed region this server does not
    /// serve: AWS's `Credential should be scoped to a valid region, not
    /// '<region>'. ` (an `InvalidSignatureException`).
    pub fn wrong_region(region: &str) -> Self {
        Self::InvalidCredentialScope { problems: vec![ScopeProblem::UnexpectedRegion(region.to_owned())] }
    }

    /// The AWS error code this error is reported with.
    pub fn error_code(&self) -> SigV4ErrorCode {
        match self {
            Self::MissingAuthenticationToken => SigV4ErrorCode::MissingAuthenticationToken,
            Self::UnsupportedAlgorithm { .. }
            | Self::MalformedParameter { .. }
            | Self::MissingParameters { .. }
            | Self::MalformedCredential { .. }
            | Self::MalformedDate { .. }
            | Self::DuplicateAuthorization => SigV4ErrorCode::IncompleteSignature,
            Self::InvalidCredentialScope { .. }
            | Self::HostNotSigned
            | Self::HeaderNotSigned { .. }
            | Self::SignedHeadersNotCanonical
            | Self::SignedHeaderAbsent { .. }
            | Self::MalformedSignature
            | Self::ContentSha256Mismatch
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::SignatureMismatch => SigV4ErrorCode::InvalidSignature,
            Self::UnrecognizedClient => SigV4ErrorCode::UnrecognizedClient,
        }
    }
}

/// Parses and checks the `Authorization` header and the request timestamp.
///
/// Checks, in AWS's order: the header exists (else
/// [`MissingAuthenticationToken`](SigV4Error::MissingAuthenticationToken));
/// the algorithm; the `key=value` syntax; that `Credential`, `SignedHeaders`,
/// `Signature` and a date header exist; which headers are signed; the
/// timestamp format; the five credential parts; the scope; the signature
/// format. A parameter given twice takes its last value, as AWS does.
pub fn parse_authorization(headers: &HeaderMap) -> Result<Authorization, SigV4Error> {
    parse_authorization_for(headers, SERVICE)
}

/// [`parse_authorization`] for a request to `service` (`cloudtrail` for the
/// LookupEvents API Trent serves beside KMS).
pub fn parse_authorization_for(headers: &HeaderMap, service_name: &'static str) -> Result<Authorization, SigV4Error> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let value = values.next().ok_or(SigV4Error::MissingAuthenticationToken)?;
    if values.next().is_some() {
        return Err(SigV4Error::DuplicateAuthorization);
    }
    let header = String::from_utf8_lossy(value.as_bytes());
    let header = header.trim_matches(is_space);

    let (algorithm, params) = header.split_once(is_space).unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm { algorithm: algorithm.to_owned() });
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for token in params.split(|c: char| c == ',' || is_space(c)).filter(|t| !t.is_empty()) {
        let Some((name, value)) = token.split_once('=') else {
            return Err(SigV4Error::MalformedParameter { parameter: token.to_owned(), header: header.to_owned() });
        };
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }

    let timestamp = timestamp_header(headers);
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push(MissingParameter::Credential);
    }
    if signature.is_none() {
        missing.push(MissingParameter::Signature);
    }
    if signed_headers.is_none() {
        missing.push(MissingParameter::SignedHeaders);
    }
    if timestamp.is_none() {
        missing.push(MissingParameter::Date);
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((source, raw_time))) =
        (credential, signed_headers, signature, timestamp)
    else {
        return Err(SigV4Error::MissingParameters { missing, header: header.to_owned() });
    };

    let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
    check_signed_headers(&signed_headers, headers)?;

    let raw_time = String::from_utf8_lossy(raw_time.as_bytes());
    let request_time = match source {
        TimestampSource::XAmzDate => parse_amz_date(&raw_time),
        TimestampSource::Date => parse_amz_date(&raw_time).or_else(|| parse_http_date(&raw_time)),
    }
    .ok_or_else(|| SigV4Error::MalformedDate { value: raw_time.into_owned() })?;

    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(SigV4Error::MalformedCredential { credential: credential.to_owned() });
    };
    let problems = scope_problems(region, service, service_name, terminator, date, &request_time);
    if !problems.is_empty() {
        return Err(SigV4Error::InvalidCredentialScope { problems });
    }

    let signature = parse_signature(signature).ok_or(SigV4Error::MalformedSignature)?;

    Ok(Authorization {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature,
        request_time,
    })
}

/// Checks that the credential names the region this server serves. The
/// message is AWS's for a region that is valid but not the endpoint's.
pub fn check_region(auth: &Authorization, expected_region: &str) -> Result<(), SigV4Error> {
    if auth.region == expected_region {
        Ok(())
    } else {
        Err(SigV4Error::wrong_region(&auth.region))
    }
}

/// Checks that `|now - request_time| <= max_skew`; the boundary itself passes.
///
/// [`verify`] calls this too. Calling it before the secret lookup gives AWS's
/// error order: an expired request with an unknown key reports the expiry.
pub fn check_clock_skew(auth: &Authorization, now: OffsetDateTime, max_skew: Duration) -> Result<(), SigV4Error> {
    let max_skew = max_skew.abs();
    let request_time = auth.request_time;
    if let Some(earliest) = now.checked_sub(max_skew) {
        if request_time < earliest {
            return Err(SigV4Error::SignatureExpired { request_time, earliest, now, max_skew });
        }
    }
    if let Some(latest) = now.checked_add(max_skew) {
        if request_time > latest {
            return Err(SigV4Error::SignatureNotYetCurrent { request_time, latest, now, max_skew });
        }
    }
    Ok(())
}

/// Verifies a request whose `Authorization` was parsed by
/// [`parse_authorization`], with the key derived for its access key and scope.
///
/// It re-checks the scope and the signed-header rules in case `auth` was
/// built by hand. Then it checks the clock skew and `x-amz-content-sha256`,
/// recomputes the signature over the client's `SignedHeaders`, and compares
/// it in constant time. `now` is injected; the server uses
/// [`DEFAULT_MAX_SKEW`].
pub fn verify(
    req: &RequestParts<'_>,
    auth: &Authorization,
    key: &SigningKey,
    now: OffsetDateTime,
    max_skew: Duration,
) -> Result<(), SigV4Error> {
    let expected = SERVICES.iter().copied().find(|s| *s == auth.service).unwrap_or(SERVICE);
    let problems = scope_problems(&auth.region, &auth.service, expected, TERMINATOR, &auth.date, &auth.request_time);
    if !problems.is_empty() {
        return Err(SigV4Error::InvalidCredentialScope { problems });
    }
    check_signed_headers(&auth.signed_headers, req.headers)?;
    check_clock_skew(auth, now, max_skew)?;

    let payload_hash = hex::encode(sha256(req.body));
    check_content_sha256(req.headers, &payload_hash)?;

    let creq = canonical_request(req, &auth.signed_headers, &payload_hash)?;
    let sts = string_to_sign(&amz_date(&auth.request_time), &auth.scope(), &creq);
    let expected = compute_signature(key, sts.as_bytes());
    if bool::from(expected.ct_eq(&auth.signature)) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureMismatch)
    }
}

mod canonical;
mod rules;
mod timestamp;
use canonical::*;
use rules::*;
use timestamp::*;

// ---------------------------------------------------------------------------
// Crypto

fn sha256(data: &[u8]) -> digest::Digest {
    digest::digest(&digest::SHA256, data)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, data);
    let mut out = Zeroizing::new([0u8; 32]);
    for (o, t) in out.iter_mut().zip(tag.as_ref()) {
        *o = *t;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
