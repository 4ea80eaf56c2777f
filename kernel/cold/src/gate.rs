//! Per-table locks for cold storage. Two races lost acknowledged rows before they existed:
//!
//! - a flush and a compaction of one table each read a folder's manifest, then wrote their own
//!   version of it: whichever wrote last dropped the other's segment (or listed deleted files).
//!   [`TableGate::cold`] makes flush, compaction and DROP TABLE of one table take turns, so a
//!   folder's manifest has one writer at a time.
//! - INSERT checks cold storage for a duplicate key outside the shard writer, and the writer
//!   then checks only the hot store. A flush evicting the key in between let the INSERT
//!   overwrite an existing row. INSERT holds [`TableGate::evict`] shared from its cold check to
//!   its commit, and a flush holds it exclusively only while it evicts: a check that starts
//!   after an eviction sees the committed manifest, one that started before finishes first.

use kalamdb_types::TableId;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// The locks of one table (by name: a table dropped and created again shares them, which also
/// orders the DROP's cleanup before the new table's first flush).
#[derive(Default)]
pub struct TableGate {
    /// Held by flush, compaction and DROP TABLE for the whole of their cold-storage work.
    pub cold: tokio::sync::Mutex<()>,
    /// Shared by INSERT's duplicate check and write; exclusive while a flush evicts.
    pub evict: tokio::sync::RwLock<()>,
}

/// Every table's gate, made on first use.
#[derive(Default)]
pub struct Gates {
    tables: Mutex<HashMap<TableId, Arc<TableGate>>>,
}

impl Gates {
    pub fn of(&self, table: &TableId) -> Arc<TableGate> {
        let mut tables = self.tables.lock();
        if let Some(gate) = tables.get(table) {
            return gate.clone();
        }
        tables.entry(table.clone()).or_default().clone()
    }
}
