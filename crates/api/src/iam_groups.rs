//! The request shapes of IAM's group operations (botocore
//! `iam/2010-05-08/service-2.json`): `groupNameType` 1–128 of
//! `[\w+=,.@-]`, `existingUserNameType` 1–128, `policyNameType` 1–128,
//! `policyDocumentType` 1–131072.

use crate::admin::iam_name_ok;
use crate::validate::{Validate, Violations};
use serde::Deserialize;

impl Violations {
    fn group_name(&mut self, v: Option<&str>) {
        self.required("groupName", &v);
        self.len("groupName", v, 1, 128);
        self.pattern("groupName", v, "[\\w+=,.@-]+", iam_name_ok);
    }

    fn member_name(&mut self, v: Option<&str>) {
        self.required("userName", &v);
        self.len("userName", v, 1, 128);
        self.pattern("userName", v, "[\\w+=,.@-]+", iam_name_ok);
    }
}

/// CreateGroup input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// GroupName.
    pub group_name: Option<String>,
    /// Path (`/` when absent).
    pub path: Option<String>,
}

impl Validate for CreateGroupRequest {
    fn check(&self, v: &mut Violations) {
        v.group_name(self.group_name.as_deref());
        v.len("path", self.path.as_deref(), 1, 512);
    }
}

/// GetGroup, DeleteGroup and ListGroupPolicies input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GroupRequest {
    /// GroupName.
    pub group_name: Option<String>,
}

impl Validate for GroupRequest {
    fn check(&self, v: &mut Violations) {
        v.group_name(self.group_name.as_deref());
    }
}

/// AddUserToGroup and RemoveUserFromGroup input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GroupMemberRequest {
    /// GroupName.
    pub group_name: Option<String>,
    /// UserName.
    pub user_name: Option<String>,
}

impl Validate for GroupMemberRequest {
    fn check(&self, v: &mut Violations) {
        v.group_name(self.group_name.as_deref());
        v.member_name(self.user_name.as_deref());
    }
}

/// ListGroupsForUser input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GroupsForUserRequest {
    /// UserName.
    pub user_name: Option<String>,
}

impl Validate for GroupsForUserRequest {
    fn check(&self, v: &mut Violations) {
        v.member_name(self.user_name.as_deref());
    }
}

/// PutGroupPolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutGroupPolicyRequest {
    /// GroupName.
    pub group_name: Option<String>,
    /// PolicyName.
    pub policy_name: Option<String>,
    /// The policy document.
    pub policy_document: Option<String>,
}

impl Validate for PutGroupPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.group_name(self.group_name.as_deref());
        v.user_policy_name(self.policy_name.as_deref());
        v.required("policyDocument", &self.policy_document);
        v.len("policyDocument", self.policy_document.as_deref(), 1, 131_072);
    }
}

/// GetGroupPolicy and DeleteGroupPolicy input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GroupPolicyRequest {
    /// GroupName.
    pub group_name: Option<String>,
    /// PolicyName.
    pub policy_name: Option<String>,
}

impl Validate for GroupPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.group_name(self.group_name.as_deref());
        v.user_policy_name(self.policy_name.as_deref());
    }
}
