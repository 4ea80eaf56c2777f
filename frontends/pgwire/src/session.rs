//! Per-connection state, kept in the connection's session extensions from login on.

use kalamdb_core::Session;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// One connection's state.
pub(crate) struct Conn {
    /// The KalamDB session: the login's user and role, and the namespace (`search_path`).
    pub session: tokio::sync::Mutex<Session>,
    /// `SET` parameters, as the client spelled their values.
    pub params: Mutex<BTreeMap<String, String>>,
    /// Inside `BEGIN ... COMMIT`.
    in_block: AtomicBool,
}

impl Conn {
    pub fn new(session: Session) -> Self {
        Self {
            session: tokio::sync::Mutex::new(session),
            params: Mutex::new(BTreeMap::new()),
            in_block: AtomicBool::new(false),
        }
    }

    pub fn in_block(&self) -> bool {
        self.in_block.load(Ordering::Relaxed)
    }

    pub fn set_block(&self, open: bool) {
        self.in_block.store(open, Ordering::Relaxed);
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.params
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    pub fn set_param(&self, name: String, value: Option<String>) {
        let mut params = self.params.lock().unwrap_or_else(|e| e.into_inner());
        match value {
            Some(v) => {
                params.insert(name, v);
            }
            None => {
                params.remove(&name);
            }
        }
    }
}
