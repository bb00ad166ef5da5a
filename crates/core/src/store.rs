//! The storage interface. Implementations: SQLite (the embedded default) and
//! PostgreSQL (several nodes) in `trent-store`, and `memory::InMemoryStore`
//! here (feature `test-util`) for tests. One conformance suite (in
//! `trent-store`) runs against all three.
//!
//! Every write is durable when the method returns. Every method that
//! changes state takes `audit`: the events of the call that makes the
//! change, appended to the audit chain (as [`Store::append_audit`] does) in
//! the same transaction, so a change and its events commit together or not
//! at all, and a failed change leaves no event behind. Lists are ordered by their
//! key (key id, alias name) and paginate with "strictly after" cursors.

use crate::audit::{AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash, KeyLifetime, UsageCounts, UsageFilter};
use crate::model::*;
use async_trait::async_trait;
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A row with this identity exists already.
    #[error("already exists")]
    AlreadyExists,
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// An optimistic-concurrency check failed: someone else changed the row.
    #[error("concurrent modification")]
    Conflict,
    /// A stored row fails its MAC ([`crate::integrity`]): edited, moved or
    /// written outside Trent. Names the row, never its content.
    #[error("stored row fails its integrity check: {table} {row}")]
    Integrity {
        /// Its table.
        table: &'static str,
        /// Its identity ([`crate::integrity::Sealed::row_id`]).
        row: String,
    },
    /// The backend failed (I/O, full disk, connection, corruption).
    #[error("backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps a backend error.
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// The records of a snapshot for a store that keeps one chain (SQLite,
/// memory), where a record's seq is its position: refuses a trail of
/// several chains (a PostgreSQL deployment's, with a chain per node), which
/// restores only to PostgreSQL; renumbers the seqs of a trail of one chain
/// whose seqs have gaps (PostgreSQL's sequence skips the seqs of appends
/// that failed), which the hashes do not cover.
pub fn single_chain(snapshot: &Snapshot) -> StoreResult<Vec<crate::audit::AuditRecord>> {
    let several = snapshot.audit.iter().any(|r| r.chain != 0) || snapshot.checkpoints.iter().any(|c| c.chain != 0);
    if several {
        return Err(StoreError::backend(std::io::Error::other(
            "the backup's audit trail has a chain per node (a PostgreSQL deployment's): restore it to PostgreSQL",
        )));
    }
    Ok(snapshot.audit.iter().map(|r| crate::audit::AuditRecord { seq: r.position, ..r.clone() }).collect())
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistent state of a Trent deployment.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Installs the guard that seals and checks the rows that decide who
    /// may do what ([`crate::integrity`]), before any of them is read or
    /// written; a backend without one refuses them. Seals the rows stored
    /// before row MACs existed (once: the schema migration that added the
    /// MACs marks them pending) and returns how many. A backend that no one
    /// but this process can write (the in-memory store) ignores the guard.
    async fn protect_rows(&self, guard: std::sync::Arc<crate::integrity::RowGuard>) -> StoreResult<u64>;

    /// All domain keys.
    async fn domain_keys(&self) -> StoreResult<Vec<DomainKeyRecord>>;
    /// Adds a domain key; `AlreadyExists` if its id is taken.
    async fn insert_domain_key(&self, dk: &DomainKeyRecord) -> StoreResult<()>;
    /// Replaces every domain key row (the root seed among them) by `new`,
    /// atomically with `audit`, if the stored rows are exactly `expected`
    /// (else `Conflict`: another root rotation, or a new domain key, came
    /// first). A root rotation.
    async fn replace_domain_keys(
        &self,
        expected: &[DomainKeyRecord],
        new: &[DomainKeyRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()>;

    /// Number of accounts.
    async fn count_accounts(&self) -> StoreResult<u64>;
    /// Adds an account together with its first access key, atomically.
    async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &AccessKeyRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// An account.
    async fn account(&self, id: &AccountId) -> StoreResult<Option<AccountRecord>>;
    /// Looks up an access key.
    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKeyRecord>>;
    /// Adds an access key. For a user's key (`user`: its exact stored name)
    /// the user must exist when the key commits (`NotFound` otherwise, so
    /// no key outlives its user); `AlreadyExists` when the id is taken.
    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        user: Option<&str>,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// The access keys of a principal, by id.
    async fn access_keys_of(&self, principal: &PrincipalArn) -> StoreResult<Vec<AccessKeyRecord>>;
    /// Removes an access key; `NotFound` when absent.
    async fn delete_access_key(&self, id: &AccessKeyId, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Makes an access key inactive (or active again): its row is read,
    /// checked and sealed again with the new status in one transaction;
    /// `NotFound` when absent.
    async fn set_access_key_inactive(&self, id: &AccessKeyId, inactive: bool, audit: &[AuditEntry]) -> StoreResult<()>;

    /// The scope of the key with this id in `region`, whichever account
    /// owns it: a ciphertext names its key by id alone, and another account
    /// may decrypt it. Key ids are unique in a deployment but for the
    /// related keys of a multi-Region key, which share their id (and
    /// account) and are one per Region.
    async fn key_owner(&self, id: &KeyId, region: &Region) -> StoreResult<Option<Scope>>;

    /// Adds an IAM user, with its first access key when given, atomically;
    /// `AlreadyExists` when the account has a user of that name in any case,
    /// or the access key id is taken.
    async fn insert_user(
        &self,
        user: &UserRecord,
        key: Option<&AccessKeyRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// A user of `account`, by name in any case.
    async fn user(&self, account: &AccountId, name: &str) -> StoreResult<Option<UserRecord>>;
    /// The users of `account`, by name (byte order).
    async fn users(&self, account: &AccountId) -> StoreResult<Vec<UserRecord>>;
    /// Removes a user (exact stored name) with its policies, access keys,
    /// group memberships, managed policy attachments and permissions
    /// boundary; `NotFound` when absent.
    async fn delete_user(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Replaces the tags of a user (exact stored name); `NotFound` when the
    /// user does not exist.
    async fn update_user_tags(
        &self,
        account: &AccountId,
        name: &str,
        tags: &[(String, String)],
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// Adds or replaces a user's inline policy; `NotFound` when the user
    /// (exact stored name) does not exist.
    async fn put_user_policy(&self, policy: &UserPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A user's inline policies (exact stored name), by policy name.
    async fn user_policies(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<UserPolicyRecord>>;
    /// Removes a user's inline policy; `NotFound` when absent.
    async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;

    /// Adds an IAM role; `AlreadyExists` when the account has a role of
    /// that name in any case.
    async fn insert_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A role of `account`, by name in any case.
    async fn role(&self, account: &AccountId, name: &str) -> StoreResult<Option<RoleRecord>>;
    /// The roles of `account`, by name (byte order).
    async fn roles(&self, account: &AccountId) -> StoreResult<Vec<RoleRecord>>;
    /// Replaces a role's record (found by account and exact stored name:
    /// its trust policy, description, session duration and tags change);
    /// `NotFound` when the role does not exist.
    async fn update_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Removes a role (exact stored name) with its inline policies, managed
    /// policy attachments and permissions boundary; `NotFound` when absent.
    async fn delete_role(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Adds or replaces a role's inline policy; `NotFound` when the role
    /// (exact stored name) does not exist.
    async fn put_role_policy(&self, policy: &RolePolicyRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A role's inline policies (exact stored name), by policy name.
    async fn role_policies(&self, account: &AccountId, role_name: &str) -> StoreResult<Vec<RolePolicyRecord>>;
    /// Removes a role's inline policy; `NotFound` when absent.
    async fn delete_role_policy(
        &self,
        account: &AccountId,
        role_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;

    /// Adds an IAM group; `AlreadyExists` when the account has a group of
    /// that name in any case.
    async fn insert_group(&self, group: &GroupRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A group of `account`, by name in any case.
    async fn group(&self, account: &AccountId, name: &str) -> StoreResult<Option<GroupRecord>>;
    /// The groups of `account`, by name (byte order).
    async fn groups(&self, account: &AccountId) -> StoreResult<Vec<GroupRecord>>;
    /// Removes a group (exact stored name) with its inline policies,
    /// memberships and managed policy attachments; `NotFound` when absent.
    async fn delete_group(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Makes a user a member of a group (both exact stored names; already
    /// a member: nothing changes, the event is still appended); `NotFound`
    /// when either does not exist.
    async fn add_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Ends a membership; `NotFound` when the user is not a member.
    async fn remove_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// The names of a group's members (exact stored group name), by name.
    async fn group_members(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<String>>;
    /// The groups a user (exact stored name) is a member of, by name.
    async fn groups_of_user(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<GroupRecord>>;
    /// Adds or replaces a group's inline policy; `NotFound` when the group
    /// (exact stored name) does not exist.
    async fn put_group_policy(&self, policy: &GroupPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A group's inline policies (exact stored name), by policy name.
    async fn group_policies(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<GroupPolicyRecord>>;
    /// Removes a group's inline policy; `NotFound` when absent.
    async fn delete_group_policy(
        &self,
        account: &AccountId,
        group_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;

    /// Adds an OpenID Connect provider; `AlreadyExists` when its account
    /// has one of that URL.
    async fn insert_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// An OpenID Connect provider of `account`, by URL (exact).
    async fn oidc_provider(&self, account: &AccountId, url: &str) -> StoreResult<Option<OidcProviderRecord>>;
    /// The OpenID Connect providers of `account`, by URL (byte order).
    async fn oidc_providers(&self, account: &AccountId) -> StoreResult<Vec<OidcProviderRecord>>;
    /// Replaces a provider's record (found by account and URL: its client
    /// ids, thumbprints and tags change); `NotFound` when absent.
    async fn update_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Removes a provider; `NotFound` when absent.
    async fn delete_oidc_provider(&self, account: &AccountId, url: &str, audit: &[AuditEntry]) -> StoreResult<()>;

    /// Adds a custom key store; `AlreadyExists` when its id is taken or its
    /// account and Region have a key store of that name.
    async fn insert_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A custom key store of `scope`, by id.
    async fn custom_key_store(&self, scope: &Scope, id: &str) -> StoreResult<Option<CustomKeyStoreRecord>>;
    /// The custom key stores of `scope`, or of the whole deployment when
    /// `None`, by id (byte order).
    async fn custom_key_stores(&self, scope: Option<&Scope>) -> StoreResult<Vec<CustomKeyStoreRecord>>;
    /// Replaces a key store's record (found by scope and id; its name,
    /// token, PIN and connection state change); `NotFound` when absent,
    /// `AlreadyExists` when renamed to a name its scope already has.
    async fn update_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Removes a key store; `NotFound` when absent.
    async fn delete_custom_key_store(&self, scope: &Scope, id: &str, audit: &[AuditEntry]) -> StoreResult<()>;
    /// How many keys (in any state, pending deletion included) a custom key
    /// store holds.
    async fn custom_key_store_keys(&self, scope: &Scope, id: &str) -> StoreResult<u64>;

    /// Adds a customer managed policy with its first version (its default),
    /// atomically; `AlreadyExists` when the account has a managed policy of
    /// that name in any case.
    async fn insert_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: &PolicyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// A managed policy of `account`, by name in any case.
    async fn managed_policy(&self, account: &AccountId, name: &str) -> StoreResult<Option<ManagedPolicyRecord>>;
    /// The managed policies of `account`, by name (byte order).
    async fn managed_policies(&self, account: &AccountId) -> StoreResult<Vec<ManagedPolicyRecord>>;
    /// Replaces a managed policy's record (found by account and exact
    /// stored name: its default version, next version number, update time
    /// and tags change) and adds `version` when given, atomically;
    /// `NotFound` when the policy does not exist, `AlreadyExists` when the
    /// version's number is taken.
    async fn update_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: Option<&PolicyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// Removes a managed policy (exact stored name) with its versions and
    /// attachments; `NotFound` when absent.
    async fn delete_managed_policy(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()>;
    /// A managed policy's versions (exact stored name), by number.
    async fn policy_versions(&self, account: &AccountId, policy_name: &str) -> StoreResult<Vec<PolicyVersionRecord>>;
    /// Removes one version of a managed policy; `NotFound` when absent.
    async fn delete_policy_version(
        &self,
        account: &AccountId,
        policy_name: &str,
        version: u32,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// Attaches a managed policy to a user, role or group, or makes it a
    /// user's or role's permissions boundary (replacing the one it had);
    /// attached already: nothing changes, the event is still appended.
    /// `NotFound` when the policy or the entity (exact stored names) does
    /// not exist.
    async fn attach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Ends an attachment (or removes a boundary); `NotFound` when it does
    /// not exist.
    async fn detach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Where a managed policy (exact stored name) is attached, by target
    /// then entity name.
    async fn policy_attachments(
        &self,
        account: &AccountId,
        policy_name: &str,
    ) -> StoreResult<Vec<PolicyAttachmentRecord>>;
    /// The managed policies attached to an entity (exact stored name) as
    /// `target` says, by policy name, each with its default version's
    /// document: a permissions boundary target gives the boundary, if any.
    async fn attached_policies(
        &self,
        account: &AccountId,
        target: AttachmentTarget,
        entity_name: &str,
    ) -> StoreResult<Vec<AttachedPolicy>>;

    /// Adds a key with its first version (none for a key awaiting imported
    /// material, and for the replica of a multi-Region key, which shares
    /// the versions of its id), atomically. A key is identified by its id
    /// and Region: `AlreadyExists` when its Region has a key of that id.
    async fn insert_key(
        &self,
        key: &KeyRecord,
        version: Option<&KeyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// A key of this scope.
    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>>;
    /// The keys of `account` with this id in every Region, by Region: the
    /// related keys of a multi-Region key (a single-Region key alone).
    async fn related_keys(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>>;
    /// Stores every key of `keys` (each revision-checked like
    /// [`Store::update_key`]) and writes `versions` (like
    /// [`Store::put_key_versions`]), atomically: a change that spans the
    /// related keys of a multi-Region key (a rotation of its primary, which
    /// every replica follows; a new primary Region). `Conflict` or
    /// `NotFound` as `update_key` for any of them, and nothing written.
    async fn update_keys(
        &self,
        keys: &[KeyRecord],
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// Keys of this scope with id greater than `after`, at most `limit`.
    async fn list_keys(&self, scope: &Scope, after: Option<&KeyId>, limit: usize) -> StoreResult<Vec<KeyRecord>>;
    /// Replaces a key's mutable fields if its stored revision is
    /// `key.revision - 1`; `Conflict` otherwise, `NotFound` if it is gone.
    async fn update_key(&self, key: &KeyRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// One version of a key's material (shared by the related keys of a
    /// multi-Region key: versions are identified by key id alone).
    async fn key_version(&self, key_id: &KeyId, version: u32) -> StoreResult<Option<KeyVersionRecord>>;
    /// Adds a version of a key's material and stores `key` (which names it
    /// current), atomically; revision-checked like [`Store::update_key`].
    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// Versions of a key with number greater than `after`, in order, at most
    /// `limit`.
    async fn key_versions(&self, key_id: &KeyId, after: u32, limit: usize) -> StoreResult<Vec<KeyVersionRecord>>;
    /// Keys of every scope with a job due at `now`: pending deletion with a
    /// deletion date at or before `now`, enabled with automatic rotation
    /// due at or before `now`, or with imported material expiring at or
    /// before `now`. At most `limit`, in key id order.
    async fn due_keys(&self, now: i64, limit: usize) -> StoreResult<Vec<KeyRecord>>;
    /// Destroys a key whose stored revision is `key.revision`: every version
    /// of its material (unless a related key of another Region remains,
    /// which shares them), its aliases, its grants and the key itself,
    /// atomically, leaving only a tombstone (scope, id, time). `Conflict` if the key changed,
    /// `NotFound` if it is gone. Backends overwrite what they delete where
    /// they can, so no copy of the wrapped material stays on disk.
    async fn destroy_key(&self, key: &KeyRecord, destroyed_at: i64, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Stores `key` and writes `versions` (new or replacing the stored ones
    /// with the same numbers), atomically; revision-checked like
    /// [`Store::update_key`]. Imported material is deleted by writing its
    /// version with empty `wrapped_material`: backends overwrite what they
    /// replace where they can.
    async fn put_key_versions(
        &self,
        key: &KeyRecord,
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    /// True when a key with this id was destroyed in this scope.
    async fn key_destroyed(&self, scope: &Scope, id: &KeyId) -> StoreResult<bool>;

    /// Adds a grant; `AlreadyExists` if the key has a grant of that id.
    async fn insert_grant(&self, grant: &GrantRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Grants of the key `key_id` of `scope` (each Region's related key of
    /// a multi-Region key has its own), by grant id, strictly after `after`.
    async fn grants(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>>;
    /// Grants that `principal` may retire, by (key id, grant id), strictly
    /// after `after`.
    async fn retirable_grants(
        &self,
        principal: &str,
        after: Option<(&KeyId, &str)>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>>;
    /// Deletes a grant of the key `key_id` of `scope`; `NotFound` if it
    /// does not exist.
    async fn delete_grant(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        grant_id: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;

    /// Adds an alias; `AlreadyExists` if the name is taken in its scope.
    async fn insert_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// An alias by name.
    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>>;
    /// Points an existing alias elsewhere; `NotFound` if it does not exist.
    async fn update_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Deletes an alias; `NotFound` if it does not exist.
    async fn delete_alias(&self, scope: &Scope, name: &AliasName, audit: &[AuditEntry]) -> StoreResult<()>;
    /// Aliases of this scope (only those of `target` when given) with name
    /// greater than `after`, at most `limit`.
    async fn list_aliases(
        &self,
        scope: &Scope,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> StoreResult<Vec<AliasRecord>>;

    /// Appends events to this store's audit chain ([`Store::audit_chain`])
    /// in one transaction: each gets the chain's next position, a seq of
    /// the store's order, and a hash chained to the record before it
    /// ([`crate::audit::chain_on`]), however many callers append at once.
    /// Durable when this returns. Returns the stored records, which the
    /// entries move into: the group commit copies no event.
    async fn append_audit(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>>;
    /// The chain this store appends to: 0 for a store with one writer; on
    /// a store that several nodes share, a chain no other live node holds.
    async fn audit_chain(&self) -> StoreResult<u32> {
        Ok(0)
    }
    /// The chains that hold records or checkpoints, ascending.
    async fn audit_chains(&self) -> StoreResult<Vec<u32>> {
        Ok(vec![0])
    }
    /// Records with seq greater than `after`, in seq order, at most `limit`
    /// (every chain's).
    async fn audit_records(&self, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>>;
    /// The records of chain `chain` past position `after`, in position
    /// order, at most `limit`: what verification walks. On a store of one
    /// chain, where positions are seqs, [`Store::audit_records`].
    async fn audit_chain_records(&self, chain: u32, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        if chain != 0 {
            return Ok(Vec::new());
        }
        self.audit_records(after, limit).await
    }
    /// Records selected by `query`, newest (highest seq) first: every
    /// appended record, whether [`Store::index_audit`] has indexed it yet
    /// or not (a lookup reads the unindexed tail of the log itself).
    async fn lookup_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
    /// Requests of the trail that `filter` selects, counted in the
    /// database ([`crate::audit::UsageTally`] is the reference semantics):
    /// the indexed records by `GROUP BY` over the lookup index, bucketed by
    /// event time, and the log's not-yet-indexed tail read as a lookup
    /// reads it, in one snapshot, so a call whose answer has left is
    /// counted.
    async fn audit_usage(&self, filter: &UsageFilter) -> StoreResult<UsageCounts>;
    /// The keys of `account` (every account's when `None`) that existed at
    /// some time in `[since, until)`: stored keys (any state, pending
    /// deletion included) created before `until`, and destroyed keys
    /// destroyed after `since`, ordered by account, then ARN.
    async fn key_lifetimes(&self, account: Option<&AccountId>, since: i64, until: i64)
        -> StoreResult<Vec<KeyLifetime>>;
    /// Builds the lookup indexes of up to `max` records of the log that
    /// have none yet, oldest first, in one transaction: the batch work kept
    /// off the request path, where an append writes the log alone. Returns
    /// how many it indexed (0: the index is up to date). A store whose
    /// lookups read the log directly has nothing to index.
    async fn index_audit(&self, max: usize) -> StoreResult<u64> {
        let _ = max;
        Ok(0)
    }
    /// The last record of this store's chain: its position and hash;
    /// `None` while the chain is empty.
    async fn audit_head(&self) -> StoreResult<Option<(u64, Hash)>>;
    /// The highest seq stored (any chain's); `None` for an empty trail.
    async fn audit_last_seq(&self) -> StoreResult<Option<u64>> {
        Ok(self.audit_head().await?.map(|h| h.0))
    }
    /// Stores a checkpoint unless one of its chain for the same position
    /// or of the same number is there (another writer's): `false` then, and
    /// the stored one is kept.
    async fn insert_audit_checkpoint(&self, checkpoint: &AuditCheckpoint) -> StoreResult<bool>;
    /// Every checkpoint of every chain, by chain, then position.
    async fn audit_checkpoints(&self) -> StoreResult<Vec<AuditCheckpoint>>;
    /// The numbered checkpoint of this store's chain with the highest
    /// number, the one its next checkpoint follows.
    async fn latest_audit_checkpoint(&self) -> StoreResult<Option<AuditCheckpoint>>;
    /// Retention: deletes the records of this store's chain with positions
    /// up to `through` and the chain's checkpoints before it, keeping the
    /// checkpoint at `through` (the anchor the rest of the chain verifies
    /// from; the caller names a position that has one). Returns how many
    /// records went.
    async fn prune_audit(&self, through: u64) -> StoreResult<u64>;

    /// Every row, read in one consistent snapshot (a transaction that sees
    /// the store as of one instant while writers go on): what
    /// `trent admin backup` saves. Rows in each list in their natural key
    /// order (ids; audit by seq).
    async fn export(&self) -> StoreResult<Snapshot>;
    /// Writes a snapshot into an empty store, atomically, rows exactly as
    /// given (audit records with their seq and hashes). `Conflict` when the
    /// store already holds a domain key, an account, a key, a tombstone or
    /// any of an audit trail.
    async fn import(&self, snapshot: &Snapshot) -> StoreResult<()>;
}
