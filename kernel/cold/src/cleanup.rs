//! Deleted-row cleanup (`CLEANUP DELETED ROWS`): tombstones older than a cutoff go, with every
//! version they hide, and so do versions superseded before the cutoff — in the hot store and
//! in Parquet. Unlike compaction it rewrites only the segments that hold such a version and
//! leaves the rest of the folder as it is.
//!
//! Per partition (one user's rows of a USER table, or a SHARED table):
//! 1. read every cold version (segment by segment) and every hot one;
//! 2. per key, order the versions by `_seq`: a version is purged when the version after it
//!    was written before the cutoff, and the newest when it is a tombstone written before it;
//! 3. write the affected segments again without the purged versions and commit them in one
//!    manifest write, then delete the old files;
//! 4. delete the purged hot tombstones, each only if it is still the current version.
//!
//! Why it is safe: a purged version is always hidden by a newer one that stays, or it is (or
//! lies under) an expired tombstone. Cold goes before hot, so a crash between 3 and 4 leaves
//! the hot tombstone hiding nothing; it goes the next time. The table's cold gate is held, so
//! no flush or compaction rewrites the manifest meanwhile; writes go on, and a version written
//! meanwhile is newer than everything purged.

use crate::ColdStore;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_plugin_api::value::StoredRow;
use kalamdb_store::seq::SeqGenerator;
use kalamdb_types::{TableId, TableType, UserId};
use object_store::ObjectStoreExt;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a cleanup removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CleanupReport {
    /// Tombstones purged (hot and cold).
    pub tombstones: usize,
    /// Superseded versions purged (hot and cold).
    pub superseded: usize,
    /// Parquet segments written again.
    pub segments_rewritten: usize,
}

impl std::ops::AddAssign for CleanupReport {
    fn add_assign(&mut self, other: Self) {
        self.tombstones += other.tombstones;
        self.superseded += other.superseded;
        self.segments_rewritten += other.segments_rewritten;
    }
}

/// Where one version lives.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Place {
    /// In the cold segment of this index in the manifest.
    Cold(usize),
    Hot,
}

struct Version {
    place: Place,
    seq: i64,
    deleted: bool,
}

/// The versions to purge, as `(place, seq)`, and how many of them are tombstones.
fn doomed(
    versions: HashMap<String, Vec<Version>>,
    cutoff_ms: i64,
) -> (HashSet<(Place, i64)>, CleanupReport) {
    let before_cutoff = |seq: i64| SeqGenerator::unix_millis(seq) < cutoff_ms;
    let mut out = HashSet::new();
    let mut report = CleanupReport::default();
    for (_, mut list) in versions {
        list.sort_by_key(|v| v.seq);
        for (i, v) in list.iter().enumerate() {
            let purge = match list.get(i + 1) {
                Some(next) => before_cutoff(next.seq),
                None => v.deleted && before_cutoff(v.seq),
            };
            if purge {
                if v.deleted {
                    report.tombstones += 1;
                } else {
                    report.superseded += 1;
                }
                out.insert((v.place, v.seq));
            }
        }
    }
    (out, report)
}

/// Splits a USER-table key into its user id.
fn key_user(key: &[u8]) -> Option<UserId> {
    let len = u16::from_be_bytes([*key.first()?, *key.get(1)?]) as usize;
    let bytes = key.get(2..2 + len)?;
    Some(UserId::new(String::from_utf8_lossy(bytes).into_owned()))
}

impl ColdStore {
    /// Purges, in every partition of a table, tombstones written before `cutoff_ms` (Unix
    /// milliseconds) with what they hide, and versions superseded before it.
    pub async fn cleanup_table(&self, table: &TableId, cutoff_ms: i64) -> Result<CleanupReport> {
        let gate = self.gate(table);
        let _one_cold_writer = gate.cold.lock().await;
        let entry = self.catalog.require_table(table)?;
        if matches!(entry.def.table_type, TableType::Stream | TableType::System) {
            return Err(KalamError::Execution(format!(
                "{} table {table} keeps no deleted rows to clean up",
                entry.def.table_type
            )));
        }
        // Hot versions by partition: (column family, key, row).
        let mut hot: BTreeMap<Option<UserId>, Vec<(String, Vec<u8>, StoredRow)>> = BTreeMap::new();
        for cf in self.store.table_cfs(&entry.def.id, entry.def.table_type) {
            let store = self.store.clone();
            let scan_cf = cf.clone();
            let rows = tokio::task::spawn_blocking(move || store.scan_rows(&scan_cf, b""))
                .await
                .map_err(KalamError::internal)??;
            for (key, row) in rows {
                let user = match entry.def.table_type {
                    TableType::User => key_user(&key),
                    _ => None,
                };
                hot.entry(user).or_default().push((cf.clone(), key, row));
            }
        }
        let mut partitions: Vec<Option<UserId>> = self.partitions(&entry.def);
        for user in hot.keys() {
            if !partitions.contains(user) {
                partitions.push(user.clone());
            }
        }
        let mut report = CleanupReport::default();
        for user in partitions {
            let hot_rows = hot.remove(&user).unwrap_or_default();
            report += self
                .cleanup_partition(&entry, user.as_ref(), hot_rows, cutoff_ms, &gate)
                .await?;
        }
        Ok(report)
    }

