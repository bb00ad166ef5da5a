//! IAM roles of an account and their inline identity policies: CreateRole,
//! GetRole, ListRoles, UpdateRole, DeleteRole, UpdateAssumeRolePolicy,
//! TagRole, UntagRole, ListRoleTags, PutRolePolicy, GetRolePolicy,
//! DeleteRolePolicy, ListRolePolicies.
//!
//! A role has no long-term credentials: STS's AssumeRole ([`crate::sts`])
//! gives sessions of it to the principals its trust policy names. Each
//! operation here is an identity-policy permission (`iam:CreateRole` on the
//! role's ARN, …), as the user operations are; only the caller's own
//! account is reachable.

use super::users::{add_iam_tags, check_iam_tags, policy_chars, remove_iam_tags};
use crate::authz::request_tag_context;
use crate::error::KmsError;
use crate::kms::BASE32;
use crate::model::{AttachmentTarget, RolePolicyRecord, RoleRecord};
use crate::policy::{Policy, PolicyKind};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::Operation;

/// IAM's quota on a role's trust policy: 2,048 characters, whitespace not
/// counted.
const MAX_TRUST_POLICY_CHARS: usize = 2048;

/// IAM's quota on the inline policies of one role, together: 10,240
/// characters, whitespace not counted.
const MAX_ROLE_POLICY_CHARS: usize = 10_240;

/// A role's session duration bounds and default, in seconds.
pub(crate) const MIN_SESSION_SECONDS: u32 = 3600;
/// The longest MaxSessionDuration IAM allows (12 hours).
pub(crate) const MAX_SESSION_SECONDS: u32 = 43_200;

/// What CreateRole is given.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    /// RoleName.
    pub name: String,
    /// Path (`/` when absent).
    pub path: Option<String>,
    /// AssumeRolePolicyDocument.
    pub trust_policy: String,
    /// Description.
    pub description: Option<String>,
    /// MaxSessionDuration in seconds (3,600 when absent).
    pub max_session_duration: Option<u32>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// IAM's names of users, roles and policies: 1–`max` of `[\w+=,.@-]`.
pub(crate) fn check_iam_name(what: &str, value: &str, max: usize) -> Result<(), KmsError> {
    let ok = !value.is_empty() && value.chars().count() <= max && trent_api::admin::iam_name_ok(value);
    if ok {
        Ok(())
    } else {
        Err(KmsError::Validation(format!(
            "The specified value for {what} is invalid. It must contain only alphanumeric characters and/or the \
             following: +=,.@_-"
        )))
    }
}

/// IAM's paths: `/`, or `/` + printable ASCII + `/`, at most 512.
pub(crate) fn check_path(path: &str) -> Result<(), KmsError> {
    let inner = path.strip_prefix('/').and_then(|p| p.strip_suffix('/').or((p.is_empty()).then_some(p)));
    let ok = path.len() <= 512 && inner.is_some_and(|i| i.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if ok {
        Ok(())
    } else {
        Err(KmsError::Validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric \
             characters and/or / characters."
                .into(),
        ))
    }
}

fn check_session_duration(seconds: u32) -> Result<(), KmsError> {
    if (MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&seconds) {
        Ok(())
    } else {
        Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{seconds}' at 'maxSessionDuration' failed to satisfy constraint: \
             Member must have value between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS}"
        )))
    }
}

