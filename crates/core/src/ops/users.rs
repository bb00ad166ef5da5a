//! IAM users of an account, their inline identity policies, their tags and
//! access keys (Trent's admin API, in IAM's shapes): CreateUser,
//! GetUser, DeleteUser, ListUsers, PutUserPolicy, GetUserPolicy, DeleteUserPolicy,
//! ListUserPolicies, TagUser, UntagUser, ListUserTags, CreateAccessKey,
//! DeleteAccessKey, UpdateAccessKey, ListAccessKeys.
//!
//! Each is an identity-policy permission (`iam:CreateUser` on the user's
//! ARN, …): the account root holds them all, a user when a policy of its
//! own allows. Only the caller's own account is reachable.

use crate::authz::request_tag_context;
use crate::error::KmsError;
use crate::kms::{BASE32, SECRET_CHARS};
use crate::model::{AccessKeyRecord, AttachmentTarget, UserPolicyRecord, UserRecord};
use crate::policy::{Policy, PolicyKind};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::{AccessKeyStatus, WireEnum as _};
use trent_api::ids::{AccessKeyId, PrincipalArn};
use trent_api::Operation;
use zeroize::Zeroizing;

/// Most tags a user may have (IAM's quota).
const MAX_USER_TAGS: usize = 50;

/// Checks tags given for a user or role (`what`): no key twice (in any
/// case, as IAM compares them), none in the reserved `aws:` namespace.
/// TagRole/TagPolicy/TagOpenIDConnectProvider: `new` added to `tags`, a key
/// already present (in any case) replaced and moved to the end.
pub(crate) fn add_iam_tags(tags: &mut Vec<(String, String)>, new: Vec<(String, String)>) {
    for (k, v) in new {
        tags.retain(|(x, _)| !x.eq_ignore_ascii_case(&k));
        tags.push((k, v));
    }
}

/// The Untag* calls: the tags with these keys (in any case) removed.
pub(crate) fn remove_iam_tags(tags: &mut Vec<(String, String)>, keys: &[String]) {
    tags.retain(|(k, _)| !keys.iter().any(|x| x.eq_ignore_ascii_case(k)));
}

pub(crate) fn check_iam_tags(tags: &[(String, String)], what: &str) -> Result<(), KmsError> {
    for (i, (k, _)) in tags.iter().enumerate() {
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(KmsError::Validation(format!("Tag key {k} uses the reserved aws: prefix.")));
        }
        if tags[..i].iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
            return Err(KmsError::Validation(format!("Duplicate tag keys found: {k}.")));
        }
    }
    if tags.len() > MAX_USER_TAGS {
        return Err(KmsError::LimitExceeded(format!("A {what} can have at most {MAX_USER_TAGS} tags.")));
    }
    Ok(())
}

/// IAM's quota on the inline policies of one user, together: 2,048
/// characters, whitespace not counted.
const MAX_USER_POLICY_CHARS: usize = 2048;

/// Most access keys one principal may have at once (IAM's quota): two, so
/// that a key can be rotated without a moment with none.
const MAX_ACCESS_KEYS: usize = 2;

/// An access key just created. The secret is shown once, here.
pub struct CreatedAccessKey {
    /// Its record (the secret wrapped, as stored).
    pub record: AccessKeyRecord,
    /// The user it belongs to; `None` for an account root.
    pub user_name: Option<String>,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
}

/// A user just created, with its first access key.
pub struct CreatedUser {
    /// The user.
    pub user: UserRecord,
    /// Its access key id.
    pub access_key_id: AccessKeyId,
    /// Its secret access key: shown once, never stored in clear.
    pub secret_access_key: Zeroizing<String>,
}

