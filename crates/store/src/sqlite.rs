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

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{
    params, params_from_iter, Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use trent_api::enums::{ExpirationModel, KeySpec, KeyState, KeyUsage, Origin, RotationType, WireEnum};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};
use trent_core::audit::{chain, AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash};
use trent_core::model::*;
use trent_core::store::{Store, StoreError, StoreResult};

use crate::sql::{
    access_keys_of_sql, checkpoint_from_parts, delete_access_key_sql, delete_user_policy_sql, delete_user_sql,
    due_keys_sql, grant_from_parts, hash_of, insert_checkpoint_sql, insert_sql, key_owner_sql, limit_param,
    lookup_audit_sql, put_user_policy_sql, resource_rows, resources_json, revision_param, seq_of, seq_param,
    tags_from_json, tags_to_json, update_key_sql, update_user_tags_sql, user_exact_sql, user_name_key,
    user_policies_sql, user_sql, users_sql, AuditParam, AuditRow, ExportSql, SchemaError, ACCESS_KEY_COLUMNS,
    ACCOUNT_COLUMNS, ALIAS_COLUMNS, AUDIT_COLUMNS, AUDIT_HEAD_SQL, CHECKPOINT_COLUMNS, DESTROYED_COLUMNS,
    DOMAIN_KEY_COLUMNS, GRANT_COLUMNS, HOLDS_AUDIT_SQL, HOLDS_STATE_SQL, KEY_COLUMNS, USER_COLUMNS,
    USER_POLICY_COLUMNS, VERSION_COLUMNS,
};

fn q(i: usize) -> String {
    format!("?{i}")
}

/// Migrations in order; the position is the schema version (from 1).
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_lifecycle.sql"),
    include_str!("../migrations/sqlite/0003_grants.sql"),
    include_str!("../migrations/sqlite/0004_operator.sql"),
    include_str!("../migrations/sqlite/0005_audit.sql"),
    include_str!("../migrations/sqlite/0006_audit_resource_index.sql"),
    include_str!("../migrations/sqlite/0007_users.sql"),
];

/// A [`Store`] in one SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections (WAL lets them read while the writer commits),
    /// so a request's reads never wait behind another's commit and its
    /// fsync; `None` for an in-memory database, which the writer reads.
    readers: Option<Arc<Readers>>,
    /// Key records read recently: see [`ExactCache`].
    keys: Arc<ExactCache<KeyId, KeyRecord>>,
    /// Users read recently, by (account, lower-case name): every request of
    /// an IAM user reads its user and its policies.
    users: Arc<ExactCache<(AccountId, String), UserRecord>>,
    /// Users' policies read recently, by (account, user name).
    user_policies: Arc<ExactCache<(AccountId, String), Vec<UserPolicyRecord>>>,
}

/// Records in memory, so a request's lookup does not go to the database.
/// Exact: an embedded SQLite database has one writer, this store. While a
/// write of an entry is in flight the entry is not served from memory and
/// nothing read is stored for it (reads go to the database, which changes
/// atomically at the commit); when the write ends its entry is dropped and
/// the generation moves on, so a read that began before it cannot store
/// what it read.
struct ExactCache<K, V> {
    inner: Mutex<CacheInner<K, V>>,
}

struct CacheInner<K, V> {
    map: std::collections::HashMap<K, V>,
    /// Writes in flight, per entry.
    writing: std::collections::HashMap<K, usize>,
    generation: u64,
}

impl<K, V> Default for ExactCache<K, V> {
    fn default() -> Self {
        ExactCache {
            inner: Mutex::new(CacheInner {
                map: std::collections::HashMap::new(),
                writing: std::collections::HashMap::new(),
                generation: 0,
            }),
        }
    }
}

/// Most entries kept per cache; a cache is emptied when full.
const CACHE_CAPACITY: usize = 100_000;

impl<K: std::hash::Hash + Eq + Clone, V: Clone> ExactCache<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner<K, V>> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, k: &K) -> Option<V> {
        let c = self.lock();
        if c.writing.contains_key(k) {
            return None;
        }
        c.map.get(k).cloned()
    }

    /// The generation to pass to [`ExactCache::insert`], taken before reading.
    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn insert(&self, generation: u64, k: &K, v: &V) {
        let mut c = self.lock();
        if c.generation != generation || c.writing.contains_key(k) {
            return;
        }
        if c.map.len() >= CACHE_CAPACITY {
            c.map.clear();
        }
        c.map.insert(k.clone(), v.clone());
    }

    /// A write of `k` begins: stop serving and storing it.
    fn begin_write(&self, k: &K) {
        let mut c = self.lock();
        *c.writing.entry(k.clone()).or_default() += 1;
        c.map.remove(k);
    }

    /// A write of `k` ended (committed or not).
    fn end_write(&self, k: &K) {
        let mut c = self.lock();
        if let Some(n) = c.writing.get_mut(k) {
            *n -= 1;
            if *n == 0 {
                c.writing.remove(k);
            }
        }
        c.map.remove(k);
        c.generation += 1;
    }

    fn clear(&self) {
        let mut c = self.lock();
        c.map.clear();
        c.generation += 1;
    }
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

    /// A private in-memory database (for tests).
    pub fn open_in_memory() -> StoreResult<Self> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn, false)
    }

    fn init(mut conn: Connection, wal: bool) -> StoreResult<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
        if wal {
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
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            readers: None,
            keys: Arc::default(),
            users: Arc::default(),
            user_policies: Arc::default(),
        })
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

    /// Runs `f` with the writer connection on the blocking pool.
    async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic inside `f` rolls back its transaction (Transaction's
            // Drop), so a poisoned lock guards a consistent connection.
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(backend)?
    }
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
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let io = |e: std::io::Error| StoreError::backend(SchemaError(format!("database {}: {e}", path.display())));
        if !path.exists() {
            std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path).map_err(io)?;
        }
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for file in [path.to_owned(), wal.into(), shm.into()] {
            let Ok(meta) = std::fs::metadata(&file) else { continue };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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

fn decode_err(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(SchemaError(what.to_owned())))
}

