//! What the SQL backends share: column lists, statement text, the tag
//! encoding and parameter conversions. Each backend binds values its own
//! way (`?N` for SQLite, `$N` for PostgreSQL).

use trent_core::audit::{
    AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, Hash, LookupAttribute, CLOUDTRAIL_SOURCE, EVENT_SOURCE,
    KEY_RESOURCE_TYPE, LOOKUP_EVENT,
};
use trent_core::audit::{KeyLifetime, UsageCount, UsageFilter, UsageTally};
use trent_core::integrity::{RowGuard, Unchecked};
use trent_core::model::{
    AttachedPolicy, AttachmentTarget, ManagedPolicyRecord, PolicyAttachmentRecord, PolicyVersionRecord,
};
use trent_core::store::{StoreError, StoreResult};

/// The columns of `keys`, those fixed at creation first. Both backends bind
/// values in this order. A key is identified by (id, region): the related
/// keys of a multi-Region key share their id. `primary_region` changes
/// (a multi-Region key's primary moves), so it is not a fixed column.
/// `custom_key_store_id` (a key's custom key store, NULL for most keys)
/// and `remote_regions` (the Regions of a multi-Region key's related keys
/// held by peer sites, comma-separated, NULL for none) were added after the
/// others, so they come last with them.
pub(crate) const KEY_COLUMNS: &str = "id, account, region, spec, usage, origin, created_at, multi_region, \
                                      description, state, policy, tags, current_version, deletion_date, \
                                      pending_window_days, revision, rotation_period_days, next_rotation_at, \
                                      next_expiry_at, primary_region, policy_principals, custom_key_store_id, \
                                      remote_regions, mac";
/// How many leading columns of [`KEY_COLUMNS`] never change.
pub(crate) const FIXED_KEY_COLUMNS: usize = 8;
/// Position (1-based) of `revision` in [`KEY_COLUMNS`].
pub(crate) const REVISION_PARAM: usize = 16;

/// The columns of `key_versions`, in binding order.
pub(crate) const VERSION_COLUMNS: &str = "key_id, version, material_id, wrapped_material, created_at, rotation_type, \
                                          expiration_model, valid_to, material_description, mac";

/// A placeholder style: `?N` or `$N`.
pub(crate) type Placeholder = fn(usize) -> String;

/// `INSERT INTO table (columns) VALUES (p1, …, pn)`.
pub(crate) fn insert_sql(table: &str, columns: &str, p: Placeholder) -> String {
    let n = columns.split(',').count();
    let values: Vec<String> = (1..=n).map(p).collect();
    format!("INSERT INTO {table} ({columns}) VALUES ({})", values.join(", "))
}

/// Keys with a job due at `p(1)` (deletion, rotation, expiry of imported
/// material), in (id, region) order, at most `p(2)`. One SELECT per job,
/// each on its partial index, united in a subquery (ordering the union
/// itself lets SQLite merge three scans in id order). The single query
/// with ORs that this replaces made SQLite (and could make PostgreSQL) walk
/// every key in id order, which at a million keys took a third of a server
/// core each scheduler pass.
pub(crate) fn due_keys_sql(p: Placeholder) -> String {
    let (now, limit) = (p(1), p(2));
    format!(
        "SELECT {KEY_COLUMNS} FROM ( \
         SELECT {KEY_COLUMNS} FROM keys WHERE deletion_date <= {now} AND state = 'PendingDeletion' \
         UNION SELECT {KEY_COLUMNS} FROM keys WHERE next_rotation_at <= {now} AND state = 'Enabled' \
         UNION SELECT {KEY_COLUMNS} FROM keys WHERE next_expiry_at <= {now}) AS due \
         ORDER BY id, region LIMIT {limit}"
    )
}

/// Sets a key's changeable columns if the stored revision is the new one - 1
/// (and its fixed columns are what the caller read: every parameter is used,
/// which PostgreSQL needs to type it).
pub(crate) fn update_key_sql(p: Placeholder) -> String {
    let columns: Vec<&str> = KEY_COLUMNS.split(',').map(str::trim).collect();
    let (fixed, changeable) = columns.split_at(FIXED_KEY_COLUMNS);
    let sets: Vec<String> =
        changeable.iter().enumerate().map(|(i, c)| format!("{c} = {}", p(FIXED_KEY_COLUMNS + i + 1))).collect();
    let same: Vec<String> = fixed.iter().enumerate().map(|(i, c)| format!("{c} = {}", p(i + 1))).collect();
    format!("UPDATE keys SET {} WHERE {} AND revision + 1 = {}", sets.join(", "), same.join(" AND "), p(REVISION_PARAM))
}

/// A key policy's named principals (ARN → unique id) as a JSON object.
pub(crate) fn principals_to_json(p: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "{}".to_owned())
}

/// Reads [`principals_to_json`]'s form; `None` when it is not that.
pub(crate) fn principals_from_json(s: &str) -> Option<std::collections::BTreeMap<String, String>> {
    serde_json::from_str(s).ok()
}

/// A key's remote Regions as its column holds them: comma-separated, `None`
/// (NULL) for none.
pub(crate) fn regions_to_column(regions: &[trent_api::ids::Region]) -> Option<String> {
    (!regions.is_empty()).then(|| regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","))
}

/// Reads [`regions_to_column`]'s form.
pub(crate) fn regions_from_column(s: Option<&str>) -> Vec<trent_api::ids::Region> {
    s.map(|s| s.split(',').filter(|r| !r.is_empty()).map(trent_api::ids::Region::new_unchecked).collect())
        .unwrap_or_default()
}

/// Tags as a JSON array of `{"Key", "Value"}`, order kept.
pub(crate) fn tags_to_json(tags: &[(String, String)]) -> String {
    let list: Vec<serde_json::Value> = tags.iter().map(|(k, v)| serde_json::json!({ "Key": k, "Value": v })).collect();
    serde_json::Value::Array(list).to_string()
}

/// Reads [`tags_to_json`]'s form; `None` when it is not that.
pub(crate) fn tags_from_json(s: &str) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    v.as_array()?
        .iter()
        .map(|t| Some((t.get("Key")?.as_str()?.to_owned(), t.get("Value")?.as_str()?.to_owned())))
        .collect()
}

/// A list of strings as stored in a TEXT column: a JSON array, in order
/// (an OpenID Connect provider's client ids and thumbprints).
pub(crate) fn strings_to_json(list: &[String]) -> String {
    // Written straight from the slice (no copy of it as a `Value`: every
    // audit append writes one per event). Serializing strings into memory
    // cannot fail; the `Value` form, the same text, stands in if it did.
    serde_json::to_string(list).unwrap_or_else(|_| serde_json::Value::from(list.to_vec()).to_string())
}

/// Reads [`strings_to_json`]'s form; `None` when it is not that.
pub(crate) fn strings_from_json(s: &str) -> Option<Vec<String>> {
    serde_json::from_str(s).ok()
}

/// A schema or stored-data problem found by a backend.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SchemaError(pub(crate) String);

/// The error of reading or writing a sealed row
/// ([`trent_core::integrity`]) before the guard is installed.
pub(crate) fn no_guard() -> StoreError {
    StoreError::backend(SchemaError("sealed rows are refused until the row guard is installed".into()))
}

/// A store error for stored data that does not decode.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::backend(SchemaError(format!("stored {what} does not decode")))
}

pub(crate) fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub(crate) fn revision_param(r: u64) -> StoreResult<i64> {
    i64::try_from(r).map_err(|_| StoreError::backend(SchemaError("revision out of range".into())))
}

/// The columns of `grants`, in the order [`grant_from_parts`] takes them.
pub(crate) const GRANT_COLUMNS: &str =
    "key_id, grant_id, key_arn, name, grantee, retiring, issuing_account, operations, constraints_json, created_at, mac";

/// A grant from its columns (shared by both backends).
#[allow(clippy::too_many_arguments)]
pub(crate) fn grant_from_parts(
    key_id: String,
    grant_id: String,
    key_arn: String,
    name: Option<String>,
    grantee: String,
    retiring: Option<String>,
    issuing_account: String,
    operations: &str,
    constraints: Option<&str>,
    created_at: i64,
) -> StoreResult<trent_core::model::GrantRecord> {
    let operations =
        trent_core::model::GrantRecord::parse_operations(operations).ok_or_else(|| corrupt("grant operations"))?;
    let (context_equals, context_subset) =
        trent_core::model::GrantRecord::parse_constraints(constraints).ok_or_else(|| corrupt("grant constraints"))?;
    Ok(trent_core::model::GrantRecord {
        key_id: trent_api::ids::KeyId::new_unchecked(key_id),
        grant_id,
        key_arn,
        name,
        grantee_principal: grantee,
        retiring_principal: retiring,
        issuing_account,
        operations,
        context_equals,
        context_subset,
        created_at,
    })
}

/// The columns of `audit_events` a record is read from, in the order
/// [`AuditRow`] has them. On SQLite, which keeps one chain, `chain` (0) and
/// `position` (the seq) are virtual columns; [`AUDIT_STORED_COLUMNS`] are
/// the ones it stores.
pub(crate) const AUDIT_COLUMNS: &str = "seq, prev_hash, hash, event_id, event_time, event_name, account, username, \
                                        access_key_id, read_only, resources, record, chain, position";