pub(crate) fn policy_chars(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// What GetUser shows: a user, or an account root.
pub enum GotUser {
    /// A user.
    User(UserRecord),
    /// An account root.
    Root {
        /// Its account.
        account: trent_api::ids::AccountId,
        /// When the account was created, epoch milliseconds.
        created_at: i64,
    },
}

fn no_such_user(name: &str) -> KmsError {
    KmsError::NotFound(format!("The user with name {name} cannot be found."))
}

impl Kms {
    /// The user named `name` (any case) of the caller's account.
    async fn existing_user(&self, caller: &Caller, name: &str) -> Result<UserRecord, KmsError> {
        self.store.user(&caller.account, name).await?.ok_or_else(|| no_such_user(name))
    }

    fn user_arn(caller: &Caller, name: &str) -> String {
        format!("arn:aws:iam::{}:user/{name}", caller.account.as_str())
    }

    /// CreateUser of Trent's admin API: a user of the caller's account with
    /// one access key and `tags` (its `aws:PrincipalTag/*`).
    pub async fn create_user(
        &self,
        caller: &Caller,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> Result<CreatedUser, KmsError> {
        let (user, key) = self.new_user(caller, name, tags, true).await?;
        let Some((access_key_id, secret_access_key)) = key else {
            return Err(KmsError::corrupt("a user made with a key has none"));
        };
        Ok(CreatedUser { user, access_key_id, secret_access_key })
    }

    /// CreateUser of IAM: a user with no access key (CreateAccessKey makes
    /// them), as IAM creates one.
    pub async fn create_iam_user(
        &self,
        caller: &Caller,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> Result<UserRecord, KmsError> {
        Ok(self.new_user(caller, name, tags, false).await?.0)
    }

    /// A new user, with its first access key when `with_key`.
    async fn new_user(
        &self,
        caller: &Caller,
        name: &str,
        tags: Vec<(String, String)>,
        with_key: bool,
    ) -> Result<(UserRecord, Option<(AccessKeyId, Zeroizing<String>)>), KmsError> {
        check_iam_tags(&tags, "user")?;
        let context = if tags.is_empty() { Vec::new() } else { request_tag_context(&tags) };
        self.authorize_identity(caller, Operation::CreateUser, &Self::user_arn(caller, name), &context).await?;
        let now = self.now();
        let user = UserRecord {
            account: caller.account.clone(),
            name: name.to_owned(),
            user_id: format!("AIDA{}", self.random_string(BASE32, 17)?.as_str()),
            created_at: now,
            tags,
        };
        let key = if with_key {
            let access_key_id = AccessKeyId::new_unchecked(format!("AKIA{}", self.random_string(BASE32, 16)?.as_str()));
            let secret = self.random_string(SECRET_CHARS, 40)?;
            let record = AccessKeyRecord {
                id: access_key_id.clone(),
                account: caller.account.clone(),
                principal: PrincipalArn::new_unchecked(user.arn()),
                wrapped_secret: self.keyring.wrap_access_secret(access_key_id.as_str(), secret.as_bytes())?,
                created_at: now,
                inactive: false,
            };
            Some((record, secret))
        } else {
            None
        };
        // The response minus the secret, which the event leaves out anyway.
        let mut response = serde_json::json!({
            "User": {"UserName": user.name, "UserId": user.user_id, "Arn": user.arn()},
        });
        if let Some((record, _)) = &key {
            response["AccessKeyId"] = record.id.as_str().into();
        }
        let record = key.as_ref().map(|(r, _)| r);
        match self
            .commit_answering(caller, &response, async |events| self.store.insert_user(&user, record, events).await)
            .await
        {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => {
                return Err(KmsError::AlreadyExists(format!("User with name {name} already exists.")))
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(
            by = caller.principal.as_str(),
            user = user.arn(),
            access_key_id = record.map(|r| r.id.as_str()),
            "user created"
        );
        Ok((user, key.map(|(r, secret)| (r.id, secret))))
    }

    /// DeleteUser of Trent's admin API: the user, its policies and its
    /// access keys.
    pub async fn delete_user(&self, caller: &Caller, name: &str) -> Result<(), KmsError> {
        self.remove_user(caller, name, true).await
    }

    /// DeleteUser of IAM: refused while the user has access keys or inline
    /// policies (`DeleteConflict`), as IAM refuses it.
    pub async fn delete_iam_user(&self, caller: &Caller, name: &str) -> Result<(), KmsError> {
        self.remove_user(caller, name, false).await
    }

    /// Deletes a user; with its policies and keys when `cascade`, else only
    /// once it has none.
    async fn remove_user(&self, caller: &Caller, name: &str, cascade: bool) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteUser, &Self::user_arn(caller, name), &[]).await?;
        let user = self.existing_user(caller, name).await?;
        if !cascade {
            if !self.store.access_keys_of(&PrincipalArn::new_unchecked(user.arn())).await?.is_empty() {
                return Err(KmsError::DeleteConflict("Cannot delete entity, must delete access keys first.".into()));
            }
            if !self.store.user_policies(&caller.account, &user.name).await?.is_empty() {
                return Err(KmsError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
            }
            if !self.store.groups_of_user(&caller.account, &user.name).await?.is_empty() {
                return Err(KmsError::DeleteConflict(
                    "Cannot delete entity, must remove users from group first.".into(),
                ));
            }
            if !self.store.attached_policies(&caller.account, AttachmentTarget::User, &user.name).await?.is_empty() {
                return Err(KmsError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
            }
        }
        match self
            .commit(caller, async |events| self.store.delete_user(&caller.account, &user.name, events).await)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(no_such_user(name)),
            Err(e) => return Err(e.into()),
        }
        self.forget_principal(&user.arn());
        Ok(())
    }

    /// TagUser: adds tags, replacing the value of a key already present (in
    /// any case).
    pub async fn tag_user(&self, caller: &Caller, name: &str, tags: Vec<(String, String)>) -> Result<(), KmsError> {
        check_iam_tags(&tags, "user")?;
        let context = request_tag_context(&tags);
        self.authorize_identity(caller, Operation::TagUser, &Self::user_arn(caller, name), &context).await?;
        let user = self.existing_user(caller, name).await?;
        let mut merged = user.tags.clone();
        for (k, v) in tags {
            match merged.iter_mut().find(|(x, _)| x.eq_ignore_ascii_case(&k)) {
                Some(slot) => *slot = (k, v),
                None => merged.push((k, v)),
            }
        }
        if merged.len() > MAX_USER_TAGS {
            return Err(KmsError::LimitExceeded(format!(
                "A user can have at most {MAX_USER_TAGS} tags; this request would leave {} with {}.",
                user.name,
                merged.len()
            )));
        }
        self.write_user_tags(caller, &user, &merged).await
    }

    /// UntagUser: removes the named tags (in any case); absent ones are
    /// ignored.
    pub async fn untag_user(&self, caller: &Caller, name: &str, keys: Vec<String>) -> Result<(), KmsError> {
        let context = [("aws:TagKeys".to_owned(), keys.clone())];
        self.authorize_identity(caller, Operation::UntagUser, &Self::user_arn(caller, name), &context).await?;
        let user = self.existing_user(caller, name).await?;
        let kept: Vec<(String, String)> =
            user.tags.iter().filter(|(k, _)| !keys.iter().any(|x| x.eq_ignore_ascii_case(k))).cloned().collect();
        self.write_user_tags(caller, &user, &kept).await
    }

    async fn write_user_tags(
        &self,
        caller: &Caller,
        user: &UserRecord,
        tags: &[(String, String)],
    ) -> Result<(), KmsError> {
        match self
            .commit(caller, async |events| self.store.update_user_tags(&caller.account, &user.name, tags, events).await)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_such_user(&user.name)),
            Err(e) => Err(e.into()),
        }
    }

    /// ListUserTags: in the order they were added.
    pub async fn list_user_tags(&self, caller: &Caller, name: &str) -> Result<Vec<(String, String)>, KmsError> {
        self.authorize_identity(caller, Operation::ListUserTags, &Self::user_arn(caller, name), &[]).await?;
        Ok(self.existing_user(caller, name).await?.tags)
    }

    /// The principal whose access keys a request is about: user `name` of
    /// the caller's account, or the caller itself when no name is given (as
    /// IAM does). Authorizes `action` on it first. Returns the principal and
    /// the user's stored name (`None` for a root).
    async fn access_key_principal(
        &self,
        caller: &Caller,
        name: Option<&str>,
        op: Operation,
    ) -> Result<(PrincipalArn, Option<String>), KmsError> {
        match name.or_else(|| crate::authz::user_name(caller.principal.as_str())) {
            Some(name) => {
                self.authorize_identity(caller, op, &Self::user_arn(caller, name), &[]).await?;
                let user = self.existing_user(caller, name).await?;
                Ok((PrincipalArn::new_unchecked(user.arn()), Some(user.name)))
            }
            // Only a root's own long-term keys belong to no user: a role
            // session must name the user (IAM's rule), so no access key is
            // ever made for a session's principal.
            None if caller.session.is_some() || caller.principal != caller.account.root_arn() => {
                Err(KmsError::Validation("Must specify userName when calling with non-User credentials".into()))
            }
            None => {
                self.authorize_identity(caller, op, caller.principal.as_str(), &[]).await?;
                Ok((caller.principal.clone(), None))
            }
        }
    }

    /// CreateAccessKey: a new key for a user (or the caller), at most
    /// `MAX_ACCESS_KEYS` (2) at once.
    pub async fn create_access_key(&self, caller: &Caller, name: Option<&str>) -> Result<CreatedAccessKey, KmsError> {
        let (principal, user_name) = self.access_key_principal(caller, name, Operation::CreateAccessKey).await?;
        if self.store.access_keys_of(&principal).await?.len() >= MAX_ACCESS_KEYS {
            return Err(KmsError::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
            )));
        }
        let id = AccessKeyId::new_unchecked(format!("AKIA{}", self.random_string(BASE32, 16)?.as_str()));
        let secret = self.random_string(SECRET_CHARS, 40)?;
        let record = AccessKeyRecord {
            id: id.clone(),
            account: caller.account.clone(),
            principal,
            wrapped_secret: self.keyring.wrap_access_secret(id.as_str(), secret.as_bytes())?,
            created_at: self.now(),
            inactive: false,
        };
        // The response's AccessKey holds the secret: the event names the key
        // by id only (and "AccessKey" is no allowed response member, so the
        // wire response could never bring the secret into an event either).
        let response = serde_json::json!({"AccessKeyId": id.as_str()});
        match self
            .commit_answering(caller, &response, async |events| {
                self.store.insert_access_key(&record, user_name.as_deref(), events).await
            })
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(no_such_user(name.unwrap_or_default())),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(
            by = caller.principal.as_str(),
            principal = record.principal.as_str(),
            access_key_id = id.as_str(),
            "access key created"
        );
        Ok(CreatedAccessKey { record, user_name, secret_access_key: secret })
    }

    /// ListAccessKeys: a user's (or the caller's) keys, by id, with the
    /// user's name (`None` for a root).
    pub async fn list_access_keys(
        &self,
        caller: &Caller,
        name: Option<&str>,
    ) -> Result<(Vec<AccessKeyRecord>, Option<String>), KmsError> {
        let (principal, user_name) = self.access_key_principal(caller, name, Operation::ListAccessKeys).await?;
        Ok((self.store.access_keys_of(&principal).await?, user_name))
    }

    /// DeleteAccessKey: a user's (or the caller's) key stops working at once
    /// on this node; another node honours it until its authentication cache
    /// entry expires (60 s). The last key of an account root cannot go:
    /// Trent has no other way in (AWS has its console password).
    pub async fn delete_access_key(&self, caller: &Caller, name: Option<&str>, id: &str) -> Result<(), KmsError> {
        let (principal, user_name) = self.access_key_principal(caller, name, Operation::DeleteAccessKey).await?;
        let keys = self.store.access_keys_of(&principal).await?;
        if !keys.iter().any(|k| k.id.as_str() == id) {
            return Err(KmsError::NotFound(format!("The Access Key with id {id} cannot be found.")));
        }
        if user_name.is_none() && keys.len() == 1 {
            return Err(KmsError::Validation(format!(
                "Access key {id} is the last access key of {}: an account root keeps at least one.",
                principal.as_str()
            )));
        }
        match self
            .commit(caller, async |events| self.store.delete_access_key(&AccessKeyId::new_unchecked(id), events).await)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(KmsError::NotFound(format!("The Access Key with id {id} cannot be found.")))
            }
            Err(e) => return Err(e.into()),
        }
        self.forget_access_key(id);
        Ok(())
    }

    /// UpdateAccessKey: makes a user's (or the caller's) key `Inactive`
    /// (refused at authentication as an unknown key is, the answer AWS
    /// gives) or `Active` again. Like DeleteAccessKey it takes effect at
    /// once on this node and within the authentication cache's 60 s on
    /// another. An account root keeps at least one active key.
    pub async fn update_access_key(
        &self,
        caller: &Caller,
        name: Option<&str>,
        id: &str,
        status: &AccessKeyStatus,
    ) -> Result<(), KmsError> {
        let inactive = match status {
            AccessKeyStatus::Active => false,
            AccessKeyStatus::Inactive => true,
            other => {
                return Err(KmsError::Validation(format!(
                    "Status {other} cannot be given to an access key: it is Active or Inactive."
                )))
            }
        };
        let (principal, user_name) = self.access_key_principal(caller, name, Operation::UpdateAccessKey).await?;
        let keys = self.store.access_keys_of(&principal).await?;
        let not_found = || KmsError::NotFound(format!("The Access Key with id {id} cannot be found."));
        let Some(key) = keys.iter().find(|k| k.id.as_str() == id) else {
            return Err(not_found());
        };
        if key.inactive == inactive {
            // Already so: nothing to write (the server records the event
            // of a call that changed nothing), and an answer as IAM gives.
            return Ok(());
        }
        if inactive && user_name.is_none() && keys.iter().filter(|k| !k.inactive).count() == 1 {
            return Err(KmsError::Validation(format!(
                "Access key {id} is the last active access key of {}: an account root keeps at least one.",
                principal.as_str()
            )));
        }
        let key_id = AccessKeyId::new_unchecked(id);
        match self
            .commit(caller, async |events| self.store.set_access_key_inactive(&key_id, inactive, events).await)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        }
        self.forget_access_key(id);
        tracing::info!(
            by = caller.principal.as_str(),
            principal = principal.as_str(),
            access_key_id = id,
            status = status.as_str(),
            "access key status changed"
        );
        Ok(())
    }

    /// ListUsers: the caller's account's users, by name.
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserRecord>, KmsError> {
        self.authorize_identity(caller, Operation::ListUsers, &Self::user_arn(caller, "*"), &[]).await?;
        Ok(self.store.users(&caller.account).await?)
    }

    /// PutUserPolicy: adds or replaces an inline identity policy. The
    /// document must parse as an identity policy (no Principal, a Resource
    /// in every statement), and the user's policies together must stay
    /// within `MAX_USER_POLICY_CHARS` (IAM's 2,048).
    pub async fn put_user_policy(
        &self,
        caller: &Caller,
        user_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::PutUserPolicy, &Self::user_arn(caller, user_name), &[]).await?;
        Policy::parse(document, PolicyKind::Identity).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
        let user = self.existing_user(caller, user_name).await?;
        let others: usize = self
            .store
            .user_policies(&caller.account, &user.name)
            .await?
            .iter()
            .filter(|p| p.policy_name != policy_name)
            .map(|p| policy_chars(&p.document))
            .sum();
        if others + policy_chars(document) > MAX_USER_POLICY_CHARS {
            return Err(KmsError::LimitExceeded(format!(
                "Maximum policy size of {MAX_USER_POLICY_CHARS} bytes exceeded for user {}",
                user.name
            )));
        }
        let record = UserPolicyRecord {
            account: caller.account.clone(),
            user_name: user.name.clone(),
            policy_name: policy_name.to_owned(),
            document: document.to_owned(),
        };
        match self.commit(caller, async |events| self.store.put_user_policy(&record, events).await).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(no_such_user(user_name)),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// GetUserPolicy.
    pub async fn get_user_policy(
        &self,
        caller: &Caller,
        user_name: &str,
        policy_name: &str,
    ) -> Result<UserPolicyRecord, KmsError> {
        self.authorize_identity(caller, Operation::GetUserPolicy, &Self::user_arn(caller, user_name), &[]).await?;
        let user = self.existing_user(caller, user_name).await?;
        self.store
            .user_policies(&caller.account, &user.name)
            .await?
            .into_iter()
            .find(|p| p.policy_name == policy_name)
            .ok_or_else(|| KmsError::NotFound(format!("The user policy with name {policy_name} cannot be found.")))
    }

    /// DeleteUserPolicy.
    pub async fn delete_user_policy(
        &self,
        caller: &Caller,
        user_name: &str,
        policy_name: &str,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeleteUserPolicy, &Self::user_arn(caller, user_name), &[]).await?;
        let user = self.existing_user(caller, user_name).await?;
        match self
            .commit(caller, async |events| {
                self.store.delete_user_policy(&caller.account, &user.name, policy_name, events).await
            })
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(KmsError::NotFound(format!("The user policy with name {policy_name} cannot be found.")))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// ListUserPolicies: the user's policy names, sorted.
    pub async fn list_user_policies(&self, caller: &Caller, user_name: &str) -> Result<Vec<String>, KmsError> {
        self.authorize_identity(caller, Operation::ListUserPolicies, &Self::user_arn(caller, user_name), &[]).await?;
        let user = self.existing_user(caller, user_name).await?;
        let mut names: Vec<String> =
            self.store.user_policies(&caller.account, &user.name).await?.into_iter().map(|p| p.policy_name).collect();
        names.sort();
        Ok(names)
    }

    /// GetUser: user `name` of the caller's account, or without a name the
    /// caller itself (an account root is shown as IAM shows it: its ARN
    /// `…:root` and the account id as its id). A caller that is neither a
    /// user nor a root must name a user, as IAM requires.
    pub async fn get_user(&self, caller: &Caller, name: Option<&str>) -> Result<GotUser, KmsError> {
        let own = crate::authz::user_name(caller.principal.as_str());
        match name.or(own) {
            Some(name) => {
                self.authorize_identity(caller, Operation::GetUser, &Self::user_arn(caller, name), &[]).await?;
                Ok(GotUser::User(self.existing_user(caller, name).await?))
            }
            None if caller.principal == caller.account.root_arn() => {
                self.authorize_identity(caller, Operation::GetUser, caller.principal.as_str(), &[]).await?;
                let created_at = self.store.account(&caller.account).await?.map_or(0, |a| a.created_at);
                Ok(GotUser::Root { account: caller.account.clone(), created_at })
            }
            None => Err(KmsError::Validation("Must specify userName when calling with non-User credentials".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_size_ignores_whitespace() {
        assert_eq!(policy_chars("{ \"a\" :\n\t1 }"), 7);
    }
}
