//! The audit trail: one CloudTrail-format event per call, hash-chained in
//! the store, written with group commit, fail-closed.
//!
//! - [`EventDraft`] describes a call as the server saw it; [`EventDraft::entry`]
//!   renders it as a CloudTrail record (`eventVersion` 1.11,
//!   `eventSource` `kms.amazonaws.com`) with request parameters and response
//!   elements taken from the wire JSON through an allow-list of members
//!   ([`REQUEST_MEMBERS`], and each operation's `audit_response` in
//!   [`trent_api::operation`]), so a member nobody has
//!   classified (a new plaintext-bearing field, say) stays out.
//! - [`Auditor`] appends entries with group commit: concurrent callers'
//!   entries go to the store in one transaction, and each caller returns only
//!   once its entry is durable. If the append fails, every caller of that
//!   batch gets the error and its request fails.
//! - The store keeps the trail as a log that appends write alone, and builds
//!   the lookup indexes from it in batches off the request path
//!   ([`crate::store::Store::index_audit`], every [`INDEX_INTERVAL`]); a
//!   lookup reads the not-yet-indexed records from the log itself.
//! - [`verify_chain`] walks the stored trail and reports the first record
//!   that was edited, removed, reordered or inserted, and checks the signed
//!   checkpoints ([`trent_crypto::audit`]).
//!
//! Layout: this file holds the stored shapes (entry, record, checkpoint)
//! and [`chain`]; `event.rs` renders calls and service events as CloudTrail
//! records, `members.rs` chooses and bounds the members they keep,
//! `lookup.rs` is what LookupEvents selects, `usage.rs` what a usage
//! report counts, `commit.rs` the group-committing
//! [`Auditor`], `verify.rs` the chain's verification.

use crate::store::{Store, StoreResult};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;
use trent_api::{Api, Operation};
use trent_crypto::audit::{chain_genesis, chain_hash, verify_checkpoint, GENESIS, HASH_LEN};

/// A chain hash.
pub type Hash = [u8; HASH_LEN];

/// How often the server's indexer builds the lookup indexes of the records
/// appended meanwhile ([`crate::Kms::index_audit`]): an append writes the
/// log alone, and a lookup reads the records not yet indexed, at most about
/// this long's worth of appends, from the log itself. Short, so that each
/// pass has little to index and holds the SQLite writer briefly.
pub const INDEX_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// An event ready to append: the CloudTrail record and the fields the
/// store indexes for lookups.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// `eventID`.
    pub event_id: String,
    /// `eventTime`, in milliseconds since the epoch.
    pub event_time: i64,
    /// `eventName` (the operation).
    pub event_name: String,
    /// `recipientAccountId`: the account whose trail holds the event; `None`
    /// for calls no account could be established for (bad signature).
    pub account: Option<String>,
    /// The `Username` lookup attribute (`root`, a user or session name).
    pub username: Option<String>,
    /// The access key that signed the call.
    pub access_key_id: Option<String>,
    /// `readOnly`.
    pub read_only: bool,
    /// ARNs of `resources`.
    pub resources: Vec<String>,
    /// The CloudTrail record, JSON, exactly as hashed.
    pub record: String,
}

/// A stored event with its place in the store's order and in its chain.
///
/// A trail is one or more hash chains: one per writer (a node of a
/// PostgreSQL deployment appends to a chain of its own, so that nodes never
/// wait on each other's appends); SQLite and the memory store have one
/// writer and chain 0 alone, where `position` equals `seq`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "StoredRecord")]
pub struct AuditRecord {
    /// The record's place in the store's order (LookupEvents, export):
    /// unique across chains, increasing with the append on each chain.
    pub seq: u64,
    /// The chain that holds it (0 for a single-writer store).
    pub chain: u32,
    /// Position in its chain, from 1, without gaps.
    pub position: u64,
    /// Hash of the previous record of its chain
    /// ([`trent_crypto::audit::chain_genesis`] for the first).
    pub prev_hash: Hash,
    /// `chain_hash(prev_hash, position, record)`.
    pub hash: Hash,
    /// The event.
    pub entry: AuditEntry,
}

/// [`AuditRecord`] as backups store it: those written before there were
/// several chains have neither `chain` nor `position` (chain 0, where the
/// position is the seq).
#[derive(serde::Deserialize)]
struct StoredRecord {
    seq: u64,
    #[serde(default)]
    chain: u32,
    #[serde(default)]
    position: Option<u64>,
    prev_hash: Hash,
    hash: Hash,
    entry: AuditEntry,
}

