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
    /// The root seed (what the deployment's derived keys come from) under
    /// the root key: see [`RootKey`].
    RootSeed,
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
            Purpose::RootSeed => b"trent/v1/root-seed",
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
    wrap_with(provider, kek_id, purpose, context, secret, |iv, aad, secret| {
        provider.aes256gcm_seal(kek, iv, aad, secret)
    })
}

/// [`wrap`] with the AES-GCM encryption done by `seal` (iv, aad,
/// plaintext → ciphertext || tag): a key inside a token wraps in the same
/// format as a key in memory.
fn wrap_with(
    provider: &dyn CryptoProvider,
    kek_id: u32,
    purpose: Purpose,
    context: &[&[u8]],
    secret: &[u8],
    seal: impl FnOnce(&[u8; GCM_IV_LEN], &[u8], &[u8]) -> Result<Vec<u8>, CryptoError>,
) -> Result<Vec<u8>, CryptoError> {
    let mut iv = [0u8; GCM_IV_LEN];
    provider.fill_random(&mut iv)?;
    let mut out = Vec::with_capacity(HEADER_LEN + secret.len() + 16);
    out.push(WRAP_VERSION);
    out.extend_from_slice(&kek_id.to_be_bytes());
    out.extend_from_slice(&iv);
    let ct = seal(&iv, &aad(purpose, context, &out), secret)?;
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
    unwrap_with(purpose, context, wrapped, |iv, aad, body| provider.aes256gcm_open(kek, iv, aad, body))
}