/// The columns of `audit_events` that every backend stores, in binding
/// order: [`AUDIT_COLUMNS`] but the chain and position.
pub(crate) const AUDIT_STORED_COLUMNS: &str = "seq, prev_hash, hash, event_id, event_time, event_name, account, \
                                               username, access_key_id, read_only, resources, record";

/// The columns of `audit_lookup`, in binding order: an event's lookup
/// fields, indexed off the request path ([`Store::index_audit`]).
///
/// [`Store::index_audit`]: trent_core::store::Store::index_audit
pub(crate) const LOOKUP_COLUMNS: &str =
    "seq, event_id, event_time, event_name, account, username, access_key_id, read_only";

/// The seq up to which the log is indexed, and the log's last seq (NULL for
/// an empty log).
pub(crate) const INDEX_STATE_SQL: &str = "SELECT through, (SELECT MAX(seq) FROM audit_events) FROM audit_index";

/// Moves the indexed point to at least the first parameter.
pub(crate) fn advance_index_sql(p: Placeholder) -> String {
    format!("UPDATE audit_index SET through = {} WHERE through < {}", p(1), p(1))
}

/// The log's records strictly between two seqs, newest first, at most a
/// limit of them: a chunk of the tail a lookup reads itself.
pub(crate) fn tail_sql(p: Placeholder) -> String {
    format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > {} AND seq < {} ORDER BY seq DESC LIMIT {}",
        p(1),
        p(2),
        p(3)
    )
}

/// Records a lookup reads from the not-yet-indexed tail per statement.
pub(crate) const TAIL_CHUNK: usize = 256;

/// A lookup's scan of the not-yet-indexed tail of the log (the records
/// after the indexed point), newest first, a chunk of [`tail_sql`] at a
/// time, each record filtered with [`AuditQuery::matches`] (the reference
/// semantics). Both backends drive it: `while let Some(p) = scan.next() {
/// scan.feed(rows of tail_sql with p)? }`. The indexed part answers the
/// rest of the query, in the same snapshot.
pub(crate) struct TailScan<'q> {
    query: &'q AuditQuery,
    through: i64,
    /// Seqs below this are still to read.
    before: i64,
    done: bool,
    found: Vec<AuditRecord>,
}

impl<'q> TailScan<'q> {
    /// The scan of `query` over the records after `through`.
    pub(crate) fn new(query: &'q AuditQuery, through: i64) -> Self {
        let before = query.before_seq.and_then(|s| i64::try_from(s).ok()).unwrap_or(i64::MAX);
        TailScan { query, through, before, done: false, found: Vec::new() }
    }

    /// The parameters of the next chunk's [`tail_sql`] (after, before,
    /// limit), or `None` when the scan is done.
    pub(crate) fn next(&self) -> Option<[i64; 3]> {
        let more = !self.done && self.found.len() < self.query.limit && self.before > self.through.saturating_add(1);
        more.then(|| [self.through, self.before, limit_param(TAIL_CHUNK)])
    }

    /// Takes a chunk's rows.
    pub(crate) fn feed(&mut self, rows: Vec<AuditRecord>) -> StoreResult<()> {
        self.done = rows.len() < TAIL_CHUNK;
        if let Some(last) = rows.last() {
            self.before = seq_param(last.seq)?;
        }
        let room = self.query.limit - self.found.len();
        self.found.extend(rows.into_iter().filter(|r| self.query.matches(r)).take(room));
        Ok(())
    }

    /// The records found, newest first, and how many the indexed part may
    /// still add.
    pub(crate) fn finish(self) -> (Vec<AuditRecord>, usize) {
        let room = self.query.limit - self.found.len();
        (self.found, room)
    }
}

/// The last audit record's seq and hash; no row for an empty trail (SQLite,
/// one chain).
pub(crate) const AUDIT_HEAD_SQL: &str = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1";

/// Stores a checkpoint, its `columns` bound, unless one of its chain for
/// its position or of its number exists (SQLite and PostgreSQL both know
/// `ON CONFLICT DO NOTHING` without a target: any unique constraint).
pub(crate) fn insert_checkpoint_sql(columns: &str, p: Placeholder) -> String {
    format!("{} ON CONFLICT DO NOTHING", insert_sql("audit_checkpoints", columns, p))
}

/// The numbered checkpoint of a chain (the parameter) with the highest
/// number.
pub(crate) fn latest_checkpoint_sql(p: Placeholder) -> String {
    format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE number IS NOT NULL AND chain = {} \
         ORDER BY number DESC LIMIT 1",
        p(1)
    )
}

/// A seq as the backends store it (a signed 64-bit integer).
pub(crate) fn seq_param(seq: u64) -> StoreResult<i64> {
    i64::try_from(seq).map_err(|_| StoreError::backend(SchemaError("audit seq out of range".into())))
}

/// A stored seq.
pub(crate) fn seq_of(v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| corrupt("audit seq"))
}

/// A stored chain hash.
pub(crate) fn hash_of(v: &[u8]) -> StoreResult<Hash> {
    Hash::try_from(v).map_err(|_| corrupt("audit hash"))
}

/// An event's resource ARNs as stored in `audit_events.resources` (JSON,
/// order and repetitions kept, so the entry reads back as it was).
pub(crate) fn resources_json(entry: &AuditEntry) -> String {
    strings_to_json(&entry.resources)
}

/// The rows of `audit_resources` for an event: each ARN once, with the key
/// id a `ResourceName` lookup may name instead of the ARN (the part after
/// `:key/`, as [`trent_core::audit::resource_name_matches`] reads it).
pub(crate) fn resource_rows(entry: &AuditEntry) -> Vec<(&str, Option<&str>)> {
    let mut seen = std::collections::BTreeSet::new();
    entry.resources.iter().filter(|arn| seen.insert(arn.as_str())).map(|arn| (arn.as_str(), key_id_of(arn))).collect()
}

/// The key id of a key ARN (what follows its last `:key/`).
pub(crate) fn key_id_of(arn: &str) -> Option<&str> {
    arn.rsplit_once(":key/").map(|(_, id)| id)
}

/// What `audit_resources_by_name` indexes a resource row under:
/// `COALESCE(key_id, arn)` of the row [`resource_rows`] makes of `arn`.
fn resource_name(arn: &str) -> &str {
    key_id_of(arn).unwrap_or(arn)
}

/// The columns of one `audit_events` row ([`AUDIT_COLUMNS`]); decoded
/// outside the driver so that a corrupt value is a store error.
pub(crate) struct AuditRow {
    pub(crate) seq: i64,
    pub(crate) prev_hash: Vec<u8>,
    pub(crate) hash: Vec<u8>,
    pub(crate) event_id: String,
    pub(crate) event_time: i64,
    pub(crate) event_name: String,
    pub(crate) account: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) access_key_id: Option<String>,
    pub(crate) read_only: bool,
    pub(crate) resources: String,
    pub(crate) record: String,
    pub(crate) chain: i64,
    pub(crate) position: i64,
}

impl AuditRow {
    /// The record these columns hold.
    pub(crate) fn decode(self) -> StoreResult<AuditRecord> {
        let resources: Vec<String> = serde_json::from_str(&self.resources).map_err(|_| corrupt("audit resources"))?;
        Ok(AuditRecord {
            seq: seq_of(self.seq)?,
            chain: u32::try_from(self.chain).map_err(|_| corrupt("audit chain"))?,
            position: seq_of(self.position)?,
            prev_hash: hash_of(&self.prev_hash)?,
            hash: hash_of(&self.hash)?,
            entry: AuditEntry {
                event_id: self.event_id,
                event_time: self.event_time,
                event_name: self.event_name,
                account: self.account,
                username: self.username,
                access_key_id: self.access_key_id,
                read_only: self.read_only,
                resources,
                record: self.record,
            },
        })
    }
}

/// The columns of `audit_checkpoints` a checkpoint is read from (and
/// PostgreSQL binds), in order. On SQLite, which keeps one chain, `chain`
/// is a virtual column (0); [`CHECKPOINT_STORED_COLUMNS`] are the ones it
/// stores.
pub(crate) const CHECKPOINT_COLUMNS: &str = "seq, hash, created_at, signature, number, prev, chain";

/// [`CHECKPOINT_COLUMNS`] but the chain.
pub(crate) const CHECKPOINT_STORED_COLUMNS: &str = "seq, hash, created_at, signature, number, prev";

/// The raw columns of a checkpoint row ([`CHECKPOINT_COLUMNS`]).
pub(crate) type CheckpointParts = (i64, Vec<u8>, i64, Vec<u8>, Option<i64>, Option<Vec<u8>>, i64);

/// A checkpoint from its columns ([`CHECKPOINT_COLUMNS`]).
pub(crate) fn checkpoint_from_parts(
    (seq, hash, created_at, signature, number, prev, chain): CheckpointParts,
) -> StoreResult<AuditCheckpoint> {
    Ok(AuditCheckpoint {
        chain: u32::try_from(chain).map_err(|_| corrupt("checkpoint chain"))?,
        seq: seq_of(seq)?,
        hash: hash_of(&hash)?,
        created_at,
        signature,
        number: number.map(|n| u64::try_from(n).map_err(|_| corrupt("checkpoint number"))).transpose()?,
        prev: prev.map(|p| hash_of(&p)).transpose()?,
    })
}

