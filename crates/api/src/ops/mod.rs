//! Request and response shapes, one pair per operation, as in the botocore
//! service model `kms/2014-11-01`. Required request members are `Option`
//! here because a missing member is a `ValidationException` ("Member must not
//! be null"), checked by [`crate::validate::Validate`], not a parse failure.
//!
//! One file per family: `keys.rs`, `crypto.rs` (symmetric and data keys),
//! `aliases.rs`, `access.rs` (key policies and grants), `material.rs`
//! (rotation and imported material), `asymmetric.rs` (signing, MACs, key
//! agreement, ML-KEM); everything is re-exported here.

use crate::blob::{Blob, SensitiveBlob};
use crate::enums::*;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An encryption context: string pairs, ordered by key (the canonical form).
pub type EncryptionContext = BTreeMap<String, String>;

/// A resource tag.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub tag_key: Option<String>,
    /// Tag value.
    pub tag_value: Option<String>,
}

/// Recipient information for Nitro Enclaves (not supported by Trent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecipientInfo {
    /// Algorithm.
    pub key_encryption_algorithm: Option<KeyEncryptionMechanism>,
    /// Attestation document.
    pub attestation_document: Option<Blob>,
}

macro_rules! shape {
    ($(#[$meta:meta])* request $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name { $($(#[$fmeta])* pub $field: Option<$ty>,)* }
    };
    ($(#[$meta:meta])* response $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $($(#[$fmeta])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

/// An empty output (operations that return nothing).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Empty {}

// The families, after `shape!` so that they can use it.
mod access;
mod aliases;
mod asymmetric;
mod crypto;
mod custom_key_stores;
mod keys;
mod material;

pub use access::*;
pub use aliases::*;
pub use asymmetric::*;
pub use crypto::*;
pub use custom_key_stores::*;
pub use keys::*;
pub use material::*;
