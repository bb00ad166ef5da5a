//! The request shapes of IAM's managed policy operations (botocore
//! `iam/2010-05-08/service-2.json`): `policyNameType` 1–128 of
//! `[\w+=,.@-]`, `arnType` 20–2048, `policyDocumentType` 1–131072,
//! `policyDescriptionType` 0–1000, `policyVersionIdType`
//! `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`, `policyPathType` 1–512; the user,
//! role and group names as in their own operations. The Query protocol
//! carries every member as a string; booleans are read here.

use crate::admin::{iam_name_ok, IamTag, MAX_USER_TAGS};
use crate::enums::AccessKeyStatus;
use crate::validate::{Validate, Violations};
use serde::Deserialize;

impl Violations {
    fn policy_arn(&mut self, at: &str, v: Option<&str>) {
        self.required(at, &v);
        self.len(at, v, 20, 2048);
    }

    fn managed_policy_name(&mut self, v: Option<&str>) {
        self.required("policyName", &v);
        self.len("policyName", v, 1, 128);
        self.pattern("policyName", v, "[\\w+=,.@-]+", iam_name_ok);
    }

    fn version_id(&mut self, v: Option<&str>) {
        self.required("versionId", &v);
        self.pattern("versionId", v, "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?", version_id_ok);
    }

    fn boolean(&mut self, at: &str, v: Option<&str>) {
        self.pattern(at, v, "true|false", |s| s == "true" || s == "false");
    }

    fn entity_name(&mut self, at: &str, v: Option<&str>, max: usize) {
        self.required(at, &v);
        self.len(at, v, 1, max);
        self.pattern(at, v, "[\\w+=,.@-]+", iam_name_ok);
    }
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
fn version_id_ok(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else { return false };
    let (digits, suffix) = rest.split_once('.').map_or((rest, None), |(d, x)| (d, Some(x)));
    !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
        && suffix.is_none_or(|x| x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// A Query boolean member (`true`/`false`, validated).
pub fn flag(v: Option<&str>) -> bool {
    v == Some("true")
}

/// CreatePolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreatePolicyRequest {
    /// PolicyName.
    pub policy_name: Option<String>,
    /// Path (`/` when absent).
    pub path: Option<String>,
    /// PolicyDocument.
    pub policy_document: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for CreatePolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.managed_policy_name(self.policy_name.as_deref());
        v.len("path", self.path.as_deref(), 1, 512);
        v.required("policyDocument", &self.policy_document);
        v.len("policyDocument", self.policy_document.as_deref(), 1, 131_072);
        v.len("description", self.description.as_deref(), 0, 1000);
        v.iam_tags(self.tags.as_ref());
    }
}

/// GetPolicy, DeletePolicy and ListPolicyVersions input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PolicyRequest {
    /// PolicyArn.
    pub policy_arn: Option<String>,
}

impl Validate for PolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.policy_arn("policyArn", self.policy_arn.as_deref());
    }
}

/// ListPolicies input (paging apart).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ListPoliciesRequest {
    /// Scope: `All`, `AWS` or `Local`.
    pub scope: Option<String>,
    /// OnlyAttached.
    pub only_attached: Option<String>,
    /// PathPrefix.
    pub path_prefix: Option<String>,
    /// PolicyUsageFilter.
    pub policy_usage_filter: Option<String>,
}

impl Validate for ListPoliciesRequest {
    fn check(&self, v: &mut Violations) {
        v.pattern("scope", self.scope.as_deref(), "All|AWS|Local", |s| matches!(s, "All" | "AWS" | "Local"));
        v.boolean("onlyAttached", self.only_attached.as_deref());
        v.len("pathPrefix", self.path_prefix.as_deref(), 1, 512);
        v.pattern(
            "policyUsageFilter",
            self.policy_usage_filter.as_deref(),
            "PermissionsPolicy|PermissionsBoundary",
            |s| matches!(s, "PermissionsPolicy" | "PermissionsBoundary"),
        );
    }
}

