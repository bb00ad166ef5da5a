//! Backups: one consistent [`Snapshot`] of a deployment, encrypted, and its
//! restore into an empty store (SQLite or PostgreSQL: also the way to move
//! from one to the other).
//!
//! File format (version 1):
//! `TRENTBK1` | header length (u32, big-endian) | header (JSON) | chunks,
//! each `length (u32) | iv | ciphertext | tag` ([`trent_crypto::backup`]).
//! The header says when the backup was made, its salt, what it holds, and
//! the public checkpoint key of the deployment (which names its root key
//! without revealing it, so a restore under another seal is refused before
//! anything is decrypted). The chunks hold the snapshot's JSON.
//!
//! What is inside stays as stored: key material, access-key secrets and
//! domain keys are still wrapped under the deployment's key hierarchy, so a
//! backup is restored only where the same seal opens (the same key file, or
//! the same passphrase and salt file).

use crate::integrity::RowGuard;
use crate::model::Snapshot;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use trent_crypto::audit::CheckpointSigner;
use trent_crypto::backup::{BackupCipher, SALT_LEN};
use trent_crypto::hierarchy::{RootKey, SEED_ID};
use trent_crypto::{CryptoError, CryptoProvider};

const MAGIC: &[u8; 8] = b"TRENTBK1";
/// Plaintext bytes per chunk.
const CHUNK: usize = 1 << 20;
/// Largest header accepted.
const MAX_HEADER: usize = 64 * 1024;

/// Why a backup could not be made or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The file is not a Trent backup, or is damaged or cut short.
    #[error("not a valid Trent backup: {0}")]
    Format(String),
    /// The backup is of a deployment with another root key.
    #[error("this seal does not open the backup: it was made by a deployment with another root key (use that deployment's key file, or its passphrase and seal.salt)")]
    WrongSeal,
    /// The target store already holds a deployment.
    #[error("the target store is not empty: restore into a new data directory or an empty database")]
    NotEmpty,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A crypto failure.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
}

/// How many rows of each kind a backup holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Domain keys.
    pub domain_keys: usize,
    /// Accounts.
    pub accounts: usize,
    /// Access keys.
    pub access_keys: usize,
    /// Keys.
    pub keys: usize,
    /// Key versions.
    pub versions: usize,
    /// Aliases.
    pub aliases: usize,
    /// Grants.
    pub grants: usize,
    /// Destroyed-key tombstones.
    pub destroyed: usize,
    /// Audit records.
    pub audit_records: usize,
    /// Audit checkpoints.
    pub checkpoints: usize,
}

impl Counts {
    fn of(s: &Snapshot) -> Self {
        Counts {
            domain_keys: s.domain_keys.len(),
            accounts: s.accounts.len(),
            access_keys: s.access_keys.len(),
            keys: s.keys.len(),
            versions: s.versions.len(),
            aliases: s.aliases.len(),
            grants: s.grants.len(),
            destroyed: s.destroyed.len(),
            audit_records: s.audit.len(),
            checkpoints: s.checkpoints.len(),
        }
    }
}

/// The clear header of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always `trent-backup`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// When the snapshot was taken (ms).
    pub created_at: i64,
    /// Hex salt of the backup key.
    pub salt: String,
    /// Hex Ed25519 checkpoint key of the deployment (names its root key).
    pub checkpoint_key: String,
    /// What it holds.
    pub counts: Counts,
    /// Hex of the deployment's root seed wrapped under its root key (its
    /// domain key 0), when it has one (after a root rotation, or on the
    /// PKCS#11 seal): the backup key derives from the seed, so a restore
    /// needs it before it can read the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_seed: Option<String>,
}

/// Checks that `root` unwraps every domain key of `keys` (not the seed,
/// which [`crate::keyring::load_root`] checks).
fn check_domain_keys(
    crypto: &dyn CryptoProvider,
    root: &RootKey,
    keys: &[crate::model::DomainKeyRecord],
) -> Result<(), BackupError> {
    for dk in keys.iter().filter(|dk| dk.id != SEED_ID) {
        root.unwrap_domain_key(crypto, dk.id, &dk.wrapped).map_err(|_| BackupError::WrongSeal)?;
    }
    Ok(())
}

fn seal_error(e: crate::keyring::OpenError) -> BackupError {
    match e {
        crate::keyring::OpenError::Store(e) => e.into(),
        _ => BackupError::WrongSeal,
    }
}

