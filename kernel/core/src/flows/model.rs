//! What a flow is, as kept in `system.flows` (the column family): its definition under
//! `d ++ flow_id` and its run state under `s ++ flow_id`. The two are separate records so a
//! run's state can commit with the run's own write without rewriting the definition.

use crate::store::flowq::KindSet;
use kalamdb_types::{NamespaceId, TableId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What fires a flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowTriggerDef {
    Change {
        table: TableId,
        kinds: KindSet,
        predicate: Option<String>,
    },
    Schedule {
        every_secs: u64,
        /// The first run (microseconds since the Unix epoch).
        starts_micros: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowDef {
    pub flow_id: u64,
    pub namespace: NamespaceId,
    pub name: String,
    /// Whose rights the flow runs with.
    pub owner: UserId,
    pub trigger: FlowTriggerDef,
    /// The trigger as `system.flows` shows it.
    pub trigger_text: String,
    /// The `FlowAction` plugin after `DO`, its arguments and the action as written.
    pub action: String,
    pub arguments: BTreeMap<String, String>,
    pub action_text: String,
    pub enabled: bool,
    pub created_at: i64,
}

impl FlowDef {
    /// Whether changes of `table` fire the flow.
    pub fn fires_on(&self, table: &TableId) -> bool {
        matches!(&self.trigger, FlowTriggerDef::Change { table: t, .. } if t == table)
    }

    pub fn qualified(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }
}

/// A flow's runs so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// Firings handled: one per change that passed the WHERE, schedule run and RUN FLOW.
    pub runs: u64,
    /// Failed attempts in all.
    pub failures: u64,
    /// Failed attempts since the last success (the flow is disabled when it reaches the limit).
    pub failing: u32,
    pub last_run: Option<i64>,
    pub next_run: Option<i64>,
    pub last_error: Option<String>,
}

pub(crate) fn def_key(flow_id: u64) -> Vec<u8> {
    let mut key = vec![b'd'];
    key.extend_from_slice(&flow_id.to_be_bytes());
    key
}

pub(crate) fn state_key(flow_id: u64) -> Vec<u8> {
    let mut key = vec![b's'];
    key.extend_from_slice(&flow_id.to_be_bytes());
    key
}
