//! The schema of multi-Region keys: a database made before them upgrades
//! with every row, and the statements that find a key by (id, region) or
//! the keys of an id search its primary key; those of custom key stores
//! search their indexes. And the page size of a new database and of an
//! existing one.

use super::*;
use crate::upgrade_fixture::{check_upgraded, fixture, new_key_column_positions, old_key_columns};

/// The schema version before multi-Region keys (0011_audit_chains).
const BEFORE_MULTI_REGION: usize = 11;

/// A database at [`BEFORE_MULTI_REGION`] holding the fixture's rows, as
/// that version of Trent wrote them (sealed, with the old columns of
/// `keys`), opened by this one: the migration rebuilds `keys` and the
/// tables that referenced it and keeps every row, whose MACs still verify.
#[tokio::test]
async fn a_database_from_before_multi_region_keys_upgrades_with_every_row() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("t.db");
    let (f, g) = (fixture(), RowGuard::for_tests());
    {
        let mut conn = Connection::open(&path)?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; \
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
        )?;
        for (i, sql) in MIGRATIONS[..BEFORE_MULTI_REGION].iter().enumerate() {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)", params![i as i64 + 1])?;
            tx.commit()?;
        }
        let tx = conn.transaction()?;
        // Rows written by a Trent with row MACs: sealed, nothing pending.
        tx.execute(SEAL_DONE_SQL, [])?;
        for k in &f.keys {
            let mut values = key_values(&g, k)?;
            for at in new_key_column_positions() {
                values.remove(at);
            }
            insert_row(&tx, "keys", &old_key_columns(), params_from_iter(values))?;
        }
        for v in &f.versions {
            insert_version(&tx, &g, v)?;
        }
        for a in &f.aliases {
            insert_alias_row(&tx, &g, a)?;
        }
        for grant in &f.grants {
            insert_grant_row(&tx, &g, grant)?;
        }
        for d in &f.destroyed {
            insert_destroyed_row(&tx, d)?;
        }
        tx.commit()?;
    }

    let store = SqliteStore::open(&path)?;
    assert_eq!(store.protect_rows(Arc::new(RowGuard::for_tests())).await?, 0, "nothing left to seal");
    check_upgraded(&store, &f).await?;
    drop(store);

    let conn = Connection::open(&path)?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    let version: i64 = conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| r.get(0))?;
    assert_eq!(version, MIGRATIONS.len() as i64);
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(check, "ok");
    let violations = conn.prepare("PRAGMA foreign_key_check")?.query_map([], |_| Ok(()))?.count();
    assert_eq!(violations, 0);
    let names = |kind: &str| -> rusqlite::Result<Vec<String>> {
        let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type = ?1 ORDER BY name")?;
        let rows = st.query_map([kind], |r| r.get(0))?;
        rows.collect()
    };
    assert!(!names("table")?.iter().any(|t| t.ends_with("_old")), "{:?}", names("table")?);
    let indexes = names("index")?;
    for index in [
        "keys_by_scope",
        "keys_due_deletion",
        "keys_due_rotation",
        "keys_due_expiry",
        "aliases_by_target",
        "grants_by_retiring",
        "keys_by_custom_key_store",
    ] {
        assert!(indexes.iter().any(|i| i == index), "{index} in {indexes:?}");
    }
    // The one foreign key left on keys: an alias's (target, region).
    let foreign_keys = |table: &str| -> rusqlite::Result<Vec<(String, String, String)>> {
        let mut st = conn.prepare(&format!("PRAGMA foreign_key_list({table})"))?;
        let rows = st.query_map([], |r| Ok((r.get("table")?, r.get("from")?, r.get("to")?)))?;
        rows.collect()
    };
    let to_keys = |from: &str, to: &str| ("keys".to_owned(), from.to_owned(), to.to_owned());
    assert_eq!(foreign_keys("aliases")?, [to_keys("target", "id"), to_keys("region", "region")]);
    assert!(foreign_keys("key_versions")?.is_empty());
    assert!(foreign_keys("grants")?.is_empty());
    Ok(())
}

/// Every statement that finds keys by id (and Region) searches the primary
/// key (id, region): one row, or the few of one id, never the keys of an
/// account or a scan.
#[test]
fn key_lookups_search_the_primary_key() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("t.db");
    drop(SqliteStore::open(&path)?);
    let conn = Connection::open(&path)?;
    let [_, _, delete_key, delete_versions] = destroy_key_sql(q);
    for (sql, n) in [
        (key_owner_sql(q), 2),
        (related_keys_sql(q), 1),
        (key_revision_sql(q), 2),
        (delete_key, 2),
        (delete_versions, 1),
    ] {
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let plan: Vec<String> =
            st.query_map(params_from_iter(vec!["x"; n]), |r| r.get(3))?.collect::<Result<_, _>>()?;
        assert!(plan.iter().any(|l| l.starts_with("SEARCH keys USING") && l.contains("(id=?")), "{sql}: {plan:?}");
        assert!(!plan.iter().any(|l| l.starts_with("SCAN keys") || l.contains("keys_by_scope")), "{sql}: {plan:?}");
    }
    Ok(())
}

/// A custom key store's keys are counted on `keys_by_custom_key_store`
/// (not by reading every key of its scope), and a key store is found by
/// its id.
#[test]
fn custom_key_store_statements_search_their_indexes() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("t.db");
    drop(SqliteStore::open(&path)?);
    let conn = Connection::open(&path)?;
    let plan = |sql: &str, n: usize| -> rusqlite::Result<Vec<String>> {
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = st.query_map(params_from_iter(vec!["x"; n]), |r| r.get(3))?;
        rows.collect()
    };
    let count = plan(&custom_key_store_keys_sql(q), 3)?;
    assert!(
        count.iter().any(|l| l.starts_with("SEARCH keys USING") && l.contains("keys_by_custom_key_store")),
        "{count:?}"
    );
    assert!(!count.iter().any(|l| l.starts_with("SCAN keys")), "{count:?}");
    let one = plan(&custom_key_store_sql(q), 3)?;
    assert!(one.iter().any(|l| l.starts_with("SEARCH custom_key_stores USING") && l.contains("(id=?)")), "{one:?}");
    Ok(())
}

/// A database Trent creates gets [`PAGE_SIZE`]; one made with SQLite's
/// default 4 KiB pages keeps them: its schema is brought up to date in
/// them, and it opens again.
#[test]
fn a_new_database_gets_the_page_size_and_an_existing_one_keeps_its_own() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let page_size =
        |p: &Path| -> rusqlite::Result<u32> { Connection::open(p)?.query_row("PRAGMA page_size", [], |r| r.get(0)) };
    let new = dir.path().join("new.db");
    drop(SqliteStore::open(&new)?);
    assert_eq!(page_size(&new)?, PAGE_SIZE);
    assert_ne!(PAGE_SIZE, 4096);

    let old = dir.path().join("old.db");
    // Switching to WAL writes the header, which fixes the page size.
    Connection::open(&old)?.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL")?;
    assert_eq!(page_size(&old)?, 4096);
    drop(SqliteStore::open(&old)?);
    drop(SqliteStore::open(&old)?);
    assert_eq!(page_size(&old)?, 4096);
    let tables: i64 = Connection::open(&old)?.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'audit_events'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(tables, 1);
    Ok(())
}