/// [`unwrap`] with the AES-GCM decryption done by `open`.
fn unwrap_with(
    purpose: Purpose,
    context: &[&[u8]],
    wrapped: &[u8],
    open: impl FnOnce(&[u8; GCM_IV_LEN], &[u8], &[u8]) -> Result<SecretBytes, CryptoError>,
) -> Result<SecretBytes, CryptoError> {
    wrapping_key_id(wrapped)?;
    let (header, body) = wrapped.split_at(HEADER_LEN);
    let mut iv = [0u8; GCM_IV_LEN];
    iv.copy_from_slice(&header[5..]);
    open(&iv, &aad(purpose, context, header), body)
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

/// The root key, from a seal: what wraps the domain keys (a key in memory,
/// or a key inside a PKCS#11 token that never leaves it), and the seed the
/// deployment's derived keys come from ([`RootKey::derive_key`]: row MACs,
/// the audit checkpoint key, backups).
///
/// A deployment made under a key in memory derives from that key itself
/// until its first root rotation. Rotation keeps the derived keys (so row
/// MACs, checkpoints, digest files and backups made before it stay valid)
/// by storing the seed wrapped under the new root ([`RootKey::wrap_seed`],
/// kept as domain key [`SEED_ID`]); a deployment whose root is in a token
/// has a random seed from its start.
pub struct RootKey {
    wrapper: RootWrapper,
    seed: Option<SecretKey>,
}

enum RootWrapper {
    Key(SecretKey),
    Token(crate::pkcs11::TokenKey),
}

/// Id under which the root key wraps (there is one root key per deployment;
/// a new seal re-wraps domain keys).
pub const ROOT_KEY_ID: u32 = 0;

/// The id of the stored row that holds the root seed wrapped under the root
/// key, among the domain keys (whose ids start at 1).
pub const SEED_ID: u32 = 0;

impl RootKey {
    /// A root key in memory (key file, passphrase, Shamir shares).
    pub fn new(key: SecretKey) -> Self {
        RootKey { wrapper: RootWrapper::Key(key), seed: None }
    }

    /// A root key inside a token (the PKCS#11 seal). It has no seed until
    /// [`RootKey::with_seed`] gives it the stored one.
    pub fn in_token(key: crate::pkcs11::TokenKey) -> Self {
        RootKey { wrapper: RootWrapper::Token(key), seed: None }
    }

    /// True when it has no seed to derive keys from yet (a token root
    /// before the store's seed is read).
    pub fn needs_seed(&self) -> bool {
        self.seed.is_none() && matches!(self.wrapper, RootWrapper::Token(_))
    }

    /// Where the root key lives: `memory` or `token`.
    pub fn location(&self) -> &'static str {
        match self.wrapper {
            RootWrapper::Key(_) => "memory",
            RootWrapper::Token(_) => "token",
        }
    }

    fn derivation_key(&self) -> Result<&SecretKey, CryptoError> {
        match (&self.seed, &self.wrapper) {
            (Some(seed), _) => Ok(seed),
            (None, RootWrapper::Key(k)) => Ok(k),
            (None, RootWrapper::Token(_)) => {
                Err(CryptoError::Seal("the root key in the token has not been given its stored seed".into()))
            }
        }
    }

    /// A key derived from the root seed for one purpose (HKDF-SHA256 with
    /// `label` as info), for keys every node must hold without storing them.
    pub fn derive_key(&self, p: &dyn CryptoProvider, label: &[u8]) -> Result<SecretKey, CryptoError> {
        p.hkdf_sha256(self.derivation_key()?, b"trent/v1/root-derived", label)
    }

    fn wrap(
        &self,
        p: &dyn CryptoProvider,
        purpose: Purpose,
        context: &[&[u8]],
        secret: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match &self.wrapper {
            RootWrapper::Key(k) => wrap(p, k, ROOT_KEY_ID, purpose, context, secret),
            RootWrapper::Token(t) => wrap_with(p, ROOT_KEY_ID, purpose, context, secret, |iv, aad, pt| {
                t.encrypt_gcm(iv, aad, pt).map_err(|e| CryptoError::Seal(format!("the root key's token: {e}")))
            }),
        }
    }

    fn unwrap(
        &self,
        p: &dyn CryptoProvider,
        purpose: Purpose,
        context: &[&[u8]],
        wrapped: &[u8],
    ) -> Result<SecretKey, CryptoError> {
        let bytes = match &self.wrapper {
            RootWrapper::Key(k) => unwrap(p, k, purpose, context, wrapped)?,
            RootWrapper::Token(t) => {
                unwrap_with(purpose, context, wrapped, |iv, aad, body| match t.decrypt_gcm(iv, aad, body) {
                    Ok(pt) => Ok(SecretBytes::new(pt)),
                    Err(crate::pkcs11::HsmError::Authentication) => Err(CryptoError::Authentication),
                    Err(e) => Err(CryptoError::Seal(format!("the root key's token: {e}"))),
                })?
            }
        };
        SecretKey::from_slice(bytes.expose()).ok_or(CryptoError::Malformed("wrapped key length"))
    }

    /// Wraps a domain key for storage.
    pub fn wrap_domain_key(&self, p: &dyn CryptoProvider, dk: &DomainKey) -> Result<Vec<u8>, CryptoError> {
        self.wrap(p, Purpose::DomainKey, &[&dk.id.to_be_bytes()], dk.key.expose())
    }

    /// Unwraps a stored domain key. Fails with [`CryptoError::Authentication`]
    /// when this root key is not the one that wrapped it (wrong seal).
    pub fn unwrap_domain_key(&self, p: &dyn CryptoProvider, id: u32, wrapped: &[u8]) -> Result<DomainKey, CryptoError> {
        let key = self.unwrap(p, Purpose::DomainKey, &[&id.to_be_bytes()], wrapped)?;
        Ok(DomainKey { id, key })
    }

    /// The seed to keep when the deployment moves to another root: this
    /// root's seed, or, before the first rotation, the root key itself
    /// (what its derived keys come from). A copy, zeroized on drop.
    pub fn seed(&self) -> Result<SecretKey, CryptoError> {
        Ok(SecretKey::from_bytes(*self.derivation_key()?.expose()))
    }

    /// Wraps a seed under this root, for storage as domain key
    /// [`SEED_ID`].
    pub fn wrap_seed(&self, p: &dyn CryptoProvider, seed: &SecretKey) -> Result<Vec<u8>, CryptoError> {
        self.wrap(p, Purpose::RootSeed, &[&SEED_ID.to_be_bytes()], seed.expose())
    }

    /// This root with the seed stored wrapped under it (made by
    /// [`RootKey::wrap_seed`]); [`CryptoError::Authentication`] when this
    /// root did not wrap it.
    pub fn with_seed(self, p: &dyn CryptoProvider, wrapped: &[u8]) -> Result<RootKey, CryptoError> {
        let seed = self.unwrap(p, Purpose::RootSeed, &[&SEED_ID.to_be_bytes()], wrapped)?;
        Ok(RootKey { seed: Some(seed), ..self })
    }

    /// This root with `seed` (a new deployment's, or one kept through a
    /// rotation).
    pub fn with_given_seed(self, seed: SecretKey) -> RootKey {
        RootKey { seed: Some(seed), ..self }
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

    #[test]
    fn a_seed_carried_to_a_new_root_keeps_the_derived_keys() {
        let p = AwsLcProvider::new();
        let old = RootKey::new(SecretKey::from_bytes([1; 32]));
        let derived = old.derive_key(&p, b"rows").unwrap();
        // Before any rotation the root derives from itself.
        assert_eq!(old.seed().unwrap().expose(), &[1; 32]);
        let new = RootKey::new(SecretKey::from_bytes([2; 32]));
        let wrapped = new.wrap_seed(&p, &old.seed().unwrap()).unwrap();
        assert!(old.unwrap_domain_key(&p, SEED_ID, &wrapped).is_err(), "a seed is not a domain key");
        assert!(RootKey::new(SecretKey::from_bytes([3; 32])).with_seed(&p, &wrapped).is_err(), "wrong root");
        let new = new.with_seed(&p, &wrapped).unwrap();
        assert_eq!(new.derive_key(&p, b"rows").unwrap().expose(), derived.expose());
        assert_ne!(new.derive_key(&p, b"other").unwrap().expose(), derived.expose());
        // A second rotation carries the same seed on.
        let third = RootKey::new(SecretKey::from_bytes([4; 32]));
        let wrapped = third.wrap_seed(&p, &new.seed().unwrap()).unwrap();
        let third = third.with_seed(&p, &wrapped).unwrap();
        assert_eq!(third.derive_key(&p, b"rows").unwrap().expose(), derived.expose());
        // Domain keys wrap under the wrapping key, not the seed.
        let dk = DomainKey::generate(&p, 1).unwrap();
        let w = third.wrap_domain_key(&p, &dk).unwrap();
        assert!(RootKey::new(SecretKey::from_bytes([4; 32])).unwrap_domain_key(&p, 1, &w).is_ok());
        assert!(RootKey::new(SecretKey::from_bytes([1; 32])).unwrap_domain_key(&p, 1, &w).is_err());
    }
}
