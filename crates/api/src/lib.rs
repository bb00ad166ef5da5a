//! AWS KMS (and IAM) wire shapes for Trent.
//!
//! # Layout
//! - [`blob`]: base64 blobs on the wire; [`blob::SensitiveBlob`] for plaintext
//!   that must be zeroized and never printed.
//! - [`cloudtrail`]: CloudTrail's LookupEvents shapes, for reading the
//!   audit trail with stock clients.
//! - [`iam`]: IAM's user operations over the Query protocol: request
//!   members, paging, the answer's XML shapes, IAM's error codes.
//! - [`query`]: AWS's Query protocol (form-encoded requests, XML answers),
//!   for any Query API ([`operation::QueryProtocol`]).
//! - [`enums`]: string enums (`KeySpec`, `KeyUsage`, …). Each keeps unknown
//!   values instead of failing to parse, because AWS answers an unknown enum
//!   value with a `ValidationException`, not a `SerializationException`.
//! - [`ids`]: identifiers and ARNs as newtypes.
//! - [`operation`]: the table of operations: one [`Operation`] per
//!   operation with its facts (wire name, IAM action, read-only, audit
//!   members, cross-account, encryption context), read by every layer.
//! - [`ops`]: one request/response pair per operation, PascalCase as on the
//!   wire.
//! - [`validate`]: the service model's constraints (lengths, ranges, enums,
//!   patterns, required members) with AWS's wording.
//! - [`error`]: the error codes (`__type` names) and their HTTP statuses.
//!
//! This crate does no I/O and knows nothing of HTTP beyond status numbers.

pub mod admin;
pub mod blob;
pub mod cloudtrail;
pub mod enums;
pub mod error;
pub mod iam;
mod iam_answers;
pub mod iam_groups;
pub mod iam_oidc;
pub mod iam_policies;
pub mod iam_roles;
pub mod ids;
pub mod operation;
pub mod ops;
pub mod query;
pub mod time;
pub mod validate;

pub use blob::{Blob, SensitiveBlob};
pub use error::ErrorCode;
pub use operation::{Api, Operation, QueryProtocol};
