//! The Trent KMS: one async method per KMS operation, taking the
//! authenticated caller.
//!
//! # Layout
//! - [`Kms`] (in `kms.rs`): the facade, its construction from a store, a
//!   crypto provider, a clock and a seal, key resolution and authentication
//!   support for the server.
//! - `ops/`: the operations, one file per family: `keys.rs` (CreateKey,
//!   DescribeKey, ListKeys, EnableKey, DisableKey), `crypto.rs` (Encrypt,
//!   Decrypt, ReEncrypt, GenerateDataKey*), `aliases.rs`, `random.rs`,
//!   `metadata.rs` (description, tags), `rotation.rs` (automatic and
//!   on-demand rotation), `lifecycle.rs` (scheduled deletion and the
//!   scheduler's jobs, [`Kms::run_due_jobs`]).
//! - [`model`]: what is stored: keys, key versions, aliases, accounts, access
//!   keys, domain keys. Key specs expose capabilities.
//! - [`store`]: the [`Store`] trait; [`memory`]: an in-memory store for tests.
//! - [`keyring`]: the unwrapped root and domain keys, and a bounded cache of
//!   unwrapped backing keys.
//! - [`audit`]: CloudTrail-format events, the hash-chained trail, group
//!   commit ([`audit::Auditor`]) and verification.
//! - [`backup`]: encrypted backups of a whole deployment and their restore.
//! - [`clock`]: injected time.
//! - [`error`]: [`KmsError`], each variant a KMS error code.
//!
//! Authorization lives here, not in the server: every operation checks that
//! the caller may use the key. Until key policies are evaluated, only
//! principals of the key's own account may use it, and keys are invisible
//! from other accounts and regions.

pub mod audit;
mod authz;
pub mod backup;
pub mod caller;
pub mod clock;
pub mod error;
pub mod keyring;
mod kms;
pub mod memory;
pub mod model;
mod ops;
pub mod policy;
pub mod store;

pub use caller::Caller;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::KmsError;
pub use kms::{Authenticated, BootstrapCredentials, BootstrapSpec, Kms, KmsOptions};
pub use ops::{CreatedAccessKey, CreatedUser, JobReport};
pub use store::{Store, StoreError};
