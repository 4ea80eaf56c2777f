//! The cold store's two caches, each a registered [`Cache`] (`SHOW CACHES`, `CLEAR CACHE`):
//! `manifest` (a folder's manifest, so reads of tables without new cold data never touch the
//! storage) and `storage` (a live backend per storage row, so an S3 client is built once).
//! Neither is a source of truth: a miss reads the storage again.

use crate::manifest::Manifest;
use kalamdb_catalog::model::StorageRecord;
use kalamdb_plugin_api::{Cache, CacheCounters, CacheStats, StorageBackend};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

struct Manifests {
    map: HashMap<String, Arc<Manifest>>,
    /// Bumped by every write, removal and clear: a read that began before a bump must not
    /// store what it read (it may be older than what the write committed).
    version: u64,
}

/// Manifests by folder, at most `capacity` (past it the cache starts over).
pub struct ManifestCache {
    capacity: usize,
    inner: Mutex<Manifests>,
    counters: CacheCounters,
}

/// Where a manifest read began, to store its result only if nothing changed meanwhile.
#[derive(Clone, Copy, Debug)]
pub struct ReadTicket(u64);

impl ManifestCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Manifests {
                map: HashMap::new(),
                version: 0,
            }),
            counters: CacheCounters::default(),
        }
    }

    /// The cached manifest of a folder, or a ticket to read it from the storage.
    pub fn get(&self, key: &str) -> Result<Arc<Manifest>, ReadTicket> {
        let inner = self.inner.lock();
        match inner.map.get(key) {
            Some(m) => {
                self.counters.hit();
                Ok(m.clone())
            }
            None => {
                self.counters.miss();
                Err(ReadTicket(inner.version))
            }
        }
    }

    /// Stores what a read found, unless a write, removal or clear happened since the read
    /// began: then the storage may hold a newer manifest than the one read, and caching the
    /// older one would hide the newer segments from every later read.
    ///
    /// Returns the version the read is current at, or `None` when a write came between (what
    /// was read may be older than what the server has).
    pub fn store_read(
        &self,
        key: &str,
        manifest: Arc<Manifest>,
        ticket: ReadTicket,
    ) -> Option<u64> {
        let mut inner = self.inner.lock();
        if inner.version != ticket.0 {
            return None;
        }
        if self.capacity > 0 {
            self.insert(&mut inner, key, manifest);
        }
        Some(ticket.0)
    }

    /// Stores a manifest the server just committed; returns the version it is current at.
    pub fn store_written(&self, key: &str, manifest: Arc<Manifest>) -> u64 {
        let mut inner = self.inner.lock();
        inner.version += 1;
        let version = inner.version;
        if self.capacity > 0 {
            self.insert(&mut inner, key, manifest);
        }
        version
    }

    /// Forgets one folder (its manifest may or may not have changed).
    pub fn remove(&self, key: &str) {
        let mut inner = self.inner.lock();
        inner.version += 1;
        if inner.map.remove(key).is_some() {
            self.counters.evicted(1);
        }
    }

    fn insert(&self, inner: &mut Manifests, key: &str, manifest: Arc<Manifest>) {
        if inner.map.len() >= self.capacity && !inner.map.contains_key(key) {
            self.counters.evicted(inner.map.len());
            inner.map.clear();
        }
        inner.map.insert(key.to_string(), manifest);
    }
}

impl Cache for ManifestCache {
    fn name(&self) -> &str {
        "manifest"
    }

    fn entries(&self) -> usize {
        self.inner.lock().map.len()
    }

    fn bytes(&self) -> usize {
        let inner = self.inner.lock();
        inner
            .map
            .iter()
            .map(|(k, m)| k.len() + m.approx_bytes())
            .sum()
    }

    fn stats(&self) -> CacheStats {
        self.counters.stats()
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.capacity)
    }

    fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.version += 1;
        inner.map.clear();
    }
}

/// Live storage backends by storage id, valid while the storage row is unchanged.
pub struct BackendCache {
    capacity: usize,
    map: Mutex<HashMap<String, (StorageRecord, Arc<dyn StorageBackend>)>>,
    counters: CacheCounters,
}

impl BackendCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            map: Mutex::new(HashMap::new()),
            counters: CacheCounters::default(),
        }
    }

    /// The backend built for exactly this storage row, if any.
    pub fn get(&self, record: &StorageRecord) -> Option<Arc<dyn StorageBackend>> {
        let map = self.map.lock();
        match map.get(record.storage_id.as_str()) {
            Some((cached, backend)) if cached == record => {
                self.counters.hit();
                Some(backend.clone())
            }
            _ => {
                self.counters.miss();
                None
            }
        }
    }

    pub fn put(&self, record: &StorageRecord, backend: Arc<dyn StorageBackend>) {
        if self.capacity == 0 {
            return;
        }
        let mut map = self.map.lock();
        let id = record.storage_id.to_string();
        if map.len() >= self.capacity && !map.contains_key(&id) {
            self.counters.evicted(map.len());
            map.clear();
        }
        map.insert(id, (record.clone(), backend));
    }
}

impl Cache for BackendCache {
    fn name(&self) -> &str {
        "storage"
    }

    fn entries(&self) -> usize {
        self.map.lock().len()
    }

    fn stats(&self) -> CacheStats {
        self.counters.stats()
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.capacity)
    }

    fn clear(&self) {
        self.map.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(segments: usize) -> Arc<Manifest> {
        let mut m = Manifest::default();
        for i in 0..segments {
            m.segments.push(crate::manifest::Segment {
                file: format!("seg-{i}.parquet"),
                rows: 1,
                bytes: 1,
                min_seq: 0,
                max_seq: 0,
                min_pk: None,
                max_pk: None,
                schema_version: 1,
                filled: Default::default(),
            });
        }
        Arc::new(m)
    }

    #[test]
    fn a_read_that_began_before_a_write_does_not_overwrite_it() {
        let cache = ManifestCache::new(10);
        let Err(ticket) = cache.get("f") else {
            panic!("empty cache hit")
        };
        // A flush commits a newer manifest while the read is in flight.
        cache.store_written("f", manifest(2));
        cache.store_read("f", manifest(1), ticket);
        let cached = cache.get("f").expect("cached");
        assert_eq!(
            cached.segments.len(),
            2,
            "the older manifest replaced the newer"
        );
    }

    #[test]
    fn a_read_that_began_before_a_clear_is_not_cached() {
        let cache = ManifestCache::new(10);
        let Err(ticket) = cache.get("f") else {
            panic!("empty cache hit")
        };
        cache.clear();
        cache.store_read("f", manifest(1), ticket);
        assert_eq!(cache.entries(), 0);
        let Err(ticket) = cache.get("f") else {
            panic!("cleared cache hit")
        };
        cache.store_read("f", manifest(1), ticket);
        assert_eq!(cache.entries(), 1);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (0, 2));
    }

    #[test]
    fn the_bound_holds_and_counts_evictions() {
        let cache = ManifestCache::new(3);
        for i in 0..7 {
            cache.store_written(&format!("f{i}"), manifest(1));
            assert!(cache.entries() <= 3);
        }
        assert!(cache.stats().evictions >= 3);
        let off = ManifestCache::new(0);
        off.store_written("f", manifest(1));
        assert_eq!(off.entries(), 0);
    }
}
