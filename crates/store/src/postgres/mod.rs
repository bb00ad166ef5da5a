//! The PostgreSQL store: the system of record when several Trent nodes
//! serve one deployment.
//!
//! A pool of connections (deadpool); every change in one transaction,
//! together with its audit events; optimistic concurrency on keys by
//! revision, so two nodes racing on one key (a rotation, a state change, a
//! scheduled job) apply exactly one change and the other sees `Conflict`.
//! Embedded migrations run at connect time under a PostgreSQL advisory
//! lock, so nodes starting together migrate once. Each node appends its
//! audit events to a chain of its own (`PostgresStore::chain`: the lowest
//! chain number whose session advisory lock no other node holds, taken at
//! the first append and held by a connection kept out of the pool), and an
//! append (alone or at the end of a change's transaction) holds that
//! chain's transaction lock from reading its head to commit: appends of one
//! node queue there, appends of different nodes never wait on each other.
//!
//! Deleted rows (destroyed or deleted key material) stay in PostgreSQL's
//! dead tuples until VACUUM reclaims them; the material in them is wrapped
//! under a domain key in any case.
//!
//! Layout: this file connects (with TLS when the URL asks) and migrates;
//! `rows.rs` encodes and decodes every record and holds the transaction and
//! audit-append helpers; `store.rs` implements [`Store`] over them;
//! `schema_tests.rs` (tests) upgrades a database of an older schema.

use crate::cache::{key_slot, KeyCache};
use crate::sql::{
    access_key_for_update_sql, access_keys_of_sql, add_group_member_sql, attach_policy_sql, attached_policies_sql,
    check_attached, check_revisions, checkpoint_from_parts, checkpoint_link, corrupt, custom_key_store_keys_sql,
    custom_key_store_sql, custom_key_stores_sql, delete_access_key_sql, delete_custom_key_store_sql, delete_grant_sql,
    delete_group_policy_sql, delete_group_sql, delete_managed_policy_sql, delete_oidc_provider_sql,
    delete_policy_version_sql, delete_role_policy_sql, delete_role_sql, delete_user_policy_sql, delete_user_sql,
    destroy_key_sql, destroyed_key_lifetimes_sql, detach_policy_sql, drop_boundary_sql, due_keys_sql, grant_from_parts,
    grants_sql, group_exact_sql, group_members_sql, group_name_key, group_policies_sql, group_sql, groups_of_user_sql,
    groups_sql, hash_of, insert_checkpoint_sql, insert_sql, key_first_event_sql, key_lifetime, key_owner_sql,
    key_revision_sql, latest_checkpoint_sql, limit_param, live_key_lifetimes_sql, lookup_audit_sql,
    managed_policies_sql, managed_policy_exact_sql, managed_policy_name_key, managed_policy_sql, no_guard,
    oidc_provider_sql, oidc_providers_sql, policy_attachments_sql, policy_versions_sql, principals_from_json,
    principals_to_json, put_group_policy_sql, put_role_policy_sql, put_user_policy_sql, regions_from_column,
    regions_to_column, related_keys_sql, remove_group_member_sql, resource_rows, resources_json, revision_param,
    role_exact_sql, role_name_key, role_policies_sql, role_sql, roles_sql, seq_of, seq_param,
    set_access_key_inactive_sql, sort_attachments, strings_from_json, strings_to_json, tags_from_json, tags_to_json,
    tally_usage_row, tombstone_sql, unsealed_rows_sql, update_alias_sql, update_custom_key_store_sql, update_key_sql,
    update_managed_policy_sql, update_oidc_provider_sql, update_role_sql, update_user_tags_sql, usage_sql,
    user_exact_sql, user_name_key, user_policies_sql, user_sql, users_sql, AttachedRow, AuditParam, AuditRow,
    ExportSql, SchemaError, TailScan, ACCESS_KEY_COLUMNS, ACCOUNT_COLUMNS, ALIAS_COLUMNS, AUDIT_COLUMNS,
    CHECKPOINT_COLUMNS, CUSTOM_KEY_STORE_COLUMNS, DESTROYED_COLUMNS, DOMAIN_KEY_COLUMNS, GRANT_COLUMNS, GROUP_COLUMNS,
    GROUP_MEMBER_COLUMNS, GROUP_POLICY_COLUMNS, HOLDS_AUDIT_SQL, HOLDS_STATE_SQL, KEY_COLUMNS, LOOKUP_COLUMNS,
    MANAGED_POLICY_COLUMNS, OIDC_PROVIDER_COLUMNS, POLICY_ATTACHMENT_COLUMNS, POLICY_VERSION_COLUMNS, ROLE_COLUMNS,
    ROLE_POLICY_COLUMNS, SEAL_DONE_SQL, TAIL_CHUNK, USER_COLUMNS, USER_POLICY_COLUMNS, VERSION_COLUMNS,
};
use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use std::str::FromStr as _;
use std::sync::Arc;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::ToSql;
use tokio_postgres::IsolationLevel;
use tokio_postgres::{AsyncMessage, NoTls, Row, Socket};
use trent_api::enums::{ExpirationModel, KeySpec, KeyState, KeyUsage, Origin, RotationType, WireEnum};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};
use trent_core::audit::{
    chain_on, AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash, KeyLifetime, UsageCounts, UsageFilter,
    UsageTally,
};
use trent_core::integrity::{RowGuard, Sealed, Unchecked};
use trent_core::model::*;
use trent_core::store::{Store, StoreError, StoreResult};

