//! The PostgreSQL store: the system of record when several Trent nodes
//! serve one deployment.
//!
//! A pool of connections (deadpool); every change in one transaction,
//! together with its audit events; optimistic concurrency on keys by
//! revision, so two nodes racing on one key (a rotation, a state change, a
//! scheduled job) apply exactly one change and the other sees `Conflict`.
//! Embedded migrations run at connect time under a PostgreSQL advisory
//! lock, so nodes starting together migrate once. Audit appends (alone or
//! at the end of a change's transaction) hold another advisory lock from
//! reading the chain's head to commit, so the events of every node form
//! one chain.
//!
//! Deleted rows (destroyed or deleted key material) stay in PostgreSQL's
//! dead tuples until VACUUM reclaims them; the material in them is wrapped
//! under a domain key in any case.

use crate::sql::{
    access_keys_of_sql, checkpoint_from_parts, corrupt, delete_access_key_sql, delete_user_policy_sql, delete_user_sql,
    due_keys_sql, grant_from_parts, hash_of, insert_checkpoint_sql, insert_sql, key_owner_sql, limit_param,
    lookup_audit_sql, put_user_policy_sql, resource_rows, resources_json, revision_param, seq_of, seq_param,
    tags_from_json, tags_to_json, update_key_sql, update_user_tags_sql, user_exact_sql, user_name_key,
    user_policies_sql, user_sql, users_sql, AuditParam, AuditRow, ExportSql, SchemaError, ACCESS_KEY_COLUMNS,
    ACCOUNT_COLUMNS, ALIAS_COLUMNS, AUDIT_COLUMNS, AUDIT_HEAD_SQL, CHECKPOINT_COLUMNS, DESTROYED_COLUMNS,
    DOMAIN_KEY_COLUMNS, GRANT_COLUMNS, HOLDS_AUDIT_SQL, HOLDS_STATE_SQL, KEY_COLUMNS, USER_COLUMNS,
    USER_POLICY_COLUMNS, VERSION_COLUMNS,
};
use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use std::str::FromStr as _;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::IsolationLevel;
use tokio_postgres::{NoTls, Row};
use trent_api::enums::{ExpirationModel, KeySpec, KeyState, KeyUsage, Origin, RotationType, WireEnum};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};
use trent_core::audit::{chain, AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash};
use trent_core::model::*;
use trent_core::store::{Store, StoreError, StoreResult};

/// Migrations in order; the position is the schema version (from 1).
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_grants.sql"),
    include_str!("../migrations/postgres/0003_operator.sql"),
    include_str!("../migrations/postgres/0004_audit.sql"),
    include_str!("../migrations/postgres/0005_audit_resource_index.sql"),
    include_str!("../migrations/postgres/0006_users.sql"),
];
/// The advisory lock held while migrating ("trent" + 1).
const MIGRATION_LOCK: i64 = 0x7472_656e_7401;
/// The transaction-scoped advisory lock every audit append holds from
/// before it reads the head until it commits ("trent" + 2), so that the
/// appends of every node form one chain. Advisory locks are per database:
/// deployments sharing a database in different schemas share this lock
/// too, which costs them only some waiting.
const AUDIT_LOCK: i64 = 0x7472_656e_7402;
/// Connections per node.
const POOL_SIZE: usize = 16;
/// Rows per statement of an import's multi-row inserts: at most 19 columns
/// a row keeps a statement well below PostgreSQL's 65535 parameters.
const ROWS_PER_INSERT: usize = 1000;

fn p(i: usize) -> String {
    format!("${i}")
}

/// A [`Store`] in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
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
        let manager = match tls.mode {
            crate::postgres_tls::PgTlsMode::None => Manager::from_config(config, NoTls, recycling),
            mode => {
                let cfg = crate::postgres_tls::client_config(mode, tls.root_cert.as_deref())
                    .map_err(|e| backend(std::io::Error::other(e)))?;
                Manager::from_config(config, crate::postgres_tls::RustlsConnect::new(cfg), recycling)
            }
        };
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(backend)?;
        let store = PostgresStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
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

/// The values of [`KEY_COLUMNS`] for a key, in order.
fn key_values(key: &KeyRecord) -> StoreResult<Vec<Box<dyn ToSql + Sync + Send>>> {
    Ok(vec![
        Box::new(key.id.as_str().to_owned()),
        Box::new(key.scope.account.as_str().to_owned()),
        Box::new(key.scope.region.as_str().to_owned()),
        Box::new(key.spec.as_str().to_owned()),
        Box::new(key.usage.as_str().to_owned()),
        Box::new(key.origin.as_str().to_owned()),
        Box::new(key.created_at),
        Box::new(key.multi_region),
        Box::new(key.description.clone()),
        Box::new(key.state.as_str().to_owned()),
        Box::new(key.policy.clone()),
        Box::new(tags_to_json(&key.tags)),
        Box::new(i64::from(key.current_version)),
        Box::new(key.deletion_date),
        Box::new(key.pending_window_days.map(i64::from)),
        Box::new(revision_param(key.revision)?),
        Box::new(key.rotation_period_days.map(i64::from)),
        Box::new(key.next_rotation_at),
        Box::new(key.next_expiry_at),
    ])
}

