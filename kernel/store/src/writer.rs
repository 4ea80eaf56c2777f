//! Shard writers. Each shard (one per user shard, one for SHARED tables, one for system
//! records) has a single thread that applies commands in arrival order. It drains whatever is
//! queued into one RocksDB WriteBatch (group commit), writes it to the WAL, then answers every
//! command of the group: a write is acknowledged only once it is durable in the WAL.
//!
//! Checks that need the current state (primary-key uniqueness, "row still exists" for UPDATE
//! and DELETE) run inside the writer against RocksDB plus the group's own pending writes, so
//! two concurrent inserts of one key can never both succeed.

use super::counters::{Deltas, HotCounters, PartitionKey};
use super::seq::SeqGenerator;
use super::{Db, StoreOptions, WriterId};
use crate::error::{Result, StoreError};
use crate::feed::{ChangeEvent, ChangeFeed, ChangeKind, ChangeMeta};
use crate::flowq::{EventKind, FlowTap, QueuedEvent};
use crossbeam_channel::{Receiver, Sender};
use kalamdb_plugin_api::{Codec, decode_row, encode_row};
use kalamdb_plugin_api::{StoredRow, Value};
use parking_lot::Mutex;
use rocksdb::{WriteBatch, WriteOptions};
use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// What a row operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowMode {
    /// New row; fails the whole command if a live row has the key.
    Insert,
    /// New version of an existing live row; skipped if the row is gone.
    Update,
    /// Tombstone for an existing live row; skipped if the row is gone.
    Delete,
    /// Append-only (STREAM tables): no existence check.
    Append,
}

/// One row operation. `key_for_seq` builds the key from the assigned `_seq` (STREAM rows).
#[derive(Debug)]
pub struct RowOp {
    pub key: Vec<u8>,
    pub cells: Vec<(u32, Value)>,
    pub mode: RowMode,
    /// The primary key as shown in a duplicate-key error.
    pub pk_display: String,
    /// When set, the writer appends the encoded `_seq` to `key` (STREAM tables).
    pub append_seq_to_key: bool,
    /// The version the statement read (it may be cold): used by Update/Delete when the hot
    /// store has no version of the key at all.
    pub prior: Option<StoredRow>,
}

/// All row operations of one statement on one column family: applied all-or-nothing.
#[derive(Debug)]
pub struct TableWrite {
    pub cf: String,
    /// `ns.table`, for messages.
    pub table_label: String,
    /// The primary-key column's name, for messages.
    pub pk_column: String,
    pub ops: Vec<RowOp>,
    /// Table and partition for change events; `None` writes publish nothing.
    pub meta: Option<ChangeMeta>,
    /// Trigger flows on this table: each written row they take is queued for them in the
    /// same WriteBatch (see `flowq`).
    pub taps: Vec<FlowTap>,
    /// Raw operations committed with the rows, all or nothing (a flow's queue entry removed
    /// together with its action's write). Ignored when the command fails.
    pub commit_with: Vec<RawOp>,
}

/// What a command did: the versions written and, per written row, the version it replaced.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    pub written: Vec<StoredRow>,
    pub replaced: Vec<Option<StoredRow>>,
    /// The mode of each written row.
    pub modes: Vec<RowMode>,
}

impl WriteOutcome {
    /// The change events of this outcome.
    fn events(&self, meta: &ChangeMeta) -> Vec<ChangeEvent> {
        self.written
            .iter()
            .zip(self.replaced.iter())
            .zip(self.modes.iter())
            .map(|((new, old), mode)| ChangeEvent {
                table: meta.table.clone(),
                user: meta.user.clone(),
                kind: match mode {
                    RowMode::Insert | RowMode::Append => ChangeKind::Insert,
                    RowMode::Update => ChangeKind::Update,
                    RowMode::Delete => ChangeKind::Delete,
                },
                new: new.clone(),
                old: old.clone(),
            })
            .collect()
    }
}

