//! Cold storage (`kalamdb-cold`): Parquet segments in a storage, one folder per (table) for SHARED tables and per
//! (table, user) for USER tables, each with a `manifest.json`.
//!
//! - [`manifest`]: the segment list and pruning by primary key and `_seq`.
//! - [`compact`]: merging a folder's segments into one.
//! - [`cleanup`]: purging expired tombstones and superseded versions, hot and cold.
//! - [`export`]: the objects a folder is made of, for backup.
//! - [`flush`]: moving hot rows to Parquet, crash-safe.
//! - [`policy`]: `FLUSH_POLICY` triggers (rows written, interval).
//! - [`stats`]: rows, bytes and files per folder, from the manifests (statistics).
//! - [`gate`]: the per-table locks that order flush, compaction, DROP and INSERT's
//!   duplicate check.
//! - this file: the `ColdStore` component (it owns the catalog, the hot store and the
//!   storage registry it reads and writes through), folder resolution and segment encoding.

pub mod cache;
pub mod cleanup;
pub mod compact;
pub mod export;
pub mod flush;
pub mod gate;
pub mod manifest;
pub mod policy;
pub mod scan;
pub mod stats;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_catalog::model::{StorageMode, StorageRecord, TableDef};
use kalamdb_catalog::rows::{cell_value, rows_to_columns};
use kalamdb_catalog::schema::{DELETED_COLUMN, SEQ_COLUMN};
use kalamdb_catalog::{Catalog, TableEntry};
use kalamdb_plugin_api::StorageBackend;
use kalamdb_plugin_api::value::{StoredRow, Value};
use kalamdb_plugin_api::{Registry, StorageConfig};
use kalamdb_store::HotStore;
use kalamdb_types::{ShardId, TableType, UserId};
use manifest::{MANIFEST_FILE, Manifest, Segment};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use std::sync::Arc;

/// The object CREATE SHARED TABLE puts in the table's folder (a leading `_`: Parquet readers
/// pointed at the folder skip it).
pub const TABLE_MARKER: &str = "_kalamdb_table.json";

/// Where one partition's cold files live.
pub struct ColdLocation {
    pub backend: Arc<dyn StorageBackend>,
    /// The storage the folder is in.
    pub storage_id: kalamdb_types::StorageId,
    /// Folder relative to the storage's base directory.
    pub folder: String,
    /// Names the folder across storages (storage id, base directory, folder) and table
    /// incarnations: the manifest cache's key.
    cache_key: String,
    /// The table's creation time: which incarnation of the name this folder is read for.
    incarnation: i64,
    /// Whose folder: the table, and the user of a USER table's partition (statistics).
    stats_key: stats::FolderKey,
}

impl ColdLocation {
    fn path(&self, file: &str) -> Path {
        Path::from(format!("{}/{file}", self.folder))
    }
}

fn substitute(
    template: &str,
    def: &TableDef,
    shard: Option<ShardId>,
    user: Option<&UserId>,
) -> String {
    let mut out = template
        .replace("{namespace}", def.id.namespace.as_str())
        .replace("{tableName}", def.id.table.as_str());
    if let Some(shard) = shard {
        out = out.replace("{shard}", &shard.to_string());
    }
    if let Some(user) = user {
        out = out.replace("{userId}", user.as_str());
    }
    out.trim_matches('/').to_string()
}

/// Everything cold reads and writes need: the catalog (storages, users), the plugin registry
/// (storage backends) and the hot store (shard of a user). Shared by the engine and the table
/// providers.
///
/// Two caches keep reads of tables without cold data from touching the storage: live backends
/// per storage row (an S3 client is built once, not per query) and manifests per folder. The
/// server is the only writer of its manifests, and every manifest write goes through
/// [`ColdStore::write_manifest`], which updates the cache after the rename.
pub struct ColdStore {
    pub catalog: Arc<Catalog>,
    pub registry: Arc<Registry>,
    pub store: Arc<HotStore>,
    backends: Arc<cache::BackendCache>,
    manifests: Arc<cache::ManifestCache>,
    gates: gate::Gates,
    /// Per-folder statistics (None when statistics are off).
    counters: Option<stats::ColdCounters>,
    /// Held from a statistics change to its record being written, so records reach the
    /// store in the order the counts changed.
    stats_order: tokio::sync::Mutex<()>,
    /// `DELETED_RETENTION_HOURS` of tables without one (compaction and cleanup).
    pub default_retention_hours: u64,
}

