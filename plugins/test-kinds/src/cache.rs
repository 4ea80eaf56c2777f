//! `test-memo`: a bounded map of strings; past its capacity it starts over.

use kalamdb_plugin_api::Cache;
use parking_lot::Mutex;
use std::collections::HashMap;

pub struct MemoCache {
    capacity: usize,
    entries: Mutex<HashMap<String, String>>,
}

impl MemoCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn put(&self, key: &str, value: &str) {
        let mut entries = self.entries.lock();
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_string(), value.to_string());
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.entries.lock().get(key).cloned()
    }
}

impl Cache for MemoCache {
    fn name(&self) -> &str {
        "test-memo"
    }
    fn entries(&self) -> usize {
        self.entries.lock().len()
    }
    fn bytes(&self) -> usize {
        self.entries
            .lock()
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum()
    }
    fn clear(&self) {
        self.entries.lock().clear();
    }
}
