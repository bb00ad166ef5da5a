//! The schema of multi-Region keys on PostgreSQL: a database made before
//! them upgrades with every row. Runs when `TRENT_TEST_POSTGRES_URL` names
//! a database (in a schema of its own there); skipped, with a note, when
//! it is not set.

use super::*;
use crate::upgrade_fixture::{check_upgraded, fixture, new_key_column_positions, old_key_columns};

/// The schema version before multi-Region keys (0010_audit_chains).
const BEFORE_MULTI_REGION: usize = 10;

/// The URL of a fresh schema of the test database, or `None` without one.
async fn fresh_schema_url() -> Result<Option<String>, Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var("TRENT_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: TRENT_TEST_POSTGRES_URL is not set (PostgreSQL test)");
        return Ok(None);
    };
    let schema = format!("upgrade_{}", uuid::Uuid::new_v4().simple());
    let (client, conn) = tokio_postgres::connect(&url, NoTls).await?;
    let task = tokio::spawn(conn);
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).await?;
    drop(client);
    let _ = task.await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(Some(format!("{url}{sep}options=-c%20search_path%3D{schema}")))
}

/// A database at [`BEFORE_MULTI_REGION`] holding the fixture's rows, as
/// that version of Trent wrote them (sealed, with the old columns of
/// `keys`), opened by this one: the migration moves the primary key of
/// `keys` to (id, region), drops the foreign keys of versions and grants,
/// and keeps every row, whose MACs still verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_multi_region_keys_upgrades_with_every_row() -> Result<(), Box<dyn std::error::Error>> {
    let Some(url) = fresh_schema_url().await? else {
        return Ok(());
    };
    let (f, g) = (fixture(), RowGuard::for_tests());
    {
        let config = tokio_postgres::Config::from_str(&url)?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(1).build()?;
        let mut c = pool.get().await?;
        c.batch_execute("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
            .await?;
        for (i, sql) in MIGRATIONS[..BEFORE_MULTI_REGION].iter().enumerate() {
            let tx = c.transaction().await?;
            tx.batch_execute(sql).await?;
            let version = i as i64 + 1;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", &[&version]).await?;
            tx.commit().await?;
        }
        // Rows written by a Trent with row MACs: sealed, nothing pending.
        c.batch_execute(SEAL_DONE_SQL).await?;
        let mut keys = Vec::new();
        for k in &f.keys {
            let mut values = key_values(&g, k)?;
            for at in new_key_column_positions() {
                values.remove(at);
            }
            keys.push(values);
        }
        insert_rows(&c, "keys", &old_key_columns(), &keys).await?;
        for v in &f.versions {
            insert_version(&c, &g, v, false).await?;
        }
        let aliases = f.aliases.iter().map(|a| alias_values(&g, a)).collect::<StoreResult<Vec<_>>>()?;
        insert_rows(&c, "aliases", ALIAS_COLUMNS, &aliases).await?;
        let grants = f.grants.iter().map(|r| grant_values(&g, r)).collect::<StoreResult<Vec<_>>>()?;
        insert_rows(&c, "grants", GRANT_COLUMNS, &grants).await?;
        let destroyed: Vec<RowValues> = f.destroyed.iter().map(destroyed_values).collect();
        insert_rows(&c, "destroyed_keys", DESTROYED_COLUMNS, &destroyed).await?;
    }

    let store = PostgresStore::connect(&url).await?;
    assert_eq!(store.protect_rows(Arc::new(RowGuard::for_tests())).await?, 0, "nothing left to seal");
    check_upgraded(&store, &f).await?;

    let c = store.client().await?;
    let version: i64 = c.query_one("SELECT MAX(version) FROM schema_migrations", &[]).await?.try_get(0)?;
    assert_eq!(version, MIGRATIONS.len() as i64);
    // The primary keys and the one foreign key left on keys: an alias's
    // (target, region).
    let constraint = async |table: &str, kind: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let rows = c
            .query(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
                 WHERE conrelid = $1::text::regclass AND contype::text = $2 ORDER BY conname",
                &[&table, &kind],
            )
            .await?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    };
    assert_eq!(constraint("keys", "p").await?, ["PRIMARY KEY (id, region)"]);
    assert_eq!(constraint("destroyed_keys", "p").await?, ["PRIMARY KEY (id, region)"]);
    assert_eq!(constraint("aliases", "f").await?, ["FOREIGN KEY (target, region) REFERENCES keys(id, region)"]);
    assert!(constraint("key_versions", "f").await?.is_empty());
    assert!(constraint("grants", "f").await?.is_empty());
    Ok(())
}