/// The cold store's caches, made before the registry they register in is sealed.
#[derive(Clone)]
pub struct ColdCaches {
    pub manifests: Arc<cache::ManifestCache>,
    pub backends: Arc<cache::BackendCache>,
}

impl ColdCaches {
    /// Caches of at most `manifests` folders and `backends` storages.
    pub fn new(manifests: usize, backends: usize) -> Self {
        Self {
            manifests: Arc::new(cache::ManifestCache::new(manifests)),
            backends: Arc::new(cache::BackendCache::new(backends)),
        }
    }
}

impl ColdStore {
    pub fn new(
        catalog: Arc<Catalog>,
        registry: Arc<Registry>,
        store: Arc<HotStore>,
        caches: ColdCaches,
    ) -> Self {
        let counters = store
            .counters()
            .enabled()
            .then(|| stats::ColdCounters::load(&store));
        Self {
            catalog,
            registry,
            store,
            backends: caches.backends,
            manifests: caches.manifests,
            gates: gate::Gates::default(),
            counters,
            stats_order: tokio::sync::Mutex::new(()),
            default_retention_hours: compact::DEFAULT_RETENTION_HOURS,
        }
    }

    /// The locks of one table's cold storage (see [`gate::TableGate`]).
    pub fn gate(&self, table: &kalamdb_types::TableId) -> Arc<gate::TableGate> {
        self.gates.of(table)
    }

    /// A live backend for a storage row: the cached one while the row is unchanged.
    pub fn storage_backend(&self, record: &StorageRecord) -> Result<Arc<dyn StorageBackend>> {
        if let Some(backend) = self.backends.get(record) {
            return Ok(backend);
        }
        let backend = self.create_backend(record)?;
        self.backends.put(record, backend.clone());
        Ok(backend)
    }

    fn create_backend(&self, record: &StorageRecord) -> Result<Arc<dyn StorageBackend>> {
        let factory = self.registry.storage(&record.storage_type).ok_or_else(|| {
            KalamError::InvalidDefinition(format!(
                "storage type '{}' is not provided by any plugin; available: {}",
                record.storage_type,
                self.registry.storage_types().join(", ")
            ))
        })?;
        factory
            .create(&StorageConfig {
                storage_id: record.storage_id.to_string(),
                base_directory: record.base_directory.clone(),
                credentials: record.credentials.clone(),
                config: record.config.clone(),
            })
            .map_err(Into::into)
    }

    /// The cold folder of a table (SHARED) or of one user's partition (USER).
    pub fn cold_location(&self, def: &TableDef, user: Option<&UserId>) -> Result<ColdLocation> {
        let mut storage_id = def.options.storage_id.clone();
        if def.options.use_user_storage
            && let Some(u) = user.and_then(|u| self.catalog.user(u))
            && u.storage_mode == StorageMode::Region
            && let Some(own) = u.storage_id
        {
            storage_id = own;
        }
        let record = self.catalog.storage(&storage_id).ok_or_else(|| {
            KalamError::NotFound(format!(
                "Storage '{storage_id}' of table {} does not exist",
                def.id
            ))
        })?;
        let backend = self.storage_backend(&record)?;
        let folder: String = match (def.table_type, user) {
            (TableType::User, Some(user)) => substitute(
                &record.user_tables_template,
                def,
                Some(self.store.shard_of(user)),
                Some(user),
            ),
            _ => substitute(&record.shared_tables_template, def, None, None),
        };
        let cache_key = format!(
            "{storage_id}\n{}\n{folder}\n{}",
            record.base_directory, def.created_at
        );
        let stats_key = (
            def.id.clone(),
            user.filter(|_| def.table_type == TableType::User).cloned(),
        );
        Ok(ColdLocation {
            backend,
            storage_id: storage_id.clone(),
            folder,
            cache_key,
            incarnation: def.created_at,
            stats_key,
        })
    }

