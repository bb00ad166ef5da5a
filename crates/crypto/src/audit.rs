//! Tamper evidence for the audit trail: the hash chain over records and the
//! signed checkpoints.
//!
//! Each record's hash covers its sequence number, the previous record's hash
//! and the record's exact bytes, so editing, removing, reordering or
//! inserting a record breaks the chain at that point. A checkpoint signs
//! (sequence number, hash, time) with an Ed25519 key derived from the root
//! key: whoever rewrites the whole chain from some point on cannot re-sign
//! the checkpoints after it without the seal, and a trail cut short before
//! the latest checkpoint shows it.

use crate::hierarchy::RootKey;
use crate::{CryptoError, CryptoProvider};
use aws_lc_rs::digest;
use aws_lc_rs::signature::{self as sig, KeyPair as _};

/// Length of a chain hash.
pub const HASH_LEN: usize = 32;
/// The `prev` hash of the first record.
pub const GENESIS: [u8; HASH_LEN] = [0; HASH_LEN];

const RECORD_DOMAIN: &[u8] = b"trent/v1/audit-record";
const CHECKPOINT_DOMAIN: &[u8] = b"trent/v1/audit-checkpoint";
const SIGNER_LABEL: &[u8] = b"trent/v1/audit-checkpoint-key";
const NUMBERED_DOMAIN: &[u8] = b"trent/v2/audit-checkpoint";
const DIGEST_DOMAIN: &[u8] = b"trent/v2/audit-checkpoint-digest";
const CHAIN_DOMAIN: &[u8] = b"trent/v2/audit-chain";

/// The hash the first record of chain `chain` follows: [`GENESIS`] for
/// chain 0 (the one chain of a single-writer trail, and every trail before
/// there were several), else a hash of the chain's number, so that no
/// record, checkpoint or whole chain verifies under another chain's number.
pub fn chain_genesis(chain: u32) -> [u8; HASH_LEN] {
    if chain == 0 {
        return GENESIS;
    }
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(CHAIN_DOMAIN);
    ctx.update(&chain.to_be_bytes());
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The hash of record `seq` whose bytes are `record`, following `prev`.
pub fn chain_hash(prev: &[u8; HASH_LEN], seq: u64, record: &[u8]) -> [u8; HASH_LEN] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(RECORD_DOMAIN);
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev);
    ctx.update(&(record.len() as u64).to_be_bytes());
    ctx.update(record);
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn checkpoint_message(seq: u64, hash: &[u8; HASH_LEN], created_at: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 8 + HASH_LEN + 8);
    m.extend_from_slice(CHECKPOINT_DOMAIN);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&created_at.to_be_bytes());
    m
}

/// What a numbered checkpoint signs: its number, the digest of the one
/// before it ([`checkpoint_digest`]; zeros for number 1), and the record it
/// covers. Each checkpoint thus signs its predecessor, so a checkpoint
/// removed from the sequence shows as a gap or a broken link.
fn numbered_message(number: u64, prev: &[u8; HASH_LEN], seq: u64, hash: &[u8; HASH_LEN], created_at: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(NUMBERED_DOMAIN.len() + 8 + HASH_LEN + 8 + HASH_LEN + 8);
    m.extend_from_slice(NUMBERED_DOMAIN);
    m.extend_from_slice(&number.to_be_bytes());
    m.extend_from_slice(prev);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&created_at.to_be_bytes());
    m
}

/// The digest of a checkpoint, which the next numbered checkpoint signs:
/// SHA-256 over its signature (which covers everything it says).
pub fn checkpoint_digest(signature: &[u8]) -> [u8; HASH_LEN] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(DIGEST_DOMAIN);
    ctx.update(signature);
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Signs checkpoints. The key is derived from the root key, so every node of
/// a deployment (same seal) signs with the same key, and the key is never
/// stored.
pub struct CheckpointSigner(sig::Ed25519KeyPair);

impl CheckpointSigner {
    /// The deployment's checkpoint key.
    pub fn derive(p: &dyn CryptoProvider, root: &RootKey) -> Result<Self, CryptoError> {
        let seed = root.derive_key(p, SIGNER_LABEL)?;
        sig::Ed25519KeyPair::from_seed_unchecked(seed.expose())
            .map(CheckpointSigner)
            .map_err(|_| CryptoError::Library("ed25519 key from seed"))
    }

