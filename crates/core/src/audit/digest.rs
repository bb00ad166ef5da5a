//! Digest files: the audit checkpoints, also written outside the database
//! (CloudTrail's digest files are the model), so that verification does not
//! trust only the database it checks.
//!
//! One JSON file per numbered checkpoint, `<number, 10 digits>.json`, in a
//! directory that can live on other storage (`audit_digest_dir`): chain 0's
//! in the directory itself, another chain's in its subdirectory
//! `chain-<number>` (a PostgreSQL deployment has a chain per node). Each holds
//! what the checkpoint signs and its Ed25519 signature under the key derived
//! from the root key; whoever edits the trail, recomputes its hashes and
//! deletes the checkpoints in the database still leaves these files saying
//! what the trail was. A file is written after its checkpoint is stored;
//! failing to write it is logged, not fatal (the checkpoint in
//! the database still stands).

use super::{AuditCheckpoint, Hash};
use std::path::{Path, PathBuf};

/// A digest file's content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DigestFile {
    /// The format: 1.
    digest_version: u32,
    /// The chain (absent for chain 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    chain: u32,
    /// The checkpoint's number.
    number: u64,
    /// The last record it covers.
    seq: u64,
    /// That record's chain hash (hex).
    hash: String,
    /// When signed, epoch milliseconds.
    created_at: i64,
    /// The digest of the checkpoint before it (hex; zeros for number 1).
    previous_digest: String,
    /// Ed25519 signature (hex).
    signature: String,
    /// The key that signed it (raw Ed25519, hex): informative; verification
    /// uses the key the seal derives, never this one.
    public_key: String,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// The directory of chain `chain`'s digest files within `dir`.
pub fn chain_dir(dir: &Path, chain: u32) -> PathBuf {
    if chain == 0 {
        dir.to_owned()
    } else {
        dir.join(format!("chain-{chain}"))
    }
}

/// The file name of checkpoint `number`.
pub fn file_name(number: u64) -> String {
    format!("{number:010}.json")
}

/// Writes checkpoint `cp` (numbered) into its chain's directory in `dir`,
/// creating it: a temporary file, synced, renamed into place.
pub fn write(dir: &Path, cp: &AuditCheckpoint, public_key: &[u8]) -> std::io::Result<PathBuf> {
    let dir = &chain_dir(dir, cp.chain);
    let (Some(number), Some(prev)) = (cp.number, cp.prev) else {
        return Err(std::io::Error::other("an unnumbered checkpoint has no digest file"));
    };
    let file = DigestFile {
        digest_version: 1,
        chain: cp.chain,
        number,
        seq: cp.seq,
        hash: hex::encode(cp.hash),
        created_at: cp.created_at,
        previous_digest: hex::encode(prev),
        signature: hex::encode(&cp.signature),
        public_key: hex::encode(public_key),
    };
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file_name(number));
    let tmp = dir.join(format!(".{}.tmp", file_name(number)));
    let body = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&body)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

/// Retention: deletes chain `chain`'s digest files numbered below `below`
/// in `dir` (their checkpoints and records are gone; the file of `below`,
/// the anchor the rest of the chain verifies from, stays). Returns how many
/// it deleted.
pub fn prune(dir: &Path, chain: u32, below: u64) -> std::io::Result<u64> {
    let dir = chain_dir(dir, chain);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let number = name.strip_suffix(".json").filter(|n| n.len() == 10).and_then(|n| n.parse::<u64>().ok());
        if number.is_some_and(|n| n < below && name == file_name(n)) {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    if removed > 0 {
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
    }
    Ok(removed)
}

/// Every digest file in `dir` and its chains' subdirectories, as
/// checkpoints in chain and number order. A file that does not parse, or
/// that holds another chain's checkpoint than its directory's, is an error
/// naming it (a damaged anchor is not skipped).
pub fn read_dir(dir: &Path) -> Result<Vec<AuditCheckpoint>, String> {
    let mut out = Vec::new();
    read_chain_dir(dir, 0, &mut out)?;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(chain) = name.strip_prefix("chain-").and_then(|c| c.parse::<u32>().ok()) {
            if chain > 0 && path.is_dir() && name == format!("chain-{chain}") {
                read_chain_dir(&path, chain, &mut out)?;
            }
        }
    }
    out.sort_by_key(|c| (c.chain, c.number));
    Ok(out)
}

