//! Hot-store statistics kept by the writers: per partition (a column family, and for USER and
//! STREAM tables one user's range of it) the live rows and the bytes their versions take, and
//! a recent write rate. Never computed by a scan while serving:
//!
//! - each shard writer owns its column families, so it alone changes their counters; it adds
//!   the new absolute values of every partition a group touched to the group's own WriteBatch,
//!   so after a crash the persisted counters are exactly those of the rows that survived;
//! - at open the counters are read back from `system.stats`. A data directory written without
//!   them (an older version, or a run with statistics off) is counted once, by a scan, at open.
//!
//! Turning statistics off removes the marker, so the next start with them on counts again
//! instead of trusting counters that stopped following the rows.

use crate::keys::{CF_META, CF_STATS};
use crate::{Db, Result};
use kalamdb_plugin_api::{Codec, decode_row};
use kalamdb_types::UserId;
use parking_lot::RwLock;
use rocksdb::WriteBatch;
use std::collections::HashMap;

/// Marks that `system.stats` follows every committed row.
const MARKER_KEY: &[u8] = b"stats_counters_v1";
/// Prefix of hot partition records in `system.stats`.
const HOT_PREFIX: &[u8] = b"h/";

/// One partition of the hot store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    pub cf: String,
    /// The owner of the rows (USER and STREAM column families).
    pub user: Option<UserId>,
}

impl PartitionKey {
    /// The partition a row key of `cf` belongs to; `None` for system column families.
    pub fn of(cf: &str, key: &[u8]) -> Option<Self> {
        if cf.starts_with("user.") || cf.starts_with("stream.") {
            let len = u16::from_be_bytes([*key.first()?, *key.get(1)?]) as usize;
            let user = std::str::from_utf8(key.get(2..2 + len)?).ok()?;
            Some(Self {
                cf: cf.to_string(),
                user: Some(UserId::new(user)),
            })
        } else if cf.starts_with("shared.") {
            Some(Self {
                cf: cf.to_string(),
                user: None,
            })
        } else {
            None
        }
    }

    /// How many leading bytes of a row key of `cf` name its partition (the user prefix of
    /// USER and STREAM keys; none for SHARED ones).
    pub fn prefix_len(cf: &str, key: &[u8]) -> usize {
        if cf.starts_with("shared.") {
            return 0;
        }
        match (key.first(), key.get(1)) {
            (Some(a), Some(b)) => (2 + u16::from_be_bytes([*a, *b]) as usize).min(key.len()),
            _ => key.len(),
        }
    }

    fn record_key(&self) -> Vec<u8> {
        let mut key = HOT_PREFIX.to_vec();
        key.extend_from_slice(self.cf.as_bytes());
        key.push(0);
        if let Some(user) = &self.user {
            key.extend_from_slice(user.as_str().as_bytes());
        }
        key
    }

    fn from_record_key(key: &[u8]) -> Option<Self> {
        let rest = key.strip_prefix(HOT_PREFIX)?;
        let split = rest.iter().position(|b| *b == 0)?;
        let cf = std::str::from_utf8(&rest[..split]).ok()?.to_string();
        let user = &rest[split + 1..];
        let user = if cf.starts_with("shared.") {
            None
        } else {
            Some(UserId::new(std::str::from_utf8(user).ok()?))
        };
        Some(Self { cf, user })
    }
}

/// What the hot store holds of one partition.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HotCount {
    /// Live rows (tombstones not counted).
    pub rows: i64,
    /// Bytes of every version kept (keys and encoded values, tombstones included).
    pub bytes: i64,
    /// Row versions written in the current and the previous minute (see `writes_per_minute`).
    window: WriteWindow,
}