/// A checkpoint's number and predecessor as the backends store them.
pub(crate) fn checkpoint_link(cp: &AuditCheckpoint) -> StoreResult<(Option<i64>, Option<Vec<u8>>)> {
    let number = cp.number.map(seq_param).transpose()?;
    Ok((number, cp.prev.map(|p| p.to_vec())))
}

/// The columns of `domain_keys`, in binding order.
pub(crate) const DOMAIN_KEY_COLUMNS: &str = "id, wrapped, created_at";
/// The columns of `accounts`, in binding order.
pub(crate) const ACCOUNT_COLUMNS: &str = "id, created_at, operator, mac";
/// The columns of `access_keys`, in binding order.
pub(crate) const ACCESS_KEY_COLUMNS: &str = "id, account, principal, wrapped_secret, created_at, inactive, mac";
/// The columns of `aliases`, in binding order.
pub(crate) const ALIAS_COLUMNS: &str = "account, region, name, target, created_at, updated_at, mac";
/// The columns of `destroyed_keys`, in binding order.
pub(crate) const DESTROYED_COLUMNS: &str = "id, account, region, destroyed_at";

/// The owner (account, region) of key `p(1)` in region `p(2)`, whichever
/// account it is.
pub(crate) fn key_owner_sql(p: Placeholder) -> String {
    format!("SELECT account, region FROM keys WHERE id = {} AND region = {}", p(1), p(2))
}

/// The keys with id `p(1)` in every Region, by Region: a search of the
/// primary key, (id, region). [`trent_core::store::Store::related_keys`]
/// keeps those of its account after reading them (the keys of one id are
/// one account's but for ids taken by hand). The account is not in the
/// statement: SQLite would then search `keys_by_scope` by account, every
/// key of the account, rather than the few rows of the id.
pub(crate) fn related_keys_sql(p: Placeholder) -> String {
    format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = {} ORDER BY region", p(1))
}

/// The stored revision of key `p(1)` of region `p(2)`.
pub(crate) fn key_revision_sql(p: Placeholder) -> String {
    format!("SELECT revision FROM keys WHERE id = {} AND region = {}", p(1), p(2))
}

/// Whether each of `keys` may be stored over the revision stored for it
/// (`stored`, in the same order; `None` for a key not there): the check of
/// [`trent_core::store::Store::update_keys`], made for all of them before
/// any is written, in the caller's order. `NotFound` for a key that is
/// gone, `Conflict` for one whose stored revision is not its own - 1.
pub(crate) fn check_revisions(keys: &[trent_core::model::KeyRecord], stored: &[Option<i64>]) -> StoreResult<()> {
    for (key, stored) in keys.iter().zip(stored) {
        match stored {
            None => return Err(StoreError::NotFound),
            Some(r) if u64::try_from(*r).ok().and_then(|r| r.checked_add(1)) != Some(key.revision) => {
                return Err(StoreError::Conflict)
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The statements of [`trent_core::store::Store::destroy_key`] after its
/// revision check, in the order they run: the aliases of account `p(1)` in
/// region `p(2)` that name key `p(3)`; the grants of key `p(1)` whose key
/// ARN is `p(2)` (that Region's key's own); the key `p(1)` of region
/// `p(2)`; then the versions of key id `p(1)` if no key of that id is left
/// in any Region (the related keys of a multi-Region key share them).
pub(crate) fn destroy_key_sql(p: Placeholder) -> [String; 4] {
    [
        format!("DELETE FROM aliases WHERE account = {} AND region = {} AND target = {}", p(1), p(2), p(3)),
        format!("DELETE FROM grants WHERE key_id = {} AND key_arn = {}", p(1), p(2)),
        format!("DELETE FROM keys WHERE id = {} AND region = {}", p(1), p(2)),
        format!(
            "DELETE FROM key_versions WHERE key_id = {} AND NOT EXISTS (SELECT 1 FROM keys WHERE id = {})",
            p(1),
            p(1)
        ),
    ]
}

/// Leaves the tombstone of a destroyed key ([`DESTROYED_COLUMNS`]), or
/// replaces the one its (id, region) has: a Region may get a replica of a
/// multi-Region key again after one was destroyed there.
pub(crate) fn tombstone_sql(p: Placeholder) -> String {
    format!(
        "{} ON CONFLICT (id, region) DO UPDATE SET account = excluded.account, destroyed_at = excluded.destroyed_at",
        insert_sql("destroyed_keys", DESTROYED_COLUMNS, p)
    )
}

/// The grants of key `p(1)` whose key ARN is `p(2)` (the key of one
/// Region), with grant id greater than `p(3)`, by grant id, at most `p(4)`.
pub(crate) fn grants_sql(p: Placeholder) -> String {
    format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE key_id = {} AND key_arn = {} AND grant_id > {} \
         ORDER BY grant_id LIMIT {}",
        p(1),
        p(2),
        p(3),
        p(4)
    )
}

/// Deletes grant `p(2)` of key `p(1)` if its key ARN is `p(3)`.
pub(crate) fn delete_grant_sql(p: Placeholder) -> String {
    format!("DELETE FROM grants WHERE key_id = {} AND grant_id = {} AND key_arn = {}", p(1), p(2), p(3))
}

/// The columns of `users`, in binding order. `name_key` is
/// [`user_name_key`] of `name`: the primary key (account, name_key) keeps
/// names unique in an account regardless of case. `tags` is
/// [`tags_to_json`] of the user's tags.
pub(crate) const USER_COLUMNS: &str = "account, name, name_key, user_id, created_at, tags, mac";
/// The columns of `user_policies`, in binding order.
pub(crate) const USER_POLICY_COLUMNS: &str = "account, user_name, policy_name, document, mac";

/// What a user name is unique as in its account, and looked up by: the
/// name in lower case (as the in-memory store keys it).
pub(crate) fn user_name_key(name: &str) -> String {
    name.to_lowercase()
}

/// The user of account `p(1)` whose [`user_name_key`] is `p(2)`.
pub(crate) fn user_sql(p: Placeholder) -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE account = {} AND name_key = {}", p(1), p(2))
}

/// The user of account `p(1)` named exactly `p(2)`: what a change of a
/// user or its policies checks first.
pub(crate) fn user_exact_sql(p: Placeholder) -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE account = {} AND name = {}", p(1), p(2))
}

/// The users of account `p(1)`, by name.
pub(crate) fn users_sql(p: Placeholder) -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE account = {} ORDER BY name", p(1))
}

/// Sets the tags (`p(3)`, [`tags_to_json`]) and the row MAC (`p(4)`) of
/// the user of account `p(1)` named exactly `p(2)`.
pub(crate) fn update_user_tags_sql(p: Placeholder) -> String {
    format!("UPDATE users SET tags = {}, mac = {} WHERE account = {} AND name = {}", p(3), p(4), p(1), p(2))
}

/// Points alias `p(3)` of account `p(1)` in region `p(2)` at `p(4)`, the
/// row becoming the record whose times are `p(5)` (updated) and `p(6)`
/// (created) and whose MAC is `p(7)`.
pub(crate) fn update_alias_sql(p: Placeholder) -> String {
    format!(
        "UPDATE aliases SET target = {}, updated_at = {}, created_at = {}, mac = {} \
         WHERE account = {} AND region = {} AND name = {}",
        p(4),
        p(5),
        p(6),
        p(7),
        p(1),
        p(2),
        p(3)
    )
}

/// The rows of `table` (with `columns`) that have no MAC, each followed by
/// `row_ref`: its physical address (`rowid` in SQLite, `ctid` in PostgreSQL,
/// stable while the sealing transaction holds the rows).
pub(crate) fn unsealed_rows_sql(table: &str, columns: &str, row_ref: &str) -> String {
    format!("SELECT {columns}, {row_ref} AS row_ref FROM {table} WHERE mac IS NULL")
}

/// Whether the rows stored before row MACs still wait to be sealed (the
/// migration that added the MAC columns left a marker row).
pub(crate) const SEAL_PENDING_SQL: &str = "SELECT EXISTS (SELECT 1 FROM row_mac_pending)";
/// Removes the marker once they are sealed.
pub(crate) const SEAL_DONE_SQL: &str = "DELETE FROM row_mac_pending";

/// The statements of [`trent_core::store::Store::delete_user`], in the
/// order they run (children before the user, for the foreign keys): the
/// policies of user `p(2)` of account `p(1)`; its group memberships; its
/// managed policy attachments and permissions boundary; the access keys of
/// principal `p(1)` (the user's ARN); the user `p(2)` of account `p(1)`.
pub(crate) fn delete_user_sql(p: Placeholder) -> [String; 5] {
    [
        format!("DELETE FROM user_policies WHERE account = {} AND user_name = {}", p(1), p(2)),
        format!("DELETE FROM group_members WHERE account = {} AND user_name = {}", p(1), p(2)),
        delete_attachments_of_sql(p, &[AttachmentTarget::User, AttachmentTarget::UserBoundary]),
        format!("DELETE FROM access_keys WHERE principal = {}", p(1)),
        format!("DELETE FROM users WHERE account = {} AND name = {}", p(1), p(2)),
    ]
}