/// The values of [`VERSION_COLUMNS`] for a version, in order.
fn version_values(v: &KeyVersionRecord) -> Vec<Box<dyn ToSql + Sync + Send>> {
    let import = v.import.as_ref();
    vec![
        Box::new(v.key_id.as_str().to_owned()),
        Box::new(i64::from(v.version)),
        Box::new(v.material_id.clone()),
        Box::new(v.wrapped_material.clone()),
        Box::new(v.created_at),
        Box::new(v.rotation_type.as_ref().map(|r| r.as_str().to_owned())),
        Box::new(import.map(|i| i.expiration_model.as_str().to_owned())),
        Box::new(import.and_then(|i| i.valid_to)),
        Box::new(import.and_then(|i| i.description.clone())),
    ]
}

/// Values bound to one row.
type RowValues = Vec<Box<dyn ToSql + Sync + Send>>;

fn domain_key_values(dk: &DomainKeyRecord) -> RowValues {
    vec![Box::new(i64::from(dk.id)), Box::new(dk.wrapped.clone()), Box::new(dk.created_at)]
}

fn account_values(a: &AccountRecord) -> RowValues {
    vec![Box::new(a.id.as_str().to_owned()), Box::new(a.created_at), Box::new(a.operator)]
}

fn access_key_values(k: &AccessKeyRecord) -> RowValues {
    vec![
        Box::new(k.id.as_str().to_owned()),
        Box::new(k.account.as_str().to_owned()),
        Box::new(k.principal.as_str().to_owned()),
        Box::new(k.wrapped_secret.clone()),
        Box::new(k.created_at),
    ]
}

fn user_values(u: &UserRecord) -> RowValues {
    vec![
        Box::new(u.account.as_str().to_owned()),
        Box::new(u.name.clone()),
        Box::new(user_name_key(&u.name)),
        Box::new(u.user_id.clone()),
        Box::new(u.created_at),
        Box::new(tags_to_json(&u.tags)),
    ]
}

fn user_policy_values(policy: &UserPolicyRecord) -> RowValues {
    vec![
        Box::new(policy.account.as_str().to_owned()),
        Box::new(policy.user_name.clone()),
        Box::new(policy.policy_name.clone()),
        Box::new(policy.document.clone()),
    ]
}

fn alias_values(a: &AliasRecord) -> RowValues {
    vec![
        Box::new(a.scope.account.as_str().to_owned()),
        Box::new(a.scope.region.as_str().to_owned()),
        Box::new(a.name.as_str().to_owned()),
        Box::new(a.target.as_str().to_owned()),
        Box::new(a.created_at),
        Box::new(a.updated_at),
    ]
}

fn grant_values(g: &GrantRecord) -> RowValues {
    vec![
        Box::new(g.key_id.as_str().to_owned()),
        Box::new(g.grant_id.clone()),
        Box::new(g.key_arn.clone()),
        Box::new(g.name.clone()),
        Box::new(g.grantee_principal.clone()),
        Box::new(g.retiring_principal.clone()),
        Box::new(g.issuing_account.clone()),
        Box::new(g.operations_text()),
        Box::new(g.constraints_text()),
        Box::new(g.created_at),
    ]
}

fn destroyed_values(d: &DestroyedKey) -> RowValues {
    vec![
        Box::new(d.id.as_str().to_owned()),
        Box::new(d.scope.account.as_str().to_owned()),
        Box::new(d.scope.region.as_str().to_owned()),
        Box::new(d.destroyed_at),
    ]
}

fn checkpoint_values(cp: &AuditCheckpoint) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(seq_param(cp.seq)?),
        Box::new(cp.hash.to_vec()),
        Box::new(cp.created_at),
        Box::new(cp.signature.clone()),
    ])
}

fn refs(values: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
}

/// Inserts `rows` (values of `columns`) into `table`: one statement for a
/// single row, [`ROWS_PER_INSERT`] rows a statement for an import.
async fn insert_rows(c: &impl GenericClient, table: &str, columns: &str, rows: &[RowValues]) -> StoreResult<()> {
    let width = columns.split(',').count();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", (1..=width).map(|i| p(r * width + i)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", tuples.join(", "));
        let values: Vec<&(dyn ToSql + Sync)> = chunk.iter().flat_map(|r| refs(r)).collect();
        c.execute(&sql, &values).await.map_err(write_err)?;
    }
    Ok(())
}

/// One row's values as the only row of [`insert_rows`].
fn one(values: RowValues) -> [RowValues; 1] {
    [values]
}

fn opt_i32(v: Option<i64>, what: &str) -> StoreResult<Option<i32>> {
    v.map(|n| i32::try_from(n).map_err(|_| corrupt(what))).transpose()
}

