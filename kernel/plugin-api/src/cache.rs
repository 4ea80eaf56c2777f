//! `Cache`: anything that caches registers here, so `CLEAR CACHE` and `SHOW CACHES` reach all.
//! A cache is never the source of truth: after `clear` every read returns what it returned
//! before, only slower once.

/// A cache's counters since the server started, for `system.caches`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to compute or read the value.
    pub misses: u64,
    /// Entries dropped to stay within the bound (not by `clear`).
    pub evictions: u64,
}

pub trait Cache: Send + Sync {
    /// The registered name, e.g. `plan`.
    fn name(&self) -> &str;
    /// Entries currently held.
    fn entries(&self) -> usize;
    /// Approximate bytes held; 0 when unknown.
    fn bytes(&self) -> usize {
        0
    }
    /// Hits, misses and evictions; zeros when the cache does not count them.
    fn stats(&self) -> CacheStats {
        CacheStats::default()
    }
    /// The most entries it holds (its configured bound); `None` when it has none of its own.
    fn capacity(&self) -> Option<usize> {
        None
    }
    /// Drops every entry.
    fn clear(&self);
}

/// Hit, miss and eviction counters a cache can embed to answer [`Cache::stats`].
#[derive(Debug, Default)]
pub struct CacheCounters {
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
    evictions: std::sync::atomic::AtomicU64,
}

impl CacheCounters {
    pub fn hit(&self) {
        self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn miss(&self) {
        self.misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// `n` entries were dropped to stay within the bound.
    pub fn evicted(&self, n: usize) {
        self.evictions
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn stats(&self) -> CacheStats {
        use std::sync::atomic::Ordering::Relaxed;
        CacheStats {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            evictions: self.evictions.load(Relaxed),
        }
    }
}