/// Migrations in order; the position is the schema version (from 1).
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_grants.sql"),
    include_str!("../../migrations/postgres/0003_operator.sql"),
    include_str!("../../migrations/postgres/0004_audit.sql"),
    include_str!("../../migrations/postgres/0005_audit_resource_index.sql"),
    include_str!("../../migrations/postgres/0006_users.sql"),
    include_str!("../../migrations/postgres/0007_row_macs.sql"),
    include_str!("../../migrations/postgres/0008_checkpoint_numbers.sql"),
    include_str!("../../migrations/postgres/0009_audit_lookup.sql"),
    include_str!("../../migrations/postgres/0010_audit_chains.sql"),
    include_str!("../../migrations/postgres/0011_multi_region_keys.sql"),
    include_str!("../../migrations/postgres/0012_roles.sql"),
    include_str!("../../migrations/postgres/0013_groups.sql"),
    include_str!("../../migrations/postgres/0014_managed_policies.sql"),
    include_str!("../../migrations/postgres/0015_access_key_status.sql"),
    include_str!("../../migrations/postgres/0016_oidc_providers.sql"),
    include_str!("../../migrations/postgres/0017_key_policy_principals.sql"),
    include_str!("../../migrations/postgres/0018_custom_key_stores.sql"),
    include_str!("../../migrations/postgres/0019_remote_regions.sql"),
];
/// The advisory lock held while migrating ("trent" + 1).
const MIGRATION_LOCK: i64 = 0x7472_656e_7401;
/// The first key of the session advisory lock a node holds on its audit
/// chain (the second is the chain): a hash of this and the schema, since
/// advisory locks are per database and deployments may share one in
/// different schemas.
const CHAIN_LOCK: &str = "trent-audit-chain:";
/// The first key of the transaction advisory lock an append holds on its
/// chain from before it reads the chain's head until it commits (the
/// second is the chain), hashed with the schema as [`CHAIN_LOCK`] is.
const APPEND_LOCK: &str = "trent-audit-append:";
/// Most chains a deployment has at once: as many nodes (and offline
/// tools that append) running together.
const MAX_CHAINS: i32 = 4096;
/// Connections per node.
const POOL_SIZE: usize = 16;
/// Rows per statement of an import's multi-row inserts: at most 19 columns
/// a row keeps a statement well below PostgreSQL's 65535 parameters.
const ROWS_PER_INSERT: usize = 1000;

fn p(i: usize) -> String {
    format!("${i}")
}