/// Adds a user policy ([`USER_POLICY_COLUMNS`]) or replaces its document
/// (SQLite and PostgreSQL both know this upsert).
pub(crate) fn put_user_policy_sql(p: Placeholder) -> String {
    format!(
        "{} ON CONFLICT (account, user_name, policy_name) DO UPDATE SET document = excluded.document, mac = excluded.mac",
        insert_sql("user_policies", USER_POLICY_COLUMNS, p)
    )
}

/// The policies of user `p(2)` (exact name) of account `p(1)`, by name.
pub(crate) fn user_policies_sql(p: Placeholder) -> String {
    format!(
        "SELECT {USER_POLICY_COLUMNS} FROM user_policies WHERE account = {} AND user_name = {} ORDER BY policy_name",
        p(1),
        p(2)
    )
}

/// Deletes policy `p(3)` of user `p(2)` of account `p(1)`.
pub(crate) fn delete_user_policy_sql(p: Placeholder) -> String {
    format!("DELETE FROM user_policies WHERE account = {} AND user_name = {} AND policy_name = {}", p(1), p(2), p(3))
}

/// The columns of `roles`, in binding order. `name_key` is
/// [`role_name_key`] of `name`: the primary key (account, name_key) keeps
/// names unique in an account regardless of case, as [`USER_COLUMNS`]'s.
/// `tags` is [`tags_to_json`] of the role's tags; `description` is NULL
/// for none.
pub(crate) const ROLE_COLUMNS: &str = "account, name, name_key, role_id, path, trust_policy, description, \
                                       max_session_duration, created_at, tags, mac";
/// The columns of `role_policies`, in binding order.
pub(crate) const ROLE_POLICY_COLUMNS: &str = "account, role_name, policy_name, document, mac";

/// What a role name is unique as in its account, and looked up by: the
/// name in lower case, as [`user_name_key`] (and the in-memory store).
pub(crate) fn role_name_key(name: &str) -> String {
    user_name_key(name)
}

/// The role of account `p(1)` whose [`role_name_key`] is `p(2)`.
pub(crate) fn role_sql(p: Placeholder) -> String {
    format!("SELECT {ROLE_COLUMNS} FROM roles WHERE account = {} AND name_key = {}", p(1), p(2))
}

/// The role of account `p(1)` named exactly `p(2)`: what a change of a
/// role's policies checks first.
pub(crate) fn role_exact_sql(p: Placeholder) -> String {
    format!("SELECT {ROLE_COLUMNS} FROM roles WHERE account = {} AND name = {}", p(1), p(2))
}

/// The roles of account `p(1)`, by name.
pub(crate) fn roles_sql(p: Placeholder) -> String {
    format!("SELECT {ROLE_COLUMNS} FROM roles WHERE account = {} ORDER BY name", p(1))
}

/// Replaces the record of the role of account `p(1)` named exactly `p(2)`
/// with the values of [`ROLE_COLUMNS`] from `p(4)` on (`p(3)`, its
/// name_key, is the stored one's and bound only to keep one list of
/// values for INSERT and UPDATE).
pub(crate) fn update_role_sql(p: Placeholder) -> String {
    let columns: Vec<&str> = ROLE_COLUMNS.split(',').map(str::trim).collect();
    let sets: Vec<String> = columns.iter().enumerate().skip(3).map(|(i, c)| format!("{c} = {}", p(i + 1))).collect();
    format!("UPDATE roles SET {} WHERE account = {} AND name = {} AND name_key = {}", sets.join(", "), p(1), p(2), p(3))
}

/// The statements of [`trent_core::store::Store::delete_role`], in the
/// order they run (the policies before the role, for the foreign key): the
/// policies of role `p(2)` of account `p(1)`; its managed policy
/// attachments and permissions boundary; the role `p(2)` of account `p(1)`.
pub(crate) fn delete_role_sql(p: Placeholder) -> [String; 3] {
    [
        format!("DELETE FROM role_policies WHERE account = {} AND role_name = {}", p(1), p(2)),
        delete_attachments_of_sql(p, &[AttachmentTarget::Role, AttachmentTarget::RoleBoundary]),
        format!("DELETE FROM roles WHERE account = {} AND name = {}", p(1), p(2)),
    ]
}

/// Adds a role policy ([`ROLE_POLICY_COLUMNS`]) or replaces its document.
pub(crate) fn put_role_policy_sql(p: Placeholder) -> String {
    format!(
        "{} ON CONFLICT (account, role_name, policy_name) DO UPDATE SET document = excluded.document, mac = excluded.mac",
        insert_sql("role_policies", ROLE_POLICY_COLUMNS, p)
    )
}

/// The policies of role `p(2)` (exact name) of account `p(1)`, by name.
pub(crate) fn role_policies_sql(p: Placeholder) -> String {
    format!(
        "SELECT {ROLE_POLICY_COLUMNS} FROM role_policies WHERE account = {} AND role_name = {} ORDER BY policy_name",
        p(1),
        p(2)
    )
}

/// Deletes policy `p(3)` of role `p(2)` of account `p(1)`.
pub(crate) fn delete_role_policy_sql(p: Placeholder) -> String {
    format!("DELETE FROM role_policies WHERE account = {} AND role_name = {} AND policy_name = {}", p(1), p(2), p(3))
}

/// The columns of `groups`, in binding order. `name_key` is
/// [`group_name_key`] of `name`: the primary key (account, name_key) keeps
/// names unique in an account regardless of case, as [`USER_COLUMNS`]'s.
pub(crate) const GROUP_COLUMNS: &str = "account, name, name_key, group_id, path, created_at, mac";
/// The columns of `group_policies`, in binding order.
pub(crate) const GROUP_POLICY_COLUMNS: &str = "account, group_name, policy_name, document, mac";
/// The columns of `group_members`, in binding order.
pub(crate) const GROUP_MEMBER_COLUMNS: &str = "account, group_name, user_name, mac";

/// What a group name is unique as in its account, and looked up by: the
/// name in lower case, as [`user_name_key`] (and the in-memory store).
pub(crate) fn group_name_key(name: &str) -> String {
    user_name_key(name)
}

/// The group of account `p(1)` whose [`group_name_key`] is `p(2)`.
pub(crate) fn group_sql(p: Placeholder) -> String {
    format!("SELECT {GROUP_COLUMNS} FROM groups WHERE account = {} AND name_key = {}", p(1), p(2))
}

/// The group of account `p(1)` named exactly `p(2)`: what a change of a
/// group's policies or members checks first.
pub(crate) fn group_exact_sql(p: Placeholder) -> String {
    format!("SELECT {GROUP_COLUMNS} FROM groups WHERE account = {} AND name = {}", p(1), p(2))
}

/// The groups of account `p(1)`, by name.
pub(crate) fn groups_sql(p: Placeholder) -> String {
    format!("SELECT {GROUP_COLUMNS} FROM groups WHERE account = {} ORDER BY name", p(1))
}

/// The statements of [`trent_core::store::Store::delete_group`], in the
/// order they run (the children before the group, for the foreign keys):
/// the policies of group `p(2)` of account `p(1)`; its memberships; its
/// managed policy attachments; the group `p(2)` of account `p(1)`.
pub(crate) fn delete_group_sql(p: Placeholder) -> [String; 4] {
    [
        format!("DELETE FROM group_policies WHERE account = {} AND group_name = {}", p(1), p(2)),
        format!("DELETE FROM group_members WHERE account = {} AND group_name = {}", p(1), p(2)),
        delete_attachments_of_sql(p, &[AttachmentTarget::Group]),
        format!("DELETE FROM groups WHERE account = {} AND name = {}", p(1), p(2)),
    ]
}

/// Adds a group policy ([`GROUP_POLICY_COLUMNS`]) or replaces its document.
pub(crate) fn put_group_policy_sql(p: Placeholder) -> String {
    format!(
        "{} ON CONFLICT (account, group_name, policy_name) DO UPDATE SET document = excluded.document, mac = excluded.mac",
        insert_sql("group_policies", GROUP_POLICY_COLUMNS, p)
    )
}

/// The policies of group `p(2)` (exact name) of account `p(1)`, by name.
pub(crate) fn group_policies_sql(p: Placeholder) -> String {
    format!(
        "SELECT {GROUP_POLICY_COLUMNS} FROM group_policies WHERE account = {} AND group_name = {} ORDER BY policy_name",
        p(1),
        p(2)
    )
}

/// Deletes policy `p(3)` of group `p(2)` of account `p(1)`.
pub(crate) fn delete_group_policy_sql(p: Placeholder) -> String {
    format!("DELETE FROM group_policies WHERE account = {} AND group_name = {} AND policy_name = {}", p(1), p(2), p(3))
}

/// Adds a membership ([`GROUP_MEMBER_COLUMNS`]); one already there is
/// left as it is.
pub(crate) fn add_group_member_sql(p: Placeholder) -> String {
    format!(
        "{} ON CONFLICT (account, group_name, user_name) DO NOTHING",
        insert_sql("group_members", GROUP_MEMBER_COLUMNS, p)
    )
}