/// A raw system-record write; `value: None` deletes.
#[derive(Debug, Clone)]
pub struct RawOp {
    pub cf: String,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

pub enum Command {
    Rows(TableWrite, oneshot::Sender<Result<WriteOutcome>>),
    Raw(Vec<RawOp>, oneshot::Sender<Result<()>>),
    /// Deletes flushed versions `(key, _seq)` that are still current; answers how many.
    Evict(String, Vec<(Vec<u8>, i64)>, oneshot::Sender<Result<usize>>),
    /// Drops a column family, after the commands before it are committed.
    DropCf(String, oneshot::Sender<Result<()>>),
}

enum Reply {
    Rows(
        oneshot::Sender<Result<WriteOutcome>>,
        WriteOutcome,
        Option<ChangeMeta>,
    ),
    Raw(oneshot::Sender<Result<()>>),
    Evict(oneshot::Sender<Result<usize>>, usize),
}

pub(super) struct Writers {
    senders: parking_lot::RwLock<Vec<Sender<Command>>>,
    /// Group commits that panicked (each answered with errors; the writer went on).
    pub(super) panics: Arc<std::sync::atomic::AtomicU64>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    user_shards: u32,
}

impl Writers {
    pub(super) fn start(
        db: Arc<Db>,
        codec: Arc<dyn Codec>,
        options: &StoreOptions,
        feed: Arc<ChangeFeed>,
        counters: Arc<HotCounters>,
    ) -> Self {
        let seq = Arc::new(SeqGenerator::new(1));
        seq.raise_floor(persisted_seq_high_water(&db));
        let count = options.user_shards as usize + 2;
        let panics = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut senders = Vec::with_capacity(count);
        let mut handles = Vec::with_capacity(count);
        for index in 0..count {
            let (tx, rx) = crossbeam_channel::unbounded();
            senders.push(tx);
            let worker = ShardWorker {
                index,
                panics: panics.clone(),
                db: db.clone(),
                codec: codec.clone(),
                seq: seq.clone(),
                feed: feed.clone(),
                counters: counters.clone(),
                sync: options.sync_writes,
                max_batch: options.max_batch_commands.max(1),
            };
            let name = format!("kalam-writer-{index}");
            match std::thread::Builder::new()
                .name(name)
                .spawn(move || worker.run(rx))
            {
                Ok(handle) => handles.push(handle),
                Err(err) => tracing::error!("could not start shard writer {index}: {err}"),
            }
        }
        Self {
            panics,
            senders: parking_lot::RwLock::new(senders),
            handles: Mutex::new(handles),
            user_shards: options.user_shards,
        }
    }

    fn sender(&self, writer: WriterId) -> Result<Sender<Command>> {
        let index = match writer {
            WriterId::User(shard) => shard.0 as usize % self.user_shards.max(1) as usize,
            WriterId::Shared => self.user_shards as usize,
            WriterId::System => self.user_shards as usize + 1,
        };
        self.senders
            .read()
            .get(index)
            .cloned()
            .ok_or_else(|| StoreError::Internal("the store is shut down".into()))
    }

