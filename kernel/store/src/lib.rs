//! The hot store: RocksDB with one column family per (shard, table) for USER tables
//! (`user.s03.app.messages`), one per SHARED or STREAM table, and one per system record kind.
//! Reads go straight to RocksDB; every mutation goes through its shard's single writer
//! ([`writer`]), which group-commits concurrent commands into one WriteBatch.
//!
//! - [`keys`]: order-preserving key encodings and column family names.
//! - [`writer`]: shard writers, commands and group commit.
//! - [`seq`]: the `_seq` snowflake generator.
//! - [`counters`]: per-partition row and byte counters the writers keep (statistics).
//! - [`feed`]: the change feed the writers publish each commit to (live queries subscribe to it).
//! - [`flowq`]: the durable queue of committed changes for trigger flows, written in the same
//!   WriteBatch as the rows.
//! - [`error`]: `StoreError`.
//!
//! This crate knows RocksDB and the codec contract, nothing of SQL, DataFusion or the catalog:
//! the engine (`kalamdb-core`) depends on it, never the other way.

pub mod counters;
pub mod error;
pub mod feed;
pub mod flowq;
pub mod keys;
pub mod seq;
pub mod writer;

pub use error::{Result, StoreError};

use kalamdb_plugin_api::StoredRow;
use kalamdb_plugin_api::{Codec, decode_row};
use kalamdb_types::{ShardId, TableId, TableType, UserId};
use rocksdb::{ColumnFamilyDescriptor, DBWithThreadMode, MultiThreaded, Options};
use std::path::Path;
use std::sync::Arc;
pub use writer::{Command, RawOp, RowMode, RowOp, TableWrite, WriteOutcome};

pub type Db = DBWithThreadMode<MultiThreaded>;

/// Tuning of the hot store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Number of user shards (column families per USER table, and writer threads).
    pub user_shards: u32,
    /// fsync the WAL on every group commit. Off: a write is acknowledged once it is in the
    /// WAL (survives a process crash, not a power loss), like PostgreSQL's
    /// `synchronous_commit=off`.
    pub sync_writes: bool,
    /// Upper bound of commands one group commit takes.
    pub max_batch_commands: usize,
    /// RocksDB's own log files and WAL size.
    pub rocksdb: RocksDbSettings,
    /// Keep per-partition row and byte counters ([`counters`]).
    pub statistics: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            user_shards: 8,
            sync_writes: false,
            max_batch_commands: 512,
            rocksdb: RocksDbSettings::default(),
            statistics: true,
        }
    }
}

/// RocksDB figures (see [`HotStore::stats`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreStats {
    pub column_families: u64,
    pub estimated_keys: u64,
    pub sst_bytes: u64,
    pub memtable_bytes: u64,
    pub background_errors: u64,
}

/// RocksDB's info LOG and WAL bounds, so disk use stays bounded.
#[derive(Clone, Debug, PartialEq)]
pub struct RocksDbSettings {
    /// Old info LOG files kept.
    pub keep_log_file_num: usize,
    /// Size at which the info LOG rolls over to a new file, in bytes (0: never by size).
    pub max_log_file_size: usize,
    /// `debug`, `info`, `warn`, `error` or `fatal`.
    pub log_level: String,
    /// Total WAL size that forces memtables of idle column families to flush, in bytes.
    pub max_total_wal_size: u64,
}

impl Default for RocksDbSettings {
    fn default() -> Self {
        Self {
            keep_log_file_num: 5,
            max_log_file_size: 10 * 1024 * 1024,
            log_level: "warn".into(),
            max_total_wal_size: 256 * 1024 * 1024,
        }
    }
}

impl RocksDbSettings {
    /// Parses the log level; the error names the valid ones.
    pub fn level(&self) -> Result<rocksdb::LogLevel> {
        Ok(match self.log_level.to_ascii_lowercase().as_str() {
            "debug" => rocksdb::LogLevel::Debug,
            "info" => rocksdb::LogLevel::Info,
            "warn" => rocksdb::LogLevel::Warn,
            "error" => rocksdb::LogLevel::Error,
            "fatal" => rocksdb::LogLevel::Fatal,
            other => {
                return Err(StoreError::InvalidDefinition(format!(
                    "RocksDB log level '{other}' is not one of debug, info, warn, error, fatal"
                )));
            }
        })
    }
}