/// CreatePolicyVersion input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreatePolicyVersionRequest {
    /// PolicyArn.
    pub policy_arn: Option<String>,
    /// PolicyDocument.
    pub policy_document: Option<String>,
    /// SetAsDefault.
    pub set_as_default: Option<String>,
}

impl Validate for CreatePolicyVersionRequest {
    fn check(&self, v: &mut Violations) {
        v.policy_arn("policyArn", self.policy_arn.as_deref());
        v.required("policyDocument", &self.policy_document);
        v.len("policyDocument", self.policy_document.as_deref(), 1, 131_072);
        v.boolean("setAsDefault", self.set_as_default.as_deref());
    }
}

/// GetPolicyVersion, DeletePolicyVersion and SetDefaultPolicyVersion input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PolicyVersionRequest {
    /// PolicyArn.
    pub policy_arn: Option<String>,
    /// VersionId.
    pub version_id: Option<String>,
}

impl Validate for PolicyVersionRequest {
    fn check(&self, v: &mut Violations) {
        v.policy_arn("policyArn", self.policy_arn.as_deref());
        v.version_id(self.version_id.as_deref());
    }
}

/// Attach/Detach{User,Role,Group}Policy input: the entity's name member
/// (`UserName`, `RoleName` or `GroupName`) is read into `entity`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AttachPolicyRequest {
    /// UserName, RoleName or GroupName.
    #[serde(alias = "UserName", alias = "RoleName", alias = "GroupName")]
    pub entity: Option<String>,
    /// PolicyArn.
    pub policy_arn: Option<String>,
    /// The entity member's name in messages (`userName`, …).
    #[serde(skip)]
    pub at: &'static str,
}

impl Validate for AttachPolicyRequest {
    fn check(&self, v: &mut Violations) {
        let max = if self.at == "groupName" { 128 } else { 64 };
        v.entity_name(self.at, self.entity.as_deref(), max);
        v.policy_arn("policyArn", self.policy_arn.as_deref());
    }
}

/// ListAttached{User,Role,Group}Policies input (paging apart).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ListAttachedRequest {
    /// UserName, RoleName or GroupName.
    #[serde(alias = "UserName", alias = "RoleName", alias = "GroupName")]
    pub entity: Option<String>,
    /// PathPrefix.
    pub path_prefix: Option<String>,
    /// The entity member's name in messages.
    #[serde(skip)]
    pub at: &'static str,
}

impl Validate for ListAttachedRequest {
    fn check(&self, v: &mut Violations) {
        let max = if self.at == "groupName" { 128 } else { 64 };
        v.entity_name(self.at, self.entity.as_deref(), max);
        v.len("pathPrefix", self.path_prefix.as_deref(), 1, 512);
    }
}

/// ListEntitiesForPolicy input (paging apart).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ListEntitiesForPolicyRequest {
    /// PolicyArn.
    pub policy_arn: Option<String>,
    /// EntityFilter: `User`, `Role`, `Group`, `LocalManagedPolicy` or
    /// `AWSManagedPolicy`.
    pub entity_filter: Option<String>,
    /// PathPrefix.
    pub path_prefix: Option<String>,
    /// PolicyUsageFilter.
    pub policy_usage_filter: Option<String>,
}

impl Validate for ListEntitiesForPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.policy_arn("policyArn", self.policy_arn.as_deref());
        v.pattern(
            "entityFilter",
            self.entity_filter.as_deref(),
            "User|Role|Group|LocalManagedPolicy|AWSManagedPolicy",
            |s| matches!(s, "User" | "Role" | "Group" | "LocalManagedPolicy" | "AWSManagedPolicy"),
        );
        v.len("pathPrefix", self.path_prefix.as_deref(), 1, 512);
        v.pattern(
            "policyUsageFilter",
            self.policy_usage_filter.as_deref(),
            "PermissionsPolicy|PermissionsBoundary",
            |s| matches!(s, "PermissionsPolicy" | "PermissionsBoundary"),
        );
    }
}

/// TagPolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TagPolicyRequest {
    /// PolicyArn.
    pub policy_arn: Option<String>,
    /// Tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for TagPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.policy_arn("policyArn", self.policy_arn.as_deref());
        v.required("tags", &self.tags);
        v.iam_tags(self.tags.as_ref());
    }
}

/// UntagPolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UntagPolicyRequest {
    /// PolicyArn.
    pub policy_arn: Option<String>,
    /// The keys to remove.
    pub tag_keys: Option<Vec<String>>,
}

impl Validate for UntagPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.policy_arn("policyArn", self.policy_arn.as_deref());
        v.required("tagKeys", &self.tag_keys);
        v.list_len("tagKeys", self.tag_keys.as_ref(), 0, MAX_USER_TAGS);
    }
}

/// GetAccessKeyLastUsed input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AccessKeyLastUsedRequest {
    /// AccessKeyId.
    pub access_key_id: Option<String>,
}

impl Validate for AccessKeyLastUsedRequest {
    fn check(&self, v: &mut Violations) {
        v.access_key_id(self.access_key_id.as_deref());
    }
}

/// UpdateAccessKey input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UpdateAccessKeyRequest {
    /// The user's name; absent: the caller.
    pub user_name: Option<String>,
    /// The key.
    pub access_key_id: Option<String>,
    /// `Active` or `Inactive`.
    pub status: Option<AccessKeyStatus>,
}

impl Validate for UpdateAccessKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.optional_user_name(self.user_name.as_deref());
        v.access_key_id(self.access_key_id.as_deref());
        v.required("status", &self.status);
        v.enumeration("status", self.status.as_ref());
    }
}

/// Put{User,Role}PermissionsBoundary input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutBoundaryRequest {
    /// UserName or RoleName.
    #[serde(alias = "UserName", alias = "RoleName")]
    pub entity: Option<String>,
    /// PermissionsBoundary: the managed policy's ARN.
    pub permissions_boundary: Option<String>,
    /// The entity member's name in messages.
    #[serde(skip)]
    pub at: &'static str,
}

impl Validate for PutBoundaryRequest {
    fn check(&self, v: &mut Violations) {
        v.entity_name(self.at, self.entity.as_deref(), 64);
        v.policy_arn("permissionsBoundary", self.permissions_boundary.as_deref());
    }
}

/// Delete{User,Role}PermissionsBoundary input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteBoundaryRequest {
    /// UserName or RoleName.
    #[serde(alias = "UserName", alias = "RoleName")]
    pub entity: Option<String>,
    /// The entity member's name in messages.
    #[serde(skip)]
    pub at: &'static str,
}

impl Validate for DeleteBoundaryRequest {
    fn check(&self, v: &mut Violations) {
        v.entity_name(self.at, self.entity.as_deref(), 64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_follow_the_model_pattern() {
        for ok in ["v1", "v12", "v3.a-b"] {
            assert!(version_id_ok(ok), "{ok}");
        }
        for bad in ["", "v", "v0", "1", "v01", "vx", "v1.a_b"] {
            assert!(!version_id_ok(bad), "{bad}");
        }
    }

    #[test]
    fn attach_requests_name_their_entity_member() {
        let json = serde_json::json!({"RoleName": "R", "PolicyArn": "arn:aws:iam::111122223333:policy/P"});
        let mut r: AttachPolicyRequest = serde_json::from_value(json).unwrap();
        r.at = "roleName";
        assert_eq!(r.entity.as_deref(), Some("R"));
        assert!(r.validate().is_ok());
        r.entity = Some("bad name".into());
        assert!(r.validate().unwrap_err().contains("roleName"));
    }
}