    pub(super) async fn submit(&self, writer: WriterId, write: TableWrite) -> Result<WriteOutcome> {
        let (tx, rx) = oneshot::channel();
        self.sender(writer)?
            .send(Command::Rows(write, tx))
            .map_err(|_| StoreError::Internal("the shard writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("the shard writer dropped a command".into()))?
    }

    pub(super) async fn submit_raw(&self, ops: Vec<RawOp>) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.sender(WriterId::System)?
            .send(Command::Raw(ops, tx))
            .map_err(|_| StoreError::Internal("the system writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("the system writer dropped a command".into()))?
    }

    pub(super) async fn submit_evict(
        &self,
        writer: WriterId,
        cf: String,
        items: Vec<(Vec<u8>, i64)>,
    ) -> Result<usize> {
        let (tx, rx) = oneshot::channel();
        self.sender(writer)?
            .send(Command::Evict(cf, items, tx))
            .map_err(|_| StoreError::Internal("the shard writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("the shard writer dropped a command".into()))?
    }

    pub(super) async fn submit_drop_cf(&self, writer: WriterId, cf: String) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.sender(writer)?
            .send(Command::DropCf(cf, tx))
            .map_err(|_| StoreError::Internal("the shard writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("the shard writer dropped a command".into()))?
    }

    /// Writer threads that have ended while the store is open (none unless something is badly
    /// wrong: a panic inside a group is caught and the writer goes on).
    pub(super) fn stopped(&self) -> usize {
        if self.senders.read().is_empty() {
            return 0;
        }
        self.handles
            .lock()
            .iter()
            .filter(|h| h.is_finished())
            .count()
    }

    /// Closes the queues and waits for every writer to finish what was queued.
    pub(super) fn shutdown(&self) {
        self.senders.write().clear();
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *self.handles.lock());
        for handle in handles {
            if handle.join().is_err() {
                tracing::error!("a shard writer panicked during shutdown");
            }
        }
    }
}

/// The key under which a writer records the largest `_seq` it has committed.
fn seq_high_water_key(writer: usize) -> Vec<u8> {
    let mut key = SEQ_HIGH_WATER_PREFIX.to_vec();
    key.extend_from_slice(&(writer as u32).to_be_bytes());
    key
}

const SEQ_HIGH_WATER_PREFIX: &[u8] = b"seq_high_water/";

/// The largest `_seq` any writer committed before (0 in a new store). Every group commit
/// records its writer's largest `_seq` in the same WriteBatch, so this is exact after a crash,
/// and `_seq` never goes backwards across restarts even if the wall clock does.
fn persisted_seq_high_water(db: &Db) -> i64 {
    let Some(meta) = db.cf_handle(super::keys::CF_META) else {
        return 0;
    };
    let mut iter = db.raw_iterator_cf(&meta);
    iter.seek(SEQ_HIGH_WATER_PREFIX);
    let mut high = 0;
    while iter.valid() {
        let (Some(key), Some(value)) = (iter.key(), iter.value()) else {
            break;
        };
        if !key.starts_with(SEQ_HIGH_WATER_PREFIX) {
            break;
        }
        if let Ok(bytes) = <[u8; 8]>::try_from(value) {
            high = high.max(i64::from_be_bytes(bytes));
        }
        iter.next();
    }
    high
}

struct ShardWorker {
    /// Position among the writers (names its `_seq` high-water key).
    index: usize,
    /// Groups that panicked, all writers together.
    panics: Arc<std::sync::atomic::AtomicU64>,
    db: Arc<Db>,
    codec: Arc<dyn Codec>,
    seq: Arc<SeqGenerator>,
    feed: Arc<ChangeFeed>,
    counters: Arc<HotCounters>,
    sync: bool,
    max_batch: usize,
}

/// A version staged by the current group.
#[derive(Clone)]
struct Pending {
    /// The live row (None: a tombstone).
    live: Option<StoredRow>,
    /// Key plus encoded value length.
    len: usize,
}

/// Pending state of the current group: key → the version it writes.
type Overlay = HashMap<(String, Vec<u8>), Pending>;

/// Keys the current group evicts: their RocksDB version is gone once the group commits.
type Evicted = std::collections::HashSet<(String, Vec<u8>)>;

/// The hot version of a key: the live row (None for a tombstone) and its stored length.
type HotVersion = Option<(Option<StoredRow>, usize)>;

impl ShardWorker {
    fn run(self, rx: Receiver<Command>) {
        let mut write_opts = WriteOptions::default();
        write_opts.set_sync(self.sync);
        let mut next: Option<Command> = None;
        loop {
            let first = match next.take() {
                Some(cmd) => cmd,
                None => match rx.recv() {
                    Ok(cmd) => cmd,
                    Err(_) => break,
                },
            };
            if let Command::DropCf(cf, tx) = first {
                let _ = tx.send(self.drop_cf(&cf));
                continue;
            }
            let mut commands = vec![first];
            while commands.len() < self.max_batch {
                match rx.try_recv() {
                    // A drop waits for the group before it to commit.
                    Ok(cmd @ Command::DropCf(..)) => {
                        next = Some(cmd);
                        break;
                    }
                    Ok(cmd) => commands.push(cmd),
                    Err(_) => break,
                }
            }
            // A panic inside one group (a codec bug, say) must not stop the shard: the group's
            // commands are answered with an error (their reply channels drop), the count goes
            // to /health, and the writer goes on with the next group.
            let group = std::panic::AssertUnwindSafe(|| self.commit_group(commands, &write_opts));
            if std::panic::catch_unwind(group).is_err() {
                self.panics
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::error!(
                    "shard writer {} panicked in a group commit; restarted",
                    self.index
                );
            }
        }
    }

    /// Stages, commits and answers one group of commands.
    fn commit_group(&self, commands: Vec<Command>, write_opts: &WriteOptions) {
        {
            let mut batch = WriteBatch::default();
            let mut overlay = Overlay::new();
            let mut evicted = Evicted::new();
            let mut deltas = Deltas::default();
            let mut replies = Vec::with_capacity(commands.len());
            for command in commands {
                match command {
                    Command::Rows(write, tx) => {
                        match self.stage_rows(
                            &write,
                            &mut overlay,
                            &evicted,
                            &mut batch,
                            &mut deltas,
                        ) {
                            Ok(outcome) => replies.push(Reply::Rows(tx, outcome, write.meta)),
                            Err(err) => {
                                let _ = tx.send(Err(err));
                            }
                        }
                    }
                    Command::Evict(cf, items, tx) => {
                        let staged = self.stage_evict(
                            &cf,
                            &items,
                            &overlay,
                            &mut evicted,
                            &mut batch,
                            &mut deltas,
                        );
                        match staged {
                            Ok(n) => replies.push(Reply::Evict(tx, n)),
                            Err(err) => {
                                let _ = tx.send(Err(err));
                            }
                        }
                    }
                    Command::Raw(ops, tx) => match self.stage_raw(&ops, &mut batch) {
                        Ok(()) => replies.push(Reply::Raw(tx)),
                        Err(err) => {
                            let _ = tx.send(Err(err));
                        }
                    },
                    Command::DropCf(_, tx) => {
                        let _ = tx.send(Err(StoreError::Internal(
                            "a column family drop was grouped with writes".into(),
                        )));
                    }
                }
            }
            let result = if batch.is_empty() {
                Ok(())
            } else {
                self.record_seq_high_water(&replies, &mut batch);
                if !deltas.is_empty() {
                    self.counters.stage(&self.db, &deltas, &mut batch);
                }
                self.db.write_opt(batch, write_opts)
            };
            match result {
                Ok(()) => {
                    if !deltas.is_empty() {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs() as i64)
                            .unwrap_or(0);
                        self.counters.apply(deltas, now);
                    }
                    if self.feed.is_active() {
                        let mut events = Vec::new();
                        for reply in &replies {
                            if let Reply::Rows(_, outcome, Some(meta)) = reply {
                                events.extend(outcome.events(meta));
                            }
                        }
                        self.feed.publish(events);
                    }
                    for reply in replies {
                        match reply {
                            Reply::Rows(tx, outcome, _) => {
                                let _ = tx.send(Ok(outcome));
                            }
                            Reply::Raw(tx) => {
                                let _ = tx.send(Ok(()));
                            }
                            Reply::Evict(tx, n) => {
                                let _ = tx.send(Ok(n));
                            }
                        }
                    }
                }
                Err(err) => {
                    tracing::error!("group commit failed: {err}");
                    for reply in replies {
                        let e = StoreError::Storage(err.to_string());
                        match reply {
                            Reply::Rows(tx, _, _) => {
                                let _ = tx.send(Err(e));
                            }
                            Reply::Raw(tx) => {
                                let _ = tx.send(Err(e));
                            }
                            Reply::Evict(tx, _) => {
                                let _ = tx.send(Err(e));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds this writer's largest `_seq` of the group to the batch (see
    /// [`persisted_seq_high_water`]).
    fn record_seq_high_water(&self, replies: &[Reply], batch: &mut WriteBatch) {
        let high = replies
            .iter()
            .filter_map(|r| match r {
                Reply::Rows(_, outcome, _) => outcome.written.iter().map(|w| w.seq).max(),
                _ => None,
            })
            .max();
        if let (Some(high), Some(meta)) = (high, self.db.cf_handle(super::keys::CF_META)) {
            batch.put_cf(&meta, seq_high_water_key(self.index), high.to_be_bytes());
        }
    }

    fn drop_cf(&self, cf: &str) -> Result<()> {
        if self.db.cf_handle(cf).is_some() {
            self.db.drop_cf(cf)?;
        }
        self.counters.forget_cf(&self.db, cf)
    }

    /// The version of a key this command, this group or the hot store holds, newest first
    /// (tombstones included, as a `None` row).
    fn hot_version(
        &self,
        overlay: &Overlay,
        local: &Overlay,
        cf: &str,
        key: &[u8],
    ) -> Result<HotVersion> {
        let k = (cf.to_string(), key.to_vec());
        if let Some(p) = local.get(&k).or_else(|| overlay.get(&k)) {
            return Ok(Some((p.live.clone(), p.len)));
        }
        let Some(handle) = self.db.cf_handle(cf) else {
            return Ok(None);
        };
        match self.db.get_pinned_cf(&handle, key)? {
            Some(bytes) => {
                let row = decode_row(self.codec.as_ref(), &bytes)?;
                let len = key.len() + bytes.len();
                Ok(Some(((!row.deleted).then_some(row), len)))
            }
            None => Ok(None),
        }
    }

    /// Checks and encodes one command; adds it to the batch only if all of it is valid.
    fn stage_rows(
        &self,
        write: &TableWrite,
        overlay: &mut Overlay,
        evicted: &Evicted,
        batch: &mut WriteBatch,
        deltas: &mut Deltas,
    ) -> Result<WriteOutcome> {
        let handle = self
            .db
            .cf_handle(&write.cf)
            .ok_or_else(|| StoreError::TableNotFound(write.table_label.clone()))?;
        let mut staged: Vec<(Vec<u8>, Vec<u8>, Option<StoredRow>)> = Vec::new();
        let mut local = Overlay::new();
        let mut outcome = WriteOutcome::default();
        let mut own = Deltas::default();
        let counting = self.counters.enabled();
        // A statement's rows are nearly always one partition (its caller's, or a SHARED
        // table's): its partition is worked out once and the changes summed.
        let mut current: Option<(Vec<u8>, PartitionKey)> = None;
        let mut sums = (0i64, 0i64, 0u64);
        for op in &write.ops {
            let hot = if op.mode == RowMode::Append {
                None
            } else {
                self.hot_version(overlay, &local, &write.cf, &op.key)?
            };
            let k = (write.cf.clone(), op.key.clone());
            // A version this group evicts is gone when the group commits: the counters must
            // not take it away twice (for `existing` it is still the row, now cold).
            let evicting =
                evicted.contains(&k) && !local.contains_key(&k) && !overlay.contains_key(&k);
            let (old_live, old_len) = match &hot {
                Some(_) if evicting => (false, 0),
                Some((live, len)) => (live.is_some(), *len),
                None => (false, 0),
            };
            let existing = match (hot, op.mode, &op.prior) {
                (None, RowMode::Update | RowMode::Delete, Some(prior)) => Some(prior.clone()),
                (Some((live, _)), _, _) => live,
                (None, _, _) => None,
            };
            match op.mode {
                RowMode::Insert if existing.is_some() => {
                    return Err(StoreError::DuplicateKey {
                        table: write.table_label.replace('.', "_"),
                        column: write.pk_column.clone(),
                        value: op.pk_display.clone(),
                    });
                }
                RowMode::Update | RowMode::Delete if existing.is_none() => continue,
                _ => {}
            }
            let seq = self.seq.next();
            let row = StoredRow {
                seq,
                deleted: op.mode == RowMode::Delete,
                cells: op.cells.clone(),
            };
            let mut key = op.key.clone();
            if op.append_seq_to_key {
                key.extend_from_slice(&super::keys::encode_i64(seq));
            }
            let bytes = encode_row(self.codec.as_ref(), &row)?;
            let live = if row.deleted { None } else { Some(row.clone()) };
            let len = key.len() + bytes.len();
            if counting {
                let same = current
                    .as_ref()
                    .is_some_and(|(prefix, _)| key.starts_with(prefix));
                if !same {
                    if let Some((_, part)) = current.take() {
                        own.add(part, sums.0, sums.1, sums.2);
                    }
                    sums = (0, 0, 0);
                    current = PartitionKey::of(&write.cf, &key).map(|part| {
                        let n = PartitionKey::prefix_len(&write.cf, &key);
                        (key[..n].to_vec(), part)
                    });
                }
                if current.is_some() {
                    sums.0 += i64::from(live.is_some()) - i64::from(old_live);
                    sums.1 += len as i64 - old_len as i64;
                    sums.2 += 1;
                }
            }
            local.insert(
                (write.cf.clone(), key.clone()),
                Pending {
                    live: live.clone(),
                    len,
                },
            );
            staged.push((key, bytes, live));
            outcome.written.push(row);
            outcome.replaced.push(existing);
            outcome.modes.push(op.mode);
        }
        // Everything that can fail is done before the batch is touched: a refused command
        // leaves nothing of itself in the group.
        let events = self.flow_events(write, &outcome)?;
        let extra = self.raw_handles(&write.commit_with)?;
        for (key, bytes, live) in staged {
            let len = key.len() + bytes.len();
            batch.put_cf(&handle, &key, &bytes);
            overlay.insert((write.cf.clone(), key), Pending { live, len });
        }
        if let Some((_, part)) = current {
            own.add(part, sums.0, sums.1, sums.2);
        }
        deltas.merge(own);
        if let Some((handle, events)) = events {
            for (key, bytes) in events {
                batch.put_cf(&handle, key, bytes);
            }
        }
        for (handle, op) in extra.into_iter().zip(write.commit_with.iter()) {
            match &op.value {
                Some(value) => batch.put_cf(&handle, &op.key, value),
                None => batch.delete_cf(&handle, &op.key),
            }
        }
        Ok(outcome)
    }

    /// The column family of each raw operation; an error names a missing one.
    fn raw_handles(&self, ops: &[RawOp]) -> Result<Vec<Arc<rocksdb::BoundColumnFamily<'_>>>> {
        ops.iter()
            .map(|op| {
                self.db
                    .cf_handle(&op.cf)
                    .ok_or_else(|| StoreError::Internal(format!("column family {} missing", op.cf)))
            })
            .collect()
    }

    /// The queue entries of a command's written rows: one per row and trigger flow that takes
    /// its kind of change.
    #[allow(clippy::type_complexity)]
    fn flow_events(
        &self,
        write: &TableWrite,
        outcome: &WriteOutcome,
    ) -> Result<Option<(Arc<rocksdb::BoundColumnFamily<'_>>, Vec<(Vec<u8>, Vec<u8>)>)>> {
        if write.taps.is_empty() || outcome.written.is_empty() {
            return Ok(None);
        }
        let handle = self
            .db
            .cf_handle(super::keys::CF_FLOW_EVENTS)
            .ok_or_else(|| {
                StoreError::Internal("column family system.flow_events missing".into())
            })?;
        let user = write
            .meta
            .as_ref()
            .and_then(|m| m.user.as_ref())
            .map(|u| u.as_str().to_string());
        let mut puts = Vec::new();
        for ((row, old), mode) in outcome
            .written
            .iter()
            .zip(outcome.replaced.iter())
            .zip(outcome.modes.iter())
        {
            let kind = EventKind::of(*mode);
            let event = QueuedEvent {
                kind,
                user: user.clone(),
                seq: row.seq,
                new: (kind != EventKind::Delete).then(|| row.clone()),
                old: old.clone(),
            };
            let mut bytes = None;
            for tap in write
                .taps
                .iter()
                .filter(|t| t.takes(*mode, user.as_deref()))
            {
                if bytes.is_none() {
                    bytes = Some(event.encode(self.codec.as_ref())?);
                }
                if let Some(b) = &bytes {
                    puts.push((crate::flowq::event_key(tap.flow, row.seq), b.clone()));
                }
            }
        }
        Ok(Some((handle, puts)))
    }

    fn stage_evict(
        &self,
        cf: &str,
        items: &[(Vec<u8>, i64)],
        overlay: &Overlay,
        evicted: &mut Evicted,
        batch: &mut WriteBatch,
        deltas: &mut Deltas,
    ) -> Result<usize> {
        let Some(handle) = self.db.cf_handle(cf) else {
            return Ok(0);
        };
        let mut n = 0;
        for (key, seq) in items {
            let k = (cf.to_string(), key.clone());
            if overlay.contains_key(&k) || evicted.contains(&k) {
                continue;
            }
            if let Some(bytes) = self.db.get_pinned_cf(&handle, key)? {
                let row = decode_row(self.codec.as_ref(), &bytes)?;
                if row.seq == *seq {
                    batch.delete_cf(&handle, key);
                    evicted.insert(k);
                    n += 1;
                    if self.counters.enabled()
                        && let Some(part) = PartitionKey::of(cf, key)
                    {
                        let len = (key.len() + bytes.len()) as i64;
                        deltas.add(part, -i64::from(!row.deleted), -len, 0);
                    }
                }
            }
        }
        Ok(n)
    }

    fn stage_raw(&self, ops: &[RawOp], batch: &mut WriteBatch) -> Result<()> {
        for op in ops {
            let handle = self
                .db
                .cf_handle(&op.cf)
                .ok_or_else(|| StoreError::Internal(format!("column family {} missing", op.cf)))?;
            match &op.value {
                Some(value) => batch.put_cf(&handle, &op.key, value),
                None => batch.delete_cf(&handle, &op.key),
            }
        }
        Ok(())
    }
}
