//! Customer managed IAM policies: CreatePolicy, GetPolicy, DeletePolicy,
//! ListPolicies, CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
//! DeletePolicyVersion, SetDefaultPolicyVersion; their attachments to
//! users, roles and groups (Attach/Detach/ListAttached{User,Role,Group}
//! Policies, ListEntitiesForPolicy); and permissions boundaries
//! (Put/Delete{User,Role}PermissionsBoundary); TagPolicy, UntagPolicy,
//! ListPolicyTags.
//!
//! A managed policy is a named identity policy with up to five versions,
//! one of them the default: what applies to every user, role and group it
//! is attached to ([`crate::authz`]). A permissions boundary is a managed
//! policy that caps what a user's or role's identity policies can allow.
//! Trent has no AWS managed policies (`arn:aws:iam::aws:policy/…`): naming
//! one is `NoSuchEntity`, as a policy that does not exist.

use super::roles::{check_iam_name, check_path};
use super::users::{add_iam_tags, check_iam_tags, policy_chars, remove_iam_tags};
use crate::authz::request_tag_context;
use crate::error::KmsError;
use crate::kms::BASE32;
use crate::model::{
    AttachmentTarget, GroupRecord, ManagedPolicyRecord, PolicyAttachmentRecord, PolicyVersionRecord, RoleRecord,
    UserRecord,
};
use crate::policy::{Policy, PolicyKind};
use crate::store::StoreError;
use crate::{Caller, Kms};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use trent_api::ids::AccountId;
use trent_api::Operation;

/// IAM's quota on one managed policy document: 6,144 characters,
/// whitespace not counted.
const MAX_MANAGED_POLICY_CHARS: usize = 6144;
/// Most versions one managed policy keeps.
const MAX_POLICY_VERSIONS: usize = 5;
/// Most managed policies attached to one user, role or group (IAM's
/// default quota).
const MAX_ATTACHED_POLICIES: usize = 10;
/// Most customer managed policies in one account (IAM's default quota).
const MAX_POLICIES_PER_ACCOUNT: usize = 1500;

/// What CreatePolicy is given.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    /// PolicyName.
    pub name: String,
    /// Path (`/` when absent).
    pub path: Option<String>,
    /// PolicyDocument.
    pub document: String,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// A managed policy as GetPolicy and ListPolicies show it, with where it
/// is used.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// The policy.
    pub policy: ManagedPolicyRecord,
    /// How many users, roles and groups it is attached to.
    pub attachment_count: usize,
    /// How many users and roles it is the permissions boundary of.
    pub boundary_count: usize,
}

/// ListPolicies' filters.
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter {
    /// Scope: `All`, `AWS` or `Local` (`All` when absent).
    pub scope: Option<String>,
    /// Only policies attached to something.
    pub only_attached: bool,
    /// PathPrefix.
    pub path_prefix: Option<String>,
    /// PolicyUsageFilter: `PermissionsPolicy` or `PermissionsBoundary`.
    pub usage: Option<String>,
}

/// The kinds of entity a managed policy attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// A user.
    User,
    /// A role.
    Role,
    /// A group.
    Group,
}

impl EntityKind {
    fn attachment(self) -> AttachmentTarget {
        match self {
            EntityKind::User => AttachmentTarget::User,
            EntityKind::Role => AttachmentTarget::Role,
            EntityKind::Group => AttachmentTarget::Group,
        }
    }

    fn boundary(self) -> Option<AttachmentTarget> {
        match self {
            EntityKind::User => Some(AttachmentTarget::UserBoundary),
            EntityKind::Role => Some(AttachmentTarget::RoleBoundary),
            EntityKind::Group => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Role => "role",
            EntityKind::Group => "group",
        }
    }
}

/// The users, groups and roles a policy is attached to (ListEntitiesForPolicy).
#[derive(Debug, Clone, Default)]
pub struct PolicyEntities {
    /// Groups, by name.
    pub groups: Vec<GroupRecord>,
    /// Users, by name.
    pub users: Vec<UserRecord>,
    /// Roles, by name.
    pub roles: Vec<RoleRecord>,
}