    /// The raw 32-byte Ed25519 public key, to check checkpoints with.
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public_key().as_ref().to_vec()
    }

    /// Signs checkpoint (seq, hash, created_at): the unnumbered form of
    /// checkpoints signed before numbering (kept for tests of old trails).
    pub fn sign(&self, seq: u64, hash: &[u8; HASH_LEN], created_at: i64) -> Vec<u8> {
        self.0.sign(&checkpoint_message(seq, hash, created_at)).as_ref().to_vec()
    }

    /// Signs numbered checkpoint `number` following the checkpoint whose
    /// digest is `prev`, at record (seq, hash).
    pub fn sign_numbered(
        &self,
        number: u64,
        prev: &[u8; HASH_LEN],
        seq: u64,
        hash: &[u8; HASH_LEN],
        created_at: i64,
    ) -> Vec<u8> {
        self.0.sign(&numbered_message(number, prev, seq, hash, created_at)).as_ref().to_vec()
    }
}

/// Checks a numbered checkpoint's signature ([`CheckpointSigner::sign_numbered`]).
pub fn verify_numbered_checkpoint(
    public_key: &[u8],
    number: u64,
    prev: &[u8; HASH_LEN],
    seq: u64,
    hash: &[u8; HASH_LEN],
    created_at: i64,
    signature: &[u8],
) -> bool {
    sig::UnparsedPublicKey::new(&sig::ED25519, public_key)
        .verify(&numbered_message(number, prev, seq, hash, created_at), signature)
        .is_ok()
}

/// Checks a checkpoint signature against a raw Ed25519 public key.
pub fn verify_checkpoint(
    public_key: &[u8],
    seq: u64,
    hash: &[u8; HASH_LEN],
    created_at: i64,
    signature: &[u8],
) -> bool {
    sig::UnparsedPublicKey::new(&sig::ED25519, public_key)
        .verify(&checkpoint_message(seq, hash, created_at), signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AwsLcProvider, SecretKey};

    #[test]
    fn chain_hash_binds_every_input() {
        let h = chain_hash(&GENESIS, 1, b"{}");
        assert_ne!(h, chain_hash(&GENESIS, 2, b"{}"));
        assert_ne!(h, chain_hash(&[1; 32], 1, b"{}"));
        assert_ne!(h, chain_hash(&GENESIS, 1, b"{ }"));
        assert_eq!(h, chain_hash(&GENESIS, 1, b"{}"));
        assert_eq!(chain_genesis(0), GENESIS);
        assert_ne!(chain_genesis(1), GENESIS);
        assert_ne!(chain_genesis(1), chain_genesis(2));
    }

    #[test]
    fn checkpoints_verify_only_as_signed() {
        let p = AwsLcProvider::new();
        let root = RootKey::new(SecretKey::from_bytes([7; 32]));
        let s = CheckpointSigner::derive(&p, &root).unwrap();
        let again = CheckpointSigner::derive(&p, &root).unwrap();
        assert_eq!(s.public_key(), again.public_key(), "same root, same key");
        let other = CheckpointSigner::derive(&p, &RootKey::new(SecretKey::from_bytes([8; 32]))).unwrap();
        assert_ne!(s.public_key(), other.public_key());
        let h = chain_hash(&GENESIS, 1, b"x");
        let sig = s.sign(1, &h, 1000);
        assert!(verify_checkpoint(&s.public_key(), 1, &h, 1000, &sig));
        assert!(!verify_checkpoint(&s.public_key(), 2, &h, 1000, &sig));
        assert!(!verify_checkpoint(&s.public_key(), 1, &GENESIS, 1000, &sig));
        assert!(!verify_checkpoint(&s.public_key(), 1, &h, 1001, &sig));
        assert!(!verify_checkpoint(&other.public_key(), 1, &h, 1000, &sig));
    }

    #[test]
    fn numbered_checkpoints_bind_their_number_and_predecessor() {
        let p = AwsLcProvider::new();
        let s = CheckpointSigner::derive(&p, &RootKey::new(SecretKey::from_bytes([7; 32]))).unwrap();
        let (h, prev) = (chain_hash(&GENESIS, 1, b"x"), checkpoint_digest(b"earlier"));
        let sig = s.sign_numbered(2, &prev, 1, &h, 1000);
        let pk = s.public_key();
        assert!(verify_numbered_checkpoint(&pk, 2, &prev, 1, &h, 1000, &sig));
        assert!(!verify_numbered_checkpoint(&pk, 3, &prev, 1, &h, 1000, &sig), "the number is bound");
        assert!(!verify_numbered_checkpoint(&pk, 2, &GENESIS, 1, &h, 1000, &sig), "the predecessor is bound");
        assert!(!verify_numbered_checkpoint(&pk, 2, &prev, 1, &h, 1001, &sig));
        assert!(!verify_checkpoint(&pk, 1, &h, 1000, &sig), "not an unnumbered signature");
        assert_ne!(checkpoint_digest(&sig), checkpoint_digest(&s.sign_numbered(2, &prev, 1, &h, 1001)));
    }
}