/// Ends the membership of user `p(3)` in group `p(2)` of account `p(1)`.
pub(crate) fn remove_group_member_sql(p: Placeholder) -> String {
    format!("DELETE FROM group_members WHERE account = {} AND group_name = {} AND user_name = {}", p(1), p(2), p(3))
}

/// The memberships of group `p(2)` (exact name) of account `p(1)`, by
/// user name.
pub(crate) fn group_members_sql(p: Placeholder) -> String {
    format!(
        "SELECT {GROUP_MEMBER_COLUMNS} FROM group_members WHERE account = {} AND group_name = {} ORDER BY user_name",
        p(1),
        p(2)
    )
}

/// The groups user `p(2)` (exact name) of account `p(1)` is a member of, by
/// name (on `group_members_by_user`): each group's [`GROUP_COLUMNS`], then
/// the membership's `user_name` and its MAC as `member_mac`, both rows
/// checked.
pub(crate) fn groups_of_user_sql(p: Placeholder) -> String {
    let columns: Vec<String> = GROUP_COLUMNS.split(',').map(|c| format!("g.{0} AS {0}", c.trim())).collect();
    format!(
        "SELECT {}, m.user_name AS user_name, m.mac AS member_mac FROM group_members m \
         JOIN groups g ON g.account = m.account AND g.name = m.group_name \
         WHERE m.account = {} AND m.user_name = {} ORDER BY g.name",
        columns.join(", "),
        p(1),
        p(2)
    )
}

/// The columns of `managed_policies`, in binding order. `name_key` is
/// [`managed_policy_name_key`] of `name`: the primary key (account,
/// name_key) keeps names unique in an account regardless of case, as
/// [`USER_COLUMNS`]'s. `tags` is [`tags_to_json`] of the policy's tags;
/// `description` is NULL for none.
pub(crate) const MANAGED_POLICY_COLUMNS: &str = "account, name, name_key, policy_id, path, description, \
                                                 default_version, next_version, created_at, updated_at, tags, mac";
/// The columns of `policy_versions`, in binding order.
pub(crate) const POLICY_VERSION_COLUMNS: &str = "account, policy_name, version, document, created_at, mac";
/// The columns of `policy_attachments`, in binding order. `target` is
/// [`AttachmentTarget::as_str`], read back by [`AttachmentTarget::parse`]
/// (any other text is a corrupt row).
pub(crate) const POLICY_ATTACHMENT_COLUMNS: &str = "account, policy_name, target, entity_name, mac";

/// What a managed policy name is unique as in its account, and looked up
/// by: the name in lower case, as [`user_name_key`] (and the in-memory
/// store).
pub(crate) fn managed_policy_name_key(name: &str) -> String {
    user_name_key(name)
}

/// The managed policy of account `p(1)` whose [`managed_policy_name_key`]
/// is `p(2)`.
pub(crate) fn managed_policy_sql(p: Placeholder) -> String {
    format!("SELECT {MANAGED_POLICY_COLUMNS} FROM managed_policies WHERE account = {} AND name_key = {}", p(1), p(2))
}

/// The managed policy of account `p(1)` named exactly `p(2)`: what a change
/// of its versions or attachments checks first.
pub(crate) fn managed_policy_exact_sql(p: Placeholder) -> String {
    format!("SELECT {MANAGED_POLICY_COLUMNS} FROM managed_policies WHERE account = {} AND name = {}", p(1), p(2))
}

/// The managed policies of account `p(1)`, by name.
pub(crate) fn managed_policies_sql(p: Placeholder) -> String {
    format!("SELECT {MANAGED_POLICY_COLUMNS} FROM managed_policies WHERE account = {} ORDER BY name", p(1))
}

/// Replaces the record of the managed policy of account `p(1)` named
/// exactly `p(2)` with the values of [`MANAGED_POLICY_COLUMNS`] from `p(4)`
/// on (`p(3)`, its name_key, is the stored one's and bound only to keep
/// one list of values for INSERT and UPDATE), as [`update_role_sql`].
pub(crate) fn update_managed_policy_sql(p: Placeholder) -> String {
    let columns: Vec<&str> = MANAGED_POLICY_COLUMNS.split(',').map(str::trim).collect();
    let sets: Vec<String> = columns.iter().enumerate().skip(3).map(|(i, c)| format!("{c} = {}", p(i + 1))).collect();
    format!(
        "UPDATE managed_policies SET {} WHERE account = {} AND name = {} AND name_key = {}",
        sets.join(", "),
        p(1),
        p(2),
        p(3)
    )
}

/// The statements of [`trent_core::store::Store::delete_managed_policy`],
/// in the order they run (the children before the policy, for the foreign
/// keys): the attachments of policy `p(2)` of account `p(1)`; its
/// versions; the policy `p(2)` of account `p(1)`.
pub(crate) fn delete_managed_policy_sql(p: Placeholder) -> [String; 3] {
    [
        format!("DELETE FROM policy_attachments WHERE account = {} AND policy_name = {}", p(1), p(2)),
        format!("DELETE FROM policy_versions WHERE account = {} AND policy_name = {}", p(1), p(2)),
        format!("DELETE FROM managed_policies WHERE account = {} AND name = {}", p(1), p(2)),
    ]
}

/// The versions of managed policy `p(2)` (exact name) of account `p(1)`, by
/// number.
pub(crate) fn policy_versions_sql(p: Placeholder) -> String {
    format!(
        "SELECT {POLICY_VERSION_COLUMNS} FROM policy_versions WHERE account = {} AND policy_name = {} ORDER BY version",
        p(1),
        p(2)
    )
}

/// Deletes version `p(3)` of managed policy `p(2)` of account `p(1)`.
pub(crate) fn delete_policy_version_sql(p: Placeholder) -> String {
    format!("DELETE FROM policy_versions WHERE account = {} AND policy_name = {} AND version = {}", p(1), p(2), p(3))
}

/// Adds an attachment ([`POLICY_ATTACHMENT_COLUMNS`]); one already there is
/// left as it is.
pub(crate) fn attach_policy_sql(p: Placeholder) -> String {
    format!(
        "{} ON CONFLICT (account, policy_name, target, entity_name) DO NOTHING",
        insert_sql("policy_attachments", POLICY_ATTACHMENT_COLUMNS, p)
    )
}

/// Ends the attachment of policy `p(2)` to entity `p(4)` as target `p(3)`
/// ([`AttachmentTarget::as_str`]), of account `p(1)`.
pub(crate) fn detach_policy_sql(p: Placeholder) -> String {
    format!(
        "DELETE FROM policy_attachments WHERE account = {} AND policy_name = {} AND target = {} AND entity_name = {}",
        p(1),
        p(2),
        p(3),
        p(4)
    )
}

/// Removes what is attached to entity `p(3)` of account `p(1)` as target
/// `p(2)` (on `policy_attachments_by_entity`): the permissions boundary a
/// new one replaces.
pub(crate) fn drop_boundary_sql(p: Placeholder) -> String {
    format!("DELETE FROM policy_attachments WHERE account = {} AND target = {} AND entity_name = {}", p(1), p(2), p(3))
}

/// Removes what is attached to entity `p(2)` of account `p(1)` as any of
/// `targets`: a statement of the deletion of a user, role or group. The
/// targets are written into the text (the fixed words of
/// [`AttachmentTarget::as_str`], never input) so that every statement of
/// the deletion binds the same parameters.
fn delete_attachments_of_sql(p: Placeholder, targets: &[AttachmentTarget]) -> String {
    let targets: Vec<String> = targets.iter().map(|t| format!("'{}'", t.as_str())).collect();
    format!(
        "DELETE FROM policy_attachments WHERE account = {} AND entity_name = {} AND target IN ({})",
        p(1),
        p(2),
        targets.join(", ")
    )
}

/// The attachments of managed policy `p(2)` (exact name) of account
/// `p(1)`; [`sort_attachments`] puts them in the trait's order.
pub(crate) fn policy_attachments_sql(p: Placeholder) -> String {
    format!(
        "SELECT {POLICY_ATTACHMENT_COLUMNS} FROM policy_attachments WHERE account = {} AND policy_name = {} \
         ORDER BY target, entity_name",
        p(1),
        p(2)
    )
}

/// Attachments in the order of [`trent_core::store::Store::policy_attachments`]
/// and of a [`trent_core::model::Snapshot`] (the in-memory store's): by
/// account, policy name, [`AttachmentTarget`]'s own order (not its stored
/// text's, which SQL sorts by) and entity name.
pub(crate) fn sort_attachments(list: &mut [PolicyAttachmentRecord]) {
    list.sort_by(|a, b| {
        (a.account.as_str(), &a.policy_name, a.target, &a.entity_name).cmp(&(
            b.account.as_str(),
            &b.policy_name,
            b.target,
            &b.entity_name,
        ))
    });
}