fn u32_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<u32> {
    let v: i64 = row.get(idx)?;
    u32::try_from(v).map_err(|_| decode_err(idx))
}

/// The values of [`KEY_COLUMNS`] for a key, in order: INSERT and UPDATE
/// bind the same list.
fn key_values(key: &KeyRecord) -> StoreResult<Vec<Value>> {
    let text = |s: &str| Value::Text(s.to_owned());
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    Ok(vec![
        text(key.id.as_str()),
        text(key.scope.account.as_str()),
        text(key.scope.region.as_str()),
        text(key.spec.as_str()),
        text(key.usage.as_str()),
        text(key.origin.as_str()),
        Value::Integer(key.created_at),
        Value::Integer(i64::from(key.multi_region)),
        text(&key.description),
        text(key.state.as_str()),
        text(&key.policy),
        Value::Text(tags_to_json(&key.tags)),
        Value::Integer(i64::from(key.current_version)),
        int(key.deletion_date),
        int(key.pending_window_days.map(i64::from)),
        Value::Integer(revision_param(key.revision)?),
        int(key.rotation_period_days.map(i64::from)),
        int(key.next_rotation_at),
        int(key.next_expiry_at),
    ])
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    let revision: i64 = row.get("revision")?;
    Ok(KeyRecord {
        id: KeyId::new_unchecked(row.get::<_, String>("id")?),
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        description: row.get("description")?,
        spec: KeySpec::parse(&row.get::<_, String>("spec")?),
        usage: KeyUsage::parse(&row.get::<_, String>("usage")?),
        origin: Origin::parse(&row.get::<_, String>("origin")?),
        state: KeyState::parse(&row.get::<_, String>("state")?),
        created_at: row.get("created_at")?,
        policy: row.get("policy")?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("tags"))?,
        multi_region: row.get("multi_region")?,
        current_version: u32_col(row, "current_version")?,
        deletion_date: row.get("deletion_date")?,
        pending_window_days: row.get("pending_window_days")?,
        revision: u64::try_from(revision).map_err(|_| decode_err("revision"))?,
        rotation_period_days: row.get("rotation_period_days")?,
        next_rotation_at: row.get("next_rotation_at")?,
        next_expiry_at: row.get("next_expiry_at")?,
    })
}

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<KeyVersionRecord> {
    Ok(KeyVersionRecord {
        key_id: KeyId::new_unchecked(row.get::<_, String>("key_id")?),
        version: u32_col(row, "version")?,
        material_id: row.get("material_id")?,
        wrapped_material: row.get("wrapped_material")?,
        created_at: row.get("created_at")?,
        rotation_type: row.get::<_, Option<String>>("rotation_type")?.map(|s| RotationType::parse(&s)),
        import: row
            .get::<_, Option<String>>("expiration_model")?
            .map(|m| -> rusqlite::Result<ImportTerms> {
                Ok(ImportTerms {
                    expiration_model: ExpirationModel::parse(&m),
                    valid_to: row.get("valid_to")?,
                    description: row.get("material_description")?,
                })
            })
            .transpose()?,
    })
}

/// The raw columns of a grant row; decoded outside rusqlite's row closure
/// so that a corrupt value is a store error, not a rusqlite one.
struct GrantParts(String, String, String, Option<String>, String, Option<String>, String, String, Option<String>, i64);

impl GrantParts {
    fn decode(self) -> StoreResult<GrantRecord> {
        let GrantParts(
            key_id,
            grant_id,
            key_arn,
            name,
            grantee,
            retiring,
            issuing,
            operations,
            constraints,
            created_at,
        ) = self;
        grant_from_parts(
            key_id,
            grant_id,
            key_arn,
            name,
            grantee,
            retiring,
            issuing,
            &operations,
            constraints.as_deref(),
            created_at,
        )
    }
}

fn grant_row(r: &Row<'_>) -> rusqlite::Result<GrantParts> {
    Ok(GrantParts(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn alias_from_row(row: &Row<'_>) -> rusqlite::Result<AliasRecord> {
    Ok(AliasRecord {
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        name: AliasName::new_unchecked(row.get::<_, String>("name")?),
        target: KeyId::new_unchecked(row.get::<_, String>("target")?),
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

fn domain_key_from_row(row: &Row<'_>) -> rusqlite::Result<DomainKeyRecord> {
    Ok(DomainKeyRecord { id: u32_col(row, "id")?, wrapped: row.get("wrapped")?, created_at: row.get("created_at")? })
}

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId::new_unchecked(row.get::<_, String>("id")?),
        created_at: row.get("created_at")?,
        operator: row.get("operator")?,
    })
}

fn access_key_from_row(row: &Row<'_>) -> rusqlite::Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        id: AccessKeyId::new_unchecked(row.get::<_, String>("id")?),
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        principal: PrincipalArn::new_unchecked(row.get::<_, String>("principal")?),
        wrapped_secret: row.get("wrapped_secret")?,
        created_at: row.get("created_at")?,
    })
}

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        name: row.get("name")?,
        user_id: row.get("user_id")?,
        created_at: row.get("created_at")?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("user tags"))?,
    })
}

fn user_policy_from_row(row: &Row<'_>) -> rusqlite::Result<UserPolicyRecord> {
    Ok(UserPolicyRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        user_name: row.get("user_name")?,
        policy_name: row.get("policy_name")?,
        document: row.get("document")?,
    })
}

/// The user of `account` named exactly `name`.
fn user_exact(c: &Connection, account: &str, name: &str) -> StoreResult<Option<UserRecord>> {
    c.prepare_cached(&user_exact_sql(q))
        .map_err(backend)?
        .query_row(params![account, name], user_from_row)
        .optional()
        .map_err(backend)
}

