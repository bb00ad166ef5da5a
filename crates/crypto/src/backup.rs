//! Encryption of backups: AES-256-GCM in numbered chunks under a key
//! derived from the root key and a per-backup random salt.
//!
//! Each chunk's AAD binds the backup's header (by hash), the chunk's index
//! and whether it is the last, so chunks cannot be dropped, reordered,
//! repeated or moved to another backup, and a backup cut short is refused.
//! Only a deployment with the same root key (the same seal) opens a backup,
//! which is what restoring needs anyway: the key material in it is wrapped
//! under domain keys wrapped under that root key.

use crate::hierarchy::RootKey;
use crate::provider::{CryptoProvider, GCM_IV_LEN};
use crate::{CryptoError, SecretBytes, SecretKey};
use aws_lc_rs::digest;

const KEY_LABEL: &[u8] = b"trent/v1/backup-key";
const AAD_DOMAIN: &[u8] = b"trent/v1/backup-chunk";
/// Length of the per-backup salt.
pub const SALT_LEN: usize = 32;

/// The cipher of one backup.
pub struct BackupCipher {
    key: SecretKey,
    header_hash: [u8; 32],
}

impl BackupCipher {
    /// The cipher for a backup with this `salt` and `header` (the exact
    /// header bytes stored in the file).
    pub fn new(p: &dyn CryptoProvider, root: &RootKey, salt: &[u8], header: &[u8]) -> Result<Self, CryptoError> {
        let base = root.derive_key(p, KEY_LABEL)?;
        let key = p.hkdf_sha256(&base, salt, b"chunks")?;
        let mut header_hash = [0u8; 32];
        header_hash.copy_from_slice(digest::digest(&digest::SHA256, header).as_ref());
        Ok(BackupCipher { key, header_hash })
    }

    fn aad(&self, index: u64, last: bool) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 32 + 9);
        aad.extend_from_slice(AAD_DOMAIN);
        aad.extend_from_slice(&self.header_hash);
        aad.extend_from_slice(&index.to_be_bytes());
        aad.push(u8::from(last));
        aad
    }

    /// Encrypts chunk `index`: returns `iv || ciphertext || tag`.
    pub fn seal(
        &self,
        p: &dyn CryptoProvider,
        index: u64,
        last: bool,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut iv = [0u8; GCM_IV_LEN];
        p.fill_random(&mut iv)?;
        let ct = p.aes256gcm_seal(&self.key, &iv, &self.aad(index, last), plaintext)?;
        let mut out = Vec::with_capacity(GCM_IV_LEN + ct.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts chunk `index` (`iv || ciphertext || tag`);
    /// [`CryptoError::Authentication`] for a wrong key, a changed byte, or a
    /// chunk out of place.
    pub fn open(
        &self,
        p: &dyn CryptoProvider,
        index: u64,
        last: bool,
        chunk: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        if chunk.len() < GCM_IV_LEN {
            return Err(CryptoError::Malformed("backup chunk"));
        }
        let (iv, ct) = chunk.split_at(GCM_IV_LEN);
        let mut ivb = [0u8; GCM_IV_LEN];
        ivb.copy_from_slice(iv);
        p.aes256gcm_open(&self.key, &ivb, &self.aad(index, last), ct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AwsLcProvider;

    #[test]
    fn chunks_open_only_in_place() {
        let p = AwsLcProvider::new();
        let root = RootKey::new(SecretKey::from_bytes([5; 32]));
        let c = BackupCipher::new(&p, &root, &[1; 32], b"header").unwrap();
        let sealed = c.seal(&p, 0, false, b"chunk zero").unwrap();
        assert_eq!(c.open(&p, 0, false, &sealed).unwrap().expose(), b"chunk zero");
        assert!(c.open(&p, 1, false, &sealed).is_err(), "moved");
        assert!(c.open(&p, 0, true, &sealed).is_err(), "made last");
        let other_header = BackupCipher::new(&p, &root, &[1; 32], b"header2").unwrap();
        assert!(other_header.open(&p, 0, false, &sealed).is_err(), "another backup");
        let other_root =
            BackupCipher::new(&p, &RootKey::new(SecretKey::from_bytes([6; 32])), &[1; 32], b"header").unwrap();
        assert!(other_root.open(&p, 0, false, &sealed).is_err(), "another deployment");
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert!(c.open(&p, 0, false, &bad).is_err(), "a changed byte");
    }
}
