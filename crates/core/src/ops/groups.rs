//! IAM groups of an account: CreateGroup, GetGroup, ListGroups,
//! DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser,
//! PutGroupPolicy, GetGroupPolicy, DeleteGroupPolicy, ListGroupPolicies.
//!
//! A user acts with its own inline policies and those of every group it is
//! a member of ([`crate::authz`]). Each operation is an identity-policy
//! permission on the group's ARN (`iam:CreateGroup`, …), as the user and
//! role operations are; only the caller's own account is reachable.

use super::roles::check_iam_name;
use super::users::policy_chars;
use crate::error::KmsError;
use crate::kms::BASE32;
use crate::model::{AttachmentTarget, GroupMemberRecord, GroupPolicyRecord, GroupRecord, UserRecord};
use crate::policy::{Policy, PolicyKind};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::Operation;

/// IAM's quota on the inline policies of one group, together: 5,120
/// characters, whitespace not counted.
const MAX_GROUP_POLICY_CHARS: usize = 5120;

/// Most groups a user may be a member of (IAM's quota).
const MAX_GROUPS_PER_USER: usize = 10;

fn no_such_group(name: &str) -> KmsError {
    KmsError::NotFound(format!("The group with name {name} cannot be found."))
}

fn no_such_user(name: &str) -> KmsError {
    KmsError::NotFound(format!("The user with name {name} cannot be found."))
}

fn no_such_group_policy(group: &str, policy: &str) -> KmsError {
    KmsError::NotFound(format!("The group policy with name {policy} cannot be found for group {group}."))
}

impl Kms {
    fn group_arn(caller: &Caller, name: &str) -> String {
        format!("arn:aws:iam::{}:group/{name}", caller.account.as_str())
    }

    /// The group named `name` (any case) of the caller's account.
    async fn existing_group(&self, caller: &Caller, name: &str) -> Result<GroupRecord, KmsError> {
        check_iam_name("groupName", name, 128)?;
        self.store.group(&caller.account, name).await?.ok_or_else(|| no_such_group(name))
    }

    /// The user named `name` (any case) of the caller's account.
    async fn group_user(&self, caller: &Caller, name: &str) -> Result<UserRecord, KmsError> {
        check_iam_name("userName", name, 64)?;
        self.store.user(&caller.account, name).await?.ok_or_else(|| no_such_user(name))
    }