    async fn cleanup_partition(
        &self,
        entry: &kalamdb_catalog::TableEntry,
        user: Option<&UserId>,
        hot_rows: Vec<(String, Vec<u8>, StoredRow)>,
        cutoff_ms: i64,
        gate: &crate::gate::TableGate,
    ) -> Result<CleanupReport> {
        let loc = self.cold_location(&entry.def, user)?;
        let manifest = self.read_manifest(&loc).await?;
        let pk = entry.def.primary_key().map(|c| c.id);
        let key_of = |row: &StoredRow| {
            pk.and_then(|id| row.get(id))
                .map(|v| v.display())
                .unwrap_or_else(|| row.seq.to_string())
        };
        let mut versions: HashMap<String, Vec<Version>> = HashMap::new();
        let mut cold_rows: Vec<Vec<StoredRow>> = Vec::with_capacity(manifest.segments.len());
        for (i, segment) in manifest.segments.iter().enumerate() {
            let rows = self.read_segments(&loc, entry, &[segment]).await?;
            for row in &rows {
                versions.entry(key_of(row)).or_default().push(Version {
                    place: Place::Cold(i),
                    seq: row.seq,
                    deleted: row.deleted,
                });
            }
            cold_rows.push(rows);
        }
        for (_, _, row) in &hot_rows {
            versions.entry(key_of(row)).or_default().push(Version {
                place: Place::Hot,
                seq: row.seq,
                deleted: row.deleted,
            });
        }
        let (doomed, report) = doomed(versions, cutoff_ms);
        if doomed.is_empty() {
            return Ok(report);
        }
        let mut report = report;
        let mut new_manifest = (*manifest).clone();
        let mut replaced = Vec::new();
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for (i, (segment, rows)) in manifest.segments.iter().zip(cold_rows).enumerate() {
            if !rows
                .iter()
                .any(|r| doomed.contains(&(Place::Cold(i), r.seq)))
            {
                segments.push(segment.clone());
                continue;
            }
            let kept: Vec<StoredRow> = rows
                .into_iter()
                .filter(|r| !doomed.contains(&(Place::Cold(i), r.seq)))
                .collect();
            if !kept.is_empty() {
                segments.push(self.write_segment(&loc, entry, &kept).await?);
            }
            replaced.push(segment.file.clone());
            report.segments_rewritten += 1;
        }
        if !replaced.is_empty() {
            new_manifest.segments = segments;
            kalamdb_base::failpoint::abort_at("cleanup.after_segments");
            self.write_manifest(&loc, &new_manifest).await?;
            kalamdb_base::failpoint::abort_at("cleanup.after_manifest");
            let store = loc.backend.object_store();
            for file in replaced {
                let path = loc.path(&file);
                if let Err(e) = store.delete(&path).await {
                    tracing::warn!("cleanup left {path} behind: {e}");
                }
            }
        }
        let mut evict: BTreeMap<String, Vec<(Vec<u8>, i64)>> = BTreeMap::new();
        for (cf, key, row) in hot_rows {
            if doomed.contains(&(Place::Hot, row.seq)) {
                evict.entry(cf).or_default().push((key, row.seq));
            }
        }
        if !evict.is_empty() {
            kalamdb_base::failpoint::abort_at("cleanup.before_hot");
            let _no_insert_checking = gate.evict.write().await;
            for (cf, items) in evict {
                self.store.evict(&cf, items).await?;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::{Place, Version, doomed};
    use kalamdb_store::seq::SeqGenerator;
    use std::collections::HashMap;

    /// A `_seq` written at `ms` (Unix milliseconds).
    fn seq_at(ms: i64) -> i64 {
        let base = SeqGenerator::unix_millis(0);
        (ms - base) << 22
    }

    fn v(place: Place, ms: i64, deleted: bool) -> Version {
        Version {
            place,
            seq: seq_at(ms),
            deleted,
        }
    }

    #[test]
    fn an_old_tombstone_goes_with_what_it_hides_and_a_recent_one_stays() {
        let now = 2_000_000_000_000;
        let cutoff = now - 3_600_000;
        let mut versions = HashMap::new();
        versions.insert(
            "old".to_string(),
            vec![
                v(Place::Cold(0), cutoff - 20, false),
                v(Place::Hot, cutoff - 10, true),
            ],
        );
        versions.insert(
            "recent".to_string(),
            vec![
                v(Place::Cold(0), cutoff - 20, false),
                v(Place::Cold(1), now, true),
            ],
        );
        versions.insert(
            "live".to_string(),
            vec![v(Place::Cold(1), cutoff - 5, false)],
        );
        let (out, report) = doomed(versions, cutoff);
        assert_eq!(report.tombstones, 1);
        assert_eq!(report.superseded, 1);
        assert!(out.contains(&(Place::Hot, seq_at(cutoff - 10))));
        assert!(out.contains(&(Place::Cold(0), seq_at(cutoff - 20))));
        assert!(!out.contains(&(Place::Cold(1), seq_at(now))));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_version_superseded_after_the_cutoff_stays() {
        let cutoff = 2_000_000_000_000;
        let mut versions = HashMap::new();
        versions.insert(
            "k".to_string(),
            vec![
                v(Place::Cold(0), cutoff - 30, false),
                v(Place::Cold(1), cutoff - 20, false),
                v(Place::Hot, cutoff + 10, false),
            ],
        );
        let (out, report) = doomed(versions, cutoff);
        assert_eq!(report.superseded, 1);
        assert!(out.contains(&(Place::Cold(0), seq_at(cutoff - 30))));
        assert!(!out.contains(&(Place::Cold(1), seq_at(cutoff - 20))));
    }
}
