//! Flush: hot rows of a table move to Parquet in its storage, per user for USER tables.
//! Order of steps, and why it is crash-safe:
//! 1. read the partition's hot versions (tombstones too: they hide older cold rows);
//! 2. write a Parquet segment under a temporary name and rename it;
//! 3. commit the segment in `manifest.json` (temporary name, rename);
//! 4. delete the flushed hot versions, each only if it is still the current one.
//!
//! A crash before 3 leaves an unlisted file that is ignored; a crash between 3 and 4 leaves the
//! same version hot and cold, and reads keep one version per key. Nothing is lost or doubled.
//! The table's cold gate is held throughout, so no compaction or DROP rewrites the manifest
//! between 3's read and write (see [`super::gate`]).

use crate::ColdStore;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_plugin_api::value::StoredRow;
use kalamdb_types::{TableId, TableType, UserId};

/// Default of `EngineConfig::compaction_threshold`: a folder with more segments than this gets
/// a compaction job after a flush.
pub const DEFAULT_COMPACTION_THRESHOLD: usize = 8;

/// What a flush did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FlushReport {
    pub rows: usize,
    pub segments: usize,
    /// Folders left with more segments than the compaction threshold.
    pub crowded_folders: usize,
}

/// Splits a USER-table key into its user id.
fn key_user(key: &[u8]) -> Option<UserId> {
    let len = u16::from_be_bytes([*key.first()?, *key.get(1)?]) as usize;
    let bytes = key.get(2..2 + len)?;
    Some(UserId::new(String::from_utf8_lossy(bytes).into_owned()))
}

impl ColdStore {
    /// Flushes every hot row of a table; `cancelled` is checked between partitions. Folders
    /// left with more than `compaction_threshold` segments are counted in the report.
    pub async fn flush_table(
        &self,
        table: &TableId,
        compaction_threshold: usize,
        cancelled: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<FlushReport> {
        let gate = self.gate(table);
        let _one_cold_writer = gate.cold.lock().await;
        let entry = self.catalog.require_table(table)?;
        if entry.def.table_type == TableType::Stream {
            return Err(KalamError::Execution(format!(
                "STREAM table {table} cannot be flushed: its rows expire after TTL_SECONDS"
            )));
        }
        let mut report = FlushReport::default();
        for cf in self.store.table_cfs(&entry.def.id, entry.def.table_type) {
            let store = self.store.clone();
            let scan_cf = cf.clone();
            let rows = tokio::task::spawn_blocking(move || store.scan_rows(&scan_cf, b""))
                .await
                .map_err(KalamError::internal)??;
            // Group by partition, keeping key order.
            let mut groups: Vec<(Option<UserId>, Vec<(Vec<u8>, StoredRow)>)> = Vec::new();
            for (key, row) in rows {
                let user = match entry.def.table_type {
                    TableType::User => key_user(&key),
                    _ => None,
                };
                match groups.last_mut() {
                    Some((u, list)) if *u == user => list.push((key, row)),
                    _ => groups.push((user, vec![(key, row)])),
                }
            }
            for (user, versions) in groups {
                if cancelled() {
                    return Err(KalamError::Execution("flush cancelled".into()));
                }
                let loc = self.cold_location(&entry.def, user.as_ref())?;
                let rows: Vec<StoredRow> = versions.iter().map(|(_, r)| r.clone()).collect();
                let segment = self.write_segment(&loc, &entry, &rows).await?;
                kalamdb_base::failpoint::abort_at("flush.after_segment");
                let mut manifest = (*self.read_manifest(&loc).await?).clone();
                manifest.segments.push(segment);
                manifest.last_flush_micros = Some(kalamdb_base::now_micros());
                self.write_manifest(&loc, &manifest).await?;
                kalamdb_base::failpoint::abort_at("flush.after_manifest");
                if manifest.segments.len() > compaction_threshold {
                    report.crowded_folders += 1;
                }
                let evict: Vec<(Vec<u8>, i64)> =
                    versions.into_iter().map(|(k, r)| (k, r.seq)).collect();
                {
                    let _no_insert_checking = gate.evict.write().await;
                    self.store.evict(&cf, evict).await?;
                }
                report.rows += rows.len();
                report.segments += 1;
            }
        }
        Ok(report)
    }
}