/// How long a key record read from PostgreSQL is served from memory at
/// most. Another node's change reaches this node's cache as a notification
/// within milliseconds; this bounds how long it can go unseen when the
/// notification is lost (the listening connection broke).
pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// The channel on which every change of a key is announced (`pg_notify` in
/// the transaction of the change, delivered at its commit): the payload is
/// [`key_change_payload`].
pub(crate) const KEYS_CHANNEL: &str = "trent_keys";

/// The notification payload naming a changed key: Region, tab, id.
pub(crate) fn key_change_payload(id: &KeyId, region: &Region) -> String {
    format!("{region}\t{id}")
}

/// The task that listens for [`KEYS_CHANNEL`] on a connection of its own
/// and drops announced keys from the cache; stopped when the store goes.
struct Listener(tokio::task::JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Listens for key changes until the connection fails; then empties the
/// cache (changes may have been missed) and connects again after a second.
fn spawn_listener<T>(config: tokio_postgres::Config, tls: T, keys: Arc<KeyCache>) -> Listener
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    Listener(tokio::spawn(async move {
        loop {
            match listen(&config, tls.clone(), &keys).await {
                Ok(()) => tracing::warn!("the key change listener's connection closed; reconnecting"),
                Err(e) => tracing::warn!(error = %e, "the key change listener failed; reconnecting"),
            }
            keys.clear();
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }))
}

async fn listen<T>(config: &tokio_postgres::Config, tls: T, keys: &KeyCache) -> Result<(), tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
{
    let (client, mut conn) = config.connect(tls).await?;
    let on_message = |m: AsyncMessage| {
        if let AsyncMessage::Notification(n) = m {
            if n.channel() == KEYS_CHANNEL {
                if let Some((region, id)) = n.payload().split_once('\t') {
                    keys.invalidate(&(KeyId::new_unchecked(id), Region::new_unchecked(region)));
                }
            }
        }
    };
    let statement = format!("LISTEN {KEYS_CHANNEL}");
    let subscribe = client.batch_execute(&statement);
    tokio::pin!(subscribe);
    loop {
        tokio::select! {
            r = &mut subscribe => { r?; break; }
            m = std::future::poll_fn(|cx| conn.poll_message(cx)) => match m {
                Some(Ok(m)) => on_message(m),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
        }
    }
    // What was cached before the subscription may have changed unseen.
    keys.clear();
    loop {
        match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
            Some(Ok(m)) => on_message(m),
            Some(Err(e)) => return Err(e),
            None => return Ok(()),
        }
    }
}

/// A [`Store`] in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// Key records read recently, by (id, Region), served for at most
    /// [`KEY_CACHE_TTL`] and dropped when any node announces a change of
    /// the key: a request does not read its key from the database.
    keys: Arc<KeyCache>,
    /// Keeps `keys` in step with the other nodes' changes.
    _listener: Arc<Listener>,
    /// Seals and checks the rows that decide access
    /// ([`Store::protect_rows`]); until it is installed those rows are
    /// refused.
    guard: Arc<std::sync::OnceLock<Arc<RowGuard>>>,
    /// This node's audit chain, once an append took it.
    chain: Arc<tokio::sync::OnceCell<ChainHold>>,
}

/// A chain this node appends to, and the connection that holds its
/// session lock (out of the pool, for the life of the store). Should that
/// connection drop, the lock goes and another node may take the chain too:
/// still one chain, as appends to it take its transaction lock and read
/// its head under it, only no longer free of waits.
struct ChainHold {
    chain: u32,
    _holder: deadpool_postgres::ClientWrapper,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

/// Unique and primary-key violations mean the row exists.
fn write_err(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        StoreError::AlreadyExists
    } else {
        backend(e)
    }
}