fn key_from_row(r: &Row) -> StoreResult<KeyRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    let revision: i64 = r.try_get("revision").map_err(backend)?;
    Ok(KeyRecord {
        id: KeyId::new_unchecked(get_s("id")?),
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        description: get_s("description")?,
        spec: KeySpec::parse(&get_s("spec")?),
        usage: KeyUsage::parse(&get_s("usage")?),
        origin: Origin::parse(&get_s("origin")?),
        state: KeyState::parse(&get_s("state")?),
        created_at: r.try_get("created_at").map_err(backend)?,
        policy: get_s("policy")?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("tags"))?,
        multi_region: r.try_get("multi_region").map_err(backend)?,
        current_version: u32_of(r.try_get("current_version").map_err(backend)?, "current_version")?,
        deletion_date: r.try_get("deletion_date").map_err(backend)?,
        pending_window_days: opt_i32(r.try_get("pending_window_days").map_err(backend)?, "pending_window_days")?,
        revision: u64::try_from(revision).map_err(|_| corrupt("revision"))?,
        rotation_period_days: opt_i32(r.try_get("rotation_period_days").map_err(backend)?, "rotation_period_days")?,
        next_rotation_at: r.try_get("next_rotation_at").map_err(backend)?,
        next_expiry_at: r.try_get("next_expiry_at").map_err(backend)?,
    })
}

fn grant_from_row(r: &Row) -> StoreResult<GrantRecord> {
    let text = |i: usize| r.try_get::<_, String>(i).map_err(backend);
    let opt = |i: usize| r.try_get::<_, Option<String>>(i).map_err(backend);
    let operations = text(7)?;
    let constraints = opt(8)?;
    grant_from_parts(
        text(0)?,
        text(1)?,
        text(2)?,
        opt(3)?,
        text(4)?,
        opt(5)?,
        text(6)?,
        &operations,
        constraints.as_deref(),
        r.try_get(9).map_err(backend)?,
    )
}

fn version_from_row(r: &Row) -> StoreResult<KeyVersionRecord> {
    let model: Option<String> = r.try_get("expiration_model").map_err(backend)?;
    let import = match model {
        Some(m) => Some(ImportTerms {
            expiration_model: ExpirationModel::parse(&m),
            valid_to: r.try_get("valid_to").map_err(backend)?,
            description: r.try_get("material_description").map_err(backend)?,
        }),
        None => None,
    };
    Ok(KeyVersionRecord {
        key_id: KeyId::new_unchecked(r.try_get::<_, String>("key_id").map_err(backend)?),
        version: u32_of(r.try_get("version").map_err(backend)?, "version")?,
        material_id: r.try_get("material_id").map_err(backend)?,
        wrapped_material: r.try_get("wrapped_material").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        rotation_type: r
            .try_get::<_, Option<String>>("rotation_type")
            .map_err(backend)?
            .map(|s| RotationType::parse(&s)),
        import,
    })
}

fn domain_key_from_row(r: &Row) -> StoreResult<DomainKeyRecord> {
    Ok(DomainKeyRecord {
        id: u32_of(r.try_get("id").map_err(backend)?, "domain key id")?,
        wrapped: r.try_get("wrapped").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

fn account_from_row(r: &Row) -> StoreResult<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId::new_unchecked(r.try_get::<_, String>("id").map_err(backend)?),
        created_at: r.try_get("created_at").map_err(backend)?,
        operator: r.try_get("operator").map_err(backend)?,
    })
}

fn access_key_from_row(r: &Row) -> StoreResult<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        id: AccessKeyId::new_unchecked(r.try_get::<_, String>("id").map_err(backend)?),
        account: AccountId::new_unchecked(r.try_get::<_, String>("account").map_err(backend)?),
        principal: PrincipalArn::new_unchecked(r.try_get::<_, String>("principal").map_err(backend)?),
        wrapped_secret: r.try_get("wrapped_secret").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

fn user_from_row(r: &Row) -> StoreResult<UserRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(UserRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        name: get_s("name")?,
        user_id: get_s("user_id")?,
        created_at: r.try_get("created_at").map_err(backend)?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("user tags"))?,
    })
}

fn user_policy_from_row(r: &Row) -> StoreResult<UserPolicyRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(UserPolicyRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        user_name: get_s("user_name")?,
        policy_name: get_s("policy_name")?,
        document: get_s("document")?,
    })
}

/// The user of `account` named exactly `name`, its row locked in `tx` with
/// `lock` (`FOR UPDATE` to delete it, `FOR KEY SHARE` to add a policy or
/// an access key to it): a delete and a policy put (or key insert) racing
/// on one user take turns, and the later one sees what the first did.
async fn user_exact_locked(
    tx: &Transaction<'_>,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StoreResult<Option<UserRecord>> {
    let row =
        tx.query_opt(&format!("{} {lock}", user_exact_sql(p)), &[&account.as_str(), &name]).await.map_err(backend)?;
    row.as_ref().map(user_from_row).transpose()
}

fn destroyed_from_row(r: &Row) -> StoreResult<DestroyedKey> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(DestroyedKey {
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        id: KeyId::new_unchecked(get_s("id")?),
        destroyed_at: r.try_get("destroyed_at").map_err(backend)?,
    })
}

