//! The embedded SQLite store.
//!
//! One connection, in WAL mode with `synchronous = FULL`, so every committed
//! transaction is on disk before the call returns (a key whose CreateKey
//! returned survives `kill -9` and power loss). Calls run on tokio's blocking
//! pool; the connection is behind a mutex, so SQLite sees one writer at a
//! time and never answers `SQLITE_BUSY` to ourselves. Every change runs in
//! one IMMEDIATE transaction, which also appends the change's audit events.
//!
//! The schema is versioned by embedded migrations recorded in
//! `schema_migrations`; opening a database applies the missing ones in one
//! transaction each, and refuses a database newer than this binary.
//!
//! Layout: this file opens the database and runs its migrations and its
//! connections; `rows.rs` encodes and decodes every record and holds the
//! write-transaction and audit-append helpers; `store.rs` implements
//! [`Store`] over them; `schema_tests.rs` (tests) upgrades a database of an
//! older schema and checks the plans of key lookups.

use crate::cache::{key_slot, ExactCache, KeyCache};
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{
    params, params_from_iter, Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use trent_api::enums::{ExpirationModel, KeySpec, KeyState, KeyUsage, Origin, RotationType, WireEnum};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};
use trent_core::audit::{
    chain_owned, AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash, KeyLifetime, UsageCounts, UsageFilter,
    UsageTally,
};
use trent_core::integrity::{RowGuard, Sealed, Unchecked};
use trent_core::model::*;
use trent_core::store::{Store, StoreError, StoreResult};

use crate::sql::{
    access_key_for_update_sql, access_keys_of_sql, add_group_member_sql, advance_index_sql, attach_policy_sql,
    attached_policies_sql, check_attached, check_revisions, checkpoint_from_parts, checkpoint_link,
    custom_key_store_keys_sql, custom_key_store_sql, custom_key_stores_sql, delete_access_key_sql,
    delete_custom_key_store_sql, delete_grant_sql, delete_group_policy_sql, delete_group_sql,
    delete_managed_policy_sql, delete_oidc_provider_sql, delete_policy_version_sql, delete_role_policy_sql,
    delete_role_sql, delete_user_policy_sql, delete_user_sql, destroy_key_sql, destroyed_key_lifetimes_sql,
    detach_policy_sql, drop_boundary_sql, due_keys_sql, grant_from_parts, grants_sql, group_exact_sql,
    group_members_sql, group_name_key, group_policies_sql, group_sql, groups_of_user_sql, groups_sql, hash_of,
    insert_checkpoint_sql, insert_sql, key_first_event_sql, key_lifetime, key_owner_sql, key_revision_sql,
    latest_checkpoint_sql, limit_param, live_key_lifetimes_sql, lookup_audit_sql, managed_policies_sql,
    managed_policy_exact_sql, managed_policy_name_key, managed_policy_sql, no_guard, oidc_provider_sql,
    oidc_providers_sql, policy_attachments_sql, policy_versions_sql, principals_from_json, principals_to_json,
    put_group_policy_sql, put_role_policy_sql, put_user_policy_sql, regions_from_column, regions_to_column,
    related_keys_sql, remove_group_member_sql, resources_json, revision_param, role_exact_sql, role_name_key,
    role_policies_sql, role_sql, roles_sql, seq_of, seq_param, set_access_key_inactive_sql, sort_attachments,
    strings_from_json, strings_to_json, tags_from_json, tags_to_json, tail_sql, tally_usage_row, tombstone_sql,
    unsealed_rows_sql, update_alias_sql, update_custom_key_store_sql, update_key_sql, update_managed_policy_sql,
    update_oidc_provider_sql, update_role_sql, update_user_tags_sql, usage_sql, user_exact_sql, user_name_key,
    user_policies_sql, user_sql, users_sql, AttachedRow, AuditParam, AuditRow, CheckpointParts, ExportSql, SchemaError,
    TailScan, ACCESS_KEY_COLUMNS, ACCOUNT_COLUMNS, ALIAS_COLUMNS, AUDIT_COLUMNS, AUDIT_HEAD_SQL, AUDIT_STORED_COLUMNS,
    CHECKPOINT_COLUMNS, CHECKPOINT_STORED_COLUMNS, CUSTOM_KEY_STORE_COLUMNS, DESTROYED_COLUMNS, DOMAIN_KEY_COLUMNS,
    GRANT_COLUMNS, GROUP_COLUMNS, GROUP_MEMBER_COLUMNS, GROUP_POLICY_COLUMNS, HOLDS_AUDIT_SQL, HOLDS_STATE_SQL,
    INDEX_STATE_SQL, KEY_COLUMNS, LOOKUP_COLUMNS, MANAGED_POLICY_COLUMNS, OIDC_PROVIDER_COLUMNS,
    POLICY_ATTACHMENT_COLUMNS, POLICY_VERSION_COLUMNS, ROLE_COLUMNS, ROLE_POLICY_COLUMNS, SEAL_DONE_SQL,
    SEAL_PENDING_SQL, TAIL_CHUNK, USER_COLUMNS, USER_POLICY_COLUMNS, VERSION_COLUMNS,
};

