//! The request shapes of IAM's role operations (botocore
//! `iam/2010-05-08/service-2.json`): `roleNameType` 1–64 of `[\w+=,.@-]`,
//! `policyDocumentType` 1–131072, `roleDescriptionType` 0–1000,
//! `roleMaxSessionDurationType` 3600–43200, `pathType` 1–512, tags as for
//! users. The Query protocol carries every member as a string; numbers are
//! read here.

use crate::admin::{iam_name_ok, IamTag, MAX_USER_TAGS};
use crate::validate::{Validate, Violations};
use serde::Deserialize;

impl Violations {
    fn role_name(&mut self, v: Option<&str>) {
        self.required("roleName", &v);
        self.len("roleName", v, 1, 64);
        self.pattern("roleName", v, "[\\w+=,.@-]+", iam_name_ok);
    }

    fn policy_document(&mut self, at: &str, v: Option<&str>) {
        self.required(at, &v);
        self.len(at, v, 1, 131_072);
    }

    fn description(&mut self, v: Option<&str>) {
        self.len("description", v, 0, 1000);
    }

    fn max_session_duration(&mut self, v: Option<&str>) {
        if let Some(d) = v {
            match d.parse::<i64>() {
                Ok(n) => self.range("maxSessionDuration", Some(n), 3600, 43_200),
                Err(_) => self.pattern("maxSessionDuration", Some(d), "an integer", |_| false),
            }
        }
    }
}

/// `MaxSessionDuration` as a number (validated).
pub fn seconds(v: Option<&str>) -> Option<u32> {
    v.and_then(|d| d.parse().ok())
}

/// CreateRole input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// Path (`/` when absent).
    pub path: Option<String>,
    /// The trust policy.
    pub assume_role_policy_document: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Longest session, seconds.
    pub max_session_duration: Option<String>,
    /// Tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for CreateRoleRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.len("path", self.path.as_deref(), 1, 512);
        v.policy_document("assumeRolePolicyDocument", self.assume_role_policy_document.as_deref());
        v.description(self.description.as_deref());
        v.max_session_duration(self.max_session_duration.as_deref());
        v.iam_tags(self.tags.as_ref());
    }
}

/// GetRole, DeleteRole, ListRolePolicies and ListRoleTags input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RoleRequest {
    /// RoleName.
    pub role_name: Option<String>,
}

impl Validate for RoleRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
    }
}

/// UpdateRole input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UpdateRoleRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Longest session, seconds.
    pub max_session_duration: Option<String>,
}

impl Validate for UpdateRoleRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.description(self.description.as_deref());
        v.max_session_duration(self.max_session_duration.as_deref());
    }
}

/// UpdateAssumeRolePolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UpdateAssumeRolePolicyRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// The new trust policy.
    pub policy_document: Option<String>,
}

impl Validate for UpdateAssumeRolePolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.policy_document("policyDocument", self.policy_document.as_deref());
    }
}

/// TagRole input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TagRoleRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// Tags.
    pub tags: Option<Vec<IamTag>>,
}

impl Validate for TagRoleRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.required("tags", &self.tags);
        v.iam_tags(self.tags.as_ref());
    }
}

/// UntagRole input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UntagRoleRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// The keys to remove.
    pub tag_keys: Option<Vec<String>>,
}

impl Validate for UntagRoleRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.required("tagKeys", &self.tag_keys);
        v.list_len("tagKeys", self.tag_keys.as_ref(), 0, MAX_USER_TAGS);
    }
}

/// PutRolePolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutRolePolicyRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// PolicyName.
    pub policy_name: Option<String>,
    /// The policy document.
    pub policy_document: Option<String>,
}

impl Validate for PutRolePolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.user_policy_name(self.policy_name.as_deref());
        v.policy_document("policyDocument", self.policy_document.as_deref());
    }
}

/// GetRolePolicy and DeleteRolePolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RolePolicyRequest {
    /// RoleName.
    pub role_name: Option<String>,
    /// PolicyName.
    pub policy_name: Option<String>,
}

impl Validate for RolePolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.role_name(self.role_name.as_deref());
        v.user_policy_name(self.policy_name.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violations(r: &impl Validate) -> String {
        let mut v = Violations::default();
        r.check(&mut v);
        if v.is_empty() {
            String::new()
        } else {
            v.message()
        }
    }

    #[test]
    fn role_members_follow_the_model() {
        let ok = CreateRoleRequest {
            role_name: Some("app".into()),
            assume_role_policy_document: Some("{}".into()),
            max_session_duration: Some("7200".into()),
            ..Default::default()
        };
        assert!(violations(&ok).is_empty(), "{}", violations(&ok));
        for bad in ["3599", "43201", "x"] {
            let r = CreateRoleRequest { max_session_duration: Some(bad.into()), ..Default::default() };
            assert!(violations(&r).contains("maxSessionDuration"), "{bad}");
        }
        let r = CreateRoleRequest { role_name: Some("a b".into()), ..Default::default() };
        assert!(violations(&r).contains("roleName"));
        assert_eq!(seconds(Some("3600")), Some(3600));
    }
}