fn checkpoint_from_row(r: &Row) -> StoreResult<AuditCheckpoint> {
    let hash: Vec<u8> = r.try_get("hash").map_err(backend)?;
    checkpoint_from_parts(
        r.try_get("seq").map_err(backend)?,
        &hash,
        r.try_get("created_at").map_err(backend)?,
        r.try_get("signature").map_err(backend)?,
    )
}

fn alias_from_row(r: &Row) -> StoreResult<AliasRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(AliasRecord {
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        name: AliasName::new_unchecked(get_s("name")?),
        target: KeyId::new_unchecked(get_s("target")?),
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
    })
}

/// Stores a key's changeable columns if its stored revision is one less.
async fn update_key_row(c: &impl GenericClient, key: &KeyRecord) -> StoreResult<()> {
    let values = key_values(key)?;
    let n = c.execute(&update_key_sql(p), &refs(&values)).await.map_err(backend)?;
    if n == 0 {
        let exists =
            c.query_opt("SELECT 1 FROM keys WHERE id = $1", &[&key.id.as_str()]).await.map_err(backend)?.is_some();
        return Err(if exists { StoreError::Conflict } else { StoreError::NotFound });
    }
    Ok(())
}

async fn insert_version(c: &impl GenericClient, v: &KeyVersionRecord, replace: bool) -> StoreResult<()> {
    let mut sql = insert_sql("key_versions", VERSION_COLUMNS, p);
    if replace {
        sql.push_str(
            " ON CONFLICT (key_id, version) DO UPDATE SET material_id = EXCLUDED.material_id, \
             wrapped_material = EXCLUDED.wrapped_material, created_at = EXCLUDED.created_at, \
             rotation_type = EXCLUDED.rotation_type, expiration_model = EXCLUDED.expiration_model, \
             valid_to = EXCLUDED.valid_to, material_description = EXCLUDED.material_description",
        );
    }
    let values = version_values(v);
    c.execute(&sql, &refs(&values)).await.map_err(write_err)?;
    Ok(())
}

fn audit_from_row(r: &Row) -> StoreResult<AuditRecord> {
    let get = |i: usize| r.try_get::<_, Option<String>>(i).map_err(backend);
    let text = |i: usize| r.try_get::<_, String>(i).map_err(backend);
    AuditRow {
        seq: r.try_get(0).map_err(backend)?,
        prev_hash: r.try_get(1).map_err(backend)?,
        hash: r.try_get(2).map_err(backend)?,
        event_id: text(3)?,
        event_time: r.try_get(4).map_err(backend)?,
        event_name: text(5)?,
        account: get(6)?,
        username: get(7)?,
        access_key_id: get(8)?,
        read_only: r.try_get(9).map_err(backend)?,
        resources: text(10)?,
        record: text(11)?,
    }
    .decode()
}

async fn audit_head(c: &impl GenericClient) -> StoreResult<Option<(u64, Hash)>> {
    let row = c.query_opt(AUDIT_HEAD_SQL, &[]).await.map_err(backend)?;
    row.map(|r| {
        let seq: i64 = r.try_get(0).map_err(backend)?;
        let hash: Vec<u8> = r.try_get(1).map_err(backend)?;
        Ok((seq_of(seq)?, hash_of(&hash)?))
    })
    .transpose()
}

/// Chains `entries` after the stored head and writes them, in `tx`. Takes
/// [`AUDIT_LOCK`] first, held until `tx` ends: appenders of every node
/// queue there, and the head is read after the lock, by a statement whose
/// snapshot shows the previous holder's commit (READ COMMITTED takes one
/// per statement). Nothing is locked, read or written for no entries. Used
/// by [`Store::append_audit`] and, through [`commit_audited`], by every
/// change, after the change's own statements: the audit lock is always the
/// last lock a transaction takes, so holding it never waits on a row lock.
async fn append_audit_in(tx: &Transaction<'_>, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK]).await.map_err(backend)?;
    let records = chain(audit_head(tx).await?, entries);
    insert_audit(tx, &records).await?;
    Ok(records)
}

/// Appends `audit` to the chain in `tx` ([`append_audit_in`]) and commits:
/// the change made in `tx` and its events are stored together or not at
/// all. A change that failed returned before this, and dropping its
/// transaction rolled it back, so no event of it is stored.
async fn commit_audited(tx: Transaction<'_>, audit: &[AuditEntry]) -> StoreResult<()> {
    append_audit_in(&tx, audit).await?;
    tx.commit().await.map_err(backend)
}

