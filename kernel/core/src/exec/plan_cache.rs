//! The plan cache: logical plans of reads, keyed by the caller, the default namespace and the
//! normalized SQL (the parsed statement printed back, so spacing and keyword case do not
//! matter). Plans are cached before `$n` parameters are bound, so one entry serves every
//! execution of a prepared statement. An entry is used only while the catalog generation it was
//! planned at is current; any namespace or table change makes older entries misses.
//!
//! Keyed by user because a plan captures the session's `CURRENT_USER()`. Registered as the
//! cache `plan` (see `plugin::cache`), so `CLEAR CACHE` reaches it.

use crate::plugin::{Cache, CacheCounters, CacheStats};
use datafusion::logical_expr::LogicalPlan;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlanKey {
    pub user: String,
    pub namespace: Option<String>,
    pub sql: String,
}

struct Entry {
    generation: u64,
    plan: LogicalPlan,
    last_used: u64,
}

pub struct PlanCache {
    capacity: usize,
    entries: Mutex<HashMap<PlanKey, Entry>>,
    tick: AtomicU64,
    counters: CacheCounters,
}

impl PlanCache {
    /// A cache of at most `capacity` plans; 0 disables it.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
            counters: CacheCounters::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The plan for `key` if it was made at `generation`.
    pub fn get(&self, key: &PlanKey, generation: u64) -> Option<LogicalPlan> {
        if !self.enabled() {
            return None;
        }
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock();
        match entries.get_mut(key) {
            Some(e) if e.generation == generation => {
                e.last_used = tick;
                self.counters.hit();
                Some(e.plan.clone())
            }
            _ => {
                self.counters.miss();
                None
            }
        }
    }

    /// Keeps a plan; when full, the least recently used tenth is dropped first.
    pub fn put(&self, key: PlanKey, generation: u64, plan: LogicalPlan) {
        if !self.enabled() {
            return;
        }
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let mut ages: Vec<u64> = entries.values().map(|e| e.last_used).collect();
            ages.sort_unstable();
            let cut = ages[(ages.len() / 10).min(ages.len() - 1)];
            let before = entries.len();
            entries.retain(|_, e| e.last_used > cut);
            self.counters.evicted(before - entries.len());
        }
        entries.insert(
            key,
            Entry {
                generation,
                plan,
                last_used: tick,
            },
        );
    }
}

impl Cache for PlanCache {
    fn name(&self) -> &str {
        "plan"
    }

    fn entries(&self) -> usize {
        self.entries.lock().len()
    }

    fn stats(&self) -> CacheStats {
        self.counters.stats()
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.capacity)
    }

    fn clear(&self) {
        self.entries.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
    use std::sync::Arc;

    fn plan() -> LogicalPlan {
        LogicalPlan::EmptyRelation(EmptyRelation {
            produce_one_row: true,
            schema: Arc::new(datafusion::common::DFSchema::empty()),
        })
    }

    fn key(sql: &str) -> PlanKey {
        PlanKey {
            user: "alice".into(),
            namespace: None,
            sql: sql.into(),
        }
    }

    #[test]
    fn hits_only_at_the_same_generation() {
        let cache = PlanCache::new(10);
        cache.put(key("SELECT 1"), 3, plan());
        assert!(cache.get(&key("SELECT 1"), 3).is_some());
        assert!(cache.get(&key("SELECT 1"), 4).is_none(), "schema changed");
        assert!(cache.get(&key("SELECT 2"), 3).is_none());
        assert_eq!(cache.stats().hits, 1);
        assert_eq!(cache.stats().misses, 2);
    }

    #[test]
    fn stays_within_capacity_and_clears() {
        let cache = PlanCache::new(20);
        for i in 0..100 {
            cache.put(key(&format!("SELECT {i}")), 0, plan());
        }
        assert!(cache.entries() <= 20);
        assert!(
            cache.get(&key("SELECT 99"), 0).is_some(),
            "the newest survives"
        );
        cache.clear();
        assert_eq!(cache.entries(), 0);
    }

    #[test]
    fn zero_capacity_disables() {
        let cache = PlanCache::new(0);
        cache.put(key("SELECT 1"), 0, plan());
        assert!(cache.get(&key("SELECT 1"), 0).is_none());
    }
}
