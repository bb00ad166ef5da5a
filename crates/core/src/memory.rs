//! An in-memory [`Store`] for scenario tests, with hooks to make the audit
//! append fail and to tamper with the trail. Same contract as the durable
//! stores (the conformance suite in `trent-store` runs against it too).
//!
//! Compiled only for tests (feature `test-util`): a release build of Trent
//! has no store without durability and no tampering hook.

use crate::audit::{
    chain, chain_owned, AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash, KeyLifetime, UsageCounts,
    UsageFilter, UsageTally,
};
use crate::model::*;
use crate::store::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};

#[derive(Default)]
struct Inner {
    domain_keys: BTreeMap<u32, DomainKeyRecord>,
    accounts: BTreeMap<AccountId, AccountRecord>,
    access_keys: BTreeMap<AccessKeyId, AccessKeyRecord>,
    /// By (account, lower-case name): names are unique regardless of case.
    users: BTreeMap<(AccountId, String), UserRecord>,
    /// By (account, user name, policy name).
    user_policies: BTreeMap<(AccountId, String, String), UserPolicyRecord>,
    /// By (account, lower-case name), as users.
    roles: BTreeMap<(AccountId, String), RoleRecord>,
    /// By (account, role name, policy name).
    role_policies: BTreeMap<(AccountId, String, String), RolePolicyRecord>,
    /// By (account, lower-case name), as users.
    groups: BTreeMap<(AccountId, String), GroupRecord>,
    /// By (account, group name, policy name).
    group_policies: BTreeMap<(AccountId, String, String), GroupPolicyRecord>,
    /// By (account, group name, user name).
    group_members: BTreeMap<(AccountId, String, String), GroupMemberRecord>,
    /// By (account, lower-case name), as users.
    managed_policies: BTreeMap<(AccountId, String), ManagedPolicyRecord>,
    /// By (account, policy name, version).
    policy_versions: BTreeMap<(AccountId, String, u32), PolicyVersionRecord>,
    /// By (account, policy name, target, entity name).
    policy_attachments: BTreeMap<(AccountId, String, AttachmentTarget, String), PolicyAttachmentRecord>,
    /// By (account, URL): URLs are compared exactly.
    oidc_providers: BTreeMap<(AccountId, String), OidcProviderRecord>,
    /// By id (unique in the deployment); names are unique per scope.
    custom_key_stores: BTreeMap<String, CustomKeyStoreRecord>,
    /// By (id, Region): the related keys of a multi-Region key share an id.
    keys: BTreeMap<(KeyId, String), KeyRecord>,
    versions: BTreeMap<(KeyId, u32), KeyVersionRecord>,
    aliases: BTreeMap<(AccountId, String, AliasName), AliasRecord>,
    grants: BTreeMap<(KeyId, String), GrantRecord>,
    destroyed: BTreeMap<(KeyId, String), (Scope, i64)>,
    audit: Vec<AuditRecord>,
    checkpoints: BTreeMap<u64, AuditCheckpoint>,
    audit_failing: bool,
}

impl Inner {
    /// Removes the attachments of an entity as any of `targets`.
    fn drop_attachments(&mut self, account: &AccountId, targets: &[AttachmentTarget], entity: &str) {
        self.policy_attachments.retain(|(a, _, t, e), _| !(a == account && targets.contains(t) && e == entity));
    }

    /// Whether an entity (exact stored name) of an attachment exists.
    fn entity_exists(&self, account: &AccountId, target: AttachmentTarget, name: &str) -> bool {
        let slot = (account.clone(), name.to_lowercase());
        match target {
            AttachmentTarget::User | AttachmentTarget::UserBoundary => {
                self.users.get(&slot).is_some_and(|u| u.name == name)
            }
            AttachmentTarget::Role | AttachmentTarget::RoleBoundary => {
                self.roles.get(&slot).is_some_and(|r| r.name == name)
            }
            AttachmentTarget::Group => self.groups.get(&slot).is_some_and(|r| r.name == name),
        }
    }

    /// The managed policy (exact stored name), if any.
    fn managed_policy_exact(&self, account: &AccountId, name: &str) -> Option<&ManagedPolicyRecord> {
        self.managed_policies.get(&(account.clone(), name.to_lowercase())).filter(|p| p.name == name)
    }
}

