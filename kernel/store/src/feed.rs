//! The change feed: shard writers publish every committed row change here, after the write is
//! durable and in commit order per shard. A dispatcher task drains it, so matching
//! subscriptions never slows a writer down.

use kalamdb_plugin_api::StoredRow;
use kalamdb_types::{TableId, UserId};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

/// One committed row change.
#[derive(Clone, Debug)]
pub struct ChangeEvent {
    pub table: TableId,
    /// The partition owner for USER and STREAM tables; `None` for SHARED tables.
    pub user: Option<UserId>,
    pub kind: ChangeKind,
    /// The new version (insert, update); the tombstone for deletes.
    pub new: StoredRow,
    /// The version it replaced (update, delete).
    pub old: Option<StoredRow>,
}

/// Which table and partition a write belongs to, for its change events.
#[derive(Clone, Debug)]
pub struct ChangeMeta {
    pub table: TableId,
    pub user: Option<UserId>,
}

pub struct ChangeFeed {
    tx: mpsc::UnboundedSender<Vec<ChangeEvent>>,
    /// Live subscriptions; writers skip building events while there are none.
    active: AtomicUsize,
}

impl ChangeFeed {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Vec<ChangeEvent>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Self {
                tx,
                active: AtomicUsize::new(0),
            },
            rx,
        )
    }

    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire) > 0
    }

    pub fn add_subscriber(&self) {
        self.active.fetch_add(1, Ordering::AcqRel);
    }

    pub fn remove_subscriber(&self) {
        let _ = self
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    pub fn publish(&self, events: Vec<ChangeEvent>) {
        if !events.is_empty() {
            let _ = self.tx.send(events);
        }
    }
}