    /// A folder's manifest (empty when the folder has none), from the cache when read before.
    /// A manifest another incarnation of the table wrote (a table of the same name, dropped
    /// before its files were gone) reads as empty: its rows are never the new table's.
    pub async fn read_manifest(&self, loc: &ColdLocation) -> Result<Arc<Manifest>> {
        let ticket = match self.manifests.get(&loc.cache_key) {
            Ok(m) => return Ok(m),
            Err(ticket) => ticket,
        };
        let manifest = match self.read_raw_manifest(loc).await? {
            Some(m) if m.table_created_at.is_none_or(|t| t == loc.incarnation) => m,
            Some(_) => {
                tracing::warn!(
                    "{}: the manifest belongs to a dropped table of the same name; ignored",
                    loc.folder
                );
                Manifest::default()
            }
            None => Manifest::default(),
        };
        let manifest = Arc::new(manifest);
        // A read a write overtook says nothing new (the write recorded its own).
        if let Some(version) = self
            .manifests
            .store_read(&loc.cache_key, manifest.clone(), ticket)
        {
            self.observe(loc, &manifest, version).await;
        }
        Ok(manifest)
    }

    /// Brings a folder's statistics up to date with its manifest as of cache `version`.
    async fn observe(&self, loc: &ColdLocation, manifest: &Manifest, version: u64) {
        let Some(counters) = &self.counters else {
            return;
        };
        let _in_order = self.stats_order.lock().await;
        // A read that finishes after its table was dropped (DROP removes the table from the
        // catalog before it forgets the folders' statistics) records nothing.
        let current = self
            .catalog
            .table(&loc.stats_key.0)
            .is_some_and(|t| t.def.created_at == loc.incarnation);
        if !current {
            return;
        }
        if let Some(op) =
            counters.observe(loc.stats_key.clone(), manifest, loc.incarnation, version)
            && let Err(e) = self.store.submit_raw(vec![op]).await
        {
            tracing::warn!("statistics of {} not recorded: {e}", loc.folder);
        }
    }

    /// Reads every partition's manifest once, so the statistics of every folder are known
    /// (after a start that had to rebuild them).
    pub async fn refresh_stats(&self) -> Result<usize> {
        let mut folders = 0;
        for entry in self.catalog.tables() {
            for user in self.partitions(&entry.def) {
                // A read that misses the cache records the folder's statistics; a hit means
                // a read or write since start has recorded them already.
                let loc = self.cold_location(&entry.def, user.as_ref())?;
                self.read_manifest(&loc).await?;
                folders += 1;
            }
        }
        Ok(folders)
    }

    /// Every folder's statistics (empty when statistics are off).
    pub fn folder_stats(&self) -> Vec<(stats::FolderKey, stats::ColdCount)> {
        self.counters.as_ref().map(|c| c.all()).unwrap_or_default()
    }