/// The managed policies attached to entity `p(3)` of account `p(1)` as
/// target `p(2)`, by policy name (on `policy_attachments_by_entity`), each
/// row three sealed rows to check: the policy's [`MANAGED_POLICY_COLUMNS`];
/// the attachment's `target`, `entity_name` and MAC as `attachment_mac`;
/// the default version's `document`, its `created_at` as
/// `version_created_at` and its MAC as `version_mac`. An attachment whose
/// policy has no default version row gives no row, as in the in-memory
/// store.
pub(crate) fn attached_policies_sql(p: Placeholder) -> String {
    let columns: Vec<String> = MANAGED_POLICY_COLUMNS.split(',').map(|c| format!("m.{0} AS {0}", c.trim())).collect();
    format!(
        "SELECT {}, a.target AS target, a.entity_name AS entity_name, a.mac AS attachment_mac, \
         v.document AS document, v.created_at AS version_created_at, v.mac AS version_mac \
         FROM policy_attachments a \
         JOIN managed_policies m ON m.account = a.account AND m.name = a.policy_name \
         JOIN policy_versions v ON v.account = m.account AND v.policy_name = m.name AND v.version = m.default_version \
         WHERE a.account = {} AND a.target = {} AND a.entity_name = {} ORDER BY m.name",
        columns.join(", "),
        p(1),
        p(2),
        p(3)
    )
}

/// A row of [`attached_policies_sql`], decoded by a backend: the policy,
/// the attachment that joined it, and its default version, each unchecked.
pub(crate) type AttachedRow =
    (Unchecked<ManagedPolicyRecord>, Unchecked<PolicyAttachmentRecord>, Unchecked<PolicyVersionRecord>);

/// The attached policies of [`attached_policies_sql`]'s rows, every row
/// checked: the attachment and the version as well as the policy, so that
/// a row added or edited behind the store attaches nothing and changes no
/// document.
pub(crate) fn check_attached(g: &RowGuard, rows: Vec<AttachedRow>) -> StoreResult<Vec<AttachedPolicy>> {
    rows.into_iter()
        .map(|(policy, attachment, version)| {
            g.check(attachment)?;
            let version = g.check(version)?;
            Ok(AttachedPolicy { policy: g.check(policy)?, document: version.document })
        })
        .collect()
}

/// The columns of `oidc_providers`, in binding order. `client_ids` and
/// `thumbprints` are [`strings_to_json`] of the provider's lists, `tags`
/// [`tags_to_json`] of its tags.
pub(crate) const OIDC_PROVIDER_COLUMNS: &str = "account, url, client_ids, thumbprints, tags, created_at, mac";

/// The OpenID Connect provider of account `p(1)` whose URL is exactly `p(2)`.
pub(crate) fn oidc_provider_sql(p: Placeholder) -> String {
    format!("SELECT {OIDC_PROVIDER_COLUMNS} FROM oidc_providers WHERE account = {} AND url = {}", p(1), p(2))
}

/// The OpenID Connect providers of account `p(1)`, by URL.
pub(crate) fn oidc_providers_sql(p: Placeholder) -> String {
    format!("SELECT {OIDC_PROVIDER_COLUMNS} FROM oidc_providers WHERE account = {} ORDER BY url", p(1))
}

/// Sets the client ids (`p(3)`, [`strings_to_json`]), thumbprints (`p(4)`,
/// likewise), tags (`p(5)`, [`tags_to_json`]) and row MAC (`p(6)`) of the
/// OpenID Connect provider of account `p(1)` whose URL is `p(2)`: what
/// [`trent_core::store::Store::update_oidc_provider`] changes, the rest of
/// the row (its creation time) kept as the MAC covers it.
pub(crate) fn update_oidc_provider_sql(p: Placeholder) -> String {
    format!(
        "UPDATE oidc_providers SET client_ids = {}, thumbprints = {}, tags = {}, mac = {} \
         WHERE account = {} AND url = {}",
        p(3),
        p(4),
        p(5),
        p(6),
        p(1),
        p(2)
    )
}

/// Deletes the OpenID Connect provider of account `p(1)` whose URL is `p(2)`.
pub(crate) fn delete_oidc_provider_sql(p: Placeholder) -> String {
    format!("DELETE FROM oidc_providers WHERE account = {} AND url = {}", p(1), p(2))
}

/// The columns of `custom_key_stores`, in binding order: the identity
/// (id, account, region) and the creation time, which never change, then
/// what [`trent_core::store::Store::update_custom_key_store`] replaces.
/// INSERT and UPDATE ([`update_custom_key_store_sql`]) bind the same list.
pub(crate) const CUSTOM_KEY_STORE_COLUMNS: &str = "id, account, region, created_at, name, cluster_id, trust_anchor, \
                                                   wrapped_password, connection_state, connection_error, mac";
/// How many leading columns of [`CUSTOM_KEY_STORE_COLUMNS`] never change.
const FIXED_CUSTOM_KEY_STORE_COLUMNS: usize = 4;

/// The custom key store `p(1)` of account `p(2)` and Region `p(3)`.
pub(crate) fn custom_key_store_sql(p: Placeholder) -> String {
    format!(
        "SELECT {CUSTOM_KEY_STORE_COLUMNS} FROM custom_key_stores WHERE id = {} AND account = {} AND region = {}",
        p(1),
        p(2),
        p(3)
    )
}

/// The custom key stores of account `p(1)` and Region `p(2)` (`scoped`),
/// or of the whole deployment, by id.
pub(crate) fn custom_key_stores_sql(p: Placeholder, scoped: bool) -> String {
    if scoped {
        format!(
            "SELECT {CUSTOM_KEY_STORE_COLUMNS} FROM custom_key_stores WHERE account = {} AND region = {} ORDER BY id",
            p(1),
            p(2)
        )
    } else {
        format!("SELECT {CUSTOM_KEY_STORE_COLUMNS} FROM custom_key_stores ORDER BY id")
    }
}

/// Sets the changeable columns of a custom key store (the values of
/// [`CUSTOM_KEY_STORE_COLUMNS`] bound in order) whose fixed columns are
/// the bound ones: every parameter is used, which PostgreSQL needs to type
/// it. A name its scope already has is a uniqueness violation.
pub(crate) fn update_custom_key_store_sql(p: Placeholder) -> String {
    let columns: Vec<&str> = CUSTOM_KEY_STORE_COLUMNS.split(',').map(str::trim).collect();
    let (fixed, changeable) = columns.split_at(FIXED_CUSTOM_KEY_STORE_COLUMNS);
    let sets: Vec<String> = changeable
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = {}", p(FIXED_CUSTOM_KEY_STORE_COLUMNS + i + 1)))
        .collect();
    let same: Vec<String> = fixed.iter().enumerate().map(|(i, c)| format!("{c} = {}", p(i + 1))).collect();
    format!("UPDATE custom_key_stores SET {} WHERE {}", sets.join(", "), same.join(" AND "))
}

/// Deletes the custom key store `p(1)` of account `p(2)` and Region `p(3)`.
pub(crate) fn delete_custom_key_store_sql(p: Placeholder) -> String {
    format!("DELETE FROM custom_key_stores WHERE id = {} AND account = {} AND region = {}", p(1), p(2), p(3))
}

/// How many keys of account `p(1)` and Region `p(2)`, in any state, the
/// custom key store `p(3)` holds (on `keys_by_custom_key_store`).
pub(crate) fn custom_key_store_keys_sql(p: Placeholder) -> String {
    format!(
        "SELECT COUNT(*) FROM keys WHERE account = {} AND region = {} AND custom_key_store_id = {}",
        p(1),
        p(2),
        p(3)
    )
}

/// The access keys of principal `p(1)`, by id (on `access_keys_by_principal`).
pub(crate) fn access_keys_of_sql(p: Placeholder) -> String {
    format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE principal = {} ORDER BY id", p(1))
}

/// Access key `p(1)`, locked for an update (PostgreSQL; SQLite's write
/// transaction holds the database).
pub(crate) fn access_key_for_update_sql(p: Placeholder, lock: bool) -> String {
    let lock = if lock { " FOR UPDATE" } else { "" };
    format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE id = {}{lock}", p(1))
}

/// Sets the status of access key `p(1)` to `p(2)`, with its new MAC `p(3)`.
pub(crate) fn set_access_key_inactive_sql(p: Placeholder) -> String {
    format!("UPDATE access_keys SET inactive = {}, mac = {} WHERE id = {}", p(2), p(3), p(1))
}

/// Deletes access key `p(1)`.
pub(crate) fn delete_access_key_sql(p: Placeholder) -> String {
    format!("DELETE FROM access_keys WHERE id = {}", p(1))
}

/// The statements of [`trent_core::store::Store::export`], one per table,
/// each listing the rows in the order of their list in
/// [`trent_core::model::Snapshot`] (PostgreSQL's identifier columns use the
/// "C" collation, so both backends order byte for byte alike), but for
/// the policy attachments, which [`sort_attachments`] then orders. Every
/// backend runs them all in one read transaction.
pub(crate) struct ExportSql {
    pub(crate) domain_keys: String,
    pub(crate) accounts: String,
    pub(crate) access_keys: String,
    pub(crate) users: String,
    pub(crate) user_policies: String,
    pub(crate) roles: String,
    pub(crate) role_policies: String,
    pub(crate) groups: String,
    pub(crate) group_policies: String,
    pub(crate) group_members: String,
    pub(crate) managed_policies: String,
    pub(crate) policy_versions: String,
    pub(crate) policy_attachments: String,
    pub(crate) oidc_providers: String,
    pub(crate) custom_key_stores: String,
    pub(crate) keys: String,
    pub(crate) versions: String,
    pub(crate) aliases: String,
    pub(crate) grants: String,
    pub(crate) destroyed: String,
    pub(crate) audit: String,
    pub(crate) checkpoints: String,
}