fn q(i: usize) -> String {
    format!("?{i}")
}

/// Migrations in order; the position is the schema version (from 1).
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_lifecycle.sql"),
    include_str!("../../migrations/sqlite/0003_grants.sql"),
    include_str!("../../migrations/sqlite/0004_operator.sql"),
    include_str!("../../migrations/sqlite/0005_audit.sql"),
    include_str!("../../migrations/sqlite/0006_audit_resource_index.sql"),
    include_str!("../../migrations/sqlite/0007_users.sql"),
    include_str!("../../migrations/sqlite/0008_row_macs.sql"),
    include_str!("../../migrations/sqlite/0009_checkpoint_numbers.sql"),
    include_str!("../../migrations/sqlite/0010_audit_lookup.sql"),
    include_str!("../../migrations/sqlite/0011_audit_chains.sql"),
    include_str!("../../migrations/sqlite/0012_multi_region_keys.sql"),
    include_str!("../../migrations/sqlite/0013_roles.sql"),
    include_str!("../../migrations/sqlite/0014_groups.sql"),
    include_str!("../../migrations/sqlite/0015_managed_policies.sql"),
    include_str!("../../migrations/sqlite/0016_access_key_status.sql"),
    include_str!("../../migrations/sqlite/0017_oidc_providers.sql"),
    include_str!("../../migrations/sqlite/0018_key_policy_principals.sql"),
    include_str!("../../migrations/sqlite/0019_custom_key_stores.sql"),
    include_str!("../../migrations/sqlite/0020_remote_regions.sql"),
];

/// A [`Store`] in one SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections (WAL lets them read while the writer commits),
    /// so a request's reads never wait behind another's commit and its
    /// fsync; `None` for an in-memory database, which the writer reads.
    readers: Option<Arc<Readers>>,
    /// Key records read recently, by (id, Region) (the related keys of a
    /// multi-Region key share their id): see [`crate::cache`].
    keys: Arc<KeyCache>,
    /// Users read recently, by (account, lower-case name): every request of
    /// an IAM user reads its user and its policies.
    users: Arc<ExactCache<(AccountId, String), UserRecord>>,
    /// Users' policies read recently, by (account, user name).
    user_policies: Arc<ExactCache<(AccountId, String), Vec<UserPolicyRecord>>>,
    /// Roles read recently, by (account, lower-case name): every request
    /// of a role's session reads its role and its policies.
    roles: Arc<ExactCache<(AccountId, String), RoleRecord>>,
    /// Roles' policies read recently, by (account, role name).
    role_policies: Arc<ExactCache<(AccountId, String), Vec<RolePolicyRecord>>>,
    /// The groups of users read recently, by (account, user name): every
    /// request of an IAM user reads its groups and their policies.
    groups_of_user: Arc<ExactCache<(AccountId, String), Vec<GroupRecord>>>,
    /// Groups' policies read recently, by (account, group name).
    group_policies: Arc<ExactCache<(AccountId, String), Vec<GroupPolicyRecord>>>,
    /// The managed policies attached to users, roles and groups (and their
    /// permissions boundaries) read recently, with their default versions'
    /// documents, by (account, target, entity name): every request of an
    /// IAM user or a role's session reads them.
    attached_policies: Arc<ExactCache<(AccountId, AttachmentTarget, String), Vec<AttachedPolicy>>>,
    /// Seals and checks the rows that decide access
    /// ([`Store::protect_rows`]); until it is installed those rows are
    /// refused.
    guard: Arc<std::sync::OnceLock<Arc<RowGuard>>>,
    /// The audit log file group commits append to, on the server that holds
    /// the data directory ([`SqliteStore::open_served`]); `None` elsewhere,
    /// where they append to the database's log table.
    log: Option<Arc<Mutex<AuditLog>>>,
    /// The thread that appends to `log` (`log.rs`), with it.
    appender: Option<Arc<Appender>>,
}