/// Takes a consistent snapshot of `store` and encrypts it; `root` is the
/// deployment's root key (from its seal), `now` the time to record.
pub async fn create(
    store: &dyn Store,
    crypto: &dyn CryptoProvider,
    root: RootKey,
    now: i64,
) -> Result<(Vec<u8>, Header), BackupError> {
    // Refuse to write a backup this seal could not restore (and check it
    // before its row key is used on the store).
    let root = &crate::keyring::load_root(store, crypto, root, now).await.map_err(seal_error)?;
    check_domain_keys(crypto, root, &store.domain_keys().await?)?;
    store.protect_rows(std::sync::Arc::new(RowGuard::derive(crypto, root)?)).await?;
    let snapshot = store.export().await?;
    check_domain_keys(crypto, root, &snapshot.domain_keys)?;
    let mut salt = [0u8; SALT_LEN];
    crypto.fill_random(&mut salt)?;
    let header = Header {
        format: "trent-backup".into(),
        version: 1,
        created_at: now,
        salt: hex::encode(salt),
        checkpoint_key: hex::encode(CheckpointSigner::derive(crypto, root)?.public_key()),
        counts: Counts::of(&snapshot),
        root_seed: snapshot.domain_keys.iter().find(|dk| dk.id == SEED_ID).map(|dk| hex::encode(&dk.wrapped)),
    };
    let header_bytes = serde_json::to_vec(&header).map_err(|e| BackupError::Format(e.to_string()))?;
    let body = serde_json::to_vec(&snapshot).map_err(|e| BackupError::Format(e.to_string()))?;
    let cipher = BackupCipher::new(crypto, root, &salt, &header_bytes)?;
    let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 1024);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&len_u32(header_bytes.len())?.to_be_bytes());
    out.extend_from_slice(&header_bytes);
    let chunks: Vec<&[u8]> = if body.is_empty() { vec![&[][..]] } else { body.chunks(CHUNK).collect() };
    let n = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let sealed = cipher.seal(crypto, i as u64, i + 1 == n, chunk)?;
        out.extend_from_slice(&len_u32(sealed.len())?.to_be_bytes());
        out.extend_from_slice(&sealed);
    }
    Ok((out, header))
}

fn len_u32(n: usize) -> Result<u32, BackupError> {
    u32::try_from(n).map_err(|_| BackupError::Format("a part larger than 4 GiB".into()))
}

/// Reads a backup's clear header.
pub fn header(bytes: &[u8]) -> Result<(Header, &[u8], &[u8]), BackupError> {
    let bad = |m: &str| BackupError::Format(m.to_owned());
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| bad("no TRENTBK1 signature"))?;
    let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(|| bad("cut short"))?;
    let len = u32::from_be_bytes(*len) as usize;
    if len > MAX_HEADER || rest.len() < len {
        return Err(bad("header length"));
    }
    let (header_bytes, chunks) = rest.split_at(len);
    let header: Header = serde_json::from_slice(header_bytes).map_err(|e| bad(&format!("header: {e}")))?;
    if header.format != "trent-backup" || header.version != 1 {
        return Err(bad("unknown format or version"));
    }
    Ok((header, header_bytes, chunks))
}

/// Decrypts a backup made by a deployment with root key `root`; returns
/// the root with the backup's seed too.
pub fn open(
    crypto: &dyn CryptoProvider,
    root: RootKey,
    bytes: &[u8],
) -> Result<(Header, Snapshot, RootKey), BackupError> {
    let bad = |m: &str| BackupError::Format(m.to_owned());
    let (header, header_bytes, mut rest) = header(bytes)?;
    let root = match &header.root_seed {
        Some(seed) => {
            let wrapped = hex::decode(seed).map_err(|_| bad("root seed"))?;
            root.with_seed(crypto, &wrapped).map_err(|_| BackupError::WrongSeal)?
        }
        None if root.needs_seed() => return Err(BackupError::WrongSeal),
        None => root,
    };
    if hex::encode(CheckpointSigner::derive(crypto, &root)?.public_key()) != header.checkpoint_key {
        return Err(BackupError::WrongSeal);
    }
    let salt = hex::decode(&header.salt).map_err(|_| bad("salt"))?;
    let cipher = BackupCipher::new(crypto, &root, &salt, header_bytes)?;
    let mut body = Vec::new();
    let mut index = 0u64;
    while !rest.is_empty() {
        let (len, after) = rest.split_first_chunk::<4>().ok_or_else(|| bad("cut short"))?;
        let len = u32::from_be_bytes(*len) as usize;
        if after.len() < len {
            return Err(bad("cut short"));
        }
        let (chunk, after) = after.split_at(len);
        let last = after.is_empty();
        let plain = cipher
            .open(crypto, index, last, chunk)
            .map_err(|_| bad("a chunk fails its integrity check (damaged, reordered or cut short)"))?;
        body.extend_from_slice(plain.expose());
        rest = after;
        index += 1;
    }
    if index == 0 {
        return Err(bad("no data"));
    }
    let snapshot: Snapshot = serde_json::from_slice(&body).map_err(|e| bad(&format!("contents: {e}")))?;
    if Counts::of(&snapshot) != header.counts {
        return Err(bad("contents differ from the header's counts"));
    }
    Ok((header, snapshot, root))
}