/// Writes chained records and their resources: one statement per table
/// whatever the batch size, each column bound as an array and unnested.
async fn insert_audit(c: &impl GenericClient, records: &[AuditRecord]) -> StoreResult<()> {
    let seq = records.iter().map(|r| seq_param(r.seq)).collect::<StoreResult<Vec<i64>>>()?;
    let prev: Vec<&[u8]> = records.iter().map(|r| &r.prev_hash[..]).collect();
    let hash: Vec<&[u8]> = records.iter().map(|r| &r.hash[..]).collect();
    let entries = || records.iter().map(|r| &r.entry);
    let id: Vec<&str> = entries().map(|e| e.event_id.as_str()).collect();
    let time: Vec<i64> = entries().map(|e| e.event_time).collect();
    let name: Vec<&str> = entries().map(|e| e.event_name.as_str()).collect();
    let account: Vec<Option<&str>> = entries().map(|e| e.account.as_deref()).collect();
    let user: Vec<Option<&str>> = entries().map(|e| e.username.as_deref()).collect();
    let access_key: Vec<Option<&str>> = entries().map(|e| e.access_key_id.as_deref()).collect();
    let read_only: Vec<bool> = entries().map(|e| e.read_only).collect();
    let resources: Vec<String> = entries().map(resources_json).collect();
    let record: Vec<&str> = entries().map(|e| e.record.as_str()).collect();
    let (mut res_seq, mut res_arn, mut res_key) = (Vec::new(), Vec::new(), Vec::new());
    for (s, e) in seq.iter().zip(entries()) {
        for (arn, key_id) in resource_rows(e) {
            res_seq.push(*s);
            res_arn.push(arn);
            res_key.push(key_id);
        }
    }
    // A taken seq means the chain moved under us: a failure of the append,
    // not a duplicate the caller made.
    c.execute(
        &format!(
            "INSERT INTO audit_events ({AUDIT_COLUMNS}) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], \
             $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::BOOLEAN[], $11::TEXT[], \
             $12::TEXT[])"
        ),
        &[&seq, &prev, &hash, &id, &time, &name, &account, &user, &access_key, &read_only, &resources, &record],
    )
    .await
    .map_err(backend)?;
    if !res_seq.is_empty() {
        c.execute(
            "INSERT INTO audit_resources (seq, arn, key_id) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[])",
            &[&res_seq, &res_arn, &res_key],
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn domain_keys(&self) -> StoreResult<Vec<DomainKeyRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(&format!("SELECT {DOMAIN_KEY_COLUMNS} FROM domain_keys ORDER BY id"), &[])
            .await
            .map_err(backend)?;
        rows.iter().map(domain_key_from_row).collect()
    }

    async fn insert_domain_key(&self, dk: &DomainKeyRecord) -> StoreResult<()> {
        let c = self.client().await?;
        insert_rows(&c, "domain_keys", DOMAIN_KEY_COLUMNS, &one(domain_key_values(dk))).await
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        let c = self.client().await?;
        let n: i64 =
            c.query_one("SELECT COUNT(*) FROM accounts", &[]).await.map_err(backend)?.try_get(0).map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &AccessKeyRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "accounts", ACCOUNT_COLUMNS, &one(account_values(account))).await?;
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &one(access_key_values(key))).await?;
        commit_audited(tx, audit).await
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<AccountRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"), &[&id.as_str()])
            .await
            .map_err(backend)?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKeyRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE id = $1"), &[&id.as_str()])
            .await
            .map_err(backend)?;
        row.as_ref().map(access_key_from_row).transpose()
    }

    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        user: Option<&str>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // FOR KEY SHARE, as a policy put: a delete_user of the user (FOR
        // UPDATE) waits for this key and then deletes it too, or this one
        // waits for the delete and then finds no user.
        if let Some(name) = user {
            if user_exact_locked(&tx, &key.account, name, "FOR KEY SHARE").await?.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &one(access_key_values(key))).await?;
        commit_audited(tx, audit).await
    }

    async fn access_keys_of(&self, principal: &PrincipalArn) -> StoreResult<Vec<AccessKeyRecord>> {
        let c = self.client().await?;
        let rows = c.query(&access_keys_of_sql(p), &[&principal.as_str()]).await.map_err(backend)?;
        rows.iter().map(access_key_from_row).collect()
    }

    async fn delete_access_key(&self, id: &AccessKeyId, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx.execute(&delete_access_key_sql(p), &[&id.as_str()]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx, audit).await
    }

    async fn insert_user(&self, user: &UserRecord, key: &AccessKeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "users", USER_COLUMNS, &one(user_values(user))).await?;
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &one(access_key_values(key))).await?;
        commit_audited(tx, audit).await
    }

    async fn user(&self, account: &AccountId, name: &str) -> StoreResult<Option<UserRecord>> {
        // Every request of an IAM user reads its user and policies: prepared
        // once per connection, as the key lookup is.
        let c = self.client().await?;
        let st = c.prepare_cached(&user_sql(p)).await.map_err(backend)?;
        let row = c.query_opt(&st, &[&account.as_str(), &user_name_key(name)]).await.map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self, account: &AccountId) -> StoreResult<Vec<UserRecord>> {
        let c = self.client().await?;
        let rows = c.query(&users_sql(p), &[&account.as_str()]).await.map_err(backend)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn delete_user(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let user = user_exact_locked(&tx, account, name, "FOR UPDATE").await?.ok_or(StoreError::NotFound)?;
        let [policies, keys, users] = delete_user_sql(p);
        tx.execute(&policies, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&keys, &[&user.arn()]).await.map_err(backend)?;
        tx.execute(&users, &[&account.as_str(), &name]).await.map_err(backend)?;
        commit_audited(tx, audit).await
    }

    async fn update_user_tags(
        &self,
        account: &AccountId,
        name: &str,
        tags: &[(String, String)],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // The UPDATE locks the row (FOR NO KEY UPDATE): a delete_user of it
        // (FOR UPDATE) waits for this one, or this one for it and then
        // finds no row; a policy put (FOR KEY SHARE) goes on alongside.
        let n = tx
            .execute(&update_user_tags_sql(p), &[&account.as_str(), &name, &tags_to_json(tags)])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx, audit).await
    }

    async fn put_user_policy(&self, policy: &UserPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        if user_exact_locked(&tx, &policy.account, &policy.user_name, "FOR KEY SHARE").await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let values = user_policy_values(policy);
        tx.execute(&put_user_policy_sql(p), &refs(&values)).await.map_err(backend)?;
        commit_audited(tx, audit).await
    }

    async fn user_policies(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<UserPolicyRecord>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&user_policies_sql(p)).await.map_err(backend)?;
        let rows = c.query(&st, &[&account.as_str(), &user_name]).await.map_err(backend)?;
        rows.iter().map(user_policy_from_row).collect()
    }

    async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&delete_user_policy_sql(p), &[&account.as_str(), &user_name, &policy_name])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx, audit).await
    }

    async fn insert_key(
        &self,
        key: &KeyRecord,
        version: Option<&KeyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let values = key_values(key)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "keys", KEY_COLUMNS, &one(values)).await?;
        if let Some(v) = version {
            insert_version(&tx, v, false).await?;
        }
        commit_audited(tx, audit).await
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = $1 AND account = $2 AND region = $3"))
            .await
            .map_err(backend)?;
        let row = c
            .query_opt(&st, &[&id.as_str(), &scope.account.as_str(), &scope.region.as_str()])
            .await
            .map_err(backend)?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn key_owner(&self, id: &KeyId) -> StoreResult<Option<Scope>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&key_owner_sql(p)).await.map_err(backend)?;
        let row = c.query_opt(&st, &[&id.as_str()]).await.map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let (account, region): (String, String) = (r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?);
        Ok(Some(Scope { account: AccountId::new_unchecked(account), region: Region::new_unchecked(region) }))
    }

    async fn list_keys(&self, scope: &Scope, after: Option<&KeyId>, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let c = self.client().await?;
        let after = after.map_or("", |a| a.as_str());
        let rows = c
            .query(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4"
                ),
                &[&scope.account.as_str(), &scope.region.as_str(), &after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn update_key(&self, key: &KeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        update_key_row(&tx, key).await?;
        commit_audited(tx, audit).await
    }

    async fn key_version(&self, key_id: &KeyId, version: u32) -> StoreResult<Option<KeyVersionRecord>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("SELECT {VERSION_COLUMNS} FROM key_versions WHERE key_id = $1 AND version = $2"))
            .await
            .map_err(backend)?;
        let row = c.query_opt(&st, &[&key_id.as_str(), &i64::from(version)]).await.map_err(backend)?;
        row.as_ref().map(version_from_row).transpose()
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        update_key_row(&tx, key).await?;
        insert_version(&tx, version, false).await?;
        commit_audited(tx, audit).await
    }

    async fn key_versions(&self, key_id: &KeyId, after: u32, limit: usize) -> StoreResult<Vec<KeyVersionRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM key_versions WHERE key_id = $1 AND version > $2 ORDER BY version LIMIT $3"
                ),
                &[&key_id.as_str(), &i64::from(after), &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(version_from_row).collect()
    }

    async fn due_keys(&self, now: i64, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let c = self.client().await?;
        let rows = c.query(&due_keys_sql(p), &[&now, &limit_param(limit)]).await.map_err(backend)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn destroy_key(&self, key: &KeyRecord, destroyed_at: i64, audit: &[AuditEntry]) -> StoreResult<()> {
        let revision = revision_param(key.revision)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // Lock the row: a concurrent change waits, then sees it gone.
        let stored = tx
            .query_opt("SELECT revision FROM keys WHERE id = $1 FOR UPDATE", &[&key.id.as_str()])
            .await
            .map_err(backend)?;
        match stored.map(|r| r.try_get::<_, i64>(0)).transpose().map_err(backend)? {
            None => return Err(StoreError::NotFound),
            Some(r) if r != revision => return Err(StoreError::Conflict),
            Some(_) => {}
        }
        let id = key.id.as_str();
        tx.execute("DELETE FROM aliases WHERE target = $1", &[&id]).await.map_err(backend)?;
        tx.execute("DELETE FROM grants WHERE key_id = $1", &[&id]).await.map_err(backend)?;
        tx.execute("DELETE FROM key_versions WHERE key_id = $1", &[&id]).await.map_err(backend)?;
        tx.execute("DELETE FROM keys WHERE id = $1", &[&id]).await.map_err(backend)?;
        let tombstone = DestroyedKey { scope: key.scope.clone(), id: key.id.clone(), destroyed_at };
        insert_rows(&tx, "destroyed_keys", DESTROYED_COLUMNS, &one(destroyed_values(&tombstone))).await?;
        commit_audited(tx, audit).await
    }

    async fn put_key_versions(
        &self,
        key: &KeyRecord,
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        update_key_row(&tx, key).await?;
        for v in versions {
            insert_version(&tx, v, true).await?;
        }
        commit_audited(tx, audit).await
    }

    async fn key_destroyed(&self, scope: &Scope, id: &KeyId) -> StoreResult<bool> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT 1 FROM destroyed_keys WHERE id = $1 AND account = $2 AND region = $3",
                &[&id.as_str(), &scope.account.as_str(), &scope.region.as_str()],
            )
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    async fn insert_alias(&self, a: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "aliases", ALIAS_COLUMNS, &one(alias_values(a))).await?;
        commit_audited(tx, audit).await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = $1 AND region = $2 AND name = $3"),
                &[&scope.account.as_str(), &scope.region.as_str(), &name.as_str()],
            )
            .await
            .map_err(backend)?;
        row.as_ref().map(alias_from_row).transpose()
    }

    async fn update_alias(&self, a: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE aliases SET target = $4, updated_at = $5 WHERE account = $1 AND region = $2 AND name = $3",
                &[
                    &a.scope.account.as_str(),
                    &a.scope.region.as_str(),
                    &a.name.as_str(),
                    &a.target.as_str(),
                    &a.updated_at,
                ],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx, audit).await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3",
                &[&scope.account.as_str(), &scope.region.as_str(), &name.as_str()],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx, audit).await
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> StoreResult<Vec<AliasRecord>> {
        let c = self.client().await?;
        let target = target.map(|t| t.as_str().to_owned());
        let after = after.map_or("", |a| a.as_str());
        let rows = c
            .query(
                &format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases \
                     WHERE account = $1 AND region = $2 AND ($3::TEXT IS NULL OR target = $3) AND name > $4 \
                     ORDER BY name LIMIT $5"
                ),
                &[&scope.account.as_str(), &scope.region.as_str(), &target, &after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(alias_from_row).collect()
    }

    async fn insert_grant(&self, g: &GrantRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "grants", GRANT_COLUMNS, &one(grant_values(g))).await?;
        commit_audited(tx, audit).await
    }

    async fn grants(&self, key_id: &KeyId, after: Option<&str>, limit: usize) -> StoreResult<Vec<GrantRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE key_id = $1 AND grant_id > $2 ORDER BY grant_id LIMIT $3"
                ),
                &[&key_id.as_str(), &after.unwrap_or_default(), &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(grant_from_row).collect()
    }

    async fn retirable_grants(
        &self,
        principal: &str,
        after: Option<(&KeyId, &str)>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let c = self.client().await?;
        let (after_key, after_id) = after.map_or(("", ""), |(k, g)| (k.as_str(), g));
        let rows = c
            .query(
                &format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE retiring = $1 AND (key_id, grant_id) > ($2, $3) \
                     ORDER BY key_id, grant_id LIMIT $4"
                ),
                &[&principal, &after_key, &after_id, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(grant_from_row).collect()
    }

    async fn delete_grant(&self, key_id: &KeyId, grant_id: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute("DELETE FROM grants WHERE key_id = $1 AND grant_id = $2", &[&key_id.as_str(), &grant_id])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        commit_audited(tx, audit).await
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let records = append_audit_in(&tx, entries).await?;
        tx.commit().await.map_err(backend)?;
        Ok(records)
    }

    async fn audit_records(&self, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        // Past every storable seq there is nothing.
        let Ok(after) = i64::try_from(after) else { return Ok(Vec::new()) };
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn lookup_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let (sql, values) = lookup_audit_sql(query, p);
        let values: Vec<Box<dyn ToSql + Sync + Send>> = values
            .into_iter()
            .map(|v| -> Box<dyn ToSql + Sync + Send> {
                match v {
                    AuditParam::Text(s) => Box::new(s),
                    AuditParam::Int(i) => Box::new(i),
                    AuditParam::Bool(b) => Box::new(b),
                }
            })
            .collect();
        let c = self.client().await?;
        let rows = c.query(&sql, &refs(&values)).await.map_err(backend)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_head(&self) -> StoreResult<Option<(u64, Hash)>> {
        let c = self.client().await?;
        audit_head(&c).await
    }

    async fn insert_audit_checkpoint(&self, cp: &AuditCheckpoint) -> StoreResult<()> {
        let values = checkpoint_values(cp)?;
        let c = self.client().await?;
        c.execute(&insert_checkpoint_sql(p), &refs(&values)).await.map_err(backend)?;
        Ok(())
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<AuditCheckpoint>> {
        let c = self.client().await?;
        let rows = c
            .query(&format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq"), &[])
            .await
            .map_err(backend)?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    async fn prune_audit(&self, through: u64) -> StoreResult<u64> {
        let through = seq_param(through)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("DELETE FROM audit_resources WHERE seq <= $1", &[&through]).await.map_err(backend)?;
        let n = tx.execute("DELETE FROM audit_events WHERE seq <= $1", &[&through]).await.map_err(backend)?;
        tx.execute("DELETE FROM audit_checkpoints WHERE seq < $1", &[&through]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    /// One REPEATABLE READ, READ ONLY transaction: its statements (sent at
    /// once, pipelined on its connection) all see the snapshot taken by the
    /// first, while other transactions go on committing.
    async fn export(&self) -> StoreResult<Snapshot> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)?;
        let sql = ExportSql::new();
        let (
            domain_keys,
            accounts,
            access_keys,
            users,
            user_policies,
            keys,
            versions,
            aliases,
            grants,
            destroyed,
            audit,
            checkpoints,
        ) = tokio::try_join!(
            tx.query(&sql.domain_keys, &[]),
            tx.query(&sql.accounts, &[]),
            tx.query(&sql.access_keys, &[]),
            tx.query(&sql.users, &[]),
            tx.query(&sql.user_policies, &[]),
            tx.query(&sql.keys, &[]),
            tx.query(&sql.versions, &[]),
            tx.query(&sql.aliases, &[]),
            tx.query(&sql.grants, &[]),
            tx.query(&sql.destroyed, &[]),
            tx.query(&sql.audit, &[]),
            tx.query(&sql.checkpoints, &[]),
        )
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Snapshot {
            domain_keys: domain_keys.iter().map(domain_key_from_row).collect::<StoreResult<_>>()?,
            accounts: accounts.iter().map(account_from_row).collect::<StoreResult<_>>()?,
            access_keys: access_keys.iter().map(access_key_from_row).collect::<StoreResult<_>>()?,
            users: users.iter().map(user_from_row).collect::<StoreResult<_>>()?,
            user_policies: user_policies.iter().map(user_policy_from_row).collect::<StoreResult<_>>()?,
            keys: keys.iter().map(key_from_row).collect::<StoreResult<_>>()?,
            versions: versions.iter().map(version_from_row).collect::<StoreResult<_>>()?,
            aliases: aliases.iter().map(alias_from_row).collect::<StoreResult<_>>()?,
            grants: grants.iter().map(grant_from_row).collect::<StoreResult<_>>()?,
            destroyed: destroyed.iter().map(destroyed_from_row).collect::<StoreResult<_>>()?,
            audit: audit.iter().map(audit_from_row).collect::<StoreResult<_>>()?,
            checkpoints: checkpoints.iter().map(checkpoint_from_row).collect::<StoreResult<_>>()?,
        })
    }

    /// One transaction. It first locks the tables whose rows make a store
    /// non-empty against writers (SHARE ROW EXCLUSIVE: readers go on;
    /// writers of these tables wait for the import and then see its rows),
    /// checks them, and writes every row in multi-row statements. The audit
    /// lock comes last, as for every other writer of the trail: under it
    /// the trail must be empty, and appends queued behind it chain after
    /// the imported head.
    async fn import(&self, snap: &Snapshot) -> StoreResult<()> {
        async fn holds(tx: &Transaction<'_>, sql: &str) -> StoreResult<bool> {
            tx.query_one(sql, &[]).await.map_err(backend)?.try_get(0).map_err(backend)
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.batch_execute("LOCK TABLE domain_keys, accounts, keys IN SHARE ROW EXCLUSIVE MODE")
            .await
            .map_err(backend)?;
        if holds(&tx, HOLDS_STATE_SQL).await? {
            return Err(StoreError::Conflict);
        }
        fn rows<T>(list: &[T], values: impl Fn(&T) -> RowValues) -> Vec<RowValues> {
            list.iter().map(values).collect()
        }
        insert_rows(&tx, "domain_keys", DOMAIN_KEY_COLUMNS, &rows(&snap.domain_keys, domain_key_values)).await?;
        insert_rows(&tx, "accounts", ACCOUNT_COLUMNS, &rows(&snap.accounts, account_values)).await?;
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &rows(&snap.access_keys, access_key_values)).await?;
        insert_rows(&tx, "users", USER_COLUMNS, &rows(&snap.users, user_values)).await?;
        insert_rows(&tx, "user_policies", USER_POLICY_COLUMNS, &rows(&snap.user_policies, user_policy_values)).await?;
        let keys = snap.keys.iter().map(key_values).collect::<StoreResult<Vec<_>>>()?;
        insert_rows(&tx, "keys", KEY_COLUMNS, &keys).await?;
        insert_rows(&tx, "key_versions", VERSION_COLUMNS, &rows(&snap.versions, version_values)).await?;
        insert_rows(&tx, "aliases", ALIAS_COLUMNS, &rows(&snap.aliases, alias_values)).await?;
        insert_rows(&tx, "grants", GRANT_COLUMNS, &rows(&snap.grants, grant_values)).await?;
        insert_rows(&tx, "destroyed_keys", DESTROYED_COLUMNS, &rows(&snap.destroyed, destroyed_values)).await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK]).await.map_err(backend)?;
        if holds(&tx, HOLDS_AUDIT_SQL).await? {
            return Err(StoreError::Conflict);
        }
        for records in snap.audit.chunks(ROWS_PER_INSERT) {
            insert_audit(&tx, records).await?;
        }
        let checkpoints = snap.checkpoints.iter().map(checkpoint_values).collect::<StoreResult<Vec<_>>>()?;
        insert_rows(&tx, "audit_checkpoints", CHECKPOINT_COLUMNS, &checkpoints).await?;
        tx.commit().await.map_err(backend)
    }
}