fn destroyed_from_row(row: &Row<'_>) -> rusqlite::Result<DestroyedKey> {
    Ok(DestroyedKey {
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        id: KeyId::new_unchecked(row.get::<_, String>("id")?),
        destroyed_at: row.get("destroyed_at")?,
    })
}

/// The raw columns of a checkpoint row ([`CHECKPOINT_COLUMNS`]), decoded by
/// [`checkpoint_from_parts`].
fn checkpoint_row(r: &Row<'_>) -> rusqlite::Result<(i64, Vec<u8>, i64, Vec<u8>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn decode_checkpoint((seq, hash, created_at, signature): (i64, Vec<u8>, i64, Vec<u8>)) -> StoreResult<AuditCheckpoint> {
    checkpoint_from_parts(seq, &hash, created_at, signature)
}

/// SQLite values of lookup parameters.
fn audit_values(values: Vec<AuditParam>) -> Vec<Value> {
    values
        .into_iter()
        .map(|v| match v {
            AuditParam::Text(s) => Value::Text(s),
            AuditParam::Int(i) => Value::Integer(i),
            AuditParam::Bool(b) => Value::Integer(i64::from(b)),
        })
        .collect()
}

/// Runs the cached `INSERT INTO table (columns)` with `values`: the one
/// statement that writes rows of that table, for a single call and for
/// [`Store::import`] alike.
fn insert_row(c: &Connection, table: &str, columns: &str, values: impl rusqlite::Params) -> StoreResult<()> {
    c.prepare_cached(&insert_sql(table, columns, q)).map_err(backend)?.execute(values).map_err(write_err)?;
    Ok(())
}

fn insert_domain_key_row(c: &Connection, dk: &DomainKeyRecord) -> StoreResult<()> {
    insert_row(c, "domain_keys", DOMAIN_KEY_COLUMNS, params![dk.id, dk.wrapped, dk.created_at])
}

fn insert_account_row(c: &Connection, a: &AccountRecord) -> StoreResult<()> {
    insert_row(c, "accounts", ACCOUNT_COLUMNS, params![a.id.as_str(), a.created_at, a.operator])
}

fn insert_access_key_row(c: &Connection, k: &AccessKeyRecord) -> StoreResult<()> {
    insert_row(
        c,
        "access_keys",
        ACCESS_KEY_COLUMNS,
        params![k.id.as_str(), k.account.as_str(), k.principal.as_str(), k.wrapped_secret, k.created_at],
    )
}

fn insert_user_row(c: &Connection, u: &UserRecord) -> StoreResult<()> {
    insert_row(
        c,
        "users",
        USER_COLUMNS,
        params![u.account.as_str(), u.name, user_name_key(&u.name), u.user_id, u.created_at, tags_to_json(&u.tags)],
    )
}

fn insert_user_policy_row(c: &Connection, p: &UserPolicyRecord) -> StoreResult<()> {
    insert_row(
        c,
        "user_policies",
        USER_POLICY_COLUMNS,
        params![p.account.as_str(), p.user_name, p.policy_name, p.document],
    )
}

fn insert_key_row(c: &Connection, key: &KeyRecord) -> StoreResult<()> {
    insert_row(c, "keys", KEY_COLUMNS, params_from_iter(key_values(key)?))
}

fn insert_alias_row(c: &Connection, a: &AliasRecord) -> StoreResult<()> {
    insert_row(
        c,
        "aliases",
        ALIAS_COLUMNS,
        params![
            a.scope.account.as_str(),
            a.scope.region.as_str(),
            a.name.as_str(),
            a.target.as_str(),
            a.created_at,
            a.updated_at
        ],
    )
}

fn insert_grant_row(c: &Connection, g: &GrantRecord) -> StoreResult<()> {
    insert_row(
        c,
        "grants",
        GRANT_COLUMNS,
        params![
            g.key_id.as_str(),
            g.grant_id,
            g.key_arn,
            g.name,
            g.grantee_principal,
            g.retiring_principal,
            g.issuing_account,
            g.operations_text(),
            g.constraints_text(),
            g.created_at
        ],
    )
}

fn insert_destroyed_row(c: &Connection, d: &DestroyedKey) -> StoreResult<()> {
    insert_row(
        c,
        "destroyed_keys",
        DESTROYED_COLUMNS,
        params![d.id.as_str(), d.scope.account.as_str(), d.scope.region.as_str(), d.destroyed_at],
    )
}

/// Stores a checkpoint unless one of its seq is there ([`insert_checkpoint_sql`]).
fn insert_checkpoint_row(c: &Connection, cp: &AuditCheckpoint) -> StoreResult<()> {
    c.prepare_cached(&insert_checkpoint_sql(q))
        .map_err(backend)?
        .execute(params![seq_param(cp.seq)?, cp.hash, cp.created_at, cp.signature])
        .map_err(backend)?;
    Ok(())
}

/// Every row, read by [`ExportSql`]'s statements on `c`, which the caller
/// has in a read transaction so that they all see one snapshot.
fn export_in(c: &Connection) -> StoreResult<Snapshot> {
    fn all<T>(c: &Connection, sql: &str, f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>) -> StoreResult<Vec<T>> {
        let mut st = c.prepare(sql).map_err(backend)?;
        let rows = st.query_map([], f).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }
    let sql = ExportSql::new();
    Ok(Snapshot {
        domain_keys: all(c, &sql.domain_keys, domain_key_from_row)?,
        accounts: all(c, &sql.accounts, account_from_row)?,
        access_keys: all(c, &sql.access_keys, access_key_from_row)?,
        users: all(c, &sql.users, user_from_row)?,
        user_policies: all(c, &sql.user_policies, user_policy_from_row)?,
        keys: all(c, &sql.keys, key_from_row)?,
        versions: all(c, &sql.versions, version_from_row)?,
        aliases: all(c, &sql.aliases, alias_from_row)?,
        grants: all(c, &sql.grants, grant_row)?.into_iter().map(GrantParts::decode).collect::<StoreResult<_>>()?,
        destroyed: all(c, &sql.destroyed, destroyed_from_row)?,
        audit: all(c, &sql.audit, audit_row)?.into_iter().map(AuditRow::decode).collect::<StoreResult<_>>()?,
        checkpoints: all(c, &sql.checkpoints, checkpoint_row)?
            .into_iter()
            .map(decode_checkpoint)
            .collect::<StoreResult<_>>()?,
    })
}