/// A pool of query-only connections to the database file, opened on demand.
struct Readers {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Idle read connections kept; more are opened when more reads run at once.
const MAX_IDLE_READERS: usize = 8;

/// SQLite's page cache per connection, in KiB (its default is 2 MiB). With
/// many keys, every request that misses the key cache descends the key,
/// version and audit B-trees; 32 MiB keeps their interior pages (and the
/// hot leaves) in memory instead of reading them from the OS page cache.
/// Bounded: (1 + MAX_IDLE_READERS) connections at most keep it.
const PAGE_CACHE_KIB: u32 = 32 * 1024;

/// The page size of a database Trent creates (SQLite's default is 4 KiB;
/// one made with another keeps its own). The audit trail's rows are most
/// of what the server writes, and SQLite writes its WAL a page per system
/// call and checkpoints it a page at a time: with 16 KiB pages the audited
/// server spent 0.93–0.96 of the CPU a request that it did with 4 KiB, an
/// event took 14 % fewer bytes in `audit_events`, and a state change
/// (TagResource) 0.95 ms against 0.84–0.93 (bench/README.md, "Page size").
const PAGE_SIZE: u32 = 16 * 1024;

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    ///
    /// The database, its WAL and its shared-memory file are private (mode
    /// 0600: the file is created so, a looser existing one is tightened, and
    /// SQLite gives the WAL and SHM the database's mode). A database that is
    /// read-only, or that fails SQLite's `quick_check` (corrupt pages), is
    /// refused here rather than served with every request failing.
    pub fn open(path: &Path) -> StoreResult<Self> {
        make_private(path)?;
        let conn = Connection::open(path).map_err(backend)?;
        refuse_read_only(&conn, path)?;
        check_integrity(&conn, path)?;
        let mut store = Self::init(conn, true)?;
        store.readers = Some(Arc::new(Readers { path: path.to_owned(), idle: Mutex::new(Vec::new()) }));
        Ok(store)
    }

    /// [`SqliteStore::open`] for the server that holds the data directory's
    /// lock: its group commits append to the audit log file beside the
    /// database ([`AUDIT_LOG_FILE`], see `log.rs`), and the records that file
    /// holds past the database's trail (those of a server that stopped or
    /// crashed before moving them) are moved into the database here. No
    /// other process may open the same log: `trent admin backup` beside a
    /// running server uses [`SqliteStore::open`], and reads the database
    /// (every event but the last few milliseconds' not yet moved).
    pub fn open_served(path: &Path) -> StoreResult<Self> {
        let mut store = Self::open(path)?;
        let mut conn = store.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut log = AuditLog::open(&path.with_file_name(AUDIT_LOG_FILE), audit_head(&conn)?)?;
        let recovered = log.pending.len();
        move_held(&mut conn, &mut log, false)?;
        if recovered > 0 {
            tracing::info!(records = recovered, "audit log: moved the records of the last run into the database");
        }
        drop(conn);
        let log = Arc::new(Mutex::new(log));
        store.appender = Some(Arc::new(Appender::start(log.clone())?));
        store.log = Some(log);
        Ok(store)
    }

