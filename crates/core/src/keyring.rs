//! Unwrapped keys in memory: the root key, the domain keys, and a bounded
//! cache of backing keys.
//!
//! Everything here lives in zeroizing types. The caches (backing keys of
//! symmetric keys; parsed private material of the others, which costs far
//! more to parse than to use) each hold at most `capacity` keys; when full a
//! cache is emptied (dropping zeroizes), which is simple and keeps memory
//! bounded. The cache is keyed by (key id, version):
//! key material of a version never changes, so entries never go stale; key
//! state is read from the store on every request, so disabling a key takes
//! effect at once whatever is cached.

use crate::error::KmsError;
use crate::model::{DomainKeyRecord, KeyRecord, KeyVersionRecord, SpecCapabilities as _};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use trent_api::ids::KeyId;
use trent_crypto::asymmetric::{KeyKind, PrivateKey};
use trent_crypto::hierarchy::{wrapping_key_id, DomainKey, Purpose, RootKey, SEED_ID};
use trent_crypto::{CryptoError, CryptoProvider, SecretBytes, SecretKey};

/// Why the keyring could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The root key does not unwrap the stored domain keys (domain key 0:
    /// the root seed).
    #[error("the seal does not open this deployment: domain key {0} fails to unwrap (wrong key file, passphrase, shares or token key? After a root rotation, the configuration must name the new seal)")]
    WrongSeal(u32),
    /// A root key in a token met a deployment made under another seal.
    #[error("this deployment was made under another seal and has no root seed: move it to the PKCS#11 seal with `trent admin rotate-root --to pkcs11`")]
    NoSeed,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A crypto failure.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// An event of opening could not be recorded.
    #[error("audit: {0}")]
    Audit(String),
}