fn u32_of(v: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| corrupt(what))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db?options`) and brings
    /// the schema up to date. `sslmode=verify-full` or `require` (with
    /// `sslrootcert=FILE`) connect over TLS: see [`crate::postgres_tls`].
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let tls = crate::postgres_tls::split_url(url).map_err(|e| backend(std::io::Error::other(e)))?;
        let config = tokio_postgres::Config::from_str(&tls.url).map_err(backend)?;
        let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let keys = Arc::new(KeyCache::with_ttl(Some(KEY_CACHE_TTL)));
        let (manager, listener) = match tls.mode {
            crate::postgres_tls::PgTlsMode::None => {
                (Manager::from_config(config.clone(), NoTls, recycling), spawn_listener(config, NoTls, keys.clone()))
            }
            mode => {
                let cfg = crate::postgres_tls::client_config(mode, tls.root_cert.as_deref())
                    .map_err(|e| backend(std::io::Error::other(e)))?;
                let connect = crate::postgres_tls::RustlsConnect::new(cfg);
                (
                    Manager::from_config(config.clone(), connect.clone(), recycling),
                    spawn_listener(config, connect, keys.clone()),
                )
            }
        };
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(backend)?;
        let store =
            PostgresStore { pool, keys, _listener: Arc::new(listener), guard: Arc::default(), chain: Arc::default() };
        store.migrate().await?;
        Ok(store)
    }

    /// The row guard, or an error before [`Store::protect_rows`].
    fn guard(&self) -> StoreResult<Arc<RowGuard>> {
        self.guard.get().cloned().ok_or_else(no_guard)
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }

    /// The chain this node appends to: at the first call, the lowest chain
    /// number whose session lock it can take, registered in
    /// `audit_chains`.
    pub(super) async fn chain(&self) -> StoreResult<u32> {
        let hold = self
            .chain
            .get_or_try_init(|| async {
                let holder = deadpool_postgres::Object::take(self.client().await?);
                for chain in 0..MAX_CHAINS {
                    let row = holder
                        .query_one(
                            "SELECT pg_try_advisory_lock(hashtext($1 || current_schema()), $2)",
                            &[&CHAIN_LOCK, &chain],
                        )
                        .await
                        .map_err(backend)?;
                    if row.try_get::<_, bool>(0).map_err(backend)? {
                        holder
                            .execute(
                                "INSERT INTO audit_chains (chain, indexed) VALUES ($1, 0) ON CONFLICT DO NOTHING",
                                &[&chain],
                            )
                            .await
                            .map_err(backend)?;
                        tracing::info!(chain, "appending audit events to chain");
                        return Ok(ChainHold { chain: chain.unsigned_abs(), _holder: holder });
                    }
                }
                Err(backend(std::io::Error::other(format!("all {MAX_CHAINS} audit chains are held by other nodes"))))
            })
            .await?;
        Ok(hold.chain)
    }

    /// Appends `audit` to this node's chain in `tx` ([`append_audit_in`])
    /// and commits: the change made in `tx` and its events are stored
    /// together or not at all. A change that failed returned before this,
    /// and dropping its transaction rolled it back, so no event of it is
    /// stored.
    pub(super) async fn commit_audited(&self, tx: Transaction<'_>, audit: &[AuditEntry]) -> StoreResult<()> {
        if !audit.is_empty() {
            append_audit_in(&tx, self.chain().await?, audit.to_vec()).await?;
        }
        tx.commit().await.map_err(backend)
    }

    /// A REPEATABLE READ, READ ONLY transaction on `c`: its statements all
    /// see the snapshot taken by the first, while others go on committing.
    async fn snapshot_tx(c: &mut deadpool_postgres::Object) -> StoreResult<Transaction<'_>> {
        c.build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut c = self.client().await?;
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(backend)?;
        let result = Self::migrate_locked(&mut c).await;
        let unlock = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await;
        result?;
        unlock.map_err(backend)?;
        Ok(())
    }

    async fn migrate_locked(c: &mut deadpool_postgres::Object) -> StoreResult<()> {
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .await
        .map_err(backend)?;
        let current: i64 = c
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::backend(SchemaError(format!(
                "database schema version {current} is newer than this Trent ({known}); refusing to open it"
            ))));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
            let version = i as i64 + 1;
            let tx = c.transaction().await.map_err(backend)?;
            tx.batch_execute(sql).await.map_err(backend)?;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", &[&version])
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            tracing::info!(version, "applied PostgreSQL schema migration");
        }
        Ok(())
    }
}

mod rows;
#[cfg(test)]
mod schema_tests;
mod store;
use rows::*;
