//! The flow queue: the durable hand-over of committed row changes to trigger flows.
//!
//! A write whose table has trigger flows carries their [`FlowTap`]s. For every row it writes,
//! the shard writer adds one [`QueuedEvent`] per matching tap to the same WriteBatch as the
//! row, in `system.flow_events` under `e ++ flow id ++ _seq`. A crash therefore keeps the
//! row and its events together or neither. `_seq` grows in commit order within a writer, so a
//! flow reading its prefix in key order sees each shard's changes in commit order.
//!
//! A flow's action removes the event it handled in the same WriteBatch as the action's own
//! write ([`TableWrite::commit_with`](crate::TableWrite)): the queue is the flow's cursor, and
//! a restart neither repeats nor skips an event.

use crate::error::Result;
use crate::writer::RowMode;
use kalamdb_plugin_api::{Codec, StoredRow, decode, encode};
use serde::{Deserialize, Serialize};

/// Which changes a tap takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSet {
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
}

impl KindSet {
    pub fn takes(&self, mode: RowMode) -> bool {
        match mode {
            RowMode::Insert | RowMode::Append => self.insert,
            RowMode::Update => self.update,
            RowMode::Delete => self.delete,
        }
    }
}

/// A trigger flow listening to a write's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowTap {
    pub flow: u64,
    pub kinds: KindSet,
    /// Only changes in this user's partition (a plain user's flow on a USER table).
    pub user: Option<String>,
}

impl FlowTap {
    /// Whether the tap takes a change of this kind in this partition.
    pub fn takes(&self, mode: RowMode, partition: Option<&str>) -> bool {
        self.kinds.takes(mode) && self.user.as_deref().is_none_or(|u| partition == Some(u))
    }
}

/// The kind of a queued change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "i")]
    Insert,
    #[serde(rename = "u")]
    Update,
    #[serde(rename = "d")]
    Delete,
}

impl EventKind {
    pub fn of(mode: RowMode) -> Self {
        match mode {
            RowMode::Insert | RowMode::Append => EventKind::Insert,
            RowMode::Update => EventKind::Update,
            RowMode::Delete => EventKind::Delete,
        }
    }
}

/// One committed row change waiting for a flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedEvent {
    #[serde(rename = "k")]
    pub kind: EventKind,
    /// The partition owner (USER and STREAM tables).
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The `_seq` of the change.
    #[serde(rename = "s")]
    pub seq: i64,
    /// The new version (absent for a DELETE).
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub new: Option<StoredRow>,
    /// The replaced version (absent for an INSERT).
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub old: Option<StoredRow>,
}

impl QueuedEvent {
    pub fn encode(&self, codec: &dyn Codec) -> Result<Vec<u8>> {
        Ok(encode(codec, self)?)
    }

    pub fn decode(codec: &dyn Codec, bytes: &[u8]) -> Result<Self> {
        Ok(decode(codec, bytes)?)
    }
}

/// The prefix of every queued event of one flow.
pub fn flow_prefix(flow: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(17);
    key.push(b'e');
    key.extend_from_slice(&flow.to_be_bytes());
    key
}

/// The key of one queued event.
pub fn event_key(flow: u64, seq: i64) -> Vec<u8> {
    let mut key = flow_prefix(flow);
    key.extend_from_slice(&crate::keys::encode_i64(seq));
    key
}
