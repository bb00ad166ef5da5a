//! The HSM tokens behind custom key stores, as this node sees them: the
//! tokens the configuration declares (`[hsm.NAME]`, NAME being the
//! `CloudHsmClusterId`) and this node's open connections to them, one
//! [`HsmPool`] per connected key store.
//!
//! A key store's record says whether it should be connected; each node
//! opens its own connection when it first needs one (logging in with the
//! PIN kept wrapped in the record) and drops it when it finds the record
//! disconnected. A token's answers are awaited for at most
//! [`HSM_TIMEOUT`].
//!
//! Key operations read a key store's record through a cache that keeps it
//! [`RECORD_TTL_MS`] at most and that this node's own changes of the record
//! replace at once: a key store disconnected through this node stops here
//! at once, through another node within that bound.

use crate::model::CustomKeyStoreRecord;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use trent_crypto::pkcs11::{HsmError, HsmPool, Token, TokenSession};
use zeroize::Zeroizing;

/// A token declared in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HsmDecl {
    /// The PKCS#11 module (`module = "/path/to/pkcs11.so"`).
    pub module: PathBuf,
    /// The token's label (`token_label`).
    pub token_label: String,
}

/// How long one token operation may take before the call fails with
/// `DependencyTimeoutException`.
pub const HSM_TIMEOUT: Duration = Duration::from_secs(10);

/// Sessions (worker threads) per connected key store on each node.
const WORKERS: usize = 2;

/// How long a key operation may rely on a key store record read earlier
/// (by another node's change; this node's own replace it at once).
pub const RECORD_TTL_MS: i64 = 1_000;

/// The declared tokens and this node's connections.
#[derive(Default)]
pub struct Hsms {
    declared: BTreeMap<String, HsmDecl>,
    pools: Mutex<HashMap<String, Arc<HsmPool>>>,
    /// Key store records by id, with when they were read (ms).
    records: Mutex<HashMap<String, (i64, Arc<CustomKeyStoreRecord>)>>,
}

impl std::fmt::Debug for Hsms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hsms").field("declared", &self.declared).finish_non_exhaustive()
    }
}

impl Hsms {
    /// The tokens of the configuration, by cluster id.
    pub fn new(declared: BTreeMap<String, HsmDecl>) -> Self {
        Hsms { declared, pools: Mutex::default(), records: Mutex::default() }
    }

    /// A key store record read at most [`RECORD_TTL_MS`] before `now`.
    pub(crate) fn cached_record(&self, id: &str, now: i64) -> Option<Arc<CustomKeyStoreRecord>> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.get(id).filter(|(at, _)| now - at < RECORD_TTL_MS && *at <= now).map(|(_, r)| r.clone())
    }

    /// Keeps a record just read or written (`None`: forget the key store).
    pub(crate) fn remember(&self, id: &str, record: Option<Arc<CustomKeyStoreRecord>>, now: i64) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        match record {
            Some(r) => records.insert(id.to_owned(), (now, r)),
            None => records.remove(id),
        };
    }

    /// A declared token.
    pub fn declared(&self, cluster_id: &str) -> Option<&HsmDecl> {
        self.declared.get(cluster_id)
    }

    /// This node's connection of a key store, if open.
    pub(crate) fn pool(&self, key_store_id: &str) -> Option<Arc<HsmPool>> {
        self.pools.lock().unwrap_or_else(PoisonError::into_inner).get(key_store_id).cloned()
    }

    /// Finds the token, logs in, and keeps the connection for the key
    /// store (closing any earlier one).
    pub(crate) async fn connect(
        &self,
        key_store_id: &str,
        decl: &HsmDecl,
        pin: Zeroizing<Vec<u8>>,
    ) -> Result<Arc<HsmPool>, HsmError> {
        let decl = decl.clone();
        let pool = tokio::task::spawn_blocking(move || {
            let token = Token::find(&decl.module, &decl.token_label)?;
            HsmPool::start(&token, &pin, WORKERS)
        })
        .await
        .map_err(|e| HsmError::Other(e.to_string()))??;
        let pool = Arc::new(pool);
        let old =
            self.pools.lock().unwrap_or_else(PoisonError::into_inner).insert(key_store_id.to_owned(), pool.clone());
        if let Some(old) = old {
            close(old).await;
        }
        Ok(pool)
    }

    /// Closes this node's connection of a key store.
    pub(crate) async fn disconnect(&self, key_store_id: &str) {
        let pool = self.pools.lock().unwrap_or_else(PoisonError::into_inner).remove(key_store_id);
        if let Some(pool) = pool {
            close(pool).await;
        }
    }

    /// Whether the token of `decl` is present (its module loads and has an
    /// initialized token of that label).
    pub(crate) async fn present(decl: &HsmDecl) -> Result<(), HsmError> {
        let decl = decl.clone();
        tokio::task::spawn_blocking(move || Token::find(&decl.module, &decl.token_label).map(drop))
            .await
            .map_err(|e| HsmError::Other(e.to_string()))?
    }
}

/// Closes a pool on a blocking thread, waiting at most [`HSM_TIMEOUT`] for
/// its workers (a worker stuck in a token call is left to end by itself).
async fn close(pool: Arc<HsmPool>) {
    let closing = tokio::task::spawn_blocking(move || pool.close());
    if tokio::time::timeout(HSM_TIMEOUT, closing).await.is_err() {
        tracing::warn!("an HSM worker did not end within {} s of its key store's disconnection", HSM_TIMEOUT.as_secs());
    }
}

/// Runs `f` on one of the pool's sessions and awaits its answer, for at
/// most [`HSM_TIMEOUT`] (then [`HsmError::Unreachable`]).
pub(crate) async fn run<T: Send + 'static>(
    pool: &HsmPool,
    f: impl FnOnce(&TokenSession) -> Result<T, HsmError> + Send + 'static,
) -> Result<T, HsmError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool.submit(move |s| {
        let _ = tx.send(f(s));
    })?;
    match tokio::time::timeout(HSM_TIMEOUT, rx).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Err(HsmError::Closed),
        Err(_) => Err(HsmError::Unreachable(format!("no answer within {} s", HSM_TIMEOUT.as_secs()))),
    }
}
