//! Compaction: a folder's many small segments become one. Superseded versions are dropped;
//! tombstones are dropped once older than the table's `DELETED_RETENTION_HOURS` (default: the
//! configured `storage.deleted_retention_hours`, 168),
//! since an older version they hide can only be in the segments being merged. The new segment
//! is committed in the manifest before the old files are deleted, so a crash leaves either the
//! old or the new set listed, never neither. The table's cold gate is held throughout, so a
//! flush never commits a segment into a manifest that compaction is about to replace.

use crate::{ColdLocation, ColdStore};
use kalamdb_base::error::{KalamError, Result};
use kalamdb_catalog::TableEntry;
use kalamdb_plugin_api::value::StoredRow;
use kalamdb_store::seq::SeqGenerator;
use kalamdb_types::{TableId, TableType};
use object_store::ObjectStoreExt;
use object_store::path::Path;
use std::collections::HashMap;

/// Default `DELETED_RETENTION_HOURS`.
pub const DEFAULT_RETENTION_HOURS: u64 = 168;

impl ColdStore {
    /// Compacts every folder of a table that has more than `min_segments` segments
    /// (0: every folder with two or more). Returns how many folders were compacted.
    pub async fn compact_table(&self, table: &TableId, min_segments: usize) -> Result<usize> {
        let gate = self.gate(table);
        let _one_cold_writer = gate.cold.lock().await;
        let entry = self.catalog.require_table(table)?;
        if entry.def.table_type == TableType::Stream {
            return Err(KalamError::Execution(format!(
                "STREAM table {table} has no cold files to compact"
            )));
        }
        let mut compacted = 0;
        for user in self.partitions(&entry.def) {
            let loc = self.cold_location(&entry.def, user.as_ref())?;
            let manifest = self.read_manifest(&loc).await?;
            if manifest.segments.len() < 2 || manifest.segments.len() <= min_segments {
                continue;
            }
            self.compact_folder(&entry, &loc).await?;
            compacted += 1;
        }
        Ok(compacted)
    }

    pub(crate) async fn compact_folder(
        &self,
        entry: &TableEntry,
        loc: &ColdLocation,
    ) -> Result<()> {
        let manifest = self.read_manifest(loc).await?;
        let segments: Vec<&super::manifest::Segment> = manifest.segments.iter().collect();
        let rows = self.read_segments(loc, entry, &segments).await?;
        let retention_hours = entry
            .def
            .options
            .deleted_retention_hours
            .unwrap_or(self.default_retention_hours);
        let cutoff_ms =
            chrono::Utc::now().timestamp_millis() - (retention_hours as i64) * 3_600_000;
        let pk = entry.def.primary_key().map(|c| c.id);
        let mut latest: HashMap<String, StoredRow> = HashMap::new();
        for row in rows {
            let key = pk
                .and_then(|id| row.get(id))
                .map(|v| v.display())
                .unwrap_or_else(|| row.seq.to_string());
            match latest.get(&key) {
                Some(existing) if existing.seq >= row.seq => {}
                _ => {
                    latest.insert(key, row);
                }
            }
        }
        let mut kept: Vec<StoredRow> = latest
            .into_values()
            .filter(|r| !r.deleted || SeqGenerator::unix_millis(r.seq) >= cutoff_ms)
            .collect();
        kept.sort_by_key(|r| r.seq);
        let mut new_manifest = super::manifest::Manifest {
            last_flush_micros: manifest.last_flush_micros,
            ..Default::default()
        };
        if !kept.is_empty() {
            new_manifest
                .segments
                .push(self.write_segment(loc, entry, &kept).await?);
        }
        kalamdb_base::failpoint::abort_at("compact.after_segment");
        self.write_manifest(loc, &new_manifest).await?;
        kalamdb_base::failpoint::abort_at("compact.after_manifest");
        let store = loc.backend.object_store();
        for old in &manifest.segments {
            let path = Path::from(format!("{}/{}", loc.folder, old.file));
            if let Err(e) = store.delete(&path).await {
                tracing::warn!("compaction left {path} behind: {e}");
            }
        }
        Ok(())
    }
}