/// A store that keeps everything in memory.
#[derive(Default)]
pub struct InMemoryStore(Mutex<Inner>);

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every audit append fail (true) or succeed again, as a full or
    /// read-only disk would: for tests of fail-closed audit.
    pub fn set_audit_failing(&self, failing: bool) {
        self.lock().audit_failing = failing;
    }

    /// Lets a test edit the stored trail, as an attacker with access to the
    /// storage would.
    pub fn tamper_audit(&self, f: impl FnOnce(&mut Vec<AuditRecord>)) {
        f(&mut self.lock().audit);
    }

    /// Lets a test edit the stored checkpoints (by seq), as an attacker
    /// with access to the storage would.
    pub fn tamper_checkpoints(&self, f: impl FnOnce(&mut BTreeMap<u64, AuditCheckpoint>)) {
        f(&mut self.lock().checkpoints);
    }

    /// Runs a change and appends its audit events under one lock: `change`
    /// checks before it mutates, so on error nothing changed and no event is
    /// appended; an unwritable trail refuses the change before it starts.
    fn audited<T>(&self, audit: &[AuditEntry], change: impl FnOnce(&mut Inner) -> StoreResult<T>) -> StoreResult<T> {
        let mut g = self.lock();
        if !audit.is_empty() && g.audit_failing {
            return Err(StoreError::backend(std::io::Error::other("audit storage unwritable (test)")));
        }
        let out = change(&mut g)?;
        let head = g.audit.last().map(|r| (r.seq, r.hash));
        let records = chain(head, audit);
        g.audit.extend(records);
        Ok(out)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied change
        // (each method mutates at most after all checks), so poisoning is ignored.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The scheduler's due condition, shared by every backend's query.
pub fn job_due(k: &KeyRecord, now: i64) -> bool {
    use trent_api::enums::KeyState;
    (k.state == KeyState::PendingDeletion && k.deletion_date.is_some_and(|d| d <= now))
        || (k.state == KeyState::Enabled && k.next_rotation_at.is_some_and(|t| t <= now))
        || k.next_expiry_at.is_some_and(|t| t <= now)
}

/// A key's place in `Inner::keys` and `Inner::destroyed`.
fn slot(id: &KeyId, region: &Region) -> (KeyId, String) {
    (id.clone(), region.as_str().to_owned())
}

fn key_slot(key: &KeyRecord) -> (KeyId, String) {
    slot(&key.id, &key.scope.region)
}

/// Stores `key` over its stored revision `key.revision - 1`.
fn replace_key(g: &mut Inner, key: &KeyRecord) -> StoreResult<()> {
    let Some(cur) = g.keys.get_mut(&key_slot(key)) else {
        return Err(StoreError::NotFound);
    };
    if cur.revision + 1 != key.revision {
        return Err(StoreError::Conflict);
    }
    *cur = key.clone();
    Ok(())
}

fn alias_key(scope: &Scope, name: &AliasName) -> (AccountId, String, AliasName) {
    (scope.account.clone(), scope.region.as_str().to_owned(), name.clone())
}

#[async_trait]
impl Store for InMemoryStore {
    /// Nothing outside this process can write these rows: no MACs.
    async fn protect_rows(&self, _guard: std::sync::Arc<crate::integrity::RowGuard>) -> StoreResult<u64> {
        Ok(0)
    }

    async fn domain_keys(&self) -> StoreResult<Vec<DomainKeyRecord>> {
        Ok(self.lock().domain_keys.values().cloned().collect())
    }

    async fn insert_domain_key(&self, dk: &DomainKeyRecord) -> StoreResult<()> {
        let mut g = self.lock();
        if g.domain_keys.contains_key(&dk.id) {
            return Err(StoreError::AlreadyExists);
        }
        g.domain_keys.insert(dk.id, dk.clone());
        Ok(())
    }

    async fn replace_domain_keys(
        &self,
        expected: &[DomainKeyRecord],
        new: &[DomainKeyRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            if !g.domain_keys.values().eq(expected.iter()) {
                return Err(StoreError::Conflict);
            }
            g.domain_keys = new.iter().map(|dk| (dk.id, dk.clone())).collect();
            Ok(())
        })
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        Ok(self.lock().accounts.len() as u64)
    }

    async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &AccessKeyRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            if g.accounts.contains_key(&account.id) || g.access_keys.contains_key(&key.id) {
                return Err(StoreError::AlreadyExists);
            }
            g.accounts.insert(account.id.clone(), account.clone());
            g.access_keys.insert(key.id.clone(), key.clone());
            Ok(())
        })
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<AccountRecord>> {
        Ok(self.lock().accounts.get(id).cloned())
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKeyRecord>> {
        Ok(self.lock().access_keys.get(id).cloned())
    }

    async fn insert_user(
        &self,
        user: &UserRecord,
        key: Option<&AccessKeyRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let slot = (user.account.clone(), user.name.to_lowercase());
        self.audited(audit, |g| {
            if g.users.contains_key(&slot) || key.is_some_and(|k| g.access_keys.contains_key(&k.id)) {
                return Err(StoreError::AlreadyExists);
            }
            g.users.insert(slot, user.clone());
            if let Some(key) = key {
                g.access_keys.insert(key.id.clone(), key.clone());
            }
            Ok(())
        })
    }

    async fn user(&self, account: &AccountId, name: &str) -> StoreResult<Option<UserRecord>> {
        Ok(self.lock().users.get(&(account.clone(), name.to_lowercase())).cloned())
    }

    async fn users(&self, account: &AccountId) -> StoreResult<Vec<UserRecord>> {
        let mut users: Vec<UserRecord> =
            self.lock().users.values().filter(|u| &u.account == account).cloned().collect();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(users)
    }

    async fn delete_user(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let slot = (account.clone(), name.to_lowercase());
            let arn = match g.users.get(&slot) {
                Some(u) if u.name == name => u.arn(),
                _ => return Err(StoreError::NotFound),
            };
            g.users.remove(&slot);
            g.user_policies.retain(|(a, u, _), _| !(a == account && u == name));
            g.group_members.retain(|(a, _, u), _| !(a == account && u == name));
            g.drop_attachments(account, &[AttachmentTarget::User, AttachmentTarget::UserBoundary], name);
            g.access_keys.retain(|_, k| k.principal.as_str() != arn);
            Ok(())
        })
    }

    async fn update_user_tags(
        &self,
        account: &AccountId,
        name: &str,
        tags: &[(String, String)],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| match g.users.get_mut(&(account.clone(), name.to_lowercase())) {
            Some(u) if u.name == name => {
                u.tags = tags.to_vec();
                Ok(())
            }
            _ => Err(StoreError::NotFound),
        })
    }

    async fn put_user_policy(&self, policy: &UserPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let slot = (policy.account.clone(), policy.user_name.to_lowercase());
            if g.users.get(&slot).is_none_or(|u| u.name != policy.user_name) {
                return Err(StoreError::NotFound);
            }
            let k = (policy.account.clone(), policy.user_name.clone(), policy.policy_name.clone());
            g.user_policies.insert(k, policy.clone());
            Ok(())
        })
    }

    async fn user_policies(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<UserPolicyRecord>> {
        Ok(self
            .lock()
            .user_policies
            .values()
            .filter(|p| &p.account == account && p.user_name == user_name)
            .cloned()
            .collect())
    }

    async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = (account.clone(), user_name.to_owned(), policy_name.to_owned());
            g.user_policies.remove(&k).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn insert_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let slot = (role.account.clone(), role.name.to_lowercase());
        self.audited(audit, |g| {
            if g.roles.contains_key(&slot) {
                return Err(StoreError::AlreadyExists);
            }
            g.roles.insert(slot, role.clone());
            Ok(())
        })
    }

    async fn role(&self, account: &AccountId, name: &str) -> StoreResult<Option<RoleRecord>> {
        Ok(self.lock().roles.get(&(account.clone(), name.to_lowercase())).cloned())
    }

    async fn roles(&self, account: &AccountId) -> StoreResult<Vec<RoleRecord>> {
        let mut roles: Vec<RoleRecord> =
            self.lock().roles.values().filter(|r| &r.account == account).cloned().collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(roles)
    }

    async fn update_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| match g.roles.get_mut(&(role.account.clone(), role.name.to_lowercase())) {
            Some(r) if r.name == role.name => {
                *r = role.clone();
                Ok(())
            }
            _ => Err(StoreError::NotFound),
        })
    }

    async fn delete_role(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let slot = (account.clone(), name.to_lowercase());
            if g.roles.get(&slot).is_none_or(|r| r.name != name) {
                return Err(StoreError::NotFound);
            }
            g.roles.remove(&slot);
            g.role_policies.retain(|(a, r, _), _| !(a == account && r == name));
            g.drop_attachments(account, &[AttachmentTarget::Role, AttachmentTarget::RoleBoundary], name);
            Ok(())
        })
    }

    async fn put_role_policy(&self, policy: &RolePolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let slot = (policy.account.clone(), policy.role_name.to_lowercase());
            if g.roles.get(&slot).is_none_or(|r| r.name != policy.role_name) {
                return Err(StoreError::NotFound);
            }
            let k = (policy.account.clone(), policy.role_name.clone(), policy.policy_name.clone());
            g.role_policies.insert(k, policy.clone());
            Ok(())
        })
    }

    async fn role_policies(&self, account: &AccountId, role_name: &str) -> StoreResult<Vec<RolePolicyRecord>> {
        Ok(self
            .lock()
            .role_policies
            .values()
            .filter(|p| &p.account == account && p.role_name == role_name)
            .cloned()
            .collect())
    }

    async fn delete_role_policy(
        &self,
        account: &AccountId,
        role_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = (account.clone(), role_name.to_owned(), policy_name.to_owned());
            g.role_policies.remove(&k).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn insert_group(&self, group: &GroupRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let slot = (group.account.clone(), group.name.to_lowercase());
        self.audited(audit, |g| {
            if g.groups.contains_key(&slot) {
                return Err(StoreError::AlreadyExists);
            }
            g.groups.insert(slot, group.clone());
            Ok(())
        })
    }

    async fn group(&self, account: &AccountId, name: &str) -> StoreResult<Option<GroupRecord>> {
        Ok(self.lock().groups.get(&(account.clone(), name.to_lowercase())).cloned())
    }

    async fn groups(&self, account: &AccountId) -> StoreResult<Vec<GroupRecord>> {
        let mut groups: Vec<GroupRecord> =
            self.lock().groups.values().filter(|r| &r.account == account).cloned().collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }

    async fn delete_group(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let slot = (account.clone(), name.to_lowercase());
            if g.groups.get(&slot).is_none_or(|r| r.name != name) {
                return Err(StoreError::NotFound);
            }
            g.groups.remove(&slot);
            g.group_policies.retain(|(a, r, _), _| !(a == account && r == name));
            g.group_members.retain(|(a, r, _), _| !(a == account && r == name));
            g.drop_attachments(account, &[AttachmentTarget::Group], name);
            Ok(())
        })
    }

    async fn add_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let group = (member.account.clone(), member.group_name.to_lowercase());
            let user = (member.account.clone(), member.user_name.to_lowercase());
            if g.groups.get(&group).is_none_or(|r| r.name != member.group_name)
                || g.users.get(&user).is_none_or(|u| u.name != member.user_name)
            {
                return Err(StoreError::NotFound);
            }
            let k = (member.account.clone(), member.group_name.clone(), member.user_name.clone());
            g.group_members.insert(k, member.clone());
            Ok(())
        })
    }

    async fn remove_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = (member.account.clone(), member.group_name.clone(), member.user_name.clone());
            g.group_members.remove(&k).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn group_members(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<String>> {
        Ok(self
            .lock()
            .group_members
            .values()
            .filter(|m| &m.account == account && m.group_name == group_name)
            .map(|m| m.user_name.clone())
            .collect())
    }

    async fn groups_of_user(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<GroupRecord>> {
        let g = self.lock();
        let mut groups: Vec<GroupRecord> = g
            .group_members
            .values()
            .filter(|m| &m.account == account && m.user_name == user_name)
            .filter_map(|m| g.groups.get(&(account.clone(), m.group_name.to_lowercase())).cloned())
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }

    async fn put_group_policy(&self, policy: &GroupPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let slot = (policy.account.clone(), policy.group_name.to_lowercase());
            if g.groups.get(&slot).is_none_or(|r| r.name != policy.group_name) {
                return Err(StoreError::NotFound);
            }
            let k = (policy.account.clone(), policy.group_name.clone(), policy.policy_name.clone());
            g.group_policies.insert(k, policy.clone());
            Ok(())
        })
    }

    async fn group_policies(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<GroupPolicyRecord>> {
        Ok(self
            .lock()
            .group_policies
            .values()
            .filter(|p| &p.account == account && p.group_name == group_name)
            .cloned()
            .collect())
    }

    async fn delete_group_policy(
        &self,
        account: &AccountId,
        group_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = (account.clone(), group_name.to_owned(), policy_name.to_owned());
            g.group_policies.remove(&k).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn insert_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let slot = (provider.account.clone(), provider.url.clone());
        self.audited(audit, |g| {
            if g.oidc_providers.contains_key(&slot) {
                return Err(StoreError::AlreadyExists);
            }
            g.oidc_providers.insert(slot, provider.clone());
            Ok(())
        })
    }

    async fn oidc_provider(&self, account: &AccountId, url: &str) -> StoreResult<Option<OidcProviderRecord>> {
        Ok(self.lock().oidc_providers.get(&(account.clone(), url.to_owned())).cloned())
    }

    async fn oidc_providers(&self, account: &AccountId) -> StoreResult<Vec<OidcProviderRecord>> {
        // The map's order is (account, URL): one account's providers by URL.
        Ok(self.lock().oidc_providers.values().filter(|p| &p.account == account).cloned().collect())
    }

    async fn update_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| match g.oidc_providers.get_mut(&(provider.account.clone(), provider.url.clone())) {
            Some(p) => {
                p.client_ids = provider.client_ids.clone();
                p.thumbprints = provider.thumbprints.clone();
                p.tags = provider.tags.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        })
    }

    async fn delete_oidc_provider(&self, account: &AccountId, url: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            g.oidc_providers.remove(&(account.clone(), url.to_owned())).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn insert_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            if g.custom_key_stores.contains_key(&store.id)
                || g.custom_key_stores.values().any(|s| s.scope == store.scope && s.name == store.name)
            {
                return Err(StoreError::AlreadyExists);
            }
            g.custom_key_stores.insert(store.id.clone(), store.clone());
            Ok(())
        })
    }

    async fn custom_key_store(&self, scope: &Scope, id: &str) -> StoreResult<Option<CustomKeyStoreRecord>> {
        Ok(self.lock().custom_key_stores.get(id).filter(|s| &s.scope == scope).cloned())
    }

    async fn custom_key_stores(&self, scope: Option<&Scope>) -> StoreResult<Vec<CustomKeyStoreRecord>> {
        // The map's order is the ids' (byte order).
        let g = self.lock();
        Ok(g.custom_key_stores.values().filter(|s| scope.is_none_or(|sc| &s.scope == sc)).cloned().collect())
    }

    async fn update_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let created_at = match g.custom_key_stores.get(&store.id) {
                Some(s) if s.scope == store.scope => s.created_at,
                _ => return Err(StoreError::NotFound),
            };
            if g.custom_key_stores.values().any(|s| s.id != store.id && s.scope == store.scope && s.name == store.name)
            {
                return Err(StoreError::AlreadyExists);
            }
            // Everything but the identity and the creation time is replaced.
            g.custom_key_stores.insert(store.id.clone(), CustomKeyStoreRecord { created_at, ..store.clone() });
            Ok(())
        })
    }

    async fn delete_custom_key_store(&self, scope: &Scope, id: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            if !g.custom_key_stores.get(id).is_some_and(|s| &s.scope == scope) {
                return Err(StoreError::NotFound);
            }
            g.custom_key_stores.remove(id);
            Ok(())
        })
    }

    async fn custom_key_store_keys(&self, scope: &Scope, id: &str) -> StoreResult<u64> {
        let g = self.lock();
        let n = g.keys.values().filter(|k| &k.scope == scope && k.custom_key_store_id.as_deref() == Some(id)).count();
        Ok(n as u64)
    }

    async fn insert_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: &PolicyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let slot = (policy.account.clone(), policy.name.to_lowercase());
        self.audited(audit, |g| {
            if g.managed_policies.contains_key(&slot) {
                return Err(StoreError::AlreadyExists);
            }
            g.managed_policies.insert(slot, policy.clone());
            let k = (version.account.clone(), version.policy_name.clone(), version.version);
            g.policy_versions.insert(k, version.clone());
            Ok(())
        })
    }

    async fn managed_policy(&self, account: &AccountId, name: &str) -> StoreResult<Option<ManagedPolicyRecord>> {
        Ok(self.lock().managed_policies.get(&(account.clone(), name.to_lowercase())).cloned())
    }

    async fn managed_policies(&self, account: &AccountId) -> StoreResult<Vec<ManagedPolicyRecord>> {
        let mut policies: Vec<ManagedPolicyRecord> =
            self.lock().managed_policies.values().filter(|p| &p.account == account).cloned().collect();
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(policies)
    }

    async fn update_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: Option<&PolicyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            if g.managed_policy_exact(&policy.account, &policy.name).is_none() {
                return Err(StoreError::NotFound);
            }
            if let Some(v) = version {
                let k = (v.account.clone(), v.policy_name.clone(), v.version);
                if g.policy_versions.contains_key(&k) {
                    return Err(StoreError::AlreadyExists);
                }
                g.policy_versions.insert(k, v.clone());
            }
            g.managed_policies.insert((policy.account.clone(), policy.name.to_lowercase()), policy.clone());
            Ok(())
        })
    }

    async fn delete_managed_policy(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            if g.managed_policy_exact(account, name).is_none() {
                return Err(StoreError::NotFound);
            }
            g.managed_policies.remove(&(account.clone(), name.to_lowercase()));
            g.policy_versions.retain(|(a, p, _), _| !(a == account && p == name));
            g.policy_attachments.retain(|(a, p, _, _), _| !(a == account && p == name));
            Ok(())
        })
    }

    async fn policy_versions(&self, account: &AccountId, policy_name: &str) -> StoreResult<Vec<PolicyVersionRecord>> {
        Ok(self
            .lock()
            .policy_versions
            .values()
            .filter(|v| &v.account == account && v.policy_name == policy_name)
            .cloned()
            .collect())
    }

    async fn delete_policy_version(
        &self,
        account: &AccountId,
        policy_name: &str,
        version: u32,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = (account.clone(), policy_name.to_owned(), version);
            g.policy_versions.remove(&k).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn attach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let a = attachment;
        self.audited(audit, |g| {
            if g.managed_policy_exact(&a.account, &a.policy_name).is_none()
                || !g.entity_exists(&a.account, a.target, &a.entity_name)
            {
                return Err(StoreError::NotFound);
            }
            if a.target.is_boundary() {
                g.drop_attachments(&a.account, &[a.target], &a.entity_name);
            }
            let k = (a.account.clone(), a.policy_name.clone(), a.target, a.entity_name.clone());
            g.policy_attachments.insert(k, a.clone());
            Ok(())
        })
    }

    async fn detach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let a = attachment;
        self.audited(audit, |g| {
            let k = (a.account.clone(), a.policy_name.clone(), a.target, a.entity_name.clone());
            g.policy_attachments.remove(&k).map(|_| ()).ok_or(StoreError::NotFound)
        })
    }

    async fn policy_attachments(
        &self,
        account: &AccountId,
        policy_name: &str,
    ) -> StoreResult<Vec<PolicyAttachmentRecord>> {
        let mut attachments: Vec<PolicyAttachmentRecord> = self
            .lock()
            .policy_attachments
            .values()
            .filter(|a| &a.account == account && a.policy_name == policy_name)
            .cloned()
            .collect();
        attachments.sort_by(|a, b| (a.target, &a.entity_name).cmp(&(b.target, &b.entity_name)));
        Ok(attachments)
    }

    async fn attached_policies(
        &self,
        account: &AccountId,
        target: AttachmentTarget,
        entity_name: &str,
    ) -> StoreResult<Vec<AttachedPolicy>> {
        let g = self.lock();
        let mut attached: Vec<AttachedPolicy> = g
            .policy_attachments
            .values()
            .filter(|a| &a.account == account && a.target == target && a.entity_name == entity_name)
            .filter_map(|a| {
                let policy = g.managed_policy_exact(account, &a.policy_name)?.clone();
                let version = g.policy_versions.get(&(account.clone(), policy.name.clone(), policy.default_version))?;
                Some(AttachedPolicy { document: version.document.clone(), policy })
            })
            .collect();
        attached.sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
        Ok(attached)
    }

    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        user: Option<&str>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            if let Some(name) = user {
                let slot = (key.account.clone(), name.to_lowercase());
                if g.users.get(&slot).is_none_or(|u| u.name != name) {
                    return Err(StoreError::NotFound);
                }
            }
            if g.access_keys.contains_key(&key.id) {
                return Err(StoreError::AlreadyExists);
            }
            g.access_keys.insert(key.id.clone(), key.clone());
            Ok(())
        })
    }

    async fn access_keys_of(&self, principal: &PrincipalArn) -> StoreResult<Vec<AccessKeyRecord>> {
        Ok(self.lock().access_keys.values().filter(|k| &k.principal == principal).cloned().collect())
    }

    async fn delete_access_key(&self, id: &AccessKeyId, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| g.access_keys.remove(id).map(|_| ()).ok_or(StoreError::NotFound))
    }

    async fn set_access_key_inactive(&self, id: &AccessKeyId, inactive: bool, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let key = g.access_keys.get_mut(id).ok_or(StoreError::NotFound)?;
            key.inactive = inactive;
            Ok(())
        })
    }

    async fn insert_key(
        &self,
        key: &KeyRecord,
        version: Option<&KeyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            if g.keys.contains_key(&key_slot(key)) {
                return Err(StoreError::AlreadyExists);
            }
            g.keys.insert(key_slot(key), key.clone());
            if let Some(v) = version {
                g.versions.insert((v.key_id.clone(), v.version), v.clone());
            }
            Ok(())
        })
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        Ok(self.lock().keys.get(&slot(id, &scope.region)).filter(|k| &k.scope == scope).cloned())
    }

    async fn key_owner(&self, id: &KeyId, region: &Region) -> StoreResult<Option<Scope>> {
        Ok(self.lock().keys.get(&slot(id, region)).map(|k| k.scope.clone()))
    }

    async fn related_keys(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
        let g = self.lock();
        Ok(g.keys.values().filter(|k| &k.id == id && &k.scope.account == account).cloned().collect())
    }

    async fn update_keys(
        &self,
        keys: &[KeyRecord],
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            let mut seen = std::collections::BTreeSet::new();
            for k in keys {
                let Some(cur) = g.keys.get(&key_slot(k)) else {
                    return Err(StoreError::NotFound);
                };
                // A key listed twice: its second copy is stale once the
                // first is written.
                if cur.revision + 1 != k.revision || !seen.insert(key_slot(k)) {
                    return Err(StoreError::Conflict);
                }
            }
            for k in keys {
                replace_key(g, k)?;
            }
            for v in versions {
                g.versions.insert((v.key_id.clone(), v.version), v.clone());
            }
            Ok(())
        })
    }

    async fn list_keys(&self, scope: &Scope, after: Option<&KeyId>, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let g = self.lock();
        Ok(g.keys
            .values()
            .filter(|k| &k.scope == scope && after.is_none_or(|a| &k.id > a))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn update_key(&self, key: &KeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| replace_key(g, key))
    }

    async fn key_version(&self, key_id: &KeyId, version: u32) -> StoreResult<Option<KeyVersionRecord>> {
        Ok(self.lock().versions.get(&(key_id.clone(), version)).cloned())
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            let Some(cur) = g.keys.get(&key_slot(key)) else {
                return Err(StoreError::NotFound);
            };
            if cur.revision + 1 != key.revision {
                return Err(StoreError::Conflict);
            }
            let vk = (version.key_id.clone(), version.version);
            if g.versions.contains_key(&vk) {
                return Err(StoreError::AlreadyExists);
            }
            replace_key(g, key)?;
            g.versions.insert(vk, version.clone());
            Ok(())
        })
    }

    async fn key_versions(&self, key_id: &KeyId, after: u32, limit: usize) -> StoreResult<Vec<KeyVersionRecord>> {
        let g = self.lock();
        let from = (key_id.clone(), after.saturating_add(1));
        Ok(g.versions
            .range(from..)
            .take_while(|((k, _), _)| k == key_id)
            .filter(|((_, v), _)| *v > after)
            .take(limit)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn due_keys(&self, now: i64, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let g = self.lock();
        Ok(g.keys.values().filter(|k| job_due(k, now)).take(limit).cloned().collect())
    }

    async fn destroy_key(&self, key: &KeyRecord, destroyed_at: i64, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let Some(cur) = g.keys.get(&key_slot(key)) else {
                return Err(StoreError::NotFound);
            };
            if cur.revision != key.revision {
                return Err(StoreError::Conflict);
            }
            g.keys.remove(&key_slot(key));
            if !g.keys.keys().any(|(id, _)| id == &key.id) {
                g.versions.retain(|(k, _), _| k != &key.id);
            }
            g.aliases.retain(|_, a| !(a.target == key.id && a.scope == key.scope));
            let arn = key.arn();
            g.grants.retain(|(k, _), r| !(k == &key.id && r.key_arn == arn));
            g.destroyed.insert(key_slot(key), (key.scope.clone(), destroyed_at));
            Ok(())
        })
    }

    async fn put_key_versions(
        &self,
        key: &KeyRecord,
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        self.audited(audit, |g| {
            replace_key(g, key)?;
            for v in versions {
                g.versions.insert((v.key_id.clone(), v.version), v.clone());
            }
            Ok(())
        })
    }

    async fn key_destroyed(&self, scope: &Scope, id: &KeyId) -> StoreResult<bool> {
        Ok(self.lock().destroyed.get(&slot(id, &scope.region)).is_some_and(|(s, _)| s == scope))
    }

    async fn insert_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = alias_key(&alias.scope, &alias.name);
            if g.aliases.contains_key(&k) {
                return Err(StoreError::AlreadyExists);
            }
            g.aliases.insert(k, alias.clone());
            Ok(())
        })
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        Ok(self.lock().aliases.get(&alias_key(scope, name)).cloned())
    }

    async fn update_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| match g.aliases.get_mut(&alias_key(&alias.scope, &alias.name)) {
            Some(a) => {
                a.target = alias.target.clone();
                a.updated_at = alias.updated_at;
                Ok(())
            }
            None => Err(StoreError::NotFound),
        })
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| g.aliases.remove(&alias_key(scope, name)).map(|_| ()).ok_or(StoreError::NotFound))
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> StoreResult<Vec<AliasRecord>> {
        let g = self.lock();
        Ok(g.aliases
            .values()
            .filter(|a| &a.scope == scope)
            .filter(|a| target.is_none_or(|t| &a.target == t))
            .filter(|a| after.is_none_or(|n| &a.name > n))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn insert_grant(&self, grant: &GrantRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        self.audited(audit, |g| {
            let k = (grant.key_id.clone(), grant.grant_id.clone());
            if g.grants.contains_key(&k) {
                return Err(StoreError::AlreadyExists);
            }
            g.grants.insert(k, grant.clone());
            Ok(())
        })
    }

    async fn grants(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let g = self.lock();
        let arn = trent_api::ids::key_arn(&scope.region, &scope.account, key_id);
        Ok(g.grants
            .values()
            .filter(|r| &r.key_id == key_id && r.key_arn == arn)
            .filter(|r| after.is_none_or(|a| r.grant_id.as_str() > a))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn retirable_grants(
        &self,
        principal: &str,
        after: Option<(&KeyId, &str)>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let g = self.lock();
        Ok(g.grants
            .values()
            .filter(|r| r.retiring_principal.as_deref() == Some(principal))
            .filter(|r| after.is_none_or(|(k, id)| (&r.key_id, r.grant_id.as_str()) > (k, id)))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn delete_grant(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        grant_id: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let arn = trent_api::ids::key_arn(&scope.region, &scope.account, key_id);
        self.audited(audit, |g| {
            let slot = (key_id.clone(), grant_id.to_owned());
            if g.grants.get(&slot).is_none_or(|r| r.key_arn != arn) {
                return Err(StoreError::NotFound);
            }
            g.grants.remove(&slot);
            Ok(())
        })
    }

    async fn append_audit(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        let mut g = self.lock();
        if g.audit_failing {
            return Err(StoreError::backend(std::io::Error::other("audit storage unwritable (test)")));
        }
        let head = g.audit.last().map(|r| (r.seq, r.hash));
        let records = chain_owned(head, entries);
        g.audit.extend(records.iter().cloned());
        Ok(records)
    }

    async fn audit_records(&self, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        Ok(self.lock().audit.iter().filter(|r| r.seq > after).take(limit).cloned().collect())
    }

    async fn audit_chains(&self) -> StoreResult<Vec<u32>> {
        let g = self.lock();
        let mut chains: std::collections::BTreeSet<u32> = g.audit.iter().map(|r| r.chain).collect();
        chains.extend(g.checkpoints.values().map(|c| c.chain));
        Ok(chains.into_iter().collect())
    }

    async fn audit_chain_records(&self, chain: u32, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        let g = self.lock();
        let mut out: Vec<AuditRecord> =
            g.audit.iter().filter(|r| r.chain == chain && r.position > after).cloned().collect();
        out.sort_by_key(|r| r.position);
        out.truncate(limit);
        Ok(out)
    }

    async fn lookup_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        Ok(self.lock().audit.iter().rev().filter(|r| query.matches(r)).take(query.limit).cloned().collect())
    }

    async fn audit_usage(&self, filter: &UsageFilter) -> StoreResult<UsageCounts> {
        let mut tally = UsageTally::default();
        for r in &self.lock().audit {
            tally.add_entry(filter, &r.entry);
        }
        Ok(tally.finish())
    }

    async fn key_lifetimes(
        &self,
        account: Option<&AccountId>,
        since: i64,
        until: i64,
    ) -> StoreResult<Vec<KeyLifetime>> {
        let g = self.lock();
        let ours = |s: &Scope| account.is_none_or(|a| a == &s.account);
        let mut out: Vec<KeyLifetime> = g
            .keys
            .values()
            .filter(|k| ours(&k.scope) && k.created_at < until)
            .map(|k| KeyLifetime {
                account: k.scope.account.to_string(),
                key_arn: k.arn(),
                created_at: Some(k.created_at),
                destroyed_at: None,
            })
            .collect();
        for ((id, _), (scope, at)) in &g.destroyed {
            if !ours(scope) || *at <= since {
                continue;
            }
            let arn = trent_api::ids::key_arn(&scope.region, &scope.account, id);
            let created_at = g.audit.iter().find(|r| r.entry.resources.contains(&arn)).map(|r| r.entry.event_time);
            out.push(KeyLifetime {
                account: scope.account.to_string(),
                key_arn: arn,
                created_at,
                destroyed_at: Some(*at),
            });
        }
        out.sort();
        Ok(out)
    }

    async fn audit_head(&self) -> StoreResult<Option<(u64, Hash)>> {
        Ok(self.lock().audit.last().map(|r| (r.seq, r.hash)))
    }

    async fn insert_audit_checkpoint(&self, checkpoint: &AuditCheckpoint) -> StoreResult<bool> {
        let mut g = self.lock();
        if g.audit_failing {
            return Err(StoreError::backend(std::io::Error::other("audit storage unwritable (test)")));
        }
        let number_taken = checkpoint.number.is_some() && g.checkpoints.values().any(|c| c.number == checkpoint.number);
        if number_taken || g.checkpoints.contains_key(&checkpoint.seq) {
            return Ok(false);
        }
        g.checkpoints.insert(checkpoint.seq, checkpoint.clone());
        Ok(true)
    }

    async fn latest_audit_checkpoint(&self) -> StoreResult<Option<AuditCheckpoint>> {
        Ok(self.lock().checkpoints.values().filter(|c| c.number.is_some()).max_by_key(|c| c.number).cloned())
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<AuditCheckpoint>> {
        Ok(self.lock().checkpoints.values().cloned().collect())
    }

    async fn prune_audit(&self, through: u64) -> StoreResult<u64> {
        let mut g = self.lock();
        let before = g.audit.len();
        g.audit.retain(|r| r.seq > through);
        g.checkpoints.retain(|seq, _| *seq >= through);
        Ok((before - g.audit.len()) as u64)
    }

    async fn export(&self) -> StoreResult<Snapshot> {
        let g = self.lock();
        let mut aliases: Vec<AliasRecord> = g.aliases.values().cloned().collect();
        aliases.sort_by(|a, b| {
            (&a.scope.account, a.scope.region.as_str(), &a.name).cmp(&(
                &b.scope.account,
                b.scope.region.as_str(),
                &b.name,
            ))
        });
        Ok(Snapshot {
            domain_keys: g.domain_keys.values().cloned().collect(),
            accounts: g.accounts.values().cloned().collect(),
            access_keys: g.access_keys.values().cloned().collect(),
            users: {
                let mut users: Vec<UserRecord> = g.users.values().cloned().collect();
                users.sort_by(|a, b| (&a.account, &a.name).cmp(&(&b.account, &b.name)));
                users
            },
            user_policies: g.user_policies.values().cloned().collect(),
            roles: {
                let mut roles: Vec<RoleRecord> = g.roles.values().cloned().collect();
                roles.sort_by(|a, b| (&a.account, &a.name).cmp(&(&b.account, &b.name)));
                roles
            },
            role_policies: g.role_policies.values().cloned().collect(),
            groups: {
                let mut groups: Vec<GroupRecord> = g.groups.values().cloned().collect();
                groups.sort_by(|a, b| (&a.account, &a.name).cmp(&(&b.account, &b.name)));
                groups
            },
            group_policies: g.group_policies.values().cloned().collect(),
            group_members: g.group_members.values().cloned().collect(),
            managed_policies: {
                let mut policies: Vec<ManagedPolicyRecord> = g.managed_policies.values().cloned().collect();
                policies.sort_by(|a, b| (&a.account, &a.name).cmp(&(&b.account, &b.name)));
                policies
            },
            policy_versions: g.policy_versions.values().cloned().collect(),
            policy_attachments: g.policy_attachments.values().cloned().collect(),
            oidc_providers: g.oidc_providers.values().cloned().collect(),
            custom_key_stores: g.custom_key_stores.values().cloned().collect(),
            keys: g.keys.values().cloned().collect(),
            versions: g.versions.values().cloned().collect(),
            aliases,
            grants: g.grants.values().cloned().collect(),
            destroyed: g
                .destroyed
                .iter()
                .map(|((id, _), (scope, at))| DestroyedKey { scope: scope.clone(), id: id.clone(), destroyed_at: *at })
                .collect(),
            audit: g.audit.clone(),
            checkpoints: g.checkpoints.values().cloned().collect(),
        })
    }

    async fn import(&self, snap: &Snapshot) -> StoreResult<()> {
        let audit = crate::store::single_chain(snap)?;
        let mut g = self.lock();
        if !g.domain_keys.is_empty()
            || !g.accounts.is_empty()
            || !g.keys.is_empty()
            || !g.destroyed.is_empty()
            || !g.audit.is_empty()
            || !g.checkpoints.is_empty()
        {
            return Err(StoreError::Conflict);
        }
        g.domain_keys = snap.domain_keys.iter().map(|d| (d.id, d.clone())).collect();
        g.accounts = snap.accounts.iter().map(|a| (a.id.clone(), a.clone())).collect();
        g.access_keys = snap.access_keys.iter().map(|a| (a.id.clone(), a.clone())).collect();
        g.users = snap.users.iter().map(|u| ((u.account.clone(), u.name.to_lowercase()), u.clone())).collect();
        g.user_policies = snap
            .user_policies
            .iter()
            .map(|p| ((p.account.clone(), p.user_name.clone(), p.policy_name.clone()), p.clone()))
            .collect();
        g.roles = snap.roles.iter().map(|r| ((r.account.clone(), r.name.to_lowercase()), r.clone())).collect();
        g.role_policies = snap
            .role_policies
            .iter()
            .map(|p| ((p.account.clone(), p.role_name.clone(), p.policy_name.clone()), p.clone()))
            .collect();
        g.groups = snap.groups.iter().map(|r| ((r.account.clone(), r.name.to_lowercase()), r.clone())).collect();
        g.group_policies = snap
            .group_policies
            .iter()
            .map(|p| ((p.account.clone(), p.group_name.clone(), p.policy_name.clone()), p.clone()))
            .collect();
        g.group_members = snap
            .group_members
            .iter()
            .map(|m| ((m.account.clone(), m.group_name.clone(), m.user_name.clone()), m.clone()))
            .collect();
        g.managed_policies =
            snap.managed_policies.iter().map(|p| ((p.account.clone(), p.name.to_lowercase()), p.clone())).collect();
        g.policy_versions = snap
            .policy_versions
            .iter()
            .map(|v| ((v.account.clone(), v.policy_name.clone(), v.version), v.clone()))
            .collect();
        g.policy_attachments = snap
            .policy_attachments
            .iter()
            .map(|a| ((a.account.clone(), a.policy_name.clone(), a.target, a.entity_name.clone()), a.clone()))
            .collect();
        g.oidc_providers =
            snap.oidc_providers.iter().map(|p| ((p.account.clone(), p.url.clone()), p.clone())).collect();
        g.custom_key_stores = snap.custom_key_stores.iter().map(|s| (s.id.clone(), s.clone())).collect();
        g.keys = snap.keys.iter().map(|k| (key_slot(k), k.clone())).collect();
        g.versions = snap.versions.iter().map(|v| ((v.key_id.clone(), v.version), v.clone())).collect();
        g.aliases = snap.aliases.iter().map(|a| (alias_key(&a.scope, &a.name), a.clone())).collect();
        g.grants = snap.grants.iter().map(|r| ((r.key_id.clone(), r.grant_id.clone()), r.clone())).collect();
        g.destroyed =
            snap.destroyed.iter().map(|d| (slot(&d.id, &d.scope.region), (d.scope.clone(), d.destroyed_at))).collect();
        g.audit = audit;
        g.checkpoints = snap.checkpoints.iter().map(|c| (c.seq, c.clone())).collect();
        Ok(())
    }
}