/// Writes `snap` in `tx` (a [`write_tx`]) if the store holds nothing
/// ([`HOLDS_STATE_SQL`], [`HOLDS_AUDIT_SQL`]), parents before children
/// for the foreign keys.
fn import_in(tx: &Transaction<'_>, snap: &Snapshot) -> StoreResult<()> {
    for holds in [HOLDS_STATE_SQL, HOLDS_AUDIT_SQL] {
        if tx.query_row(holds, [], |r| r.get::<_, bool>(0)).map_err(backend)? {
            return Err(StoreError::Conflict);
        }
    }
    for dk in &snap.domain_keys {
        insert_domain_key_row(tx, dk)?;
    }
    for a in &snap.accounts {
        insert_account_row(tx, a)?;
    }
    for k in &snap.access_keys {
        insert_access_key_row(tx, k)?;
    }
    for u in &snap.users {
        insert_user_row(tx, u)?;
    }
    for p in &snap.user_policies {
        insert_user_policy_row(tx, p)?;
    }
    for k in &snap.keys {
        insert_key_row(tx, k)?;
    }
    for v in &snap.versions {
        insert_version(tx, v)?;
    }
    for a in &snap.aliases {
        insert_alias_row(tx, a)?;
    }
    for g in &snap.grants {
        insert_grant_row(tx, g)?;
    }
    for d in &snap.destroyed {
        insert_destroyed_row(tx, d)?;
    }
    insert_audit(tx, &snap.audit)?;
    for cp in &snap.checkpoints {
        insert_checkpoint_row(tx, cp)?;
    }
    Ok(())
}

/// Opens a write transaction. IMMEDIATE: the write lock is taken at BEGIN,
/// before anything is read, so another process on the same file can
/// neither change what this transaction read (the audit head above all)
/// nor make it fail with `SQLITE_BUSY` when it starts writing.
fn write_tx(c: &mut Connection) -> StoreResult<Transaction<'_>> {
    c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)
}

/// Appends `audit` to the chain in `tx` (see [`append_audit_in`]) and
/// commits: the change made in `tx` and its events are stored together or
/// not at all. A change that failed returned before this, and dropping its
/// transaction rolled it back, so no event of it is stored.
fn commit_audited(tx: Transaction<'_>, audit: &[AuditEntry]) -> StoreResult<()> {
    append_audit_in(&tx, audit)?;
    tx.commit().map_err(backend)
}

/// After deleting key material: the WAL still holds the pages as they were
/// before the delete, so copy the (zeroed, thanks to secure_delete) pages
/// into the database and empty the WAL. Best effort: a busy reader only
/// delays it to the next checkpoint.
fn checkpoint(c: &Connection) {
    if let Err(e) = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint after deleting key material failed");
    }
}

fn insert_version(tx: &Transaction<'_>, v: &KeyVersionRecord) -> StoreResult<()> {
    write_version(tx, "INSERT", v)
}

/// `verb` is `INSERT` (a taken version number is `AlreadyExists`) or
/// `INSERT OR REPLACE`.
fn write_version(tx: &Transaction<'_>, verb: &str, v: &KeyVersionRecord) -> StoreResult<()> {
    let import = v.import.as_ref();
    let mut st = tx
        .prepare_cached(&insert_sql("key_versions", VERSION_COLUMNS, q).replacen("INSERT", verb, 1))
        .map_err(backend)?;
    st.execute(params![
        v.key_id.as_str(),
        v.version,
        v.material_id,
        v.wrapped_material,
        v.created_at,
        v.rotation_type.as_ref().map(|r| r.as_str().to_owned()),
        import.map(|i| i.expiration_model.as_str().to_owned()),
        import.and_then(|i| i.valid_to),
        import.and_then(|i| i.description.clone()),
    ])
    .map_err(write_err)?;
    Ok(())
}

/// Replaces a key's mutable columns if the stored revision is
/// `key.revision - 1`.
fn update_key_row(tx: &Transaction<'_>, key: &KeyRecord) -> StoreResult<()> {
    let n = tx.execute(&update_key_sql(q), params_from_iter(key_values(key)?)).map_err(backend)?;
    if n == 0 {
        let exists = tx
            .query_row("SELECT 1 FROM keys WHERE id = ?1", params![key.id.as_str()], |_| Ok(()))
            .optional()
            .map_err(backend)?
            .is_some();
        return Err(if exists { StoreError::Conflict } else { StoreError::NotFound });
    }
    Ok(())
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        prev_hash: r.get(1)?,
        hash: r.get(2)?,
        event_id: r.get(3)?,
        event_time: r.get(4)?,
        event_name: r.get(5)?,
        account: r.get(6)?,
        username: r.get(7)?,
        access_key_id: r.get(8)?,
        read_only: r.get(9)?,
        resources: r.get(10)?,
        record: r.get(11)?,
    })
}

