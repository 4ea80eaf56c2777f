//! Cold-storage statistics: per folder (a SHARED table, or one user's partition of a USER
//! table) the rows, bytes and Parquet files its manifest lists, when a flush last committed
//! there, and per column how many rows hold a value. Derived from the manifest each time one
//! is written or read from the storage — never by listing or reading files — and kept in
//! `system.stats`, so they are known at start without reading every manifest.
//!
//! A crash between a manifest write and its record leaves the record one step behind; the
//! next write or read of that folder's manifest sets it right. Records are persisted one at a
//! time in the order the counts changed, so the persisted record is never older than memory.

use crate::manifest::Manifest;
use kalamdb_store::HotStore;
use kalamdb_store::keys::CF_STATS;
use kalamdb_types::{TableId, UserId};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A Parquet file under this size counts as small (compaction merges small files).
pub const SMALL_SEGMENT_BYTES: usize = 1024 * 1024;

const COLD_PREFIX: &[u8] = b"c/";

/// What one folder holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColdCount {
    /// Row versions in its Parquet files (tombstones and superseded versions included, until
    /// compaction merges them).
    pub rows: u64,
    pub bytes: u64,
    pub files: u64,
    /// Files under [`SMALL_SEGMENT_BYTES`].
    pub small_files: u64,
    pub last_flush_micros: Option<i64>,
    /// Per column, the rows holding a value.
    #[serde(default)]
    pub filled: BTreeMap<String, u64>,
    /// `created_at` of the table these counts are of: counts of a dropped table of the same
    /// name are never taken for the new one's.
    #[serde(default)]
    pub incarnation: i64,
}

impl ColdCount {
    pub fn of(manifest: &Manifest, incarnation: i64) -> Self {
        let mut count = ColdCount {
            last_flush_micros: manifest.last_flush_micros,
            incarnation,
            ..Default::default()
        };
        for s in &manifest.segments {
            count.rows += s.rows as u64;
            count.bytes += s.bytes as u64;
            count.files += 1;
            if s.bytes < SMALL_SEGMENT_BYTES {
                count.small_files += 1;
            }
            for (column, n) in &s.filled {
                *count.filled.entry(column.clone()).or_default() += n;
            }
        }
        count
    }
}

/// Which folder: a table, and the user for a USER table's partition.
pub type FolderKey = (TableId, Option<UserId>);

fn record_key(key: &FolderKey) -> Vec<u8> {
    let mut out = COLD_PREFIX.to_vec();
    out.extend_from_slice(key.0.to_string().as_bytes());
    out.push(0);
    if let Some(user) = &key.1 {
        out.extend_from_slice(user.as_str().as_bytes());
    }
    out
}

#[derive(Serialize, Deserialize)]
struct Record {
    table: TableId,
    user: Option<UserId>,
    count: ColdCount,
}

/// Every folder's counters, each with the manifest-cache version it was taken at (a read
/// that began before a write never overwrites what the write recorded).
#[derive(Default)]
pub struct ColdCounters {
    map: RwLock<HashMap<FolderKey, (ColdCount, u64)>>,
}

impl ColdCounters {
    /// Reads the persisted counters (unreadable records are skipped: the next manifest write
    /// or read of their folder writes them again).
    pub fn load(store: &HotStore) -> Self {
        let mut map = HashMap::new();
        match store.scan_raw(CF_STATS, COLD_PREFIX) {
            Ok(records) => {
                for (_, bytes) in records {
                    if let Ok(r) = serde_json::from_slice::<Record>(&bytes) {
                        map.insert((r.table, r.user), (r.count, 0));
                    }
                }
            }
            Err(e) => tracing::warn!("cold statistics could not be read: {e}"),
        }
        Self {
            map: RwLock::new(map),
        }
    }

    /// Records what a folder's manifest (of the table incarnation `incarnation`) says as of
    /// cache `version`; returns the record to persist when it changed.
    pub fn observe(
        &self,
        key: FolderKey,
        manifest: &Manifest,
        incarnation: i64,
        version: u64,
    ) -> Option<kalamdb_store::RawOp> {
        let count = ColdCount::of(manifest, incarnation);
        let mut map = self.map.write();
        match map.get(&key) {
            Some((known, seen)) if *seen > version && known.incarnation == incarnation => {
                return None;
            }
            Some((known, _)) if *known == count => {
                map.insert(key, (count, version));
                return None;
            }
            _ => {}
        }
        Self::record(&mut map, key, count, version)
    }

    fn record(
        map: &mut HashMap<FolderKey, (ColdCount, u64)>,
        key: FolderKey,
        count: ColdCount,
        version: u64,
    ) -> Option<kalamdb_store::RawOp> {
        let value = serde_json::to_vec(&Record {
            table: key.0.clone(),
            user: key.1.clone(),
            count: count.clone(),
        })
        .ok()?;
        let op = kalamdb_store::RawOp {
            cf: CF_STATS.into(),
            key: record_key(&key),
            value: Some(value),
        };
        map.insert(key, (count, version));
        Some(op)
    }

    /// Forgets a dropped table's folders; returns the record deletions.
    pub fn forget_table(&self, table: &TableId) -> Vec<kalamdb_store::RawOp> {
        let mut map = self.map.write();
        let doomed: Vec<FolderKey> = map.keys().filter(|k| &k.0 == table).cloned().collect();
        doomed
            .into_iter()
            .map(|k| {
                map.remove(&k);
                kalamdb_store::RawOp {
                    cf: CF_STATS.into(),
                    key: record_key(&k),
                    value: None,
                }
            })
            .collect()
    }

    pub fn all(&self) -> Vec<(FolderKey, ColdCount)> {
        self.map
            .read()
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }
}