    /// A private in-memory database: tests, and `trent serve --ephemeral`
    /// (nothing on disk; one connection serves reads and writes).
    pub fn open_in_memory() -> StoreResult<Self> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn, false)
    }

    fn init(mut conn: Connection, wal: bool) -> StoreResult<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
        if wal {
            // Before the first write, which fixes it (no effect on a
            // database that exists: WAL mode keeps its page size).
            conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}")).map_err(backend)?;
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(backend)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::backend(SchemaError(format!("could not enable WAL (journal_mode={mode})"))));
            }
        }
        // secure_delete: deleted rows (destroyed key material) are overwritten
        // with zeros in the database file rather than left in free pages.
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; \
             PRAGMA cache_size = -{PAGE_CACHE_KIB};"
        ))
        .map_err(backend)?;
        migrate(&mut conn)?;
        register_functions(&conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            readers: None,
            keys: Arc::default(),
            users: Arc::default(),
            user_policies: Arc::default(),
            roles: Arc::default(),
            role_policies: Arc::default(),
            groups_of_user: Arc::default(),
            group_policies: Arc::default(),
            attached_policies: Arc::default(),
            guard: Arc::default(),
            log: None,
            appender: None,
        })
    }

    /// The row guard, or an error before [`Store::protect_rows`].
    fn guard(&self) -> StoreResult<Arc<RowGuard>> {
        self.guard.get().cloned().ok_or_else(no_guard)
    }

    /// Runs a read-only `f` on the blocking pool with a read connection
    /// (the writer's, for an in-memory database).
    async fn with_read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let Some(readers) = self.readers.clone() else {
            return self.with(f).await;
        };
        tokio::task::spawn_blocking(move || {
            let idle = readers.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
            let mut conn = match idle {
                Some(c) => c,
                None => {
                    // Opened read-write but refusing writes (query_only):
                    // a SQLITE_OPEN_READ_ONLY connection may read the WAL
                    // index from a private copy instead of the shared
                    // memory the writer updates.
                    let c = Connection::open_with_flags(
                        &readers.path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(backend)?;
                    c.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
                    c.execute_batch(&format!("PRAGMA query_only = ON; PRAGMA cache_size = -{PAGE_CACHE_KIB};"))
                        .map_err(backend)?;
                    c
                }
            };
            let out = f(&mut conn);
            let mut idle = readers.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            out
        })
        .await
        .map_err(backend)?
    }

    /// Runs `f` with the writer connection on the blocking pool. On the
    /// served store the audit log's records move into the database first,
    /// and appends wait while `f` runs, so that `f` reads the whole trail
    /// and chains its own events (a state change's, committed with it)
    /// after them.
    async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.run_writer(true, f).await
    }

    /// [`SqliteStore::with`] for an `f` that appends no audit event (the
    /// indexer, a read of the trail): the log's records move in first, and
    /// appends go on meanwhile.
    async fn with_moved<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.run_writer(false, f).await
    }

    async fn run_writer<T, F>(&self, appends: bool, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || {
            // A panic inside `f` rolls back its transaction (Transaction's
            // Drop), so a poisoned lock guards a consistent connection.
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(log) = log else { return f(&mut guard) };
            move_log(&mut guard, &log)?;
            if !appends {
                return f(&mut guard);
            }
            // What was appended meanwhile moves under the log's lock, which
            // `f` keeps; appends go on after the head `f` leaves (unknown if
            // `f` panicked: appends fail until the next change reads it).
            let mut held = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            move_held(&mut guard, &mut held, false)?;
            held.set_head(Err("a change of the database did not finish".into()));
            let out = f(&mut guard);
            held.set_head(audit_head(&guard).map_err(|e| e.to_string()));
            out
        })
        .await
        .map_err(backend)?
    }

    /// Moves the audit log's records into the database (nothing to do
    /// without a log, or with nothing pending), so that a read of the trail
    /// that follows sees every event whose answer has left.
    async fn settle(&self) -> StoreResult<()> {
        if !self.log_pending() {
            return Ok(());
        }
        self.with_moved(|_| Ok(())).await
    }

    /// Whether the audit log holds records not yet (or not yet surely) in
    /// the database.
    fn log_pending(&self) -> bool {
        self.log.as_ref().is_some_and(|l| l.lock().unwrap_or_else(std::sync::PoisonError::into_inner).waiting())
    }
}

/// Moves the log's pending records into the database's log table, without
/// holding the log's lock meanwhile (appends go on, into `pending` again).
/// The caller holds the writer connection. Such a move commits without an
/// fsync of its own: the file still holds its records, and a crash that
/// loses the commit finds them there again. Once the file is full, what
/// was appended meanwhile moves under the log's lock with an fsync (which
/// also syncs the WAL frames of the moves before it: from then on nothing
/// in the file is needed), and the file starts again.
fn move_log(c: &mut Connection, log: &Mutex<AuditLog>) -> StoreResult<()> {
    let lock = || log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let batch = lock().take_pending();
    if !batch.is_empty() {
        let moved = insert_moved(c, &batch, false);
        lock().moved(batch, moved)?;
    }
    let mut held = lock();
    if held.full() && !held.pending.is_empty() {
        move_held(c, &mut held, true)?;
        held.restart()?;
    }
    Ok(())
}

