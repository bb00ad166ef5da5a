//! The key hierarchy: root key → domain keys → backing keys and other
//! secrets at rest.
//!
//! Every wrapped value has one format:
//!
//! ```text
//! version (1 byte, = 1) | wrapping key id (u32, big endian) | IV (12) | ciphertext || tag (16)
//! ```
//!
//! The AAD is the purpose label, each context field length-prefixed, and the
//! 17-byte header. A backing key's context is its key ARN and key material id,
//! so a wrapped key copied onto another key's row, or onto another version,
//! fails to unwrap.

use crate::provider::{CryptoProvider, GCM_IV_LEN};
use crate::{CryptoError, SecretBytes, SecretKey};

const WRAP_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + GCM_IV_LEN;

/// What a wrapped secret is; part of the AAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A domain key under the root key.
    DomainKey,
    /// A KMS key's backing key (one per key version) under a domain key.
    BackingKey,
    /// The private (or HMAC) material of a non-symmetric KMS key version,
    /// in its storage form (see [`crate::asymmetric::KeyKind`]), under a
    /// domain key.
    PrivateKey,
    /// A secret access key under a domain key.
    AccessKeySecret,
    /// An import token (wrapping private key and its terms) under a domain
    /// key.
    ImportToken,
    /// The claims of an STS session token (its secret among them) under a
    /// domain key, bound to the session's access key id.
    SessionToken,
    /// A custom key store's token PIN (`KeyStorePassword`) under a domain
    /// key, bound to the key store's id.
    KeyStorePassword,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::DomainKey => b"trent/v1/domain-key",
            Purpose::BackingKey => b"trent/v1/backing-key",
            Purpose::PrivateKey => b"trent/v1/private-key",
            Purpose::AccessKeySecret => b"trent/v1/access-key-secret",
            Purpose::ImportToken => b"trent/v1/import-token",
            Purpose::SessionToken => b"trent/v1/session-token",
            Purpose::KeyStorePassword => b"trent/v1/key-store-password",
        }
    }
}

fn aad(purpose: Purpose, context: &[&[u8]], header: &[u8]) -> Vec<u8> {
    let mut a = Vec::with_capacity(64 + header.len());
    a.extend_from_slice(purpose.label());
    for part in context {
        // Lengths make the encoding injective: ("ab","c") differs from ("a","bc").
        a.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        a.extend_from_slice(part);
    }
    a.extend_from_slice(header);
    a
}

/// Wraps `secret` under `kek` (whose id is `kek_id`).
pub fn wrap(
    provider: &dyn CryptoProvider,
    kek: &SecretKey,
    kek_id: u32,
    purpose: Purpose,
    context: &[&[u8]],
    secret: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut iv = [0u8; GCM_IV_LEN];
    provider.fill_random(&mut iv)?;
    let mut out = Vec::with_capacity(HEADER_LEN + secret.len() + 16);
    out.push(WRAP_VERSION);
    out.extend_from_slice(&kek_id.to_be_bytes());
    out.extend_from_slice(&iv);
    let ct = provider.aes256gcm_seal(kek, &iv, &aad(purpose, context, &out), secret)?;
    out.extend_from_slice(&ct);
    Ok(out)
}

/// The id of the key that wrapped `wrapped`.
pub fn wrapping_key_id(wrapped: &[u8]) -> Result<u32, CryptoError> {
    if wrapped.len() < HEADER_LEN + 16 || wrapped[0] != WRAP_VERSION {
        return Err(CryptoError::Malformed("wrapped key"));
    }
    let mut id = [0u8; 4];
    id.copy_from_slice(&wrapped[1..5]);
    Ok(u32::from_be_bytes(id))
}

/// Unwraps a value made by [`wrap`] with the same purpose and context.
pub fn unwrap(
    provider: &dyn CryptoProvider,
    kek: &SecretKey,
    purpose: Purpose,
    context: &[&[u8]],
    wrapped: &[u8],
) -> Result<SecretBytes, CryptoError> {
    wrapping_key_id(wrapped)?;
    let (header, body) = wrapped.split_at(HEADER_LEN);
    let mut iv = [0u8; GCM_IV_LEN];
    iv.copy_from_slice(&header[5..]);
    provider.aes256gcm_open(kek, &iv, &aad(purpose, context, header), body)
}

/// Unwraps a 256-bit key.
pub fn unwrap_key(
    provider: &dyn CryptoProvider,
    kek: &SecretKey,
    purpose: Purpose,
    context: &[&[u8]],
    wrapped: &[u8],
) -> Result<SecretKey, CryptoError> {
    let bytes = unwrap(provider, kek, purpose, context, wrapped)?;
    SecretKey::from_slice(bytes.expose()).ok_or(CryptoError::Malformed("wrapped key length"))
}

/// The root key, from a seal. Wraps domain keys only.
pub struct RootKey(SecretKey);

/// Id under which the root key wraps (there is one root key per deployment;
/// a new seal re-wraps domain keys).
pub const ROOT_KEY_ID: u32 = 0;