fn audit_head(c: &Connection) -> StoreResult<Option<(u64, Hash)>> {
    let head = c
        .query_row(AUDIT_HEAD_SQL, [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .optional()
        .map_err(backend)?;
    head.map(|(seq, hash)| Ok((seq_of(seq)?, hash_of(&hash)?))).transpose()
}

/// Chains `entries` after the stored head and writes them, in `tx`, which
/// must be a [`write_tx`] so that no other writer moves the head before it
/// commits. Nothing is read or written for no entries. Used by
/// [`Store::append_audit`] and, through [`commit_audited`], by every change.
fn append_audit_in(tx: &Transaction<'_>, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let records = chain(audit_head(tx)?, entries);
    insert_audit(tx, &records)?;
    Ok(records)
}

/// Writes chained records and their resources.
fn insert_audit(tx: &Transaction<'_>, records: &[AuditRecord]) -> StoreResult<()> {
    let mut events = tx.prepare_cached(&insert_sql("audit_events", AUDIT_COLUMNS, q)).map_err(backend)?;
    let mut resources =
        tx.prepare_cached("INSERT INTO audit_resources (seq, arn, key_id) VALUES (?1, ?2, ?3)").map_err(backend)?;
    for r in records {
        let (seq, e) = (seq_param(r.seq)?, &r.entry);
        // A taken seq means the chain moved under us: a failure of the
        // append, not a duplicate the caller made.
        events
            .execute(params![
                seq,
                r.prev_hash,
                r.hash,
                e.event_id,
                e.event_time,
                e.event_name,
                e.account,
                e.username,
                e.access_key_id,
                e.read_only,
                resources_json(e),
                e.record,
            ])
            .map_err(backend)?;
        for (arn, key_id) in resource_rows(e) {
            resources.execute(params![seq, arn, key_id]).map_err(backend)?;
        }
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn domain_keys(&self) -> StoreResult<Vec<DomainKeyRecord>> {
        self.with_read(|c| {
            let mut st = c
                .prepare_cached(&format!("SELECT {DOMAIN_KEY_COLUMNS} FROM domain_keys ORDER BY id"))
                .map_err(backend)?;
            let rows = st.query_map([], domain_key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn insert_domain_key(&self, dk: &DomainKeyRecord) -> StoreResult<()> {
        let dk = dk.clone();
        self.with(move |c| insert_domain_key_row(c, &dk)).await
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        self.with_read(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0)).map_err(backend)?;
            Ok(n.max(0) as u64)
        })
        .await
    }

    async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &AccessKeyRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (account, key, audit) = (account.clone(), key.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_account_row(&tx, &account)?;
            insert_access_key_row(&tx, &key)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<AccountRecord>> {
        let id = id.clone();
        self.with_read(move |c| {
            c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                params![id.as_str()],
                account_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKeyRecord>> {
        let id = id.clone();
        self.with_read(move |c| {
            c.query_row(
                &format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE id = ?1"),
                params![id.as_str()],
                access_key_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        user: Option<&str>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, user, audit) = (key.clone(), user.map(str::to_owned), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            // The write lock (IMMEDIATE) keeps the user there until commit.
            if let Some(name) = &user {
                if user_exact(&tx, key.account.as_str(), name)?.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
            insert_access_key_row(&tx, &key)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn access_keys_of(&self, principal: &PrincipalArn) -> StoreResult<Vec<AccessKeyRecord>> {
        let principal = principal.clone();
        self.with_read(move |c| {
            let mut st = c.prepare_cached(&access_keys_of_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![principal.as_str()], access_key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn delete_access_key(&self, id: &AccessKeyId, audit: &[AuditEntry]) -> StoreResult<()> {
        let (id, audit) = (id.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .prepare_cached(&delete_access_key_sql(q))
                .map_err(backend)?
                .execute(params![id.as_str()])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn insert_user(&self, user: &UserRecord, key: &AccessKeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (user, key, audit) = (user.clone(), key.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_user_row(&tx, &user)?;
            insert_access_key_row(&tx, &key)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn user(&self, account: &AccountId, name: &str) -> StoreResult<Option<UserRecord>> {
        let slot = (account.clone(), user_name_key(name));
        if let Some(u) = self.users.get(&slot) {
            return Ok(Some(u));
        }
        let generation = self.users.generation();
        let (account, name_key) = slot.clone();
        let found = self
            .with_read(move |c| {
                c.prepare_cached(&user_sql(q))
                    .map_err(backend)?
                    .query_row(params![account.as_str(), name_key], user_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        if let Some(u) = &found {
            self.users.insert(generation, &slot, u);
        }
        Ok(found)
    }

    async fn users(&self, account: &AccountId) -> StoreResult<Vec<UserRecord>> {
        let account = account.clone();
        self.with_read(move |c| {
            let mut st = c.prepare_cached(&users_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str()], user_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn delete_user(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let (user_slot, policy_slot) = ((account.clone(), user_name_key(name)), (account.clone(), name.to_owned()));
        self.users.begin_write(&user_slot);
        self.user_policies.begin_write(&policy_slot);
        let (account, name, audit) = (account.clone(), name.to_owned(), audit.to_vec());
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let user = user_exact(&tx, account.as_str(), &name)?.ok_or(StoreError::NotFound)?;
                let [policies, keys, users] = delete_user_sql(q);
                tx.execute(&policies, params![account.as_str(), name]).map_err(backend)?;
                tx.execute(&keys, params![user.arn()]).map_err(backend)?;
                tx.execute(&users, params![account.as_str(), name]).map_err(backend)?;
                commit_audited(tx, &audit)
            })
            .await;
        self.users.end_write(&user_slot);
        self.user_policies.end_write(&policy_slot);
        result
    }

    async fn update_user_tags(
        &self,
        account: &AccountId,
        name: &str,
        tags: &[(String, String)],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let slot = (account.clone(), user_name_key(name));
        self.users.begin_write(&slot);
        let (account, name, tags, audit) = (account.clone(), name.to_owned(), tags_to_json(tags), audit.to_vec());
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let n = tx
                    .prepare_cached(&update_user_tags_sql(q))
                    .map_err(backend)?
                    .execute(params![account.as_str(), name, tags])
                    .map_err(backend)?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                commit_audited(tx, &audit)
            })
            .await;
        self.users.end_write(&slot);
        result
    }

    async fn put_user_policy(&self, policy: &UserPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let slot = (policy.account.clone(), policy.user_name.clone());
        self.user_policies.begin_write(&slot);
        let (p, audit) = (policy.clone(), audit.to_vec());
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                if user_exact(&tx, p.account.as_str(), &p.user_name)?.is_none() {
                    return Err(StoreError::NotFound);
                }
                tx.prepare_cached(&put_user_policy_sql(q))
                    .map_err(backend)?
                    .execute(params![p.account.as_str(), p.user_name, p.policy_name, p.document])
                    .map_err(backend)?;
                commit_audited(tx, &audit)
            })
            .await;
        self.user_policies.end_write(&slot);
        result
    }

    async fn user_policies(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<UserPolicyRecord>> {
        let slot = (account.clone(), user_name.to_owned());
        if let Some(p) = self.user_policies.get(&slot) {
            return Ok(p);
        }
        let generation = self.user_policies.generation();
        let (account, user_name) = slot.clone();
        let found = self
            .with_read(move |c| {
                let mut st = c.prepare_cached(&user_policies_sql(q)).map_err(backend)?;
                let rows = st.query_map(params![account.as_str(), user_name], user_policy_from_row).map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        self.user_policies.insert(generation, &slot, &found);
        Ok(found)
    }

    async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let slot = (account.clone(), user_name.to_owned());
        self.user_policies.begin_write(&slot);
        let (account, user_name, policy_name, audit) =
            (account.clone(), user_name.to_owned(), policy_name.to_owned(), audit.to_vec());
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let n = tx
                    .execute(&delete_user_policy_sql(q), params![account.as_str(), user_name, policy_name])
                    .map_err(backend)?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                commit_audited(tx, &audit)
            })
            .await;
        self.user_policies.end_write(&slot);
        result
    }

    async fn insert_key(
        &self,
        key: &KeyRecord,
        version: Option<&KeyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, version, audit) = (key.clone(), version.cloned(), audit.to_vec());
        let id = key.id.clone();
        self.keys.begin_write(&id);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                insert_key_row(&tx, &key)?;
                if let Some(v) = &version {
                    insert_version(&tx, v)?;
                }
                commit_audited(tx, &audit)
            })
            .await;
        // After the commit (or the failure), before the write returns.
        self.keys.end_write(&id);
        result
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        if let Some(k) = self.keys.get(id).filter(|k| &k.scope == scope) {
            return Ok(Some(k));
        }
        let generation = self.keys.generation();
        let (scope, id) = (scope.clone(), id.clone());
        let found = self
            .with_read(move |c| {
                let mut st = c
                    .prepare_cached(&format!(
                        "SELECT {KEY_COLUMNS} FROM keys WHERE id = ?1 AND account = ?2 AND region = ?3"
                    ))
                    .map_err(backend)?;
                st.query_row(params![id.as_str(), scope.account.as_str(), scope.region.as_str()], key_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        if let Some(k) = &found {
            self.keys.insert(generation, &k.id, k);
        }
        Ok(found)
    }

    async fn key_owner(&self, id: &KeyId) -> StoreResult<Option<Scope>> {
        let id = id.clone();
        let found: Option<(String, String)> = self
            .with_read(move |c| {
                c.prepare_cached(&key_owner_sql(q))
                    .map_err(backend)?
                    .query_row(params![id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(backend)
            })
            .await?;
        Ok(found.map(|(account, region)| Scope {
            account: AccountId::new_unchecked(account),
            region: Region::new_unchecked(region),
        }))
    }

    async fn list_keys(&self, scope: &Scope, after: Option<&KeyId>, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let (scope, after) = (scope.clone(), after.map(|a| a.as_str().to_owned()).unwrap_or_default());
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND id > ?3 ORDER BY id LIMIT ?4"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(
                    params![scope.account.as_str(), scope.region.as_str(), after, limit_param(limit)],
                    key_from_row,
                )
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn update_key(&self, key: &KeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (key, audit) = (key.clone(), audit.to_vec());
        let id = key.id.clone();
        self.keys.begin_write(&id);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                update_key_row(&tx, &key)?;
                commit_audited(tx, &audit)
            })
            .await;
        // After the commit (or the failure), before the write returns.
        self.keys.end_write(&id);
        result
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, version, audit) = (key.clone(), version.clone(), audit.to_vec());
        let id = key.id.clone();
        self.keys.begin_write(&id);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                update_key_row(&tx, &key)?;
                insert_version(&tx, &version)?;
                commit_audited(tx, &audit)
            })
            .await;
        // After the commit (or the failure), before the write returns.
        self.keys.end_write(&id);
        result
    }

    async fn key_versions(&self, key_id: &KeyId, after: u32, limit: usize) -> StoreResult<Vec<KeyVersionRecord>> {
        let key_id = key_id.clone();
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM key_versions \
                     WHERE key_id = ?1 AND version > ?2 ORDER BY version LIMIT ?3"
                ))
                .map_err(backend)?;
            let rows =
                st.query_map(params![key_id.as_str(), after, limit_param(limit)], version_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn due_keys(&self, now: i64, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        self.with_read(move |c| {
            let mut st = c.prepare_cached(&due_keys_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![now, limit_param(limit)], key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn destroy_key(&self, key: &KeyRecord, destroyed_at: i64, audit: &[AuditEntry]) -> StoreResult<()> {
        let (key, audit) = (key.clone(), audit.to_vec());
        let revision = revision_param(key.revision)?;
        let id = key.id.clone();
        self.keys.begin_write(&id);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let stored: Option<i64> = tx
                    .query_row("SELECT revision FROM keys WHERE id = ?1", params![key.id.as_str()], |r| r.get(0))
                    .optional()
                    .map_err(backend)?;
                match stored {
                    None => return Err(StoreError::NotFound),
                    Some(r) if r != revision => return Err(StoreError::Conflict),
                    Some(_) => {}
                }
                tx.execute("DELETE FROM aliases WHERE target = ?1", params![key.id.as_str()]).map_err(backend)?;
                tx.execute("DELETE FROM grants WHERE key_id = ?1", params![key.id.as_str()]).map_err(backend)?;
                tx.execute("DELETE FROM key_versions WHERE key_id = ?1", params![key.id.as_str()]).map_err(backend)?;
                tx.execute("DELETE FROM keys WHERE id = ?1", params![key.id.as_str()]).map_err(backend)?;
                insert_destroyed_row(
                    &tx,
                    &DestroyedKey { scope: key.scope.clone(), id: key.id.clone(), destroyed_at },
                )?;
                commit_audited(tx, &audit)?;
                checkpoint(c);
                Ok(())
            })
            .await;
        // After the commit (or the failure), before the write returns.
        self.keys.end_write(&id);
        result
    }

    async fn put_key_versions(
        &self,
        key: &KeyRecord,
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, versions, audit) = (key.clone(), versions.to_vec(), audit.to_vec());
        let id = key.id.clone();
        self.keys.begin_write(&id);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                update_key_row(&tx, &key)?;
                for v in &versions {
                    write_version(&tx, "INSERT OR REPLACE", v)?;
                }
                commit_audited(tx, &audit)?;
                if versions.iter().any(|v| !v.has_material()) {
                    checkpoint(c);
                }
                Ok(())
            })
            .await;
        // After the commit (or the failure), before the write returns.
        self.keys.end_write(&id);
        result
    }

    async fn key_destroyed(&self, scope: &Scope, id: &KeyId) -> StoreResult<bool> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with_read(move |c| {
            c.query_row(
                "SELECT 1 FROM destroyed_keys WHERE id = ?1 AND account = ?2 AND region = ?3",
                params![id.as_str(), scope.account.as_str(), scope.region.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(backend)
        })
        .await
    }

    async fn key_version(&self, key_id: &KeyId, version: u32) -> StoreResult<Option<KeyVersionRecord>> {
        let key_id = key_id.clone();
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM key_versions \
                     WHERE key_id = ?1 AND version = ?2"
                ))
                .map_err(backend)?;
            st.query_row(params![key_id.as_str(), version], version_from_row).optional().map_err(backend)
        })
        .await
    }

    async fn insert_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (a, audit) = (alias.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_alias_row(&tx, &a)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let (scope, name) = (scope.clone(), name.clone());
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3"
                ))
                .map_err(backend)?;
            st.query_row(params![scope.account.as_str(), scope.region.as_str(), name.as_str()], alias_from_row)
                .optional()
                .map_err(backend)
        })
        .await
    }

    async fn update_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (a, audit) = (alias.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(
                    "UPDATE aliases SET target = ?4, updated_at = ?5 WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![
                        a.scope.account.as_str(),
                        a.scope.region.as_str(),
                        a.name.as_str(),
                        a.target.as_str(),
                        a.updated_at
                    ],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName, audit: &[AuditEntry]) -> StoreResult<()> {
        let (scope, name, audit) = (scope.clone(), name.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(
                    "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![scope.account.as_str(), scope.region.as_str(), name.as_str()],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> StoreResult<Vec<AliasRecord>> {
        let scope = scope.clone();
        let target = target.map(|t| t.as_str().to_owned());
        let after = after.map(|a| a.as_str().to_owned()).unwrap_or_default();
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases \
                     WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR target = ?3) AND name > ?4 \
                     ORDER BY name LIMIT ?5"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(
                    params![scope.account.as_str(), scope.region.as_str(), target, after, limit_param(limit)],
                    alias_from_row,
                )
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn insert_grant(&self, grant: &GrantRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (g, audit) = (grant.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_grant_row(&tx, &g)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn grants(&self, key_id: &KeyId, after: Option<&str>, limit: usize) -> StoreResult<Vec<GrantRecord>> {
        let key_id = key_id.as_str().to_owned();
        let after = after.unwrap_or_default().to_owned();
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE key_id = ?1 AND grant_id > ?2 ORDER BY grant_id LIMIT ?3"
                ))
                .map_err(backend)?;
            let rows = st.query_map(params![key_id, after, limit_param(limit)], grant_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(|parts| parts.decode())).collect()
        })
        .await
    }

    async fn retirable_grants(
        &self,
        principal: &str,
        after: Option<(&KeyId, &str)>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let principal = principal.to_owned();
        let (after_key, after_id) =
            after.map_or((String::new(), String::new()), |(k, g)| (k.as_str().to_owned(), g.to_owned()));
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE retiring = ?1 AND (key_id, grant_id) > (?2, ?3) \
                     ORDER BY key_id, grant_id LIMIT ?4"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(params![principal, after_key, after_id, limit_param(limit)], grant_row)
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(|parts| parts.decode())).collect()
        })
        .await
    }

    async fn delete_grant(&self, key_id: &KeyId, grant_id: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let (key_id, grant_id, audit) = (key_id.as_str().to_owned(), grant_id.to_owned(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute("DELETE FROM grants WHERE key_id = ?1 AND grant_id = ?2", params![key_id, grant_id])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let entries = entries.to_vec();
        self.with(move |c| {
            let tx = write_tx(c)?;
            let records = append_audit_in(&tx, &entries)?;
            tx.commit().map_err(backend)?;
            Ok(records)
        })
        .await
    }

    async fn audit_records(&self, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        // Past every storable seq there is nothing.
        let Ok(after) = i64::try_from(after) else { return Ok(Vec::new()) };
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = st.query_map(params![after, limit_param(limit)], audit_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(AuditRow::decode)).collect()
        })
        .await
    }

    async fn lookup_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let (sql, values) = lookup_audit_sql(query, q);
        let values = audit_values(values);
        self.with_read(move |c| {
            let mut st = c.prepare_cached(&sql).map_err(backend)?;
            let rows = st.query_map(params_from_iter(values), audit_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(AuditRow::decode)).collect()
        })
        .await
    }

    async fn audit_head(&self) -> StoreResult<Option<(u64, Hash)>> {
        self.with_read(|c| audit_head(c)).await
    }

    async fn insert_audit_checkpoint(&self, checkpoint: &AuditCheckpoint) -> StoreResult<()> {
        let cp = checkpoint.clone();
        self.with(move |c| insert_checkpoint_row(c, &cp)).await
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<AuditCheckpoint>> {
        self.with_read(|c| {
            let mut st = c
                .prepare_cached(&format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq"))
                .map_err(backend)?;
            let rows = st.query_map([], checkpoint_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(decode_checkpoint)).collect()
        })
        .await
    }

    async fn prune_audit(&self, through: u64) -> StoreResult<u64> {
        let through = seq_param(through)?;
        self.with(move |c| {
            let tx = write_tx(c)?;
            tx.execute("DELETE FROM audit_resources WHERE seq <= ?1", params![through]).map_err(backend)?;
            let n = tx.execute("DELETE FROM audit_events WHERE seq <= ?1", params![through]).map_err(backend)?;
            tx.execute("DELETE FROM audit_checkpoints WHERE seq < ?1", params![through]).map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    /// One read connection in one read transaction: in WAL mode a
    /// transaction's reads all see the database as of its first one, while
    /// the writer goes on committing (for an in-memory database, the
    /// writer's connection, which nobody else uses meanwhile).
    async fn export(&self) -> StoreResult<Snapshot> {
        self.with_read(|c| {
            let tx = c.transaction().map_err(backend)?;
            let snap = export_in(&tx)?;
            tx.commit().map_err(backend)?;
            Ok(snap)
        })
        .await
    }

    async fn import(&self, snapshot: &Snapshot) -> StoreResult<()> {
        let snap = snapshot.clone();
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                import_in(&tx, &snap)?;
                tx.commit().map_err(backend)
            })
            .await;
        self.keys.clear();
        self.users.clear();
        self.user_policies.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_database_and_its_wal_and_shm_are_private() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path)?;
        for suffix in ["", "-wal", "-shm"] {
            let f = dir.path().join(format!("t.db{suffix}"));
            let mode = std::fs::metadata(&f)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
        drop(store);
        // A looser existing database is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        drop(SqliteStore::open(&path)?);
        assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn a_corrupt_database_is_refused_at_open() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        // Overwrite the middle of the file (past the header) with garbage.
        let mut bytes = std::fs::read(&path)?;
        assert!(bytes.len() > 8192, "{} bytes", bytes.len());
        let (start, end) = (4096, bytes.len() - 1024);
        for (i, b) in bytes[start..end].iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        std::fs::write(&path, &bytes)?;
        let err = SqliteStore::open(&path).err().map(|e| format!("{e} {:?}", std::error::Error::source(&e)));
        let err = err.unwrap_or_default();
        assert!(err.contains("corrupt") || err.contains("malformed"), "{err}");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_database_is_refused_at_open() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        // What SQLite does with a file it may not write (root may write a
        // 0400 file, so the check is also driven directly).
        let ro = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let err = refuse_read_only(&ro, &path).err().map(|e| format!("{:?}", std::error::Error::source(&e)));
        assert!(err.unwrap_or_default().contains("read-only"));
        drop(ro);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400))?;
        if std::fs::OpenOptions::new().write(true).open(&path).is_err() {
            let err = SqliteStore::open(&path).err().map(|e| format!("{e} {:?}", std::error::Error::source(&e)));
            assert!(err.unwrap_or_default().contains("read-only"));
        }
        Ok(())
    }

    /// The scheduler's query runs every pass: it must search the partial
    /// indexes of due keys, never walk the whole key table.
    #[test]
    fn due_keys_searches_its_indexes_instead_of_scanning_every_key() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", due_keys_sql(q)))?;
        let plan: Vec<String> = st.query_map(params![0i64, 10i64], |r| r.get(3))?.collect::<Result<_, _>>()?;
        for index in ["keys_due_deletion", "keys_due_rotation", "keys_due_expiry"] {
            assert!(plan.iter().any(|l| l.starts_with("SEARCH keys USING INDEX") && l.contains(index)), "{plan:?}");
        }
        assert!(!plan.iter().any(|l| l.starts_with("SCAN keys")), "{plan:?}");
        Ok(())
    }

    /// LookupEvents by ResourceName searches the one resource index.
    #[test]
    fn resource_lookups_search_the_resource_index() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let query = trent_core::audit::AuditQuery {
            account: None,
            attribute: Some(trent_core::audit::LookupAttribute::ResourceName("arn:aws:kms:r:1:key/k".into())),
            start: None,
            end: None,
            before_seq: None,
            limit: 5,
        };
        let (sql, params) = lookup_audit_sql(&query, q);
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let plan: Vec<String> =
            st.query_map(params_from_iter(audit_values(params)), |r| r.get(3))?.collect::<Result<_, _>>()?;
        assert!(plan.iter().any(|l| l.contains("USING INDEX audit_resources_by_name")), "{plan:?}");
        assert!(!plan.iter().any(|l| l.starts_with("SCAN audit_resources")), "{plan:?}");
        Ok(())
    }

    #[test]
    fn reopening_applies_no_migration_twice_and_refuses_newer_schema() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))?;
        assert_eq!(n, MIGRATIONS.len() as i64);
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)", [])?;
        drop(conn);
        let err = SqliteStore::open(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("newer than this Trent"), "{err}");
        Ok(())
    }
}