/// `NoSuchEntity` for a policy ARN that names nothing (GetPolicy, …).
fn policy_not_found(arn: &str) -> KmsError {
    KmsError::NotFound(format!("Policy {arn} was not found."))
}

/// `NoSuchEntity` for a policy that cannot be attached (absent, another
/// account's, or AWS managed).
fn not_attachable(arn: &str) -> KmsError {
    KmsError::NotFound(format!("Policy {arn} does not exist or is not attachable."))
}

/// Parses a policy version id (`v1`, `v12`): IAM's pattern
/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`, of which Trent makes only the digits.
fn parse_version(version_id: &str) -> Result<u32, KmsError> {
    let digits = version_id.strip_prefix('v').filter(|d| !d.starts_with('0') && !d.is_empty());
    match digits.and_then(|d| d.parse::<u32>().ok()) {
        Some(n) => Ok(n),
        None => Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{version_id}' at 'versionId' failed to satisfy constraint: Member \
             must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
        ))),
    }
}

/// Checks a managed policy document: an identity policy within IAM's size
/// quota.
fn check_document(document: &str) -> Result<(), KmsError> {
    if policy_chars(document) > MAX_MANAGED_POLICY_CHARS {
        return Err(KmsError::LimitExceeded(format!("Cannot exceed quota for PolicySize: {MAX_MANAGED_POLICY_CHARS}")));
    }
    Policy::parse(document, PolicyKind::Identity).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
    Ok(())
}

/// The (path, name) a policy ARN of `account` names: `None` for another
/// account's or an AWS managed policy. A string that is no policy ARN at
/// all is `InvalidInput`.
fn parse_policy_arn<'a>(account: &str, arn: &'a str) -> Result<Option<(&'a str, &'a str)>, KmsError> {
    let invalid = || KmsError::Validation(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (owner, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let full = resource.strip_prefix("policy/").ok_or_else(invalid)?;
    let (path, name) = match full.rfind('/') {
        Some(i) => (&resource["policy".len()..="policy".len() + i + 1], &full[i + 1..]),
        None => ("/", full),
    };
    if name.is_empty() {
        return Err(invalid());
    }
    Ok((owner == account).then_some((path, name)))
}

/// How long a managed session policy read is reused without a store read
/// ([`Kms::session_managed_policy`]); this node's own changes clear the
/// cache at once.
pub(crate) const MANAGED_POLICY_TTL_MS: i64 = 1_000;
/// Most managed session policies cached; the cache is emptied when full.
const MANAGED_POLICY_CACHE_CAPACITY: usize = 10_000;

/// Managed session policies read recently, by (account, ARN), with when.
#[derive(Default)]
pub(crate) struct ManagedPolicyCache(Mutex<HashMap<(AccountId, String), CachedPolicy>>);

/// When a managed session policy was read, and the policy.
type CachedPolicy = (i64, Arc<Policy>);

impl ManagedPolicyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(AccountId, String), CachedPolicy>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, slot: &(AccountId, String), now: i64) -> Option<Arc<Policy>> {
        let cache = self.lock();
        let (at, p) = cache.get(slot)?;
        (now.saturating_sub(*at) < MANAGED_POLICY_TTL_MS && *at <= now).then(|| p.clone())
    }

    fn insert(&self, slot: (AccountId, String), now: i64, policy: Arc<Policy>) {
        let mut cache = self.lock();
        if cache.len() >= MANAGED_POLICY_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(slot, (now, policy));
    }

    /// Forgets everything: a managed policy of this node changed.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

impl Kms {
    fn policy_arn(caller: &Caller, name: &str) -> String {
        format!("arn:aws:iam::{}:policy/{name}", caller.account.as_str())
    }

    /// The policy a policy ARN names in the caller's account; `missing`
    /// makes the error for one that does not exist.
    async fn policy_by_arn(
        &self,
        caller: &Caller,
        arn: &str,
        missing: fn(&str) -> KmsError,
    ) -> Result<ManagedPolicyRecord, KmsError> {
        let Some((path, name)) = parse_policy_arn(caller.account.as_str(), arn)? else {
            return Err(missing(arn));
        };
        match self.store.managed_policy(&caller.account, name).await? {
            Some(p) if p.name == name && p.path == path => Ok(p),
            _ => Err(missing(arn)),
        }
    }

    /// The default version's document of the customer managed policy
    /// `arn` names in `account`; `None` when it names none there (another
    /// account's, an AWS managed policy, a deleted one).
    pub(crate) async fn managed_policy_document(
        &self,
        account: &AccountId,
        arn: &str,
    ) -> Result<Option<String>, KmsError> {
        let Ok(Some((path, name))) = parse_policy_arn(account.as_str(), arn) else { return Ok(None) };
        let Some(policy) = self.store.managed_policy(account, name).await?.filter(|p| p.name == name && p.path == path)
        else {
            return Ok(None);
        };
        let versions = self.store.policy_versions(account, &policy.name).await?;
        Ok(versions.into_iter().find(|v| v.version == policy.default_version).map(|v| v.document))
    }

    /// A managed session policy (a session's `PolicyArns`) as it applies
    /// now: its default version, parsed; one that names nothing allows
    /// nothing. Read through [`ManagedPolicyCache`]: a change of a managed
    /// policy on this node applies from the next request, another node's
    /// within [`MANAGED_POLICY_TTL_MS`].
    pub(crate) async fn session_managed_policy(&self, account: &AccountId, arn: &str) -> Result<Arc<Policy>, KmsError> {
        let now = self.now();
        let slot = (account.clone(), arn.to_owned());
        if let Some(p) = self.managed_policy_cache.get(&slot, now) {
            return Ok(p);
        }
        let document = self.managed_policy_document(account, arn).await?;
        let policy = match document {
            Some(d) => self.identity_policies.or_nothing(&d),
            None => Arc::new(Policy::allows_nothing()),
        };
        self.managed_policy_cache.insert(slot, now, policy.clone());
        Ok(policy)
    }

    /// Counts a policy's attachments and boundaries.
    async fn policy_view(&self, policy: ManagedPolicyRecord) -> Result<PolicyView, KmsError> {
        let attachments = self.store.policy_attachments(&policy.account, &policy.name).await?;
        let boundary_count = attachments.iter().filter(|a| a.target.is_boundary()).count();
        Ok(PolicyView { attachment_count: attachments.len() - boundary_count, boundary_count, policy })
    }

    /// CreatePolicy: a new managed policy whose first version, `v1`, is its
    /// default.
    pub async fn create_policy(&self, caller: &Caller, new: NewPolicy) -> Result<ManagedPolicyRecord, KmsError> {
        check_iam_name("policyName", &new.name, 128)?;
        let path = new.path.clone().unwrap_or_else(|| "/".into());
        check_path(&path)?;
        if new.description.as_ref().is_some_and(|d| d.chars().count() > 1000) {
            return Err(KmsError::Validation(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have \
                 length less than or equal to 1000"
                    .into(),
            ));
        }
        check_iam_tags(&new.tags, "policy")?;
        let arn = format!("arn:aws:iam::{}:policy{path}{}", caller.account.as_str(), new.name);
        self.authorize_identity(caller, Operation::CreatePolicy, &arn, &request_tag_context(&new.tags)).await?;
        check_document(&new.document)?;
        if self.store.managed_policies(&caller.account).await?.len() >= MAX_POLICIES_PER_ACCOUNT {
            return Err(KmsError::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES_PER_ACCOUNT}"
            )));
        }
        let now = self.now();
        let policy = ManagedPolicyRecord {
            account: caller.account.clone(),
            name: new.name.clone(),
            policy_id: format!("ANPA{}", self.random_string(BASE32, 17)?.as_str()),
            path,
            description: new.description,
            default_version: 1,
            next_version: 2,
            created_at: now,
            updated_at: now,
            tags: new.tags,
        };
        let version = PolicyVersionRecord {
            account: caller.account.clone(),
            policy_name: policy.name.clone(),
            version: 1,
            document: new.document,
            created_at: now,
        };
        let response = serde_json::json!({"policy": {
            "policyName": policy.name, "policyId": policy.policy_id, "arn": policy.arn(), "path": policy.path,
            "defaultVersionId": "v1",
        }});
        match self
            .commit_answering(caller, &response, async |events| {
                self.store.insert_managed_policy(&policy, &version, events).await
            })
            .await
        {
            Ok(()) => {
                self.managed_policy_cache.clear();
                Ok(policy)
            }
            Err(StoreError::AlreadyExists) => Err(KmsError::AlreadyExists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                new.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// GetPolicy.
    pub async fn get_policy(&self, caller: &Caller, arn: &str) -> Result<PolicyView, KmsError> {
        self.authorize_identity(caller, Operation::GetPolicy, arn, &[]).await?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        self.policy_view(policy).await
    }

    /// ListPolicies: the account's managed policies by name (Trent has no
    /// AWS managed policies: `Scope=AWS` lists none).
    pub async fn list_policies(&self, caller: &Caller, filter: &PolicyFilter) -> Result<Vec<PolicyView>, KmsError> {
        self.authorize_identity(caller, Operation::ListPolicies, &Self::policy_arn(caller, "*"), &[]).await?;
        if filter.scope.as_deref() == Some("AWS") {
            return Ok(Vec::new());
        }
        let prefix = filter.path_prefix.as_deref().unwrap_or("/");
        let mut views = Vec::new();
        for policy in self.store.managed_policies(&caller.account).await? {
            if !policy.path.starts_with(prefix) {
                continue;
            }
            let view = self.policy_view(policy).await?;
            let used = match filter.usage.as_deref() {
                Some("PermissionsBoundary") => view.boundary_count,
                Some(_) => view.attachment_count,
                None => view.attachment_count + view.boundary_count,
            };
            if filter.only_attached && used == 0 {
                continue;
            }
            views.push(view);
        }
        Ok(views)
    }

    /// DeletePolicy: refused while the policy is attached or has versions
    /// besides its default, as IAM refuses it.
    pub async fn delete_policy(&self, caller: &Caller, arn: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeletePolicy, arn, &[]).await?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        if !self.store.policy_attachments(&caller.account, &policy.name).await?.is_empty() {
            return Err(KmsError::DeleteConflict("Cannot delete a policy attached to entities.".into()));
        }
        if self.store.policy_versions(&caller.account, &policy.name).await?.len() > 1 {
            return Err(KmsError::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's \
                 versions. The default version is deleted with the policy."
                    .into(),
            ));
        }
        match self
            .commit(caller, async |events| {
                self.store.delete_managed_policy(&caller.account, &policy.name, events).await
            })
            .await
        {
            Ok(()) => {
                self.managed_policy_cache.clear();
                Ok(())
            }
            Err(StoreError::NotFound) => Err(policy_not_found(arn)),
            Err(e) => Err(e.into()),
        }
    }

    /// CreatePolicyVersion: a new version, made the default when
    /// `set_default`. A policy keeps at most five.
    pub async fn create_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<(PolicyVersionRecord, bool), KmsError> {
        self.authorize_identity(caller, Operation::CreatePolicyVersion, arn, &[]).await?;
        let mut policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        check_document(document)?;
        if self.store.policy_versions(&caller.account, &policy.name).await?.len() >= MAX_POLICY_VERSIONS {
            return Err(KmsError::LimitExceeded(format!(
                "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, \
                 you must delete an existing version."
            )));
        }
        let now = self.now();
        let version = PolicyVersionRecord {
            account: caller.account.clone(),
            policy_name: policy.name.clone(),
            version: policy.next_version,
            document: document.to_owned(),
            created_at: now,
        };
        policy.next_version += 1;
        if set_default {
            policy.default_version = version.version;
            policy.updated_at = now;
        }
        let response = serde_json::json!({"policyVersion": {
            "versionId": format!("v{}", version.version), "isDefaultVersion": set_default,
        }});
        match self
            .commit_answering(caller, &response, async |events| {
                self.store.update_managed_policy(&policy, Some(&version), events).await
            })
            .await
        {
            Ok(()) => {
                self.managed_policy_cache.clear();
                Ok((version, set_default))
            }
            Err(StoreError::NotFound) => Err(policy_not_found(arn)),
            Err(StoreError::AlreadyExists) => {
                Err(KmsError::Conflict("The policy was changed by another request; try again.".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// GetPolicyVersion: the version and whether it is the default.
    pub async fn get_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> Result<(PolicyVersionRecord, bool), KmsError> {
        self.authorize_identity(caller, Operation::GetPolicyVersion, arn, &[]).await?;
        let n = parse_version(version_id)?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        let versions = self.store.policy_versions(&caller.account, &policy.name).await?;
        match versions.into_iter().find(|v| v.version == n) {
            Some(v) => Ok((v, n == policy.default_version)),
            None => Err(KmsError::NotFound(format!(
                "Policy {arn} version {version_id} does not exist or is not attachable."
            ))),
        }
    }

    /// ListPolicyVersions: newest first, as IAM lists them, each with
    /// whether it is the default.
    pub async fn list_policy_versions(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<Vec<(PolicyVersionRecord, bool)>, KmsError> {
        self.authorize_identity(caller, Operation::ListPolicyVersions, arn, &[]).await?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        let mut versions = self.store.policy_versions(&caller.account, &policy.name).await?;
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(versions
            .into_iter()
            .map(|v| {
                let d = v.version == policy.default_version;
                (v, d)
            })
            .collect())
    }

    /// DeletePolicyVersion: any version but the default.
    pub async fn delete_policy_version(&self, caller: &Caller, arn: &str, version_id: &str) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::DeletePolicyVersion, arn, &[]).await?;
        let n = parse_version(version_id)?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        if n == policy.default_version {
            return Err(KmsError::DeleteConflict("Cannot delete the default version of a policy.".into()));
        }
        match self
            .commit(caller, async |events| {
                self.store.delete_policy_version(&caller.account, &policy.name, n, events).await
            })
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!(
                "Policy {arn} version {version_id} does not exist or is not attachable."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// SetDefaultPolicyVersion: which version applies from now on.
    pub async fn set_default_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> Result<(), KmsError> {
        self.authorize_identity(caller, Operation::SetDefaultPolicyVersion, arn, &[]).await?;
        let n = parse_version(version_id)?;
        let mut policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        if !self.store.policy_versions(&caller.account, &policy.name).await?.iter().any(|v| v.version == n) {
            return Err(KmsError::NotFound(format!(
                "Policy {arn} version {version_id} does not exist or is not attachable."
            )));
        }
        policy.default_version = n;
        policy.updated_at = self.now();
        match self.commit(caller, async |events| self.store.update_managed_policy(&policy, None, events).await).await {
            Ok(()) => {
                self.managed_policy_cache.clear();
                Ok(())
            }
            Err(StoreError::NotFound) => Err(policy_not_found(arn)),
            Err(e) => Err(e.into()),
        }
    }

    /// TagPolicy: adds tags, replacing the value of a key already present
    /// (in any case).
    pub async fn tag_policy(&self, caller: &Caller, arn: &str, tags: Vec<(String, String)>) -> Result<(), KmsError> {
        check_iam_tags(&tags, "policy")?;
        self.authorize_identity(caller, Operation::TagPolicy, arn, &request_tag_context(&tags)).await?;
        let mut policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        add_iam_tags(&mut policy.tags, tags);
        check_iam_tags(&policy.tags, "policy")?;
        self.update_policy_record(caller, arn, &policy).await
    }

    /// UntagPolicy: removes the tags with these keys (in any case).
    pub async fn untag_policy(&self, caller: &Caller, arn: &str, keys: Vec<String>) -> Result<(), KmsError> {
        let context = [("aws:TagKeys".to_owned(), keys.clone())];
        self.authorize_identity(caller, Operation::UntagPolicy, arn, &context).await?;
        let mut policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        remove_iam_tags(&mut policy.tags, &keys);
        self.update_policy_record(caller, arn, &policy).await
    }

    /// ListPolicyTags.
    pub async fn list_policy_tags(&self, caller: &Caller, arn: &str) -> Result<Vec<(String, String)>, KmsError> {
        self.authorize_identity(caller, Operation::ListPolicyTags, arn, &[]).await?;
        Ok(self.policy_by_arn(caller, arn, policy_not_found).await?.tags)
    }

    /// Stores a policy's changed record (its tags), mapping NotFound.
    async fn update_policy_record(
        &self,
        caller: &Caller,
        arn: &str,
        policy: &ManagedPolicyRecord,
    ) -> Result<(), KmsError> {
        match self.commit(caller, async |events| self.store.update_managed_policy(policy, None, events).await).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(policy_not_found(arn)),
            Err(e) => Err(e.into()),
        }
    }

    /// The stored name of a user, role or group named in any case;
    /// `NoSuchEntity` when there is none.
    async fn attachable_entity(&self, caller: &Caller, kind: EntityKind, name: &str) -> Result<String, KmsError> {
        let missing = || KmsError::NotFound(format!("The {} with name {name} cannot be found.", kind.word()));
        Ok(match kind {
            EntityKind::User => {
                check_iam_name("userName", name, 64)?;
                self.store.user(&caller.account, name).await?.ok_or_else(missing)?.name
            }
            EntityKind::Role => {
                check_iam_name("roleName", name, 64)?;
                self.store.role(&caller.account, name).await?.ok_or_else(missing)?.name
            }
            EntityKind::Group => {
                check_iam_name("groupName", name, 128)?;
                self.store.group(&caller.account, name).await?.ok_or_else(missing)?.name
            }
        })
    }

    /// Attaches (or detaches) a managed policy, mapping the store's
    /// NotFound to `missing`.
    async fn commit_attachment(
        &self,
        caller: &Caller,
        attachment: PolicyAttachmentRecord,
        attach: bool,
        missing: KmsError,
    ) -> Result<(), KmsError> {
        let write = async |events: &[crate::audit::AuditEntry]| match attach {
            true => self.store.attach_policy(&attachment, events).await,
            false => self.store.detach_policy(&attachment, events).await,
        };
        match self.commit(caller, write).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(missing),
            Err(e) => Err(e.into()),
        }
    }

    /// The ARN an IAM action on an entity is authorized on, before the
    /// entity is read (as the user, role and group operations do).
    fn entity_arn(caller: &Caller, kind: EntityKind, name: &str) -> String {
        format!("arn:aws:iam::{}:{}/{name}", caller.account.as_str(), kind.word())
    }

    /// Attach{User,Role,Group}Policy (attached already: nothing changes).
    pub async fn attach_policy(
        &self,
        caller: &Caller,
        kind: EntityKind,
        entity: &str,
        arn: &str,
    ) -> Result<(), KmsError> {
        let op = match kind {
            EntityKind::User => Operation::AttachUserPolicy,
            EntityKind::Role => Operation::AttachRolePolicy,
            EntityKind::Group => Operation::AttachGroupPolicy,
        };
        let context = [("iam:PolicyARN".to_owned(), vec![arn.to_owned()])];
        self.authorize_identity(caller, op, &Self::entity_arn(caller, kind, entity), &context).await?;
        let policy = self.policy_by_arn(caller, arn, not_attachable).await?;
        let name = self.attachable_entity(caller, kind, entity).await?;
        let target = kind.attachment();
        let attached = self.store.attached_policies(&caller.account, target, &name).await?;
        if attached.len() >= MAX_ATTACHED_POLICIES && !attached.iter().any(|a| a.policy.name == policy.name) {
            let quota = match kind {
                EntityKind::User => "PoliciesPerUser",
                EntityKind::Role => "PoliciesPerRole",
                EntityKind::Group => "PoliciesPerGroup",
            };
            return Err(KmsError::LimitExceeded(format!("Cannot exceed quota for {quota}: {MAX_ATTACHED_POLICIES}")));
        }
        let attachment = PolicyAttachmentRecord {
            account: caller.account.clone(),
            policy_name: policy.name,
            target,
            entity_name: name,
        };
        self.commit_attachment(caller, attachment, true, not_attachable(arn)).await
    }

    /// Detach{User,Role,Group}Policy.
    pub async fn detach_policy(
        &self,
        caller: &Caller,
        kind: EntityKind,
        entity: &str,
        arn: &str,
    ) -> Result<(), KmsError> {
        let op = match kind {
            EntityKind::User => Operation::DetachUserPolicy,
            EntityKind::Role => Operation::DetachRolePolicy,
            EntityKind::Group => Operation::DetachGroupPolicy,
        };
        let context = [("iam:PolicyARN".to_owned(), vec![arn.to_owned()])];
        self.authorize_identity(caller, op, &Self::entity_arn(caller, kind, entity), &context).await?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        let name = self.attachable_entity(caller, kind, entity).await?;
        let attachment = PolicyAttachmentRecord {
            account: caller.account.clone(),
            policy_name: policy.name,
            target: kind.attachment(),
            entity_name: name,
        };
        self.commit_attachment(caller, attachment, false, policy_not_found(arn)).await
    }

    /// ListAttached{User,Role,Group}Policies: by policy name, those under
    /// `path_prefix` when given.
    pub async fn list_attached_policies(
        &self,
        caller: &Caller,
        kind: EntityKind,
        entity: &str,
        path_prefix: Option<&str>,
    ) -> Result<Vec<ManagedPolicyRecord>, KmsError> {
        let op = match kind {
            EntityKind::User => Operation::ListAttachedUserPolicies,
            EntityKind::Role => Operation::ListAttachedRolePolicies,
            EntityKind::Group => Operation::ListAttachedGroupPolicies,
        };
        self.authorize_identity(caller, op, &Self::entity_arn(caller, kind, entity), &[]).await?;
        let name = self.attachable_entity(caller, kind, entity).await?;
        let prefix = path_prefix.unwrap_or("/");
        Ok(self
            .store
            .attached_policies(&caller.account, kind.attachment(), &name)
            .await?
            .into_iter()
            .map(|a| a.policy)
            .filter(|p| p.path.starts_with(prefix))
            .collect())
    }

    /// ListEntitiesForPolicy: the users, groups and roles a policy is
    /// attached to (as a permissions policy, or as a boundary when `usage`
    /// is `PermissionsBoundary`), of `kind` alone when given.
    pub async fn list_entities_for_policy(
        &self,
        caller: &Caller,
        arn: &str,
        kind: Option<EntityKind>,
        usage: Option<&str>,
    ) -> Result<PolicyEntities, KmsError> {
        self.authorize_identity(caller, Operation::ListEntitiesForPolicy, arn, &[]).await?;
        let policy = self.policy_by_arn(caller, arn, policy_not_found).await?;
        let boundaries = usage == Some("PermissionsBoundary");
        let mut out = PolicyEntities::default();
        for a in self.store.policy_attachments(&caller.account, &policy.name).await? {
            let a_kind = match a.target {
                AttachmentTarget::User | AttachmentTarget::UserBoundary => EntityKind::User,
                AttachmentTarget::Role | AttachmentTarget::RoleBoundary => EntityKind::Role,
                AttachmentTarget::Group => EntityKind::Group,
            };
            if a.target.is_boundary() != boundaries || kind.is_some_and(|k| k != a_kind) {
                continue;
            }
            match a_kind {
                EntityKind::User => out.users.extend(self.store.user(&caller.account, &a.entity_name).await?),
                EntityKind::Role => out.roles.extend(self.store.role(&caller.account, &a.entity_name).await?),
                EntityKind::Group => out.groups.extend(self.store.group(&caller.account, &a.entity_name).await?),
            }
        }
        Ok(out)
    }

    /// Put{User,Role}PermissionsBoundary: `arn`'s default version caps
    /// what the entity's identity policies allow (replacing any boundary
    /// it had).
    pub async fn put_permissions_boundary(
        &self,
        caller: &Caller,
        kind: EntityKind,
        entity: &str,
        arn: &str,
    ) -> Result<(), KmsError> {
        let (op, target) = match kind.boundary() {
            Some(t) if kind == EntityKind::User => (Operation::PutUserPermissionsBoundary, t),
            Some(t) => (Operation::PutRolePermissionsBoundary, t),
            None => return Err(KmsError::Validation("Groups have no permissions boundary.".into())),
        };
        let context = [("iam:PermissionsBoundary".to_owned(), vec![arn.to_owned()])];
        self.authorize_identity(caller, op, &Self::entity_arn(caller, kind, entity), &context).await?;
        let scope_missing =
            |arn: &str| KmsError::NotFound(format!("Scope ARN: {arn} does not exist or is not attachable."));
        let policy = self.policy_by_arn(caller, arn, scope_missing).await?;
        let name = self.attachable_entity(caller, kind, entity).await?;
        let attachment = PolicyAttachmentRecord {
            account: caller.account.clone(),
            policy_name: policy.name,
            target,
            entity_name: name,
        };
        self.commit_attachment(caller, attachment, true, scope_missing(arn)).await
    }

    /// Delete{User,Role}PermissionsBoundary.
    pub async fn delete_permissions_boundary(
        &self,
        caller: &Caller,
        kind: EntityKind,
        entity: &str,
    ) -> Result<(), KmsError> {
        let (op, target) = match kind.boundary() {
            Some(t) if kind == EntityKind::User => (Operation::DeleteUserPermissionsBoundary, t),
            Some(t) => (Operation::DeleteRolePermissionsBoundary, t),
            None => return Err(KmsError::Validation("Groups have no permissions boundary.".into())),
        };
        self.authorize_identity(caller, op, &Self::entity_arn(caller, kind, entity), &[]).await?;
        let name = self.attachable_entity(caller, kind, entity).await?;
        let no_boundary = || {
            KmsError::NotFound(format!("The {} with name {name} does not have a permissions boundary.", kind.word()))
        };
        let current = self.store.attached_policies(&caller.account, target, &name).await?;
        let Some(boundary) = current.into_iter().next() else { return Err(no_boundary()) };
        let attachment = PolicyAttachmentRecord {
            account: caller.account.clone(),
            policy_name: boundary.policy.name,
            target,
            entity_name: name.clone(),
        };
        self.commit_attachment(caller, attachment, false, no_boundary()).await
    }

    /// The ARN of a user's or role's permissions boundary (exact stored
    /// name), for GetUser and GetRole.
    pub async fn permissions_boundary_arn(
        &self,
        account: &trent_api::ids::AccountId,
        kind: EntityKind,
        name: &str,
    ) -> Result<Option<String>, KmsError> {
        let Some(target) = kind.boundary() else { return Ok(None) };
        Ok(self.store.attached_policies(account, target, name).await?.into_iter().next().map(|a| a.policy.arn()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns_name_a_path_and_a_name_in_the_account() {
        let p = |arn| parse_policy_arn("111122223333", arn);
        assert_eq!(p("arn:aws:iam::111122223333:policy/Readers").ok(), Some(Some(("/", "Readers"))));
        assert_eq!(p("arn:aws:iam::111122223333:policy/team/a/Readers").ok(), Some(Some(("/team/a/", "Readers"))));
        assert_eq!(p("arn:aws:iam::aws:policy/AdministratorAccess").ok(), Some(None));
        assert_eq!(p("arn:aws:iam::444455556666:policy/Readers").ok(), Some(None));
        for bad in ["", "Readers", "arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:policy/"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_ids_are_v_and_a_number() {
        assert_eq!(parse_version("v1").ok(), Some(1));
        assert_eq!(parse_version("v12").ok(), Some(12));
        for bad in ["", "v", "v0", "1", "V1", "v01", "vx"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
    }
}