/// [`move_log`] under the log's lock, which the caller holds: everything
/// pending moves, with an fsync of its own only if `durable`.
fn move_held(c: &mut Connection, log: &mut AuditLog, durable: bool) -> StoreResult<()> {
    let batch = log.take_pending();
    if batch.is_empty() {
        return Ok(());
    }
    let moved = insert_moved(c, &batch, durable);
    log.moved(batch, moved)
}

/// Inserts moved records in one transaction, `synchronous = FULL` only if
/// `durable`. A panic inside is an error here: the records go back to the
/// log's `pending`.
fn insert_moved(c: &mut Connection, batch: &[AuditRecord], durable: bool) -> StoreResult<()> {
    if !durable {
        c.execute_batch("PRAGMA synchronous = NORMAL").map_err(backend)?;
    }
    let inserted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let tx = write_tx(c)?;
        insert_audit(&tx, batch)?;
        tx.commit().map_err(backend)
    }));
    // Every other commit on this connection is durable before it returns.
    c.execute_batch("PRAGMA synchronous = FULL").map_err(backend)?;
    inserted.unwrap_or_else(|_| Err(backend(SchemaError("moving the audit log's records panicked".into()))))
}

/// The SQL function with which the audit indexer ([`rows::index_in`])
/// gives each resource row its key id: [`crate::sql::key_id_of`], as the
/// PostgreSQL store's rows ([`crate::sql::resource_rows`]) and the lookups
/// read it.
const KEY_ID_FN: &str = "trent_key_id";

/// Registers [`KEY_ID_FN`] on the writer connection.
fn register_functions(conn: &Connection) -> StoreResult<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_DIRECTONLY;
    conn.create_scalar_function(KEY_ID_FN, 1, flags, |ctx| {
        let arn = ctx.get_raw(0).as_str().map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
        Ok(crate::sql::key_id_of(arn).map(str::to_owned))
    })
    .map_err(backend)
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
    )
    .map_err(backend)?;
    let current: i64 =
        conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0)).map_err(backend)?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::backend(SchemaError(format!(
            "database schema version {current} is newer than this Trent ({known}); refusing to open it"
        ))));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, unixepoch())", params![version])
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        tracing::info!(version, "applied SQLite schema migration");
    }
    Ok(())
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

/// Creates the database file with mode 0600 if it is missing, and tightens
/// it, its WAL and its SHM to 0600 if they are looser.
fn make_private(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let io = |e: std::io::Error| StoreError::backend(SchemaError(format!("database {}: {e}", path.display())));
        if !path.exists() {
            std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path).map_err(io)?;
        }
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for file in [path.to_owned(), wal.into(), shm.into()] {
            tighten_mode(&file).map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Sets the file at `path` to mode 0600 if its group or others have any
/// access (nothing if there is no such file): the database's files and
/// the audit log file.
#[cfg(unix)]
fn tighten_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// SQLite opens a database it may not write read-only, silently; every
/// write would then fail.
fn refuse_read_only(conn: &Connection, path: &Path) -> StoreResult<()> {
    if conn.is_readonly(rusqlite::DatabaseName::Main).map_err(backend)? {
        return Err(StoreError::backend(SchemaError(format!(
            "database {} is read-only: the server needs to write it (check its owner, its mode and the file system)",
            path.display()
        ))));
    }
    Ok(())
}

/// SQLite's `quick_check`: every page and index is well formed. It reads
/// the whole file once, at start only (its cost grows with the database;
/// not measured here).
fn check_integrity(conn: &Connection, path: &Path) -> StoreResult<()> {
    let corrupt = |detail: String| {
        StoreError::backend(SchemaError(format!(
            "database {} is corrupt ({detail}); restore it from a backup (trent admin restore)",
            path.display()
        )))
    };
    let mut stmt = conn.prepare("PRAGMA quick_check(1)").map_err(|e| corrupt(e.to_string()))?;
    let first: String = stmt.query_row([], |r| r.get(0)).map_err(|e| corrupt(e.to_string()))?;
    if first == "ok" {
        Ok(())
    } else {
        Err(corrupt(first.chars().take(200).collect()))
    }
}

/// Maps a write error: uniqueness and primary-key violations mean the row
/// exists; anything else is a backend failure.
fn write_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == ErrorCode::ConstraintViolation
                && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) =>
        {
            StoreError::AlreadyExists
        }
        _ => backend(e),
    }
}

mod log;
mod rows;

pub use log::AUDIT_LOG_FILE;
use log::{Appender, AuditLog};
#[cfg(test)]
mod schema_tests;
mod store;
use rows::*;