impl ExportSql {
    pub(crate) fn new() -> Self {
        let all = |columns: &str, table: &str, order: &str| format!("SELECT {columns} FROM {table} ORDER BY {order}");
        ExportSql {
            domain_keys: all(DOMAIN_KEY_COLUMNS, "domain_keys", "id"),
            accounts: all(ACCOUNT_COLUMNS, "accounts", "id"),
            access_keys: all(ACCESS_KEY_COLUMNS, "access_keys", "id"),
            users: all(USER_COLUMNS, "users", "account, name"),
            user_policies: all(USER_POLICY_COLUMNS, "user_policies", "account, user_name, policy_name"),
            roles: all(ROLE_COLUMNS, "roles", "account, name"),
            role_policies: all(ROLE_POLICY_COLUMNS, "role_policies", "account, role_name, policy_name"),
            groups: all(GROUP_COLUMNS, "groups", "account, name"),
            group_policies: all(GROUP_POLICY_COLUMNS, "group_policies", "account, group_name, policy_name"),
            group_members: all(GROUP_MEMBER_COLUMNS, "group_members", "account, group_name, user_name"),
            managed_policies: all(MANAGED_POLICY_COLUMNS, "managed_policies", "account, name"),
            policy_versions: all(POLICY_VERSION_COLUMNS, "policy_versions", "account, policy_name, version"),
            // Then put in the snapshot's order by sort_attachments.
            policy_attachments: all(
                POLICY_ATTACHMENT_COLUMNS,
                "policy_attachments",
                "account, policy_name, target, entity_name",
            ),
            oidc_providers: all(OIDC_PROVIDER_COLUMNS, "oidc_providers", "account, url"),
            custom_key_stores: all(CUSTOM_KEY_STORE_COLUMNS, "custom_key_stores", "id"),
            keys: all(KEY_COLUMNS, "keys", "id, region"),
            versions: all(VERSION_COLUMNS, "key_versions", "key_id, version"),
            aliases: all(ALIAS_COLUMNS, "aliases", "account, region, name"),
            grants: all(GRANT_COLUMNS, "grants", "key_id, grant_id"),
            destroyed: all(DESTROYED_COLUMNS, "destroyed_keys", "id, region"),
            audit: all(AUDIT_COLUMNS, "audit_events", "seq"),
            checkpoints: all(CHECKPOINT_COLUMNS, "audit_checkpoints", "chain, seq"),
        }
    }
}

/// True when the store holds a domain key, an account, a key or a
/// tombstone: [`trent_core::store::Store::import`] refuses such a store.
/// (Users, roles, groups and their access keys, policies and memberships,
/// managed policies with their versions and attachments, OpenID Connect
/// providers and custom key stores belong to an account, so a store with
/// any holds an account.)
pub(crate) const HOLDS_STATE_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM domain_keys) OR EXISTS (SELECT 1 FROM accounts) \
                                          OR EXISTS (SELECT 1 FROM keys) OR EXISTS (SELECT 1 FROM destroyed_keys)";
/// True when the store holds audit records or checkpoints: an import
/// refuses such a store too, rather than mix two chains or drop one.
pub(crate) const HOLDS_AUDIT_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM audit_checkpoints)";

/// A value bound to an audit lookup; each backend converts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuditParam {
    /// TEXT.
    Text(String),
    /// INTEGER / BIGINT.
    Int(i64),
    /// BOOLEAN (an INTEGER 0 or 1 in SQLite).
    Bool(bool),
}