/// Which writer a command goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterId {
    User(ShardId),
    Shared,
    System,
}

pub struct HotStore {
    db: Arc<Db>,
    codec: Arc<dyn Codec>,
    writers: writer::Writers,
    counters: Arc<counters::HotCounters>,
    options: StoreOptions,
    undecodable: std::sync::atomic::AtomicU64,
}

impl HotStore {
    /// Opens (or creates) the store in `path`, with every column family already on disk.
    pub fn open(
        path: &Path,
        codec: Arc<dyn Codec>,
        options: StoreOptions,
        feed: Arc<crate::feed::ChangeFeed>,
    ) -> Result<Self> {
        let mut db_opts = Options::default();
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        db_opts.set_keep_log_file_num(options.rocksdb.keep_log_file_num.max(1));
        db_opts.set_max_log_file_size(options.rocksdb.max_log_file_size);
        db_opts.set_log_level(options.rocksdb.level()?);
        db_opts.set_max_total_wal_size(options.rocksdb.max_total_wal_size);
        let existing = Db::list_cf(&db_opts, path).unwrap_or_default();
        let mut names: Vec<String> = existing;
        for name in keys::SYSTEM_CFS {
            if !names.iter().any(|n| n == name) {
                names.push((*name).to_string());
            }
        }
        let descriptors = names
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(n, Options::default()));
        let db = Db::open_cf_descriptors(&db_opts, path, descriptors).map_err(|e| {
            let text = e.to_string();
            if text.contains("lock") {
                StoreError::Storage(format!(
                    "data directory '{}' is in use by another KalamDB server",
                    path.display()
                ))
            } else {
                StoreError::from(e)
            }
        })?;
        let db = Arc::new(db);
        let counters = Arc::new(counters::HotCounters::open(
            &db,
            codec.as_ref(),
            options.statistics,
        )?);
        let writers =
            writer::Writers::start(db.clone(), codec.clone(), &options, feed, counters.clone());
        Ok(Self {
            db,
            codec,
            writers,
            counters,
            options,
            undecodable: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn codec(&self) -> &Arc<dyn Codec> {
        &self.codec
    }

    /// The per-partition counters the writers keep.
    pub fn counters(&self) -> &counters::HotCounters {
        &self.counters
    }

    /// Column families that exist now.
    pub fn column_family_names(&self) -> Result<Vec<String>> {
        Ok(Db::list_cf(&Options::default(), self.db.path())?)
    }

    pub fn user_shards(&self) -> u32 {
        self.options.user_shards
    }

    pub fn shard_of(&self, user: &UserId) -> ShardId {
        ShardId::of_user(user, self.options.user_shards)
    }

    /// Every column family a table's rows can be in (each shard's, for a USER table).
    pub fn table_cfs(&self, table: &TableId, table_type: TableType) -> Vec<String> {
        match table_type {
            TableType::User => (0..self.user_shards())
                .map(|s| keys::user_table_cf(ShardId(s), table))
                .collect(),
            TableType::Shared => vec![keys::shared_table_cf(table)],
            TableType::Stream => vec![keys::stream_table_cf(table)],
            TableType::System => Vec::new(),
        }
    }

    /// Where a table's rows for `user` live and who writes them: the one routing rule. USER
    /// tables: the user's shard (writer and column family); STREAM tables: the user's shard's
    /// writer, one column family; SHARED tables: the shared writer and column family.
    pub fn route(
        &self,
        table: &TableId,
        table_type: TableType,
        user: &UserId,
    ) -> (WriterId, String) {
        match table_type {
            TableType::User => {
                let shard = self.shard_of(user);
                (WriterId::User(shard), keys::user_table_cf(shard, table))
            }
            TableType::Stream => (
                WriterId::User(self.shard_of(user)),
                keys::stream_table_cf(table),
            ),
            _ => (WriterId::Shared, keys::shared_table_cf(table)),
        }
    }

    /// Creates a column family if it does not exist yet.
    /// RocksDB figures summed over every column family, for health and metrics.
    pub fn stats(&self) -> Result<StoreStats> {
        let mut stats = StoreStats::default();
        let names = Db::list_cf(&Options::default(), self.db.path())?;
        stats.column_families = names.len() as u64;
        for name in names {
            let Some(cf) = self.db.cf_handle(&name) else {
                continue;
            };
            let prop = |p: &str| -> Result<u64> {
                Ok(self.db.property_int_value_cf(&cf, p)?.unwrap_or(0))
            };
            stats.estimated_keys += prop("rocksdb.estimate-num-keys")?;
            stats.sst_bytes += prop("rocksdb.total-sst-files-size")?;
            stats.memtable_bytes += prop("rocksdb.cur-size-all-mem-tables")?;
        }
        stats.background_errors = self.background_errors()?;
        Ok(stats)
    }

    /// RocksDB's count of background errors (failed flushes or compactions): one property
    /// read, cheap enough for every healthcheck.
    pub fn background_errors(&self) -> Result<u64> {
        Ok(self
            .db
            .property_int_value("rocksdb.background-errors")?
            .unwrap_or(0))
    }

    pub fn ensure_cf(&self, name: &str) -> Result<()> {
        if self.db.cf_handle(name).is_none() {
            self.db.create_cf(name, &Options::default())?;
        }
        Ok(())
    }

    /// Drops a column family and its data, if present. The writer owning the family does it
    /// between two group commits, so no batch in flight still names the family (a batch
    /// naming a dropped family had left RocksDB refusing every later write).
    ///
    /// A STREAM table's family is written by every user shard's writer: each of them first
    /// commits what it has queued (an empty eviction is the barrier), then the system writer
    /// drops the family.
    pub async fn drop_cf(&self, name: &str) -> Result<()> {
        if name.starts_with("stream.") {
            for shard in 0..self.user_shards() {
                self.writers
                    .submit_evict(WriterId::User(ShardId(shard)), name.to_string(), Vec::new())
                    .await?;
            }
        }
        let writer = Self::writer_of_cf(name)?;
        self.writers.submit_drop_cf(writer, name.to_string()).await
    }

    /// The writer that owns a column family: its user shard, the shared writer, or the
    /// system writer.
    fn writer_of_cf(cf: &str) -> Result<WriterId> {
        Ok(if let Some(rest) = cf.strip_prefix("user.s") {
            let shard: u32 = rest
                .split('.')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::Internal(format!("bad column family name {cf}")))?;
            WriterId::User(ShardId(shard))
        } else if cf.starts_with("shared.") {
            WriterId::Shared
        } else {
            WriterId::System
        })
    }

    /// Sends a command to a writer and waits until it is durable (in the WAL).
    pub async fn submit(&self, writer: WriterId, write: TableWrite) -> Result<WriteOutcome> {
        self.writers.submit(writer, write).await
    }

    /// Deletes versions `(key, _seq)` that are still current, through the writer owning each
    /// partition: the column family's writer, or for a STREAM table (one family, written by
    /// each user's shard writer) the writer of each row's user.
    pub async fn evict(&self, cf: &str, items: Vec<(Vec<u8>, i64)>) -> Result<usize> {
        if !cf.starts_with("stream.") {
            let writer = Self::writer_of_cf(cf)?;
            return self
                .writers
                .submit_evict(writer, cf.to_string(), items)
                .await;
        }
        let mut by_writer: std::collections::BTreeMap<u32, Vec<(Vec<u8>, i64)>> =
            std::collections::BTreeMap::new();
        for (key, seq) in items {
            let shard = counters::PartitionKey::of(cf, &key)
                .and_then(|p| p.user)
                .map(|u| self.shard_of(&u).0)
                .unwrap_or(0);
            by_writer.entry(shard).or_default().push((key, seq));
        }
        let mut n = 0;
        for (shard, items) in by_writer {
            n += self
                .writers
                .submit_evict(WriterId::User(ShardId(shard)), cf.to_string(), items)
                .await?;
        }
        Ok(n)
    }

    /// Raw system-record writes, applied by the system writer.
    pub async fn submit_raw(&self, ops: Vec<RawOp>) -> Result<()> {
        self.writers.submit_raw(ops).await
    }

    /// Reads one row version.
    pub fn get_row(&self, cf: &str, key: &[u8]) -> Result<Option<StoredRow>> {
        let Some(handle) = self.db.cf_handle(cf) else {
            return Ok(None);
        };
        match self.db.get_pinned_cf(&handle, key)? {
            Some(bytes) => Ok(Some(decode_row(self.codec.as_ref(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// Every row whose key starts with `prefix`, in key order. Tombstones included.
    ///
    /// A value the codec cannot decode is logged and skipped, never an error: one bad value
    /// must not make a whole partition unreadable (or unflushable: a skipped row is neither
    /// flushed nor evicted, so it stays on disk for an operator to look at).
    pub fn scan_rows(&self, cf: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, StoredRow)>> {
        let mut out = Vec::new();
        self.for_each_prefix(cf, prefix, |key, value| {
            match decode_row(self.codec.as_ref(), value) {
                Ok(row) => out.push((key.to_vec(), row)),
                Err(err) => {
                    self.undecodable
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::error!(
                        "skipping an undecodable row in {cf} (key {}): {err}",
                        kalamdb_plugin_api::value::hex(key)
                    );
                }
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Group commits that panicked since start (each was answered with errors and its writer
    /// went on with the next group).
    pub fn writer_panics(&self) -> u64 {
        self.writers
            .panics
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Shard writer threads that have stopped (a store with one cannot take writes for its
    /// shard: `/health` reports it).
    pub fn stopped_writers(&self) -> usize {
        self.writers.stopped()
    }

    /// Rows skipped by scans because the codec could not decode them, since start.
    pub fn undecodable_rows(&self) -> u64 {
        self.undecodable.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Raw system records under a prefix.
    pub fn scan_raw(&self, cf: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        self.for_each_prefix(cf, prefix, |key, value| {
            out.push((key.to_vec(), value.to_vec()));
            Ok(true)
        })?;
        Ok(out)
    }

    /// The oldest `limit` changes queued for a trigger flow, in commit order per shard. An
    /// entry the codec cannot read is returned as its error, so the flow can report it.
    #[allow(clippy::type_complexity)]
    pub fn queued_flow_events(
        &self,
        flow: u64,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Result<flowq::QueuedEvent>)>> {
        let mut out = Vec::new();
        let prefix = flowq::flow_prefix(flow);
        self.for_each_prefix(keys::CF_FLOW_EVENTS, &prefix, |key, value| {
            out.push((
                key.to_vec(),
                flowq::QueuedEvent::decode(self.codec.as_ref(), value),
            ));
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }

    /// Calls `f` for each entry under `prefix` until it returns false.
    pub fn for_each_prefix(
        &self,
        cf: &str,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let Some(handle) = self.db.cf_handle(cf) else {
            return Ok(());
        };
        let mut iter = self.db.raw_iterator_cf(&handle);
        iter.seek(prefix);
        while iter.valid() {
            let (Some(key), Some(value)) = (iter.key(), iter.value()) else {
                break;
            };
            if !key.starts_with(prefix) {
                break;
            }
            if !f(key, value)? {
                break;
            }
            iter.next();
        }
        iter.status()?;
        Ok(())
    }

    /// A consistent copy of the whole store (every column family, as of one instant) in `dir`,
    /// which must not exist: RocksDB hard-links the table files when `dir` is on the same
    /// filesystem and copies them otherwise. Writes go on meanwhile.
    pub fn checkpoint(&self, dir: &Path) -> Result<()> {
        if let Err(err) = self.db.flush_wal(true) {
            return Err(StoreError::Storage(format!(
                "WAL sync before a checkpoint: {err}"
            )));
        }
        let checkpoint = rocksdb::checkpoint::Checkpoint::new(&self.db)?;
        checkpoint.create_checkpoint(dir)?;
        Ok(())
    }

    /// Stops the writers after they drain their queues, and flushes memtables.
    pub fn shutdown(&self) {
        self.writers.shutdown();
        if let Err(err) = self.db.flush_wal(true) {
            tracing::warn!("WAL sync at shutdown failed: {err}");
        }
    }
}