impl HotCount {
    /// Writes over the last 60 seconds (a sliding two-bucket estimate).
    pub fn writes_per_minute(&self, now_secs: i64) -> f64 {
        self.window.rate(now_secs)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct WriteWindow {
    minute: i64,
    current: u64,
    previous: u64,
}

impl WriteWindow {
    fn add(&mut self, now_secs: i64, n: u64) {
        let minute = now_secs.div_euclid(60);
        if minute != self.minute {
            self.previous = if minute == self.minute + 1 {
                self.current
            } else {
                0
            };
            self.current = 0;
            self.minute = minute;
        }
        self.current += n;
    }

    fn rate(&self, now_secs: i64) -> f64 {
        let minute = now_secs.div_euclid(60);
        let into = now_secs.rem_euclid(60) as f64 / 60.0;
        if minute == self.minute {
            self.previous as f64 * (1.0 - into) + self.current as f64
        } else if minute == self.minute + 1 {
            self.current as f64 * (1.0 - into)
        } else {
            0.0
        }
    }
}

/// Changes one group makes to its partitions, applied only once the group is committed.
#[derive(Default)]
pub(crate) struct Deltas {
    map: HashMap<PartitionKey, (i64, i64, u64)>,
}

impl Deltas {
    pub(crate) fn add(&mut self, partition: PartitionKey, rows: i64, bytes: i64, writes: u64) {
        let entry = self.map.entry(partition).or_default();
        entry.0 += rows;
        entry.1 += bytes;
        entry.2 += writes;
    }

    pub(crate) fn merge(&mut self, other: Deltas) {
        for (k, (r, b, w)) in other.map {
            self.add(k, r, b, w);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The counters of every hot partition, shared by the writers (each changes only its own
/// column families) and the readers of `system.stats`.
pub struct HotCounters {
    enabled: bool,
    /// The counters were rebuilt by a scan at open (the cold ones need refreshing too).
    recounted: bool,
    map: RwLock<HashMap<PartitionKey, HotCount>>,
}

fn encode(count: &HotCount) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&count.rows.to_be_bytes());
    out[8..].copy_from_slice(&count.bytes.to_be_bytes());
    out
}

fn decode(bytes: &[u8]) -> Option<HotCount> {
    let rows = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let bytes = i64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
    Some(HotCount {
        rows,
        bytes,
        window: WriteWindow::default(),
    })
}

impl HotCounters {
    /// Reads the counters back, or counts every table column family once when they were not
    /// kept (see the module docs). With `enabled` false nothing is counted.
    pub(crate) fn open(db: &Db, codec: &dyn Codec, enabled: bool) -> Result<Self> {
        let (Some(meta), Some(stats)) = (db.cf_handle(CF_META), db.cf_handle(CF_STATS)) else {
            return Err(crate::StoreError::Internal(
                "system column families missing".into(),
            ));
        };
        let mut map = HashMap::new();
        if !enabled {
            // Nothing follows the rows from now on: drop the marker and every record (hot and
            // cold), so a later start with statistics on rebuilds them instead of trusting them.
            db.delete_cf(&meta, MARKER_KEY)?;
            db.delete_range_cf(&stats, [0u8].as_slice(), [0xffu8; 8].as_slice())?;
            return Ok(Self {
                enabled,
                recounted: false,
                map: RwLock::new(map),
            });
        }
        let recounted = db.get_pinned_cf(&meta, MARKER_KEY)?.is_none();
        if !recounted {
            let mut iter = db.raw_iterator_cf(&stats);
            iter.seek(HOT_PREFIX);
            while let (Some(key), Some(value)) = (iter.key(), iter.value()) {
                if !key.starts_with(HOT_PREFIX) {
                    break;
                }
                if let (Some(k), Some(v)) = (PartitionKey::from_record_key(key), decode(value)) {
                    map.insert(k, v);
                }
                iter.next();
            }
            iter.status()?;
        } else {
            map = recount(db, codec)?;
            let mut batch = WriteBatch::default();
            let mut clear = db.raw_iterator_cf(&stats);
            clear.seek(HOT_PREFIX);
            while let Some(key) = clear.key() {
                if !key.starts_with(HOT_PREFIX) {
                    break;
                }
                batch.delete_cf(&stats, key);
                clear.next();
            }
            for (k, v) in &map {
                batch.put_cf(&stats, k.record_key(), encode(v));
            }
            batch.put_cf(&meta, MARKER_KEY, b"1");
            db.write(batch)?;
        }
        Ok(Self {
            enabled,
            recounted,
            map: RwLock::new(map),
        })
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether this open had to rebuild the counters by a scan.
    pub fn recounted(&self) -> bool {
        self.recounted
    }

    /// Adds the new absolute values of the partitions in `deltas` to a group's batch.
    pub(crate) fn stage(&self, db: &Db, deltas: &Deltas, batch: &mut WriteBatch) {
        let Some(stats) = db.cf_handle(CF_STATS) else {
            return;
        };
        let map = self.map.read();
        for (k, (rows, bytes, _)) in &deltas.map {
            let mut count = map.get(k).copied().unwrap_or_default();
            count.rows += rows;
            count.bytes += bytes;
            batch.put_cf(&stats, k.record_key(), encode(&count));
        }
    }

    /// Applies a committed group's changes.
    pub(crate) fn apply(&self, deltas: Deltas, now_secs: i64) {
        let mut map = self.map.write();
        for (k, (rows, bytes, writes)) in deltas.map {
            let count = map.entry(k).or_default();
            count.rows += rows;
            count.bytes += bytes;
            count.window.add(now_secs, writes);
        }
    }

    /// Forgets the partitions of a dropped column family (`system.stats` records included).
    pub(crate) fn forget_cf(&self, db: &Db, cf: &str) -> Result<()> {
        self.map.write().retain(|k, _| k.cf != cf);
        if let Some(stats) = db.cf_handle(CF_STATS) {
            let mut from = HOT_PREFIX.to_vec();
            from.extend_from_slice(cf.as_bytes());
            from.push(0);
            let mut to = HOT_PREFIX.to_vec();
            to.extend_from_slice(cf.as_bytes());
            to.push(1);
            db.delete_range_cf(&stats, from, to)?;
        }
        Ok(())
    }

    /// Every partition's counters.
    pub fn all(&self) -> Vec<(PartitionKey, HotCount)> {
        self.map
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

/// Counts every table column family by reading it (once, at open, see the module docs).
fn recount(db: &Db, codec: &dyn Codec) -> Result<HashMap<PartitionKey, HotCount>> {
    let mut map: HashMap<PartitionKey, HotCount> = HashMap::new();
    let names = Db::list_cf(&rocksdb::Options::default(), db.path())?;
    for cf in names {
        let Some(handle) = db.cf_handle(&cf) else {
            continue;
        };
        if PartitionKey::of(&cf, &[0, 0]).is_none() {
            continue;
        }
        let mut iter = db.raw_iterator_cf(&handle);
        iter.seek_to_first();
        while let (Some(key), Some(value)) = (iter.key(), iter.value()) {
            if let Some(part) = PartitionKey::of(&cf, key) {
                let count = map.entry(part).or_default();
                count.bytes += (key.len() + value.len()) as i64;
                if decode_row(codec, value).is_ok_and(|row| !row.deleted) {
                    count.rows += 1;
                }
            }
            iter.next();
        }
        iter.status()?;
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys_round_trip_through_records() {
        let mut key = crate::keys::user_prefix(&UserId::new("alice"));
        key.extend_from_slice(&crate::keys::encode_i64(7));
        let Some(p) = PartitionKey::of("user.s01.app.t", &key) else {
            panic!("a user key has a partition");
        };
        assert_eq!(p.user, Some(UserId::new("alice")));
        assert_eq!(PartitionKey::from_record_key(&p.record_key()), Some(p));
        let shared = PartitionKey::of("shared.app.t", b"k");
        assert_eq!(shared.as_ref().and_then(|s| s.user.clone()), None);
        assert_eq!(PartitionKey::of("system.users", b"k"), None);
    }

    #[test]
    fn write_rate_slides_over_the_minute() {
        let mut w = WriteWindow::default();
        w.add(120, 10);
        assert_eq!(w.rate(120), 10.0);
        w.add(190, 6);
        // 10 s into the next minute: 5/6 of the previous 10 plus the current 6.
        assert!((w.rate(190) - (10.0 * 50.0 / 60.0 + 6.0)).abs() < 1e-9);
        assert_eq!(w.rate(400), 0.0);
    }
}