/// The statement and parameters of the indexed part of
/// [`trent_core::store::Store::lookup_audit`]: [`AuditQuery::matches`] in
/// SQL over the records indexed (seq up to `through`), newest first, at
/// most `limit` (what the tail left of the query's own).
pub(crate) fn lookup_audit_sql(
    query: &AuditQuery,
    through: i64,
    limit: usize,
    p: Placeholder,
) -> (String, Vec<AuditParam>) {
    let mut params = Vec::new();
    let mut bind = |v: AuditParam| {
        params.push(v);
        p(params.len())
    };
    let mut conds: Vec<String> = vec![format!("seq <= {}", bind(AuditParam::Int(through)))];
    if let Some(a) = &query.account {
        conds.push(format!("account = {}", bind(AuditParam::Text(a.clone()))));
    }
    if let Some(t) = query.start {
        conds.push(format!("event_time >= {}", bind(AuditParam::Int(t))));
    }
    if let Some(t) = query.end {
        conds.push(format!("event_time <= {}", bind(AuditParam::Int(t))));
    }
    // A cursor beyond every storable seq excludes nothing.
    if let Some(s) = query.before_seq.and_then(|s| i64::try_from(s).ok()) {
        conds.push(format!("seq < {}", bind(AuditParam::Int(s))));
    }
    let text = |v: &str| AuditParam::Text(v.to_owned());
    match &query.attribute {
        None => {}
        Some(LookupAttribute::EventId(v)) => conds.push(format!("event_id = {}", bind(text(v)))),
        Some(LookupAttribute::EventName(v)) => conds.push(format!("event_name = {}", bind(text(v)))),
        Some(LookupAttribute::ReadOnly(v)) => conds.push(format!("read_only = {}", bind(AuditParam::Bool(*v)))),
        Some(LookupAttribute::Username(v)) => conds.push(format!("username = {}", bind(text(v)))),
        Some(LookupAttribute::AccessKeyId(v)) => conds.push(format!("access_key_id = {}", bind(text(v)))),
        // Every event is Trent's and every resource a key: these attributes
        // select all events (with resources) or none. EXISTS: most events
        // have resources, so walking the trail newest first stops soon; IN
        // for a name below, whose events are few.
        // LookupEvents is CloudTrail's own call; every other event is KMS's.
        Some(LookupAttribute::EventSource(v)) if v == EVENT_SOURCE => {
            conds.push(format!("event_name <> '{LOOKUP_EVENT}'"))
        }
        Some(LookupAttribute::EventSource(v)) if v == CLOUDTRAIL_SOURCE => {
            conds.push(format!("event_name = '{LOOKUP_EVENT}'"))
        }
        Some(LookupAttribute::ResourceType(v)) if v == KEY_RESOURCE_TYPE => {
            conds.push("EXISTS (SELECT 1 FROM audit_resources r WHERE r.seq = audit_lookup.seq)".into())
        }
        Some(LookupAttribute::EventSource(_) | LookupAttribute::ResourceType(_)) => conds.push("FALSE".into()),
        Some(LookupAttribute::ResourceName(v)) => {
            // The rows whose ARN or key id is `v` are exactly those named
            // `v`'s key id (or `v`, not a key ARN) that have it as ARN or key
            // id: one search of `audit_resources_by_name`.
            let name = bind(text(resource_name(v)));
            let n = bind(text(v));
            conds.push(format!(
                "seq IN (SELECT seq FROM audit_resources WHERE COALESCE(key_id, arn) = {name} \
                 AND (arn = {n} OR key_id = {n}))"
            ));
        }
    }
    let limit = bind(AuditParam::Int(limit_param(limit)));
    // The index selects the seqs; the log holds the records.
    let seqs = format!("SELECT seq FROM audit_lookup WHERE {} ORDER BY seq DESC LIMIT {limit}", conds.join(" AND "));
    (format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq IN ({seqs}) ORDER BY seq DESC"), params)
}

/// How a backend reads a top-level member of an event's record (the JSON
/// text of `audit_events.record`, as `e`) as text, NULL when absent or
/// null: SQLite's `json_extract`, PostgreSQL's `->>`.
pub(crate) type RecordMember = fn(&str) -> String;

/// The statement and parameters of the indexed part of
/// [`trent_core::store::Store::audit_usage`]: [`UsageTally`]'s semantics as
/// one `GROUP BY` over the lookup index (records with seq up to `through`
/// when given; PostgreSQL's snapshot holds only indexed ones), joined to
/// the log for the two members the index lacks (`errorCode`, `eventType`).
/// Rows: (1 for a by-key count, 0 for a by-call one, bucket start,
/// account, key ARN or NULL, event name, requests, errors).
///
/// The events are selected once (`ev`) and counted twice: each call once,
/// and once per key ARN it named (its `audit_resources` rows with a key
/// id; a call that named none joins a NULL).
///
/// [`UsageTally`]: trent_core::audit::UsageTally
pub(crate) fn usage_sql(
    filter: &UsageFilter,
    through: Option<i64>,
    member: RecordMember,
    p: Placeholder,
) -> (String, Vec<AuditParam>) {
    let mut params = Vec::new();
    let mut bind = |v: AuditParam| {
        params.push(v);
        p(params.len())
    };
    let bucket = bind(AuditParam::Int(filter.bucket.max(1)));
    let mut conds = vec![
        format!("l.event_time >= {}", bind(AuditParam::Int(filter.since))),
        format!("l.event_time < {}", bind(AuditParam::Int(filter.until))),
        "l.account IS NOT NULL".to_owned(),
        format!("COALESCE({}, '') <> 'AwsServiceEvent'", member("eventType")),
    ];
    if let Some(t) = through {
        conds.push(format!("l.seq <= {}", bind(AuditParam::Int(t))));
    }
    if let Some(a) = &filter.account {
        conds.push(format!("l.account = {}", bind(AuditParam::Text(a.clone()))));
    }
    let sql = format!(
        "WITH ev AS (SELECT l.seq AS seq, l.event_time - (l.event_time % {bucket}) AS bucket, l.account AS account, \
         l.event_name AS event_name, CASE WHEN {} IS NULL THEN 0 ELSE 1 END AS failed \
         FROM audit_lookup l JOIN audit_events e ON e.seq = l.seq WHERE {}) \
         SELECT CAST(0 AS BIGINT), bucket, account, CAST(NULL AS TEXT), event_name, COUNT(*), SUM(failed) \
         FROM ev GROUP BY bucket, account, event_name \
         UNION ALL \
         SELECT CAST(1 AS BIGINT), ev.bucket, ev.account, r.arn, ev.event_name, COUNT(*), SUM(ev.failed) \
         FROM ev LEFT JOIN audit_resources r ON r.seq = ev.seq AND r.key_id IS NOT NULL \
         GROUP BY ev.bucket, ev.account, r.arn, ev.event_name",
        member("errorCode"),
        conds.join(" AND ")
    );
    (sql, params)
}

/// Adds a row of [`usage_sql`] to `tally`.
pub(crate) fn tally_usage_row(
    tally: &mut UsageTally,
    (by_key, bucket_start, account, key_arn, event_name, requests, errors): (
        i64,
        i64,
        String,
        Option<String>,
        String,
        i64,
        i64,
    ),
) -> StoreResult<()> {
    let count = |n: i64| u64::try_from(n).map_err(|_| StoreError::backend(SchemaError("negative count".into())));
    let c =
        UsageCount { bucket_start, account, key_arn, event_name, requests: count(requests)?, errors: count(errors)? };
    tally.add_count(by_key == 1, c);
    Ok(())
}

/// The stored keys of [`trent_core::store::Store::key_lifetimes`]:
/// (account, region, id, created_at) of the keys created before the first
/// parameter, of the account of the second when `account`.
pub(crate) fn live_key_lifetimes_sql(account: bool, p: Placeholder) -> String {
    let mine = if account { format!(" AND account = {}", p(2)) } else { String::new() };
    format!("SELECT account, region, id, created_at FROM keys WHERE created_at < {}{mine}", p(1))
}

/// The tombstones of [`trent_core::store::Store::key_lifetimes`]:
/// (account, region, id, destroyed_at) of the keys destroyed after the
/// first parameter, of the account of the second when `account`.
pub(crate) fn destroyed_key_lifetimes_sql(account: bool, p: Placeholder) -> String {
    let mine = if account { format!(" AND account = {}", p(2)) } else { String::new() };
    format!("SELECT account, region, id, destroyed_at FROM destroyed_keys WHERE destroyed_at > {}{mine}", p(1))
}

/// The time of the earliest indexed event naming a key: its key id and
/// ARN are the parameters (one search of `audit_resources_by_name`).
pub(crate) fn key_first_event_sql(p: Placeholder) -> String {
    format!(
        "SELECT MIN(l.event_time) FROM audit_resources r JOIN audit_lookup l ON l.seq = r.seq \
         WHERE COALESCE(r.key_id, r.arn) = {} AND r.arn = {}",
        p(1),
        p(2)
    )
}

/// A [`KeyLifetime`] of a row of [`live_key_lifetimes_sql`] or (with its
/// first event's time) [`destroyed_key_lifetimes_sql`].
pub(crate) fn key_lifetime(
    (account, region, id): (String, String, String),
    created_at: Option<i64>,
    destroyed_at: Option<i64>,
) -> KeyLifetime {
    let key_arn = trent_api::ids::key_arn(
        &trent_api::ids::Region::new_unchecked(region),
        &trent_api::ids::AccountId::new_unchecked(account.clone()),
        &trent_api::ids::KeyId::new_unchecked(id),
    );
    KeyLifetime { account, key_arn, created_at, destroyed_at }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_in_order() {
        let tags = vec![("b".to_owned(), "\"quoted\"".to_owned()), ("a".to_owned(), String::new())];
        assert_eq!(tags_from_json(&tags_to_json(&tags)), Some(tags));
        assert_eq!(tags_from_json("{}"), None);
    }

    #[test]
    fn string_lists_round_trip_in_order() {
        let list = vec!["b".to_owned(), "\"quoted\"".to_owned(), String::new()];
        assert_eq!(strings_from_json(&strings_to_json(&list)), Some(list));
        assert_eq!(strings_from_json(&strings_to_json(&[])), Some(vec![]));
        assert_eq!(strings_from_json("{}"), None);
        assert_eq!(strings_from_json("[1]"), None);
    }

    #[test]
    fn statements_for_both_placeholder_styles() {
        let q = update_key_sql(|i| format!("?{i}"));
        assert!(q.starts_with("UPDATE keys SET description = ?9, state = ?10,"), "{q}");
        assert!(q.contains("WHERE id = ?1 AND account = ?2 AND region = ?3"), "{q}");
        assert!(q.ends_with("multi_region = ?8 AND revision + 1 = ?16"), "{q}");
        let d = insert_sql("key_versions", VERSION_COLUMNS, |i| format!("${i}"));
        assert!(d.ends_with("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"), "{d}");
        let u = update_custom_key_store_sql(|i| format!("${i}"));
        assert_eq!(
            u,
            "UPDATE custom_key_stores SET name = $5, cluster_id = $6, trust_anchor = $7, wrapped_password = $8, \
             connection_state = $9, connection_error = $10, mac = $11 \
             WHERE id = $1 AND account = $2 AND region = $3 AND created_at = $4"
        );
    }

    #[test]
    fn audit_lookup_binds_each_filter_once() {
        let query = AuditQuery {
            account: Some("111122223333".into()),
            attribute: Some(LookupAttribute::ResourceName("k".into())),
            start: Some(1),
            end: None,
            before_seq: Some(u64::MAX),
            limit: 5,
        };
        let (sql, params) = lookup_audit_sql(&query, 7, 5, |i| format!("${i}"));
        assert!(
            sql.contains("FROM audit_lookup WHERE seq <= $1 AND account = $2 AND event_time >= $3 AND seq IN"),
            "{sql}"
        );
        assert!(sql.contains("WHERE COALESCE(key_id, arn) = $4 AND (arn = $5 OR key_id = $5))"), "{sql}");
        assert!(sql.ends_with("ORDER BY seq DESC LIMIT $6) ORDER BY seq DESC"), "{sql}");
        assert_eq!(params.len(), 6);
        let none = AuditQuery { attribute: Some(LookupAttribute::EventSource("s3.amazonaws.com".into())), ..query };
        assert!(lookup_audit_sql(&none, 7, 5, |i| format!("?{i}")).0.contains("AND FALSE"));
    }

    /// A lookup searches the name its rows are indexed under: a key ARN's
    /// key id, anything else as given.
    #[test]
    fn a_resource_name_is_what_its_rows_are_indexed_under() {
        assert_eq!(resource_name("arn:aws:kms:r:1:key/abc"), "abc");
        assert_eq!(resource_name("abc"), "abc");
        assert_eq!(resource_name("arn:aws:kms:r:1:alias/x"), "arn:aws:kms:r:1:alias/x");
        let entry = encrypt_event(&["arn:aws:kms:r:1:key/abc", "arn:aws:kms:r:1:alias/x"]);
        for (arn, key_id) in resource_rows(&entry) {
            assert_eq!(key_id.unwrap_or(arn), resource_name(arn));
        }
    }

    /// An Encrypt event naming `resources`.
    pub(crate) fn encrypt_event(resources: &[&str]) -> AuditEntry {
        AuditEntry {
            event_id: "e".into(),
            event_time: 0,
            event_name: "Encrypt".into(),
            account: None,
            username: None,
            access_key_id: None,
            read_only: true,
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            record: "{}".into(),
        }
    }

    #[test]
    fn resource_rows_are_unique_with_their_key_ids() {
        let entry = encrypt_event(&["arn:aws:kms:r:1:key/a", "arn:aws:kms:r:1:alias/x", "arn:aws:kms:r:1:key/a"]);
        assert_eq!(
            resource_rows(&entry),
            vec![("arn:aws:kms:r:1:key/a", Some("a")), ("arn:aws:kms:r:1:alias/x", None)]
        );
        assert_eq!(resources_json(&entry).matches("key/a").count(), 2);
    }

    #[test]
    fn string_lists_are_written_as_their_json_values_are() {
        for list in
            [vec![], vec!["a".to_owned()], vec!["q\"u\\o\nte".to_owned(), "\u{7f}\u{1f}é".to_owned(), "a".to_owned()]]
        {
            let text = strings_to_json(&list);
            assert_eq!(text, serde_json::Value::from(list.clone()).to_string());
            assert_eq!(strings_from_json(&text), Some(list));
        }
    }
}
