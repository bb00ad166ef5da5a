//! Row MACs: integrity of the stored rows that decide who may do what.
//!
//! Whoever can write the database but does not hold the seal must not be
//! able to change those rows unseen: move an access key to another
//! principal, edit a key policy, enable a disabled key. Each such row
//! carries an HMAC-SHA256 under a key derived from the root key over its
//! table name and its whole content, identity included, so a row can be
//! neither edited nor moved to another identity nor swapped with another
//! table's row. The key is never stored; every node of a deployment (same
//! seal) derives the same one.

use crate::hierarchy::RootKey;
use crate::{CryptoError, CryptoProvider};
use aws_lc_rs::hmac;

const LABEL: &[u8] = b"trent/v1/row-mac-key";
const DOMAIN: &[u8] = b"trent/v1/row";

/// Length of a row MAC.
pub const ROW_MAC_LEN: usize = 32;

/// The deployment's row-MAC key.
pub struct RowMacKey(hmac::Key);

impl RowMacKey {
    /// Derives the key from the root key.
    pub fn derive(p: &dyn CryptoProvider, root: &RootKey) -> Result<Self, CryptoError> {
        let k = root.derive_key(p, LABEL)?;
        Ok(RowMacKey(hmac::Key::new(hmac::HMAC_SHA256, k.expose())))
    }

    /// A key from raw bytes: tests, which have no seal.
    pub fn from_bytes(key: &[u8]) -> Self {
        RowMacKey(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    fn context(&self, table: &str, content: &[u8]) -> hmac::Context {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(DOMAIN);
        ctx.update(&(table.len() as u64).to_be_bytes());
        ctx.update(table.as_bytes());
        ctx.update(&(content.len() as u64).to_be_bytes());
        ctx.update(content);
        ctx
    }

    /// The MAC of a row of `table` whose canonical content is `content`.
    pub fn mac(&self, table: &str, content: &[u8]) -> [u8; ROW_MAC_LEN] {
        let mut out = [0u8; ROW_MAC_LEN];
        out.copy_from_slice(self.context(table, content).sign().as_ref());
        out
    }

    /// Whether `mac` is the MAC of that row, compared in constant time.
    pub fn verify(&self, table: &str, content: &[u8], mac: &[u8]) -> bool {
        let expected = self.context(table, content).sign();
        mac.len() == ROW_MAC_LEN && aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_ref(), mac).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AwsLcProvider, SecretKey};

    #[test]
    fn a_mac_binds_table_and_content() {
        let k = RowMacKey::from_bytes(&[7; 32]);
        let m = k.mac("keys", b"{\"id\":\"a\"}");
        assert!(k.verify("keys", b"{\"id\":\"a\"}", &m));
        assert!(!k.verify("grants", b"{\"id\":\"a\"}", &m), "the table is bound");
        assert!(!k.verify("keys", b"{\"id\":\"b\"}", &m), "the content is bound");
        assert!(!k.verify("keys", b"{\"id\":\"a\"}", &m[..31]), "a short MAC fails");
        assert!(!RowMacKey::from_bytes(&[8; 32]).verify("keys", b"{\"id\":\"a\"}", &m), "the key is bound");
        // Lengths are framed: ("ab", "c") and ("a", "bc") differ.
        assert_ne!(k.mac("ab", b"c"), k.mac("a", b"bc"));
    }

    #[test]
    fn derived_from_the_root_key() {
        let p = AwsLcProvider::new();
        let a = RowMacKey::derive(&p, &RootKey::new(SecretKey::from_bytes([1; 32]))).unwrap();
        let b = RowMacKey::derive(&p, &RootKey::new(SecretKey::from_bytes([2; 32]))).unwrap();
        assert_ne!(a.mac("t", b"x"), b.mac("t", b"x"));
    }
}