    /// CreateGroup.
    pub async fn create_group(&self, caller: &Caller, name: &str, path: Option<&str>) -> Result<GroupRecord, KmsError> {
        check_iam_name("groupName", name, 128)?;
        let path = path.unwrap_or("/");
        super::roles::check_path(path)?;
        let arn = format!("arn:aws:iam::{}:group{path}{name}", caller.account.as_str());
        self.authorize_identity(caller, Operation::CreateGroup, &arn, &[]).await?;
        let group = GroupRecord {
            account: caller.account.clone(),
            name: name.to_owned(),
            group_id: format!("AGPA{}", self.random_string(BASE32, 17)?.as_str()),
            path: path.to_owned(),
            created_at: self.now(),
        };
        let response = serde_json::json!({
            "group": {"groupName": group.name, "groupId": group.group_id, "arn": group.arn(), "path": group.path}
        });
        match self
            .commit_answering(caller, &response, async |events| self.store.insert_group(&group, events).await)
            .await
        {
            Ok(()) => Ok(group),
            Err(StoreError::AlreadyExists) => {
                Err(KmsError::AlreadyExists(format!("Group with name {name} already exists.")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// GetGroup: the group and its members.
    pub async fn get_group(&self, caller: &Caller, name: &str) -> Result<(GroupRecord, Vec<UserRecord>), KmsError> {
        self.authorize_identity(caller, Operation::GetGroup, &Self::group_arn(caller, name), &[]).await?;
        let group = self.existing_group(caller, name).await?;
        let mut users = Vec::new();
        for member in self.store.group_members(&caller.account, &group.name).await? {
            if let Some(u) = self.store.user(&caller.account, &member).await? {
                users.push(u);
            }
        }
        Ok((group, users))
    }

    /// ListGroups: the account's groups by name, those under `path_prefix`
    /// when given.
    pub async fn list_groups(&self, caller: &Caller, path_prefix: Option<&str>) -> Result<Vec<GroupRecord>, KmsError> {
        self.authorize_identity(caller, Operation::ListGroups, &Self::group_arn(caller, "*"), &[]).await?;
        let prefix = path_prefix.unwrap_or("/");
        Ok(self.store.groups(&caller.account).await?.into_iter().filter(|g| g.path.starts_with(prefix)).collect())
    }

    /// DeleteGroup: refused while the group has members or inline
    /// policies, as IAM refuses it.
    pub async fn delete_group(&self, caller: &Caller, name: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteGroup, &Self::group_arn(caller, name), &[]).await?;
        let group = self.existing_group(caller, name).await?;
        if !self.store.group_members(&caller.account, &group.name).await?.is_empty() {
            return Err(KmsError::DeleteConflict("Cannot delete entity, must remove users from group first.".into()));
        }
        if !self.store.group_policies(&caller.account, &group.name).await?.is_empty() {
            return Err(KmsError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
        }
        if !self.store.attached_policies(&caller.account, AttachmentTarget::Group, &group.name).await?.is_empty() {
            return Err(KmsError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        match self
            .commit(caller, async |events| self.store.delete_group(&caller.account, &group.name, events).await)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_group(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// AddUserToGroup (a member already: nothing changes).
    pub async fn add_user_to_group(&self, caller: &Caller, group_name: &str, user_name: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::AddUserToGroup, &Self::group_arn(caller, group_name), &[]).await?;
        let group = self.existing_group(caller, group_name).await?;
        let user = self.group_user(caller, user_name).await?;
        let groups = self.store.groups_of_user(&caller.account, &user.name).await?;
        if groups.len() >= MAX_GROUPS_PER_USER && !groups.iter().any(|g| g.name == group.name) {
            return Err(KmsError::LimitExceeded(format!(
                "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
            )));
        }
        let member =
            GroupMemberRecord { account: caller.account.clone(), group_name: group.name, user_name: user.name };
        match self.commit(caller, async |events| self.store.add_group_member(&member, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_group(group_name)),
            Err(e) => Err(e.into()),
        }
    }

    /// RemoveUserFromGroup.
    pub async fn remove_user_from_group(
        &self,
        caller: &Caller,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::RemoveUserFromGroup, &Self::group_arn(caller, group_name), &[])
            .await?;
        let group = self.existing_group(caller, group_name).await?;
        let user = self.group_user(caller, user_name).await?;
        let member =
            GroupMemberRecord { account: caller.account.clone(), group_name: group.name, user_name: user.name };
        match self.commit(caller, async |events| self.store.remove_group_member(&member, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!(
                "The user with name {user_name} cannot be found in group {group_name}."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// ListGroupsForUser.
    pub async fn list_groups_for_user(&self, caller: &Caller, user_name: &str) -> Result<Vec<GroupRecord>, KmsError> {
        let user_arn = format!("arn:aws:iam::{}:user/{user_name}", caller.account.as_str());
        self.authorize_identity(caller, Operation::ListGroupsForUser, &user_arn, &[]).await?;
        let user = self.group_user(caller, user_name).await?;
        Ok(self.store.groups_of_user(&caller.account, &user.name).await?)
    }

    /// PutGroupPolicy: adds or replaces an inline identity policy, within
    /// IAM's quota for a group's inline policies together.
    pub async fn put_group_policy(
        &self,
        caller: &Caller,
        group_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), KmsError> {
        check_iam_name("policyName", policy_name, 128)?;
        self.authorize_identity(caller, Operation::PutGroupPolicy, &Self::group_arn(caller, group_name), &[]).await?;
        Policy::parse(document, PolicyKind::Identity).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
        let group = self.existing_group(caller, group_name).await?;
        let others: usize = self
            .store
            .group_policies(&caller.account, &group.name)
            .await?
            .iter()
            .filter(|p| p.policy_name != policy_name)
            .map(|p| policy_chars(&p.document))
            .sum();
        if others + policy_chars(document) > MAX_GROUP_POLICY_CHARS {
            return Err(KmsError::LimitExceeded(format!(
                "Maximum policy size of {MAX_GROUP_POLICY_CHARS} bytes exceeded for group {}",
                group.name
            )));
        }
        let record = GroupPolicyRecord {
            account: caller.account.clone(),
            group_name: group.name.clone(),
            policy_name: policy_name.to_owned(),
            document: document.to_owned(),
        };
        match self.commit(caller, async |events| self.store.put_group_policy(&record, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_group(group_name)),
            Err(e) => Err(e.into()),
        }
    }

    /// GetGroupPolicy.
    pub async fn get_group_policy(
        &self,
        caller: &Caller,
        group_name: &str,
        policy_name: &str,
    ) -> Result<GroupPolicyRecord, KmsError> {
        self.authorize_identity(caller, Operation::GetGroupPolicy, &Self::group_arn(caller, group_name), &[]).await?;
        let group = self.existing_group(caller, group_name).await?;
        self.store
            .group_policies(&caller.account, &group.name)
            .await?
            .into_iter()
            .find(|p| p.policy_name == policy_name)
            .ok_or_else(|| no_such_group_policy(&group.name, policy_name))
    }

    /// DeleteGroupPolicy.
    pub async fn delete_group_policy(
        &self,
        caller: &Caller,
        group_name: &str,
        policy_name: &str,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteGroupPolicy, &Self::group_arn(caller, group_name), &[])
            .await?;
        let group = self.existing_group(caller, group_name).await?;
        match self
            .commit(caller, async |events| {
                self.store.delete_group_policy(&caller.account, &group.name, policy_name, events).await
            })
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_group_policy(&group.name, policy_name)),
            Err(e) => Err(e.into()),
        }
    }

    /// ListGroupPolicies: the group's policy names, sorted.
    pub async fn list_group_policies(&self, caller: &Caller, group_name: &str) -> Result<Vec<String>, KmsError> {
        self.authorize_identity(caller, Operation::ListGroupPolicies, &Self::group_arn(caller, group_name), &[])
            .await?;
        let group = self.existing_group(caller, group_name).await?;
        let mut names: Vec<String> =
            self.store.group_policies(&caller.account, &group.name).await?.into_iter().map(|p| p.policy_name).collect();
        names.sort();
        Ok(names)
    }
}
