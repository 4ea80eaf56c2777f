//! The caller of a statement, as every component sees it.

use kalamdb_store::RawOp;
use kalamdb_types::{NamespaceId, Role, UserId};
use std::sync::Arc;

/// The caller of a statement.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: UserId,
    pub role: Role,
    /// Namespace for unqualified table names (`USE ns`, or the request's `namespace_id`).
    pub namespace: Option<NamespaceId>,
    /// The caller's address, for the audit log.
    pub client_ip: Option<String>,
    /// Set while a statement runs under `EXECUTE AS USER`: who asked for it. Such a statement
    /// may only touch USER and STREAM tables.
    pub impersonated_by: Option<UserId>,
    /// Set while a trigger flow's action runs: its cursor, committed with the action's first
    /// row write (see [`CommitSlot`]).
    pub commit_with: Option<CommitSlot>,
}

impl Session {
    /// A session for a user and role, with no namespace, address or impersonation.
    pub fn new(user: UserId, role: Role) -> Self {
        Self {
            user,
            role,
            namespace: None,
            client_ip: None,
            impersonated_by: None,
            commit_with: None,
        }
    }
}

/// Raw writes waiting to ride along with a session's next row write, in the same RocksDB
/// WriteBatch: a trigger flow puts the removal of the event it handles here, so the action's
/// write and the flow's cursor commit together or not at all. The writer takes them out;
/// whatever is still here after the action ran is committed on its own.
#[derive(Clone, Debug, Default)]
pub struct CommitSlot(Arc<parking_lot::Mutex<Vec<RawOp>>>);

impl CommitSlot {
    pub fn new(ops: Vec<RawOp>) -> Self {
        Self(Arc::new(parking_lot::Mutex::new(ops)))
    }

    /// Takes the waiting writes (none the second time).
    pub fn take(&self) -> Vec<RawOp> {
        std::mem::take(&mut *self.0.lock())
    }

    /// Puts writes back after the write that took them failed.
    pub fn restore(&self, ops: Vec<RawOp>) {
        let mut held = self.0.lock();
        if held.is_empty() {
            *held = ops;
        }
    }
}
