//! IAM's answers over the Query protocol: the XML of its shapes ([`User`],
//! [`AccessKey`], tags, a list's truncation) and the one mapping of Trent's
//! error codes to IAM's ([`wire_error`]). Re-exported by [`crate::iam`].

use crate::query::{iso8601, WireError, Xml};
use crate::ErrorCode;

/// `<IsTruncated>` and, when truncated, `<Marker>`.
pub fn write_truncation(w: &mut Xml, next: Option<&str>) {
    w.text("IsTruncated", if next.is_some() { "true" } else { "false" });
    if let Some(m) = next {
        w.text("Marker", m);
    }
}

/// IAM's `User` shape.
#[derive(Debug, Clone)]
pub struct User {
    /// `/` for a user; absent for an account root (GetUser of the root).
    pub path: Option<&'static str>,
    /// Absent for an account root.
    pub user_name: Option<String>,
    /// `AIDA…`, or the account id for a root.
    pub user_id: String,
    /// The ARN.
    pub arn: String,
    /// Creation time, epoch milliseconds.
    pub create_date: i64,
    /// Tags (GetUser and CreateUser show them; ListUsers does not).
    pub tags: Vec<(String, String)>,
    /// The ARN of the user's permissions boundary (GetUser shows it).
    pub permissions_boundary: Option<String>,
}

impl User {
    /// The shape's members, in the model's order.
    pub fn write(&self, w: &mut Xml) {
        if let Some(p) = self.path {
            w.text("Path", p);
        }
        if let Some(n) = &self.user_name {
            w.text("UserName", n);
        }
        w.text("UserId", &self.user_id);
        w.text("Arn", &self.arn);
        w.text("CreateDate", &iso8601(self.create_date));
        if let Some(arn) = &self.permissions_boundary {
            write_permissions_boundary(w, arn);
        }
        if !self.tags.is_empty() {
            write_tags(w, &self.tags);
        }
    }
}

/// IAM's `AttachedPermissionsBoundary` shape, as `PermissionsBoundary`.
pub fn write_permissions_boundary(w: &mut Xml, arn: &str) {
    w.element("PermissionsBoundary", |w| {
        w.text("PermissionsBoundaryType", "PermissionsBoundaryPolicy");
        w.text("PermissionsBoundaryArn", arn);
    });
}

/// `<Tags><member><Key>…</Key><Value>…</Value></member>…</Tags>`.
pub fn write_tags(w: &mut Xml, tags: &[(String, String)]) {
    w.members("Tags", tags, |w, (k, v)| {
        w.text("Key", k);
        w.text("Value", v);
    });
}

/// IAM's `AccessKey` (with its secret, CreateAccessKey only) and
/// `AccessKeyMetadata` shapes.
pub struct AccessKey<'a> {
    /// The user; absent for an account root's key.
    pub user_name: Option<&'a str>,
    /// The id.
    pub access_key_id: &'a str,
    /// The secret, shown once by CreateAccessKey.
    pub secret_access_key: Option<&'a str>,
    /// Creation time, epoch milliseconds.
    pub create_date: i64,
    /// Made `Inactive` by UpdateAccessKey.
    pub inactive: bool,
}

impl AccessKey<'_> {
    /// The shape's members, in the model's order.
    pub fn write(&self, w: &mut Xml) {
        if let Some(n) = self.user_name {
            w.text("UserName", n);
        }
        w.text("AccessKeyId", self.access_key_id);
        w.text("Status", if self.inactive { "Inactive" } else { "Active" });
        if let Some(s) = self.secret_access_key {
            w.text("SecretAccessKey", s);
        }
        w.text("CreateDate", &iso8601(self.create_date));
    }
}

/// Trent's error code as IAM sends it: code, HTTP status, fault (the
/// service model's `error` traits; the authentication codes are the Query
/// protocol's common errors). Exhaustive: a code added to [`ErrorCode`]
/// does not compile until it is mapped here.
pub fn wire_error(code: ErrorCode) -> WireError {
    use ErrorCode as C;
    match code {
        C::MissingAuthenticationToken => WireError::sender("MissingAuthenticationToken", 403),
        C::IncompleteSignature => WireError::sender("IncompleteSignature", 400),
        C::InvalidSignature => WireError::sender("SignatureDoesNotMatch", 403),
        C::UnrecognizedClient => WireError::sender("InvalidClientTokenId", 403),
        C::ExpiredToken => WireError::sender("ExpiredToken", 403),
        C::AccessDenied | C::NotAuthorized => WireError::sender("AccessDenied", 403),
        C::UnknownOperation | C::InvalidAction | C::UnsupportedOperation => WireError::sender("InvalidAction", 400),
        C::Serialization | C::ValidationError => WireError::sender("ValidationError", 400),
        // The core's semantic refusals (duplicate tag keys, the reserved
        // `aws:` prefix, …): IAM's InvalidInput.
        C::Validation => WireError::sender("InvalidInput", 400),
        C::Throttling => WireError::sender("Throttling", 400),
        C::RequestEntityTooLarge => WireError::sender("RequestEntityTooLarge", 413),
        C::IncompleteBody => WireError::sender("IncompleteBody", 400),
        C::RequestTimeout => WireError::sender("RequestTimeout", 400),
        C::NotFound => WireError::sender("NoSuchEntity", 404),
        C::AlreadyExists => WireError::sender("EntityAlreadyExists", 409),
        C::LimitExceeded => WireError::sender("LimitExceeded", 409),
        C::Conflict => WireError::sender("ConcurrentModification", 409),
        C::DeleteConflict => WireError::sender("DeleteConflict", 409),
        C::PackedPolicyTooLarge => WireError::sender("PackedPolicyTooLarge", 400),
        C::InvalidIdentityToken => WireError::sender("InvalidIdentityToken", 400),
        C::ExpiredIdentityToken => WireError::sender("ExpiredTokenException", 400),
        C::MalformedPolicyDocument => WireError::sender("MalformedPolicyDocument", 400),
        C::KmsInternal | C::KeyUnavailable => WireError::receiver("ServiceFailure", 500),
        C::DependencyTimeout => WireError::receiver("ServiceUnavailable", 503),
        // KMS's and CloudTrail's own refusals: no IAM operation meets them.
        C::Disabled
        | C::DryRunOperation
        | C::ExpiredImportToken
        | C::IncorrectKey
        | C::IncorrectKeyMaterial
        | C::InvalidImportToken
        | C::InvalidAliasName
        | C::InvalidArn
        | C::InvalidCiphertext
        | C::InvalidGrantId
        | C::InvalidGrantToken
        | C::InvalidKeyUsage
        | C::InvalidMarker
        | C::KmsInvalidState
        | C::KmsInvalidSignature
        | C::KmsInvalidMac
        | C::Tag
        | C::CustomKeyStoreNotFound
        | C::CustomKeyStoreInvalidState
        | C::CustomKeyStoreHasCmks
        | C::CustomKeyStoreNameInUse
        | C::CloudHsmClusterNotFound
        | C::CloudHsmClusterInUse
        | C::CloudHsmClusterNotRelated
        | C::CloudHsmClusterNotActive
        | C::CloudHsmClusterInvalidConfiguration
        | C::IncorrectTrustAnchor
        | C::InvalidLookupAttributes
        | C::InvalidTimeRange
        | C::InvalidMaxResults
        | C::InvalidNextToken
        | C::InvalidEventCategory => WireError::sender("InvalidInput", 400),
    }
}
