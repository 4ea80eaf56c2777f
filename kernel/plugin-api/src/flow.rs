//! `FlowAction`: what a KFlow does when it fires. The kernel decides when a flow fires (a change
//! to a table, a schedule, `RUN FLOW`); the action gets a [`FlowInput`] saying why, and a
//! [`FlowHost`], the kernel's side of the contract, to act through. An action never reaches
//! into the engine otherwise, so it can live in a plugin crate.

use crate::error::Result;
use crate::storage::StorageBackend;
use crate::value::Value;
use kalamdb_types::{TableId, UserId};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, so the traits stay object-safe without an async runtime dependency.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The kind of change that fired a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Insert => "INSERT",
            ChangeKind::Update => "UPDATE",
            ChangeKind::Delete => "DELETE",
        }
    }
}

/// Why a flow fired.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowTrigger {
    /// A committed row change. `new` is absent for a DELETE, `old` for an INSERT; columns by name.
    Change {
        table: TableId,
        kind: ChangeKind,
        /// The owner of the partition the row is in (USER and STREAM tables).
        user: Option<UserId>,
        new: Option<BTreeMap<String, Value>>,
        old: Option<BTreeMap<String, Value>>,
    },
    /// A schedule came due at this time (microseconds since the Unix epoch).
    Schedule { due_micros: i64 },
    /// `RUN FLOW` by this user.
    Manual { by: UserId },
}

/// What an action is given when its flow fires.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowInput {
    /// The flow, `ns.name`.
    pub flow: String,
    /// The user the flow runs as (its owner).
    pub run_as: UserId,
    pub trigger: FlowTrigger,
    /// The action's arguments as written after `DO` (action-specific keys).
    pub arguments: BTreeMap<String, String>,
}

/// What an action reports back; the kernel records it in the flow's run history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowOutcome {
    /// Rows, files or objects the action affected.
    pub affected: u64,
    /// One line a user reads in `system.flow_runs`.
    pub message: String,
}

/// The kernel's side of the flow contract: what an action may ask of the database.
pub trait FlowHost: Send + Sync {
    /// Runs one SQL statement as `user` with that user's permissions; returns rows affected.
    fn execute_sql<'a>(&'a self, user: &'a UserId, sql: &'a str) -> BoxFuture<'a, Result<u64>>;

    /// Runs one statement as `user` with `NEW.col` / `OLD.col` bound from the row a
    /// [`FlowTrigger::Change`] fired on, as parameters (a value never becomes SQL text). For a
    /// trigger flow on a USER table, the host runs it in the partition of the row's owner and
    /// commits the flow's cursor with the statement's write.
    fn execute_for_row<'a>(
        &'a self,
        user: &'a UserId,
        sql: &'a str,
        trigger: &'a FlowTrigger,
    ) -> BoxFuture<'a, Result<u64>>;

    /// A live backend for a storage in `system.storages`.
    fn storage(&self, storage_id: &str) -> Result<Arc<dyn StorageBackend>>;

    /// The tables that exist, for actions that take "every table".
    fn tables(&self) -> Vec<TableId>;
}

pub trait FlowAction: Send + Sync {
    /// The registered name (`sql`, `cleanup`, `backup` ...): what `DO` selects.
    fn name(&self) -> &str;

    /// Checks the arguments when the flow is created, so a bad flow is refused up front with a
    /// message naming the argument, not when it first fires.
    fn validate(&self, arguments: &BTreeMap<String, String>) -> Result<()>;

    /// Runs the action once.
    fn run<'a>(
        &'a self,
        input: &'a FlowInput,
        host: &'a dyn FlowHost,
    ) -> BoxFuture<'a, Result<FlowOutcome>>;
}
