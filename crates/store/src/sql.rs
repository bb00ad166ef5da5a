//! What the SQL backends share: column lists, statement text, the tag
//! encoding and parameter conversions. Each backend binds values its own
//! way (`?N` for SQLite, `$N` for PostgreSQL).

use trent_core::store::{StoreError, StoreResult};

/// The columns of `keys`, those fixed at creation first. Both backends bind
/// values in this order.
pub(crate) const KEY_COLUMNS: &str = "id, account, region, spec, usage, origin, created_at, multi_region, \
                                      description, state, policy, tags, current_version, deletion_date, \
                                      pending_window_days, revision, rotation_period_days, next_rotation_at, \
                                      next_expiry_at";
/// How many leading columns of [`KEY_COLUMNS`] never change.
pub(crate) const FIXED_KEY_COLUMNS: usize = 8;
/// Position (1-based) of `revision` in [`KEY_COLUMNS`].
pub(crate) const REVISION_PARAM: usize = 16;

/// The columns of `key_versions`, in binding order.
pub(crate) const VERSION_COLUMNS: &str = "key_id, version, material_id, wrapped_material, created_at, rotation_type, \
                                          expiration_model, valid_to, material_description";

/// A placeholder style: `?N` or `$N`.
pub(crate) type Placeholder = fn(usize) -> String;

/// `INSERT INTO table (columns) VALUES (p1, …, pn)`.
pub(crate) fn insert_sql(table: &str, columns: &str, p: Placeholder) -> String {
    let n = columns.split(',').count();
    let values: Vec<String> = (1..=n).map(p).collect();
    format!("INSERT INTO {table} ({columns}) VALUES ({})", values.join(", "))
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

/// A schema or stored-data problem found by a backend.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SchemaError(pub(crate) String);

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
    "key_id, grant_id, key_arn, name, grantee, retiring, issuing_account, operations, constraints_json, created_at";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_in_order() {
        let tags = vec![("b".to_owned(), "\"quoted\"".to_owned()), ("a".to_owned(), String::new())];
        assert_eq!(tags_from_json(&tags_to_json(&tags)), Some(tags));
        assert_eq!(tags_from_json("{}"), None);
    }

    #[test]
    fn statements_for_both_placeholder_styles() {
        let q = update_key_sql(|i| format!("?{i}"));
        assert!(q.starts_with("UPDATE keys SET description = ?9, state = ?10,"), "{q}");
        assert!(q.contains("WHERE id = ?1 AND account = ?2 AND region = ?3"), "{q}");
        assert!(q.ends_with("multi_region = ?8 AND revision + 1 = ?16"), "{q}");
        let d = insert_sql("key_versions", VERSION_COLUMNS, |i| format!("${i}"));
        assert!(d.ends_with("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"), "{d}");
    }
}