impl RootKey {
    /// Wraps raw root key bytes.
    pub fn new(key: SecretKey) -> Self {
        RootKey(key)
    }

    /// A key derived from the root key for one purpose (HKDF-SHA256 with
    /// `label` as info), for keys every node must hold without storing them.
    pub fn derive_key(&self, p: &dyn CryptoProvider, label: &[u8]) -> Result<SecretKey, CryptoError> {
        p.hkdf_sha256(&self.0, b"trent/v1/root-derived", label)
    }

    /// Wraps a domain key for storage.
    pub fn wrap_domain_key(&self, p: &dyn CryptoProvider, dk: &DomainKey) -> Result<Vec<u8>, CryptoError> {
        let id = dk.id.to_be_bytes();
        wrap(p, &self.0, ROOT_KEY_ID, Purpose::DomainKey, &[&id], dk.key.expose())
    }

    /// Unwraps a stored domain key. Fails with [`CryptoError::Authentication`]
    /// when this root key is not the one that wrapped it (wrong seal).
    pub fn unwrap_domain_key(&self, p: &dyn CryptoProvider, id: u32, wrapped: &[u8]) -> Result<DomainKey, CryptoError> {
        let key = unwrap_key(p, &self.0, Purpose::DomainKey, &[&id.to_be_bytes()], wrapped)?;
        Ok(DomainKey { id, key })
    }
}

/// A domain key: wraps backing keys and other secrets at rest.
pub struct DomainKey {
    id: u32,
    key: SecretKey,
}

impl DomainKey {
    /// A fresh random domain key.
    pub fn generate(p: &dyn CryptoProvider, id: u32) -> Result<Self, CryptoError> {
        Ok(DomainKey { id, key: p.generate_key()? })
    }

    /// Its id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Wraps a secret for storage.
    pub fn wrap(
        &self,
        p: &dyn CryptoProvider,
        purpose: Purpose,
        context: &[&[u8]],
        secret: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        wrap(p, &self.key, self.id, purpose, context, secret)
    }

    /// Unwraps a secret made by [`DomainKey::wrap`].
    pub fn unwrap(
        &self,
        p: &dyn CryptoProvider,
        purpose: Purpose,
        context: &[&[u8]],
        wrapped: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        unwrap(p, &self.key, purpose, context, wrapped)
    }

    /// Wraps a backing key bound to its key ARN and key material id.
    pub fn wrap_backing_key(
        &self,
        p: &dyn CryptoProvider,
        key_arn: &str,
        material_id: &[u8],
        bk: &SecretKey,
    ) -> Result<Vec<u8>, CryptoError> {
        self.wrap(p, Purpose::BackingKey, &[key_arn.as_bytes(), material_id], bk.expose())
    }

    /// Unwraps a backing key bound to its key ARN and key material id.
    pub fn unwrap_backing_key(
        &self,
        p: &dyn CryptoProvider,
        key_arn: &str,
        material_id: &[u8],
        wrapped: &[u8],
    ) -> Result<SecretKey, CryptoError> {
        unwrap_key(p, &self.key, Purpose::BackingKey, &[key_arn.as_bytes(), material_id], wrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AwsLcProvider;

    #[test]
    fn layers_bind_their_context() {
        let p = AwsLcProvider::new();
        let root = RootKey::new(p.generate_key().unwrap());
        let dk = DomainKey::generate(&p, 1).unwrap();
        let wdk = root.wrap_domain_key(&p, &dk).unwrap();
        assert_eq!(wrapping_key_id(&wdk).unwrap(), ROOT_KEY_ID);
        let dk2 = root.unwrap_domain_key(&p, 1, &wdk).unwrap();
        assert!(root.unwrap_domain_key(&p, 2, &wdk).is_err(), "domain key id is bound");
        let other_root = RootKey::new(p.generate_key().unwrap());
        assert!(other_root.unwrap_domain_key(&p, 1, &wdk).is_err(), "wrong seal fails");

        let bk = p.generate_key().unwrap();
        let w = dk.wrap_backing_key(&p, "arn:a", b"m1", &bk).unwrap();
        assert_eq!(wrapping_key_id(&w).unwrap(), 1);
        let got = dk2.unwrap_backing_key(&p, "arn:a", b"m1", &w).unwrap();
        assert_eq!(got.expose(), bk.expose());
        assert!(dk2.unwrap_backing_key(&p, "arn:b", b"m1", &w).is_err());
        assert!(dk2.unwrap_backing_key(&p, "arn:a", b"m2", &w).is_err());
        assert!(dk2.unwrap_backing_key(&p, "arn:am", b"1", &w).is_err(), "length-prefixed context");
        for i in 0..w.len() {
            let mut bad = w.clone();
            bad[i] ^= 0x80;
            assert!(dk2.unwrap_backing_key(&p, "arn:a", b"m1", &bad).is_err(), "bit flip at {i}");
        }
        assert!(dk2.unwrap(&p, Purpose::AccessKeySecret, &[b"arn:a", b"m1"], &w).is_err(), "purpose is bound");
    }
}
