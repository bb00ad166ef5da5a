//! Durable storage backends for Trent, implementing [`trent_core::Store`].
//!
//! - [`SqliteStore`]: the embedded default, one SQLite file in the data
//!   directory.
//!
//! The conformance suite in `tests/conformance.rs` runs the same checks
//! against every backend and against the in-memory store of `trent-core`.

pub mod sqlite;

pub use sqlite::SqliteStore;
