//! The Trent KMS: one async method per KMS operation, taking the
//! authenticated caller.
//!
//! # Layout
//! - [`Kms`] (in `kms.rs`): the facade, its construction from a store, a
//!   crypto provider, a clock and a seal, key resolution and authentication
//!   support for the server.
//! - `ops/`: the operations, one file per family: `keys.rs` (CreateKey,
//!   DescribeKey, ListKeys, EnableKey, DisableKey), `crypto.rs` (Encrypt,
//!   Decrypt, ReEncrypt, GenerateDataKey*), `data_key_pair.rs`,
//!   `signing.rs` (Sign, Verify, GetPublicKey), `mac.rs`, `agreement.rs`
//!   (DeriveSharedSecret, Encapsulate, Decapsulate), `aliases.rs`,
//!   `random.rs`, `metadata.rs` (description, tags), `rotation.rs`
//!   (automatic and on-demand rotation), `import.rs` (imported key
//!   material), `lifecycle.rs` (scheduled deletion and the scheduler's jobs,
//!   [`Kms::run_due_jobs`]), `key_policy.rs`, `grants.rs`, `users.rs` (IAM
//!   users, their policies and access keys), `roles.rs` (IAM roles), `oidc.rs` (IAM's OpenID
//!   Connect providers), `audit.rs` (LookupEvents,
//!   GetKeyLastUsage, the operator's trail reads).
//! - [`sts`]: temporary credentials (AssumeRole, GetSessionToken) and the
//!   stateless session tokens they carry.
//! - `authz.rs`: authorization of every call (key policies, identity
//!   policies, grants), over [`policy`] (the AWS policy language).
//! - [`caller`]: the authenticated caller and its call's audit event.
//! - [`model`]: what is stored: keys, key versions, aliases, grants,
//!   accounts, users, access keys, domain keys. Key specs expose
//!   capabilities.
//! - [`store`]: the [`Store`] trait. `memory` (feature `test-util`, never
//!   in a release build): an in-memory store for tests.
//! - [`keyring`]: the unwrapped root and domain keys, and a bounded cache of
//!   unwrapped backing keys.
//! - [`audit`]: CloudTrail-format events, the hash-chained trail, group
//!   commit ([`audit::Auditor`]) and verification.
//! - [`backup`]: encrypted backups of a whole deployment and their restore.
//! - [`clock`]: injected time.
//! - [`error`]: [`KmsError`], each variant a KMS error code.
//!
//! Which operations exist, their IAM actions and their audit facts come
//! from one table, [`trent_api::operation`].
//!
//! Authorization lives here, not in the server: every operation authorizes
//! the caller before it touches a key, and the server only authenticates.

pub mod audit;
mod authz;
pub mod backup;
pub mod caller;
pub mod clock;
pub mod error;
pub mod hsm;
pub mod integrity;
pub mod keyring;
mod kms;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
pub mod model;
pub mod oidc;
mod ops;
pub mod peers;
pub mod policy;
pub mod store;
pub mod sts;

pub use caller::Caller;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::KmsError;
pub use kms::{Authenticated, BootstrapCredentials, BootstrapSpec, Kms, KmsOptions};
pub use ops::{
    AccessKeyLastUsed, CreatedAccessKey, CreatedUser, EntityKind, Finish, GotUser, JobReport, NewOidcProvider,
    NewPolicy, NewRole, PolicyEntities, PolicyFilter, PolicyView, PreparedRoot, RootRotation, UsageQuery, UsageReport,
};
pub use store::{Store, StoreError};