    /// The manifest stored in a folder, whoever wrote it (`None` when there is none).
    async fn read_raw_manifest(&self, loc: &ColdLocation) -> Result<Option<Manifest>> {
        let store = loc.backend.object_store();
        match store.get(&loc.path(MANIFEST_FILE)).await {
            Ok(r) => {
                let bytes = r.bytes().await.map_err(KalamError::storage)?;
                serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                    KalamError::Storage(format!("manifest in {} is unreadable: {e}", loc.folder))
                })
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(KalamError::storage(e)),
        }
    }

    /// Forgets every cached manifest (after files were deleted behind the cache's back).
    pub fn forget_manifests(&self) {
        kalamdb_plugin_api::Cache::clear(self.manifests.as_ref());
    }

    /// Creates a SHARED table's folder in its storage at CREATE time, so an operator sees it
    /// at once (on S3, where folders are prefixes, as the marker object): [`TABLE_MARKER`],
    /// naming the table and its incarnation.
    pub async fn create_table_folder(&self, def: &TableDef) -> Result<()> {
        let loc = self.cold_location(def, None)?;
        let marker = serde_json::json!({"table": def.id.to_string(), "created_at": def.created_at});
        let bytes = serde_json::to_vec_pretty(&marker).map_err(KalamError::internal)?;
        loc.backend
            .object_store()
            .put(&loc.path(TABLE_MARKER), PutPayload::from(bytes))
            .await
            .map_err(KalamError::storage)?;
        self.sync_object(&loc, TABLE_MARKER).await
    }

    /// Makes a file of the folder durable (the backend's `sync`, on a blocking thread).
    async fn sync_object(&self, loc: &ColdLocation, file: &str) -> Result<()> {
        let backend = loc.backend.clone();
        let path = loc.path(file);
        tokio::task::spawn_blocking(move || backend.sync(&path))
            .await
            .map_err(KalamError::internal)?
            .map_err(Into::into)
    }

    /// Writes the manifest under a temporary name, renames it over the old one and makes it
    /// durable: a segment is synced before the manifest names it, and the manifest before a
    /// flush deletes the hot rows it replaces.
    pub async fn write_manifest(&self, loc: &ColdLocation, manifest: &Manifest) -> Result<()> {
        let store = loc.backend.object_store();
        let manifest = &Manifest {
            table_created_at: Some(loc.incarnation),
            ..manifest.clone()
        };
        let bytes = serde_json::to_vec_pretty(manifest).map_err(KalamError::internal)?;
        let tmp = loc.path(&format!(
            "{MANIFEST_FILE}.tmp-{}",
            kalamdb_base::ids::ulid()
        ));
        store
            .put(&tmp, PutPayload::from(bytes))
            .await
            .map_err(KalamError::storage)?;
        let renamed = match store.rename(&tmp, &loc.path(MANIFEST_FILE)).await {
            Ok(()) => self.sync_object(loc, MANIFEST_FILE).await,
            Err(e) => Err(KalamError::storage(e)),
        };
        match renamed {
            Ok(()) => {
                let version = self
                    .manifests
                    .store_written(&loc.cache_key, Arc::new(manifest.clone()));
                self.observe(loc, manifest, version).await;
            }
            // The rename may or may not have happened: read the folder again next time.
            Err(_) => self.manifests.remove(&loc.cache_key),
        }
        renamed
    }

    /// Writes rows (tombstones included) as one Parquet segment: temporary name, then rename.
    pub async fn write_segment(
        &self,
        loc: &ColdLocation,
        entry: &TableEntry,
        rows: &[StoredRow],
    ) -> Result<Segment> {
        // Every user column is nullable in a segment: a tombstone has no cells, also in NOT
        // NULL columns (reads drop tombstones before rows meet the table's schema).
        let all: Vec<usize> = (0..entry.schema.fields().len()).collect();
        let mut columns = rows_to_columns(entry, rows, &all)?;
        let mut fields: Vec<Field> = entry
            .schema
            .fields()
            .iter()
            .map(|f| {
                let nullable = f.name() != SEQ_COLUMN;
                f.as_ref().clone().with_nullable(nullable)
            })
            .collect();
        fields.push(Field::new(DELETED_COLUMN, DataType::Boolean, false));
        columns.push(Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.deleted).collect::<Vec<_>>(),
        )));
        let tombstones = rows.iter().filter(|r| r.deleted).count() as u64;
        let filled: std::collections::BTreeMap<String, u64> = fields
            .iter()
            .zip(columns.iter())
            .filter(|(f, _)| f.name() != SEQ_COLUMN && f.name() != DELETED_COLUMN)
            .map(|(f, c)| {
                // Tombstones hold no value worth counting (at most their key).
                let values = (c.len() - c.null_count()) as u64;
                (f.name().clone(), values.min(rows.len() as u64 - tombstones))
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        let mut buffer = Vec::new();
        {
            let mut writer = ArrowWriter::try_new(&mut buffer, schema, None)
                .map_err(|e| KalamError::Storage(e.to_string()))?;
            writer
                .write(&batch)
                .map_err(|e| KalamError::Storage(e.to_string()))?;
            writer
                .close()
                .map_err(|e| KalamError::Storage(e.to_string()))?;
        }
        let min_seq = rows.iter().map(|r| r.seq).min().unwrap_or(0);
        let max_seq = rows.iter().map(|r| r.seq).max().unwrap_or(0);
        let pk_id = entry.def.primary_key().map(|c| c.id);
        let mut pks: Vec<Value> = rows
            .iter()
            .filter_map(|r| pk_id.and_then(|id| r.get(id).cloned()))
            .collect();
        pks.sort_by(|a, b| match (a, b) {
            (Value::Int(x), Value::Int(y)) => x.cmp(y),
            (Value::Text(x), Value::Text(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
        let file = format!("seg-{max_seq:020}-{}.parquet", kalamdb_base::ids::ulid());
        let store = loc.backend.object_store();
        let tmp = loc.path(&format!("{file}.tmp"));
        let bytes = buffer.len();
        store
            .put(&tmp, PutPayload::from(buffer))
            .await
            .map_err(KalamError::storage)?;
        store
            .rename(&tmp, &loc.path(&file))
            .await
            .map_err(KalamError::storage)?;
        self.sync_object(loc, &file).await?;
        Ok(Segment {
            file,
            rows: rows.len(),
            bytes,
            min_seq,
            max_seq,
            min_pk: pks.first().cloned(),
            max_pk: pks.last().cloned(),
            schema_version: entry.def.schema_version,
            filled,
        })
    }

    /// Reads segments back as stored rows (all versions, tombstones included).
    pub async fn read_segments(
        &self,
        loc: &ColdLocation,
        entry: &TableEntry,
        segments: &[&Segment],
    ) -> Result<Vec<StoredRow>> {
        self.read_segments_where(loc, entry, segments, None).await
    }

    /// [`Self::read_segments`], with `keys` only the rows whose primary key is in the set
    /// (the key column is decoded first, the others for matching rows only).
    async fn read_segments_where(
        &self,
        loc: &ColdLocation,
        entry: &TableEntry,
        segments: &[&Segment],
        keys: Option<&scan::KeySet>,
    ) -> Result<Vec<StoredRow>> {
        let pk_name = entry.def.primary_key().map(|c| c.name.as_str());
        let store = loc.backend.object_store();
        let mut rows = Vec::new();
        for seg in segments {
            let bytes = fetch_segment(store.as_ref(), loc, &seg.file).await?;
            let located =
                |e: &dyn std::fmt::Display| KalamError::Storage(format!("{}: {e}", seg.file));
            let mut builder =
                ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| located(&e))?;
            if let (Some(keys), Some(pk)) = (keys, pk_name) {
                let pk_root = builder
                    .schema()
                    .index_of(pk)
                    .map_err(|_| located(&"segment has no primary-key column"))?;
                let filter = scan::key_filter(builder.parquet_schema(), pk_root, keys.clone());
                builder = builder.with_row_filter(filter);
            }
            let reader = builder.build().map_err(|e| located(&e))?;
            for batch in reader {
                let batch = batch?;
                decode_batch(entry, &batch, &mut rows)?;
            }
        }
        Ok(rows)
    }
}

fn decode_batch(entry: &TableEntry, batch: &RecordBatch, out: &mut Vec<StoredRow>) -> Result<()> {
    let schema = batch.schema();
    let seq = schema
        .index_of(SEQ_COLUMN)
        .map_err(|_| KalamError::Storage("segment without _seq".into()))?;
    let seq = batch
        .column(seq)
        .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
        .clone();
    let deleted = schema
        .index_of(DELETED_COLUMN)
        .ok()
        .map(|i| batch.column(i).as_boolean().clone());
    let columns: Vec<(u32, &kalamdb_types::KalamDataType, ArrayRef)> = entry
        .def
        .columns
        .iter()
        .filter_map(|c| {
            schema
                .index_of(&c.name)
                .ok()
                .map(|i| (c.id, &c.data_type, batch.column(i).clone()))
        })
        .collect();
    for r in 0..batch.num_rows() {
        let mut cells = Vec::with_capacity(columns.len());
        for (id, ty, array) in &columns {
            if array.is_null(r) {
                continue;
            }
            let value = kalamdb_catalog::coerce::coerce(cell_value(array, r)?, ty, "")?;
            cells.push((*id, value));
        }
        out.push(StoredRow {
            seq: seq.value(r),
            deleted: deleted
                .as_ref()
                .is_some_and(|d| d.is_valid(r) && d.value(r)),
            cells,
        });
    }
    Ok(())
}

impl ColdStore {
    /// The partitions a table may have cold files for: every user's (dropped users' too) for a
    /// USER table, the one folder of a SHARED table, none for STREAM and SYSTEM tables.
    pub fn partitions(&self, def: &TableDef) -> Vec<Option<UserId>> {
        match def.table_type {
            TableType::User => self
                .catalog
                .users()
                .into_iter()
                .map(|u| Some(u.user_id))
                .collect(),
            TableType::Shared => vec![None],
            TableType::Stream | TableType::System => Vec::new(),
        }
    }

    /// Deletes a dropped table's cold files: in each partition's folder (every user's, in the
    /// storage each uses), the segments its manifest lists, the manifest, and what a crashed
    /// flush or compaction of KalamDB may have left (`seg-*.parquet[.tmp]`,
    /// `manifest.json.tmp-*`). Nothing else: a storage may point at a directory that holds
    /// other files. Returns how many objects were deleted.
    pub async fn delete_table_files(&self, def: &TableDef) -> Result<usize> {
        let mut deleted = 0;
        self.forget_manifests();
        for user in self.partitions(def) {
            let loc = self.cold_location(def, user.as_ref())?;
            deleted += self.delete_folder_files(&loc).await?;
        }
        // Again: a read may have cached a manifest between the first forget and the deletes.
        self.forget_manifests();
        if let Some(counters) = &self.counters {
            let _in_order = self.stats_order.lock().await;
            let ops = counters.forget_table(&def.id);
            if !ops.is_empty() {
                self.store.submit_raw(ops).await?;
            }
        }
        Ok(deleted)
    }

    /// Deletes one user's cold files of a USER table (`DROP USER ... WITH DATA`), under the
    /// table's cold gate. Returns how many objects were deleted.
    pub async fn delete_partition_files(&self, def: &TableDef, user: &UserId) -> Result<usize> {
        let gate = self.gate(&def.id);
        let _one_cold_writer = gate.cold.lock().await;
        let loc = self.cold_location(def, Some(user))?;
        let deleted = self.delete_folder_files(&loc).await?;
        self.manifests.remove(&loc.cache_key);
        Ok(deleted)
    }

    async fn delete_folder_files(&self, loc: &ColdLocation) -> Result<usize> {
        let store = loc.backend.object_store();
        let mut doomed: Vec<Path> = Vec::new();
        if let Some(manifest) = self.read_raw_manifest(loc).await? {
            doomed.extend(manifest.segments.iter().map(|s| loc.path(&s.file)));
        }
        let listing = store
            .list_with_delimiter(Some(&Path::from(loc.folder.as_str())))
            .await
            .map_err(KalamError::storage)?;
        for meta in listing.objects {
            let name = meta.location.filename().unwrap_or_default();
            if written_by_kalamdb(name) && !doomed.contains(&meta.location) {
                doomed.push(meta.location);
            }
        }
        // The manifest last: a crash part-way leaves a manifest that lists what is left.
        doomed.sort_by_key(|p| p.filename() == Some(MANIFEST_FILE));
        let mut deleted = 0;
        for path in doomed {
            match store.delete(&path).await {
                Ok(()) => deleted += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(KalamError::storage(e)),
            }
        }
        Ok(deleted)
    }

    /// The cold versions of one partition; with `pks`, only segments that may hold them.
    pub async fn read_partition(
        &self,
        entry: &TableEntry,
        user: Option<&UserId>,
        pks: Option<&[Value]>,
    ) -> Result<Vec<StoredRow>> {
        let mut attempt = 0;
        loop {
            match self.read_partition_once(entry, user, pks).await {
                Err(KalamError::SegmentGone(file)) if attempt < READ_RETRIES => {
                    tracing::debug!("{file} was compacted away during a read; reading again");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn read_partition_once(
        &self,
        entry: &TableEntry,
        user: Option<&UserId>,
        pks: Option<&[Value]>,
    ) -> Result<Vec<StoredRow>> {
        let loc = self.cold_location(&entry.def, user)?;
        let manifest = self.read_manifest(&loc).await?;
        if manifest.segments.is_empty() {
            return Ok(Vec::new());
        }
        let segments: Vec<&Segment> = manifest
            .segments
            .iter()
            .filter(|s| pks.is_none_or(|pks| pks.iter().any(|pk| s.may_contain_pk(pk))))
            .collect();
        let keys = pks.and_then(|pks| scan::KeySet::of(&entry.def.primary_key()?.data_type, pks));
        self.read_segments_where(&loc, entry, &segments, keys.as_ref())
            .await
    }
}

/// Times a read starts again when a compaction replaced the segments it was reading (each
/// retry reads the manifest that compaction committed, so more than one is rare).
pub(crate) const READ_RETRIES: usize = 5;

/// A segment's bytes. A segment missing although a manifest listed it was replaced by a
/// compaction after the read took its manifest: [`KalamError::SegmentGone`], retried.
pub(crate) async fn fetch_segment(
    store: &dyn object_store::ObjectStore,
    loc: &ColdLocation,
    file: &str,
) -> Result<bytes::Bytes> {
    let gone = |e: object_store::Error| match e {
        object_store::Error::NotFound { .. } => KalamError::SegmentGone(file.to_string()),
        other => KalamError::storage(other),
    };
    store
        .get(&loc.path(file))
        .await
        .map_err(gone)?
        .bytes()
        .await
        .map_err(gone)
}

/// The names of the files KalamDB writes in a folder: segments, manifests and their temporary
/// names.
fn written_by_kalamdb(name: &str) -> bool {
    name == MANIFEST_FILE
        || name == TABLE_MARKER
        || name.starts_with(&format!("{MANIFEST_FILE}.tmp-"))
        || (name.starts_with("seg-")
            && (name.ends_with(".parquet") || name.ends_with(".parquet.tmp")))
}

/// Hot and cold versions merged: the largest `_seq` per primary key wins, tombstones hidden.
pub fn merge_versions(
    pk: Option<u32>,
    hot: Vec<StoredRow>,
    cold: Vec<StoredRow>,
) -> Vec<StoredRow> {
    let Some(pk) = pk else {
        let mut all: Vec<StoredRow> = hot.into_iter().chain(cold).filter(|r| !r.deleted).collect();
        all.sort_by_key(|r| r.seq);
        all.dedup_by_key(|r| r.seq);
        return all;
    };
    let mut best: std::collections::HashMap<String, StoredRow> = std::collections::HashMap::new();
    for row in cold.into_iter().chain(hot) {
        let key = row.get(pk).map(|v| v.display()).unwrap_or_default();
        match best.get(&key) {
            Some(existing) if existing.seq >= row.seq => {}
            _ => {
                best.insert(key, row);
            }
        }
    }
    let mut rows: Vec<StoredRow> = best.into_values().filter(|r| !r.deleted).collect();
    rows.sort_by_key(|r| r.seq);
    rows
}