/// The unwrapped key hierarchy.
pub struct Keyring {
    crypto: Arc<dyn CryptoProvider>,
    root: RwLock<Arc<RootKey>>,
    domain: RwLock<HashMap<u32, Arc<DomainKey>>>,
    active: u32,
    cache: Mutex<HashMap<(KeyId, u32), Arc<SecretKey>>>,
    private_cache: Mutex<HashMap<(KeyId, u32), Arc<PrivateKey>>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Inserts into a bounded cache: when full it is emptied first (dropping
/// zeroizes), which keeps memory bounded without bookkeeping. Every cache
/// keyed by (key id, version) uses it (here and [`crate::Kms`]'s version
/// records).
pub(crate) fn cache_insert<V>(cache: &Mutex<HashMap<(KeyId, u32), V>>, capacity: usize, k: (KeyId, u32), v: V) {
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= capacity {
        cache.clear();
    }
    cache.insert(k, v);
}

/// The root key with its seed: the stored seed (domain key [`SEED_ID`])
/// unwrapped under `root`; a new random one stored when a deployment on a
/// token seal starts empty. A root in memory with no stored seed derives
/// from itself ([`RootKey::derive_key`]). Every path that opens a
/// deployment's root (the server, backups, restores) goes through here
/// before it derives a key.
pub async fn load_root(
    store: &dyn Store,
    crypto: &dyn CryptoProvider,
    root: RootKey,
    now: i64,
) -> Result<RootKey, OpenError> {
    let records = store.domain_keys().await?;
    if let Some(seed) = records.iter().find(|r| r.id == SEED_ID) {
        return root.with_seed(crypto, &seed.wrapped).map_err(|_| OpenError::WrongSeal(SEED_ID));
    }
    if !root.needs_seed() {
        return Ok(root);
    }
    if !records.is_empty() {
        return Err(OpenError::NoSeed);
    }
    let seed = crypto.generate_key()?;
    let rec = DomainKeyRecord { id: SEED_ID, wrapped: root.wrap_seed(crypto, &seed)?, created_at: now };
    match store.insert_domain_key(&rec).await {
        Ok(()) => Ok(root.with_given_seed(seed)),
        // Another node stored its seed first: use theirs.
        Err(StoreError::AlreadyExists) => {
            let stored = store.domain_keys().await?;
            let seed = stored.iter().find(|r| r.id == SEED_ID).ok_or(OpenError::NoSeed)?;
            root.with_seed(crypto, &seed.wrapped).map_err(|_| OpenError::WrongSeal(SEED_ID))
        }
        Err(e) => Err(e.into()),
    }
}

impl Keyring {
    /// Loads and unwraps every domain key; creates the first one in an empty
    /// store. Fails with [`OpenError::WrongSeal`] if the root key is wrong.
    /// `root` has its seed already ([`load_root`]).
    pub async fn open(
        store: &dyn Store,
        crypto: Arc<dyn CryptoProvider>,
        root: RootKey,
        now: i64,
        capacity: usize,
    ) -> Result<Self, OpenError> {
        let domain_records = async || -> Result<Vec<DomainKeyRecord>, StoreError> {
            Ok(store.domain_keys().await?.into_iter().filter(|r| r.id != SEED_ID).collect())
        };
        let mut records = domain_records().await?;
        if records.is_empty() {
            let dk = DomainKey::generate(crypto.as_ref(), 1)?;
            let rec = DomainKeyRecord { id: 1, wrapped: root.wrap_domain_key(crypto.as_ref(), &dk)?, created_at: now };
            match store.insert_domain_key(&rec).await {
                // Another node created it first: use theirs.
                Ok(()) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
            records = domain_records().await?;
        }
        let mut domain = HashMap::new();
        for r in &records {
            let dk =
                root.unwrap_domain_key(crypto.as_ref(), r.id, &r.wrapped).map_err(|_| OpenError::WrongSeal(r.id))?;
            domain.insert(r.id, Arc::new(dk));
        }
        let active = records.iter().map(|r| r.id).max().unwrap_or(1);
        Ok(Keyring {
            crypto,
            root: RwLock::new(Arc::new(root)),
            domain: RwLock::new(domain),
            active,
            cache: Mutex::new(HashMap::new()),
            private_cache: Mutex::new(HashMap::new()),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    /// The root key in use.
    pub(crate) fn root(&self) -> Arc<RootKey> {
        self.root.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Puts a new root key in use, once the store holds the domain keys
    /// wrapped under it (a root rotation); the old one is dropped
    /// (zeroized, or its token session closed) once no call holds it.
    pub(crate) fn replace_root(&self, root: RootKey) {
        *self.root.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(root);
    }

    /// Cache hits and misses (backing keys and private keys together).
    pub fn cache_stats(&self) -> (u64, u64) {
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }

    /// The crypto provider.
    pub fn crypto(&self) -> &dyn CryptoProvider {
        self.crypto.as_ref()
    }

    /// The crypto provider, shared (for blocking threads).
    pub(crate) fn crypto_arc(&self) -> Arc<dyn CryptoProvider> {
        self.crypto.clone()
    }

    async fn domain_key(&self, store: &dyn Store, id: u32) -> Result<Arc<DomainKey>, KmsError> {
        if let Some(dk) = self.domain.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
            return Ok(dk.clone());
        }
        // Made by another node since we started: load it.
        let rec = store
            .domain_keys()
            .await?
            .into_iter()
            .find(|r| r.id == id && id != SEED_ID)
            .ok_or_else(|| KmsError::corrupt(format!("domain key {id} is missing")))?;
        let dk = Arc::new(self.root().unwrap_domain_key(self.crypto(), id, &rec.wrapped).map_err(KmsError::crypto)?);
        self.domain.write().unwrap_or_else(PoisonError::into_inner).insert(id, dk.clone());
        Ok(dk)
    }

    fn active_domain_key(&self) -> Result<Arc<DomainKey>, KmsError> {
        self.domain
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&self.active)
            .cloned()
            .ok_or_else(|| KmsError::corrupt("active domain key missing"))
    }

    /// Wraps a new backing key for storage under the active domain key.
    pub fn wrap_backing_key(&self, key_arn: &str, material_id: &str, bk: &SecretKey) -> Result<Vec<u8>, KmsError> {
        self.active_domain_key()?
            .wrap_backing_key(self.crypto(), key_arn, material_id.as_bytes(), bk)
            .map_err(KmsError::crypto)
    }

    /// Wraps the private material of a new non-symmetric key version.
    pub fn wrap_private_key(
        &self,
        key_arn: &str,
        material_id: &str,
        material: &SecretBytes,
    ) -> Result<Vec<u8>, KmsError> {
        self.active_domain_key()?
            .wrap(self.crypto(), Purpose::PrivateKey, &[key_arn.as_bytes(), material_id.as_bytes()], material.expose())
            .map_err(KmsError::crypto)
    }

    /// Drops every cached key of a key (after it is destroyed).
    pub fn forget(&self, key_id: &KeyId) {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).retain(|(k, _), _| k != key_id);
        self.private_cache.lock().unwrap_or_else(PoisonError::into_inner).retain(|(k, _), _| k != key_id);
    }

    /// The parsed private material of one version of a non-symmetric key
    /// (cached).
    pub async fn private_key(
        &self,
        store: &dyn Store,
        key: &KeyRecord,
        kind: KeyKind,
        version: &KeyVersionRecord,
    ) -> Result<Arc<PrivateKey>, KmsError> {
        let ck = (key.id.clone(), version.version);
        if let Some(k) = self.private_cache.lock().unwrap_or_else(PoisonError::into_inner).get(&ck) {
            self.hits.fetch_add(1, Relaxed);
            return Ok(k.clone());
        }
        self.misses.fetch_add(1, Relaxed);
        let material = self.unwrap_private(store, key, version).await?;
        let pk = Arc::new(PrivateKey::load(kind, material.expose()).map_err(KmsError::crypto)?);
        cache_insert(&self.private_cache, self.capacity, ck, pk.clone());
        Ok(pk)
    }

    /// The unwrapped backing key of one key version (cached).
    pub async fn backing_key(
        &self,
        store: &dyn Store,
        key: &KeyRecord,
        version: &KeyVersionRecord,
    ) -> Result<Arc<SecretKey>, KmsError> {
        let ck = (key.id.clone(), version.version);
        if let Some(k) = self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(&ck) {
            self.hits.fetch_add(1, Relaxed);
            return Ok(k.clone());
        }
        self.misses.fetch_add(1, Relaxed);
        let bk = Arc::new(self.unwrap_backing(store, key, version).await?);
        cache_insert(&self.cache, self.capacity, ck, bk.clone());
        Ok(bk)
    }

    /// A symmetric key version's backing key, unwrapped (not cached).
    async fn unwrap_backing(
        &self,
        store: &dyn Store,
        key: &KeyRecord,
        version: &KeyVersionRecord,
    ) -> Result<SecretKey, KmsError> {
        let dk = self.domain_key(store, wrapping_key_id(&version.wrapped_material).map_err(KmsError::crypto)?).await?;
        dk.unwrap_backing_key(
            self.crypto(),
            &key.material_binding(),
            version.material_id.as_bytes(),
            &version.wrapped_material,
        )
        .map_err(KmsError::crypto)
    }

    /// An asymmetric or HMAC key version's stored form, unwrapped (not
    /// cached).
    async fn unwrap_private(
        &self,
        store: &dyn Store,
        key: &KeyRecord,
        version: &KeyVersionRecord,
    ) -> Result<SecretBytes, KmsError> {
        let dk = self.domain_key(store, wrapping_key_id(&version.wrapped_material).map_err(KmsError::crypto)?).await?;
        let binding = key.material_binding();
        let context: [&[u8]; 2] = [binding.as_bytes(), version.material_id.as_bytes()];
        dk.unwrap(self.crypto(), Purpose::PrivateKey, &context, &version.wrapped_material).map_err(KmsError::crypto)
    }

    /// The material of one version in the clear (zeroized on drop): the
    /// 32-byte backing key of a symmetric key, or the storage form of an
    /// asymmetric or HMAC key. Only for sending it, wrapped again at once,
    /// to a peer site's transport key. Never read from nor put in the
    /// caches: `version` may be a rotation's new version that is not stored
    /// yet (and may never be, if its commit fails, when its number goes to
    /// other material).
    pub async fn material(
        &self,
        store: &dyn Store,
        key: &KeyRecord,
        version: &KeyVersionRecord,
    ) -> Result<SecretBytes, KmsError> {
        if key.spec.key_kind().is_none() {
            let bk = self.unwrap_backing(store, key, version).await?;
            return Ok(SecretBytes::new(zeroize::Zeroizing::new(bk.expose().to_vec())));
        }
        self.unwrap_private(store, key, version).await
    }

    /// Wraps a secret access key, bound to its access key id.
    pub fn wrap_access_secret(&self, access_key_id: &str, secret: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.wrap_secret(Purpose::AccessKeySecret, access_key_id, secret)
    }

    /// Unwraps a secret access key.
    pub async fn unwrap_access_secret(
        &self,
        store: &dyn Store,
        access_key_id: &str,
        wrapped: &[u8],
    ) -> Result<SecretBytes, KmsError> {
        self.unwrap_secret(store, Purpose::AccessKeySecret, access_key_id, wrapped).await
    }

    /// Seals the claims of an STS session token, bound to its access key
    /// id.
    pub fn seal_session_token(&self, access_key_id: &str, claims: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.wrap_secret(Purpose::SessionToken, access_key_id, claims)
    }

    /// Opens a session token made by [`Keyring::seal_session_token`] for
    /// this access key id; `None` when it is not one (forged, altered, for
    /// another access key, or sealed under a domain key this deployment
    /// does not have).
    pub async fn open_session_token(
        &self,
        store: &dyn Store,
        access_key_id: &str,
        token: &[u8],
    ) -> Option<SecretBytes> {
        self.unwrap_secret(store, Purpose::SessionToken, access_key_id, token).await.ok()
    }

    /// Seals an import token's contents, bound to the key's ARN.
    pub fn seal_import_token(&self, key_arn: &str, contents: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.wrap_secret(Purpose::ImportToken, key_arn, contents)
    }

    /// Opens an import token made by [`Keyring::seal_import_token`] for this
    /// key; `None` when it is not one (forged, altered, for another key, or
    /// sealed under a domain key this deployment does not have).
    pub async fn open_import_token(&self, store: &dyn Store, key_arn: &str, token: &[u8]) -> Option<SecretBytes> {
        self.unwrap_secret(store, Purpose::ImportToken, key_arn, token).await.ok()
    }

    /// Wraps a custom key store's token PIN, bound to the key store's id.
    pub fn wrap_key_store_password(&self, key_store_id: &str, pin: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.wrap_secret(Purpose::KeyStorePassword, key_store_id, pin)
    }

    /// Unwraps a custom key store's token PIN.
    pub async fn unwrap_key_store_password(
        &self,
        store: &dyn Store,
        key_store_id: &str,
        wrapped: &[u8],
    ) -> Result<SecretBytes, KmsError> {
        self.unwrap_secret(store, Purpose::KeyStorePassword, key_store_id, wrapped).await
    }

    fn wrap_secret(&self, purpose: Purpose, bound_to: &str, secret: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.active_domain_key()?.wrap(self.crypto(), purpose, &[bound_to.as_bytes()], secret).map_err(KmsError::crypto)
    }

    async fn unwrap_secret(
        &self,
        store: &dyn Store,
        purpose: Purpose,
        bound_to: &str,
        wrapped: &[u8],
    ) -> Result<SecretBytes, KmsError> {
        let dk = self.domain_key(store, wrapping_key_id(wrapped).map_err(KmsError::crypto)?).await?;
        dk.unwrap(self.crypto(), purpose, &[bound_to.as_bytes()], wrapped).map_err(KmsError::crypto)
    }
}
