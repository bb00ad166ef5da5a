//! Durable storage backends for Trent, implementing [`trent_core::Store`].
//!
//! - [`SqliteStore`]: the embedded default, one SQLite file in the data
//!   directory.
//! - [`PostgresStore`]: the system of record of a deployment of several
//!   nodes.
//!
//! The conformance suite in `tests/conformance.rs` runs the same checks
//! against every backend and against the in-memory store of `trent-core`.

mod cache;
pub mod postgres;
pub mod postgres_tls;
mod sql;
pub mod sqlite;
#[cfg(test)]
mod upgrade_fixture;

pub use postgres::PostgresStore;
pub use sqlite::{SqliteStore, AUDIT_LOG_FILE};
