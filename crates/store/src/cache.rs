//! Records kept in memory so that a request's lookup does not go to the
//! database, for both backends.
//!
//! While a write of an entry is in flight, the entry is not served from
//! memory and nothing read is stored for it (reads go to the database,
//! which changes atomically at the commit); when the write ends, its entry
//! is dropped and the generation moves on, so that a read that began before
//! it cannot store what it read. [`ExactCache::invalidate`] does the same
//! for a write made elsewhere (another node's, announced by PostgreSQL).
//!
//! Exact on SQLite, whose one writer is this process. On PostgreSQL, where
//! other nodes write too, entries also expire after a time to live, which
//! bounds how long another node's change can go unseen even when its
//! announcement is lost.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use trent_api::ids::{KeyId, Region};
use trent_core::model::KeyRecord;

/// Key records by (id, Region): the related keys of a multi-Region key
/// share their id, so neither a read of one Region's key nor a write of it
/// touches the entry of another Region's.
pub(crate) type KeyCache = ExactCache<(KeyId, Region), KeyRecord>;

/// A key's entry in a [`KeyCache`].
pub(crate) fn key_slot(key: &KeyRecord) -> (KeyId, Region) {
    (key.id.clone(), key.scope.region.clone())
}

/// Most entries kept per cache; a cache is emptied when full.
const CACHE_CAPACITY: usize = 100_000;

/// A cache of `V` by `K`; see the module documentation.
pub(crate) struct ExactCache<K, V> {
    inner: Mutex<CacheInner<K, V>>,
    /// How long an entry is served; `None`: until a write drops it.
    ttl: Option<Duration>,
}

struct CacheInner<K, V> {
    map: HashMap<K, (Instant, V)>,
    /// Writes in flight, per entry.
    writing: HashMap<K, usize>,
    generation: u64,
}

impl<K, V> Default for ExactCache<K, V> {
    fn default() -> Self {
        Self::with_ttl(None)
    }
}

impl<K, V> ExactCache<K, V> {
    /// A cache whose entries are served for `ttl` at most (`None`: until a
    /// write drops them).
    pub(crate) fn with_ttl(ttl: Option<Duration>) -> Self {
        ExactCache {
            inner: Mutex::new(CacheInner { map: HashMap::new(), writing: HashMap::new(), generation: 0 }),
            ttl,
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> ExactCache<K, V> {
    fn lock(&self) -> MutexGuard<'_, CacheInner<K, V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, k: &K) -> Option<V> {
        let c = self.lock();
        if c.writing.contains_key(k) {
            return None;
        }
        let (at, v) = c.map.get(k)?;
        if self.ttl.is_some_and(|ttl| at.elapsed() >= ttl) {
            return None;
        }
        Some(v.clone())
    }

    /// The generation to pass to [`ExactCache::insert`], taken before reading.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Stores what a read that began at `generation` found, unless a write
    /// (or an invalidation) ended since.
    pub(crate) fn insert(&self, generation: u64, k: &K, v: &V) {
        let mut c = self.lock();
        if c.generation != generation || c.writing.contains_key(k) {
            return;
        }
        if c.map.len() >= CACHE_CAPACITY {
            c.map.clear();
        }
        c.map.insert(k.clone(), (Instant::now(), v.clone()));
    }

    /// Writes of `keys` begin ([`ExactCache::begin_write`]); they end
    /// ([`ExactCache::end_write`]) when the returned guard drops: after the
    /// write committed or failed, or when it was cancelled.
    pub(crate) fn writing(&self, keys: Vec<K>) -> Writing<'_, K, V> {
        for k in &keys {
            self.begin_write(k);
        }
        Writing { cache: self, keys }
    }

    /// A write of `k` begins: stop serving and storing it.
    pub(crate) fn begin_write(&self, k: &K) {
        let mut c = self.lock();
        *c.writing.entry(k.clone()).or_default() += 1;
        c.map.remove(k);
    }

    /// A write of `k` ended (committed or not).
    pub(crate) fn end_write(&self, k: &K) {
        let mut c = self.lock();
        if let Some(n) = c.writing.get_mut(k) {
            *n -= 1;
            if *n == 0 {
                c.writing.remove(k);
            }
        }
        c.map.remove(k);
        c.generation += 1;
    }

    /// `k` was changed elsewhere: drop it, and keep a read in flight from
    /// storing what it read.
    pub(crate) fn invalidate(&self, k: &K) {
        let mut c = self.lock();
        c.map.remove(k);
        c.generation += 1;
    }

    /// Drops every entry.
    pub(crate) fn clear(&self) {
        let mut c = self.lock();
        c.map.clear();
        c.generation += 1;
    }
}

/// Writes in flight of some entries ([`ExactCache::writing`]).
pub(crate) struct Writing<'a, K: std::hash::Hash + Eq + Clone, V: Clone> {
    cache: &'a ExactCache<K, V>,
    keys: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Drop for Writing<'_, K, V> {
    fn drop(&mut self) {
        for k in &self.keys {
            self.cache.end_write(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_or_an_invalidation_keeps_an_earlier_read_out() {
        let c: ExactCache<u32, &str> = ExactCache::default();
        let g = c.generation();
        c.begin_write(&1);
        c.insert(g, &1, &"stale");
        assert_eq!(c.get(&1), None, "not stored while written");
        c.end_write(&1);
        c.insert(g, &1, &"stale");
        assert_eq!(c.get(&1), None, "the read began before the write ended");
        let g = c.generation();
        c.insert(g, &1, &"fresh");
        assert_eq!(c.get(&1), Some("fresh"));
        let g = c.generation();
        c.invalidate(&1);
        assert_eq!(c.get(&1), None);
        c.insert(g, &1, &"stale");
        assert_eq!(c.get(&1), None, "the read began before the invalidation");
    }

    #[test]
    fn entries_expire_after_the_time_to_live() {
        let c: ExactCache<u32, u32> = ExactCache::with_ttl(Some(Duration::from_millis(30)));
        c.insert(c.generation(), &1, &7);
        assert_eq!(c.get(&1), Some(7));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&1), None);
        let exact: ExactCache<u32, u32> = ExactCache::default();
        exact.insert(exact.generation(), &1, &7);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(exact.get(&1), Some(7));
    }
}