/// The digest files of chain `chain`, in its directory `dir`, onto `out`.
fn read_chain_dir(dir: &Path, chain: u32, out: &mut Vec<AuditCheckpoint>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let bad = |why: String| format!("digest file {}: {why}", path.display());
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let cp = parse(name, &bytes).map_err(bad)?;
        if cp.chain != chain {
            return Err(bad(format!("it holds a checkpoint of chain {}", cp.chain)));
        }
        out.push(cp);
    }
    Ok(())
}

/// The checkpoint in digest file `name` whose content is `bytes`; why not.
/// Files come from storage outside Trent's control: this is a fuzz target
/// (`fuzz/fuzz_targets/digest_files.rs`).
pub fn parse(name: &str, bytes: &[u8]) -> Result<AuditCheckpoint, String> {
    let f: DigestFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if name != file_name(f.number) {
        return Err(format!("it holds checkpoint {}", f.number));
    }
    let hash = |s: &str, what: &str| -> Result<Hash, String> {
        hex::decode(s).ok().and_then(|v| Hash::try_from(v).ok()).ok_or_else(|| format!("bad {what}"))
    };
    Ok(AuditCheckpoint {
        chain: f.chain,
        seq: f.seq,
        hash: hash(&f.hash, "hash")?,
        created_at: f.created_at,
        signature: hex::decode(&f.signature).map_err(|_| "bad signature".to_owned())?,
        number: Some(f.number),
        prev: Some(hash(&f.previous_digest, "previousDigest")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_crypto::audit::CheckpointSigner;
    use trent_crypto::hierarchy::RootKey;
    use trent_crypto::{AwsLcProvider, SecretKey};

    #[test]
    fn digest_files_round_trip_in_number_order() {
        let p = AwsLcProvider::new();
        let s = CheckpointSigner::derive(&p, &RootKey::new(SecretKey::from_bytes([7; 32]))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let one = AuditCheckpoint::signed(&s, 0, None, 3, [1; 32], 10);
        let two = AuditCheckpoint::signed(&s, 0, Some(&one), 9, [2; 32], 20);
        let other = AuditCheckpoint::signed(&s, 4, None, 2, [3; 32], 15);
        write(dir.path(), &two, &s.public_key()).unwrap();
        write(dir.path(), &other, &s.public_key()).unwrap();
        write(dir.path(), &one, &s.public_key()).unwrap();
        assert!(dir.path().join("chain-4").join(file_name(1)).exists());
        std::fs::write(dir.path().join("README"), "not a digest").unwrap();
        let read = read_dir(dir.path()).unwrap();
        assert_eq!(read, vec![one.clone(), two, other.clone()]);
        assert!(read.iter().all(|c| c.verifies(&s.public_key())));
        // A chain's file moved into another chain's directory is refused.
        std::fs::create_dir(dir.path().join("chain-5")).unwrap();
        std::fs::copy(dir.path().join("chain-4").join(file_name(1)), dir.path().join("chain-5").join(file_name(1)))
            .unwrap();
        assert!(read_dir(dir.path()).unwrap_err().contains("holds a checkpoint of chain 4"));
        std::fs::remove_dir_all(dir.path().join("chain-5")).unwrap();
        // Retention removes a chain's files below the anchor, and no other.
        assert_eq!(prune(dir.path(), 0, 2).unwrap(), 1);
        assert_eq!(
            read_dir(dir.path()).unwrap().iter().map(|c| (c.chain, c.number)).collect::<Vec<_>>(),
            [(0, Some(2)), (4, Some(1))]
        );
        assert!(dir.path().join("README").exists());
        assert_eq!(prune(&dir.path().join("absent"), 0, 9).unwrap(), 0);
        write(dir.path(), &one, &s.public_key()).unwrap();
        // A damaged file is an error, not skipped.
        std::fs::write(dir.path().join(file_name(5)), "{").unwrap();
        assert!(read_dir(dir.path()).unwrap_err().contains("0000000005.json"));
        // A file renamed to another number is refused.
        std::fs::remove_file(dir.path().join(file_name(5))).unwrap();
        std::fs::rename(dir.path().join(file_name(1)), dir.path().join(file_name(7))).unwrap();
        assert!(read_dir(dir.path()).unwrap_err().contains("holds checkpoint 1"));
    }
}