fn check_description(description: Option<&str>) -> Result<(), KmsError> {
    match description {
        Some(d) if d.chars().count() > 1000 => Err(KmsError::Validation(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have \
             length less than or equal to 1000"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// Checks a trust policy: a resource policy (every statement names a
/// principal) within IAM's size quota.
pub(crate) fn check_trust_policy(document: &str) -> Result<(), KmsError> {
    if document.is_empty() {
        return Err(KmsError::Validation(
            "1 validation error detected: Value at 'assumeRolePolicyDocument' failed to satisfy constraint: Member \
             must have length greater than or equal to 1"
                .into(),
        ));
    }
    if policy_chars(document) > MAX_TRUST_POLICY_CHARS {
        return Err(KmsError::LimitExceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY_CHARS}"
        )));
    }
    Policy::parse(document, PolicyKind::Key).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
    Ok(())
}

fn no_such_role(name: &str) -> KmsError {
    KmsError::NotFound(format!("The role with name {name} cannot be found."))
}

fn no_such_role_policy(role: &str, policy: &str) -> KmsError {
    KmsError::NotFound(format!("The role policy with name {policy} cannot be found for role {role}."))
}

impl Kms {
    fn role_arn(caller: &Caller, name: &str) -> String {
        format!("arn:aws:iam::{}:role/{name}", caller.account.as_str())
    }

    /// The role named `name` (any case) of the caller's account.
    async fn existing_role(&self, caller: &Caller, name: &str) -> Result<RoleRecord, KmsError> {
        check_iam_name("roleName", name, 64)?;
        self.store.role(&caller.account, name).await?.ok_or_else(|| no_such_role(name))
    }

    /// Commits a change to a role, mapping the store's NotFound.
    async fn update_role_record(&self, caller: &Caller, role: &RoleRecord) -> Result<(), KmsError> {
        match self.commit(caller, async |events| self.store.update_role(role, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_role(&role.name)),
            Err(e) => Err(e.into()),
        }
    }

    /// CreateRole.
    pub async fn create_role(&self, caller: &Caller, new: NewRole) -> Result<RoleRecord, KmsError> {
        check_iam_name("roleName", &new.name, 64)?;
        let path = new.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        check_iam_tags(&new.tags, "role")?;
        check_description(new.description.as_deref())?;
        let max_session_duration = new.max_session_duration.unwrap_or(MIN_SESSION_SECONDS);
        check_session_duration(max_session_duration)?;
        let context = if new.tags.is_empty() { Vec::new() } else { request_tag_context(&new.tags) };
        let arn = format!("arn:aws:iam::{}:role{path}{}", caller.account.as_str(), new.name);
        self.authorize_identity(caller, Operation::CreateRole, &arn, &context).await?;
        check_trust_policy(&new.trust_policy)?;
        let role = RoleRecord {
            account: caller.account.clone(),
            name: new.name,
            role_id: format!("AROA{}", self.random_string(BASE32, 17)?.as_str()),
            path,
            trust_policy: new.trust_policy,
            description: new.description,
            max_session_duration,
            created_at: self.now(),
            tags: new.tags,
        };
        let response = serde_json::json!({
            "role": {"roleName": role.name, "roleId": role.role_id, "arn": role.arn(), "path": role.path}
        });
        match self.commit_answering(caller, &response, async |events| self.store.insert_role(&role, events).await).await
        {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => {
                return Err(KmsError::AlreadyExists(format!("Role with name {} already exists.", role.name)))
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(by = caller.principal.as_str(), role = role.arn(), "role created");
        Ok(role)
    }

    /// GetRole.
    pub async fn get_role(&self, caller: &Caller, name: &str) -> Result<RoleRecord, KmsError> {
        self.authorize_identity(caller, Operation::GetRole, &Self::role_arn(caller, name), &[]).await?;
        self.existing_role(caller, name).await
    }

    /// ListRoles: the account's roles by name, those under `path_prefix`
    /// when given.
    pub async fn list_roles(&self, caller: &Caller, path_prefix: Option<&str>) -> Result<Vec<RoleRecord>, KmsError> {
        self.authorize_identity(caller, Operation::ListRoles, &Self::role_arn(caller, "*"), &[]).await?;
        let prefix = path_prefix.unwrap_or("/");
        Ok(self.store.roles(&caller.account).await?.into_iter().filter(|r| r.path.starts_with(prefix)).collect())
    }

    /// UpdateRole: the description and the longest session.
    pub async fn update_role(
        &self,
        caller: &Caller,
        name: &str,
        description: Option<String>,
        max_session_duration: Option<u32>,
    ) -> Result<(), KmsError> {
        check_description(description.as_deref())?;
        if let Some(d) = max_session_duration {
            check_session_duration(d)?;
        }
        self.authorize_identity(caller, Operation::UpdateRole, &Self::role_arn(caller, name), &[]).await?;
        let mut role = self.existing_role(caller, name).await?;
        if description.is_some() {
            role.description = description;
        }
        if let Some(d) = max_session_duration {
            role.max_session_duration = d;
        }
        self.update_role_record(caller, &role).await
    }

    /// UpdateAssumeRolePolicy: a new trust policy.
    pub async fn update_assume_role_policy(&self, caller: &Caller, name: &str, document: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::UpdateAssumeRolePolicy, &Self::role_arn(caller, name), &[]).await?;
        let mut role = self.existing_role(caller, name).await?;
        check_trust_policy(document)?;
        role.trust_policy = document.to_owned();
        self.update_role_record(caller, &role).await
    }

    /// DeleteRole: refused while the role has inline policies, as IAM
    /// refuses it.
    pub async fn delete_role(&self, caller: &Caller, name: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteRole, &Self::role_arn(caller, name), &[]).await?;
        let role = self.existing_role(caller, name).await?;
        if !self.store.role_policies(&caller.account, &role.name).await?.is_empty() {
            return Err(KmsError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
        }
        if !self.store.attached_policies(&caller.account, AttachmentTarget::Role, &role.name).await?.is_empty() {
            return Err(KmsError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        match self
            .commit(caller, async |events| self.store.delete_role(&caller.account, &role.name, events).await)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_role(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// TagRole: adds tags, replacing the value of a key already present (in
    /// any case).
    pub async fn tag_role(&self, caller: &Caller, name: &str, tags: Vec<(String, String)>) -> Result<(), KmsError> {
        check_iam_tags(&tags, "role")?;
        let context = request_tag_context(&tags);
        self.authorize_identity(caller, Operation::TagRole, &Self::role_arn(caller, name), &context).await?;
        let mut role = self.existing_role(caller, name).await?;
        add_iam_tags(&mut role.tags, tags);
        check_iam_tags(&role.tags, "role")?;
        self.update_role_record(caller, &role).await
    }

    /// UntagRole: removes the tags with these keys (in any case).
    pub async fn untag_role(&self, caller: &Caller, name: &str, keys: Vec<String>) -> Result<(), KmsError> {
        let context = vec![("aws:TagKeys".to_owned(), keys.clone())];
        self.authorize_identity(caller, Operation::UntagRole, &Self::role_arn(caller, name), &context).await?;
        let mut role = self.existing_role(caller, name).await?;
        remove_iam_tags(&mut role.tags, &keys);
        self.update_role_record(caller, &role).await
    }

    /// ListRoleTags.
    pub async fn list_role_tags(&self, caller: &Caller, name: &str) -> Result<Vec<(String, String)>, KmsError> {
        self.authorize_identity(caller, Operation::ListRoleTags, &Self::role_arn(caller, name), &[]).await?;
        Ok(self.existing_role(caller, name).await?.tags)
    }

    /// PutRolePolicy: adds or replaces an inline identity policy, within
    /// IAM's quota for a role's inline policies together.
    pub async fn put_role_policy(
        &self,
        caller: &Caller,
        role_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), KmsError> {
        check_iam_name("policyName", policy_name, 128)?;
        self.authorize_identity(caller, Operation::PutRolePolicy, &Self::role_arn(caller, role_name), &[]).await?;
        Policy::parse(document, PolicyKind::Identity).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
        let role = self.existing_role(caller, role_name).await?;
        let others: usize = self
            .store
            .role_policies(&caller.account, &role.name)
            .await?
            .iter()
            .filter(|p| p.policy_name != policy_name)
            .map(|p| policy_chars(&p.document))
            .sum();
        if others + policy_chars(document) > MAX_ROLE_POLICY_CHARS {
            return Err(KmsError::LimitExceeded(format!(
                "Maximum policy size of {MAX_ROLE_POLICY_CHARS} bytes exceeded for role {}",
                role.name
            )));
        }
        let record = RolePolicyRecord {
            account: caller.account.clone(),
            role_name: role.name.clone(),
            policy_name: policy_name.to_owned(),
            document: document.to_owned(),
        };
        match self.commit(caller, async |events| self.store.put_role_policy(&record, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_role(role_name)),
            Err(e) => Err(e.into()),
        }
    }

    /// GetRolePolicy.
    pub async fn get_role_policy(
        &self,
        caller: &Caller,
        role_name: &str,
        policy_name: &str,
    ) -> Result<RolePolicyRecord, KmsError> {
        self.authorize_identity(caller, Operation::GetRolePolicy, &Self::role_arn(caller, role_name), &[]).await?;
        let role = self.existing_role(caller, role_name).await?;
        self.store
            .role_policies(&caller.account, &role.name)
            .await?
            .into_iter()
            .find(|p| p.policy_name == policy_name)
            .ok_or_else(|| no_such_role_policy(&role.name, policy_name))
    }

    /// DeleteRolePolicy.
    pub async fn delete_role_policy(
        &self,
        caller: &Caller,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteRolePolicy, &Self::role_arn(caller, role_name), &[]).await?;
        let role = self.existing_role(caller, role_name).await?;
        match self
            .commit(caller, async |events| {
                self.store.delete_role_policy(&caller.account, &role.name, policy_name, events).await
            })
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_role_policy(&role.name, policy_name)),
            Err(e) => Err(e.into()),
        }
    }

    /// ListRolePolicies: the role's policy names, sorted.
    pub async fn list_role_policies(&self, caller: &Caller, role_name: &str) -> Result<Vec<String>, KmsError> {
        self.authorize_identity(caller, Operation::ListRolePolicies, &Self::role_arn(caller, role_name), &[]).await?;
        let role = self.existing_role(caller, role_name).await?;
        let mut names: Vec<String> =
            self.store.role_policies(&caller.account, &role.name).await?.into_iter().map(|p| p.policy_name).collect();
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_slash_delimited_printable_ascii() {
        for ok in ["/", "/a/", "/a/b/", "/app-1/"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "/a", "a/", "/a b/", "/é/"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_follow_iam() {
        assert!(check_iam_name("roleName", "app+=,.@_-1", 64).is_ok());
        assert!(check_iam_name("roleName", "", 64).is_err());
        assert!(check_iam_name("roleName", "a b", 64).is_err());
        assert!(check_iam_name("roleName", &"a".repeat(65), 64).is_err());
    }

    #[test]
    fn session_duration_is_one_to_twelve_hours() {
        assert!(check_session_duration(3599).is_err());
        assert!(check_session_duration(3600).is_ok());
        assert!(check_session_duration(43_200).is_ok());
        assert!(check_session_duration(43_201).is_err());
    }
}
