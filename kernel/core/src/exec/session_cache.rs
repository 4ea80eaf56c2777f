//! The cache `session`: each caller's DataFusion session and task context, keyed by user, role
//! and default namespace. Building one copies every function registry, which cost more than
//! planning a cached point lookup when it ran per statement. Past its bound it starts over.

use crate::engine::CallerState;
use crate::plugin::{Cache, CacheCounters, CacheStats};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

pub struct SessionCache {
    capacity: usize,
    states: Mutex<HashMap<String, Arc<CallerState>>>,
    counters: CacheCounters,
}

impl SessionCache {
    /// At most `capacity` callers' sessions; 0 builds one per statement.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            states: Mutex::new(HashMap::new()),
            counters: CacheCounters::default(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Arc<CallerState>> {
        let found = self.states.lock().get(key).cloned();
        match found {
            Some(_) => self.counters.hit(),
            None => self.counters.miss(),
        }
        found
    }

    pub(crate) fn put(&self, key: String, state: Arc<CallerState>) {
        if self.capacity == 0 {
            return;
        }
        let mut states = self.states.lock();
        if states.len() >= self.capacity && !states.contains_key(&key) {
            self.counters.evicted(states.len());
            states.clear();
        }
        states.insert(key, state);
    }
}

impl Cache for SessionCache {
    fn name(&self) -> &str {
        "session"
    }

    fn entries(&self) -> usize {
        self.states.lock().len()
    }

    fn stats(&self) -> CacheStats {
        self.counters.stats()
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.capacity)
    }

    fn clear(&self) {
        self.states.lock().clear();
    }
}