/// Restores a backup into an empty `store`, under the root key that made it.
pub async fn restore(
    store: &dyn Store,
    crypto: &dyn CryptoProvider,
    root: RootKey,
    bytes: &[u8],
) -> Result<Header, BackupError> {
    let (header, snapshot, root) = open(crypto, root, bytes)?;
    check_domain_keys(crypto, &root, &snapshot.domain_keys)?;
    store.protect_rows(std::sync::Arc::new(RowGuard::derive(crypto, &root)?)).await?;
    match store.import(&snapshot).await {
        Ok(()) => Ok(header),
        Err(StoreError::Conflict) => Err(BackupError::NotEmpty),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::InMemoryStore;
    use trent_crypto::{AwsLcProvider, SecretKey};

    /// A deployment with its first domain key, under root key 3.
    async fn deployment() -> InMemoryStore {
        let store = InMemoryStore::new();
        crate::keyring::Keyring::open(&store, std::sync::Arc::new(AwsLcProvider::new()), root(), 0, 4).await.unwrap();
        store
    }

    fn root() -> RootKey {
        RootKey::new(SecretKey::from_bytes([3; 32]))
    }

    #[tokio::test]
    async fn a_backup_restores_only_whole_and_under_its_seal() {
        let p = AwsLcProvider::new();
        let store = deployment().await;
        let (bytes, header) = create(&store, &p, root(), 42).await.unwrap();
        assert_eq!(header.counts.domain_keys, 1);
        let target = InMemoryStore::new();
        restore(&target, &p, root(), &bytes).await.unwrap();
        assert_eq!(target.export().await.unwrap(), store.export().await.unwrap());
        // Not twice into the same store.
        assert!(matches!(restore(&target, &p, root(), &bytes).await, Err(BackupError::NotEmpty)));
        // Not under another seal.
        let other = RootKey::new(SecretKey::from_bytes([4; 32]));
        assert!(matches!(restore(&InMemoryStore::new(), &p, other, &bytes).await, Err(BackupError::WrongSeal)));
        // Not damaged, cut or extended.
        for bad in [
            {
                let mut b = bytes.clone();
                let n = b.len();
                b[n - 5] ^= 1;
                b
            },
            bytes[..bytes.len() - 3].to_vec(),
            {
                let mut b = bytes.clone();
                b.extend_from_slice(&[0, 0, 0, 1, 0]);
                b
            },
            {
                let mut b = bytes.clone();
                b[20] ^= 1;
                b
            },
        ] {
            assert!(restore(&InMemoryStore::new(), &p, root(), &bad).await.is_err());
        }
    }

    /// After a root rotation the backup key derives from the seed, which
    /// the header carries wrapped under the new root: a backup made then
    /// restores under the new seal, and not under the old.
    #[tokio::test]
    async fn a_backup_after_a_root_rotation_restores_under_the_new_seal() {
        let p = AwsLcProvider::new();
        let store = deployment().await;
        let new_root = || RootKey::new(SecretKey::from_bytes([4; 32]));
        let stored = store.domain_keys().await.unwrap();
        let dk = root().unwrap_domain_key(&p, 1, &stored[0].wrapped).unwrap();
        let rewrapped = vec![
            crate::model::DomainKeyRecord {
                id: SEED_ID,
                wrapped: new_root().wrap_seed(&p, &root().seed().unwrap()).unwrap(),
                created_at: 1,
            },
            crate::model::DomainKeyRecord {
                wrapped: new_root().wrap_domain_key(&p, &dk).unwrap(),
                ..stored[0].clone()
            },
        ];
        store.replace_domain_keys(&stored, &rewrapped, &[]).await.unwrap();
        assert!(matches!(create(&store, &p, root(), 42).await, Err(BackupError::WrongSeal)));
        let (bytes, header) = create(&store, &p, new_root(), 42).await.unwrap();
        assert!(header.root_seed.is_some());
        assert_eq!(header.counts.domain_keys, 2);
        assert!(matches!(restore(&InMemoryStore::new(), &p, root(), &bytes).await, Err(BackupError::WrongSeal)));
        let target = InMemoryStore::new();
        restore(&target, &p, new_root(), &bytes).await.unwrap();
        assert_eq!(target.export().await.unwrap(), store.export().await.unwrap());
    }
}