impl From<StoredRecord> for AuditRecord {
    fn from(r: StoredRecord) -> Self {
        let position = r.position.unwrap_or(r.seq);
        AuditRecord { seq: r.seq, chain: r.chain, position, prev_hash: r.prev_hash, hash: r.hash, entry: r.entry }
    }
}

/// A signed statement that record `seq` (its position) of chain `chain`
/// had hash `hash`.
///
/// Each chain's checkpoints are numbered from 1, and each signs the digest
/// of the one before it ([`trent_crypto::audit::checkpoint_digest`]), so one removed
/// from the sequence shows. They are stored with the trail and also written
/// as digest files outside it ([`digest`]). Checkpoints signed before
/// numbering have no number (and an unnumbered signature).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditCheckpoint {
    /// The chain.
    #[serde(default)]
    pub chain: u32,
    /// The record's position in the chain.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
    /// When signed (ms).
    pub created_at: i64,
    /// Ed25519 signature ([`trent_crypto::audit::CheckpointSigner`]).
    pub signature: Vec<u8>,
    /// Its place in the sequence of checkpoints, from 1.
    #[serde(default)]
    pub number: Option<u64>,
    /// The digest of checkpoint `number - 1` (zeros for number 1).
    #[serde(default)]
    pub prev: Option<Hash>,
}

impl AuditCheckpoint {
    /// A numbered checkpoint of chain `chain` following `prev` (`None`:
    /// the chain's first), signed. The signature need not name the chain:
    /// `hash` is of that chain alone ([`trent_crypto::audit::chain_genesis`]).
    pub fn signed(
        signer: &trent_crypto::audit::CheckpointSigner,
        chain: u32,
        prev: Option<&AuditCheckpoint>,
        seq: u64,
        hash: Hash,
        created_at: i64,
    ) -> Self {
        let (number, prev) = match prev.and_then(|p| p.number.map(|n| (n + 1, p.digest()))) {
            Some(link) => link,
            None => (1, GENESIS),
        };
        let signature = signer.sign_numbered(number, &prev, seq, &hash, created_at);
        AuditCheckpoint { chain, seq, hash, created_at, signature, number: Some(number), prev: Some(prev) }
    }

    /// What the next checkpoint signs of this one.
    pub fn digest(&self) -> Hash {
        trent_crypto::audit::checkpoint_digest(&self.signature)
    }

    /// Whether its signature verifies under `public_key`.
    pub fn verifies(&self, public_key: &[u8]) -> bool {
        match (self.number, &self.prev) {
            (Some(n), Some(prev)) => trent_crypto::audit::verify_numbered_checkpoint(
                public_key,
                n,
                prev,
                self.seq,
                &self.hash,
                self.created_at,
                &self.signature,
            ),
            (None, None) => verify_checkpoint(public_key, self.seq, &self.hash, self.created_at, &self.signature),
            _ => false,
        }
    }
}

/// Chains `entries` after `head` (the last stored record's seq and hash)
/// on chain 0, a record's seq its position: what a single-writer store
/// does inside its append transaction.
pub fn chain(head: Option<(u64, Hash)>, entries: &[AuditEntry]) -> Vec<AuditRecord> {
    chain_owned(head, entries.to_vec())
}

/// [`chain`] of entries the caller owns: they move into their records
/// (no copy of each event's record).
pub fn chain_owned(head: Option<(u64, Hash)>, entries: Vec<AuditEntry>) -> Vec<AuditRecord> {
    let first = head.map_or(1, |(s, _)| s + 1);
    chain_on(0, head, entries, first..)
}

/// Chains `entries` on chain `chain` after `head` (the chain's last
/// position and hash), giving them the seqs `seqs` yields, in order.
pub fn chain_on(
    chain: u32,
    head: Option<(u64, Hash)>,
    entries: Vec<AuditEntry>,
    seqs: impl IntoIterator<Item = u64>,
) -> Vec<AuditRecord> {
    let (mut position, mut prev) = head.unwrap_or((0, chain_genesis(chain)));
    entries
        .into_iter()
        .zip(seqs)
        .map(|(entry, seq)| {
            position += 1;
            let hash = chain_hash(&prev, position, entry.record.as_bytes());
            let r = AuditRecord { seq, chain, position, prev_hash: prev, hash, entry };
            prev = hash;
            r
        })
        .collect()
}

mod commit;
pub mod digest;
mod event;
mod lookup;
mod members;
mod usage;
mod verify;
pub use commit::*;
pub use event::*;
pub use lookup::*;
pub use members::*;
pub use usage::*;
pub use verify::*;

#[cfg(test)]
mod tests;
