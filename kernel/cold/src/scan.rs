//! A partition read as Arrow: its hot rows and its cold segments merged without turning cold
//! rows into [`StoredRow`]s. The newest version of each primary key wins: hot versions are
//! always newer than cold ones (a flush evicts only versions that are still current), and a
//! newer segment beats an older one, so the segments are read newest first and a key seen once
//! (live or tombstone) hides every later sighting. Rows come out in `_seq` order, as they were
//! written.
//!
//! A key lookup skips the cold tier when every key has a hot version, reads only segments whose
//! key range may hold a key, and inside a segment evaluates the key column first (a Parquet row
//! filter), decoding the other columns of matching rows only.

use crate::ColdStore;
use crate::manifest::Segment;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, RecordBatchOptions, new_null_array,
};
use datafusion::arrow::compute::{
    cast, concat_batches, filter_record_batch, sort_to_indices, take_record_batch,
};
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ParquetRecordBatchReaderBuilder, RowFilter,
};
use datafusion::parquet::file::reader::ChunkReader;
use datafusion::parquet::schema::types::SchemaDescriptor;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_catalog::TableEntry;
use kalamdb_catalog::rows::rows_to_batch;
use kalamdb_catalog::schema::{DELETED_COLUMN, SEQ_COLUMN};
use kalamdb_plugin_api::value::{StoredRow, Value};
use kalamdb_types::{KalamDataType, UserId};
use std::collections::HashSet;
use std::sync::Arc;

/// Rows decoded per Arrow batch from a segment.
const BATCH_ROWS: usize = 8192;

/// A set of primary-key values in one canonical form: integers as `i64`, text as `String`.
#[derive(Clone, Debug)]
pub(crate) enum KeySet {
    Int(HashSet<i64>),
    Text(HashSet<String>),
}

impl KeySet {
    /// An empty set for a primary key of this type; `None` for key types merged the slow way.
    pub(crate) fn for_type(ty: &KalamDataType) -> Option<Self> {
        match ty {
            KalamDataType::SmallInt | KalamDataType::Int | KalamDataType::BigInt => {
                Some(Self::Int(HashSet::new()))
            }
            KalamDataType::Text | KalamDataType::Uuid => Some(Self::Text(HashSet::new())),
            _ => None,
        }
    }

    fn canonical_type(&self) -> DataType {
        match self {
            Self::Int(_) => DataType::Int64,
            Self::Text(_) => DataType::Utf8,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Int(s) => s.is_empty(),
            Self::Text(s) => s.is_empty(),
        }
    }

    /// The set of `values` for a key of this type; `None` as in [`KeySet::for_type`].
    pub(crate) fn of(ty: &KalamDataType, values: &[Value]) -> Option<Self> {
        let mut set = Self::for_type(ty)?;
        for v in values {
            set.insert_value(v);
        }
        Some(set)
    }

    /// Adds a value; values of another kind cannot be keys of this table and are ignored.
    pub(crate) fn insert_value(&mut self, value: &Value) {
        match (self, value) {
            (Self::Int(s), Value::Int(i)) => {
                s.insert(*i);
            }
            (Self::Text(s), Value::Text(t)) => {
                s.insert(t.clone());
            }
            _ => {}
        }
    }

    pub(crate) fn contains_value(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Int(s), Value::Int(i)) => s.contains(i),
            (Self::Text(s), Value::Text(t)) => s.contains(t.as_str()),
            _ => false,
        }
    }

    /// The key column of a batch in canonical form.
    fn canonical(&self, array: &ArrayRef) -> std::result::Result<ArrayRef, ArrowError> {
        let ty = self.canonical_type();
        if array.data_type() == &ty {
            Ok(array.clone())
        } else {
            cast(array, &ty)
        }
    }

    /// Per row of a canonical key column: is the key in the set?
    fn contains_each(&self, keys: &ArrayRef) -> BooleanArray {
        match self {
            Self::Int(s) => keys
                .as_primitive::<Int64Type>()
                .iter()
                .map(|k| Some(k.is_some_and(|k| s.contains(&k))))
                .collect(),
            Self::Text(s) => keys
                .as_string::<i32>()
                .iter()
                .map(|k| Some(k.is_some_and(|k| s.contains(k))))
                .collect(),
        }
    }

    /// The rows to keep of a batch: keys not yet seen, and live. With `remember`, every key
    /// of the batch (tombstones too) is added to the set so older segments cannot revive it.
    fn keep_unseen_live(
        &mut self,
        keys: &ArrayRef,
        deleted: Option<&BooleanArray>,
        remember: bool,
    ) -> BooleanArray {
        let live = |r: usize| !deleted.is_some_and(|d| d.is_valid(r) && d.value(r));
        let n = keys.len();
        if self.is_empty() && !remember {
            return (0..n).map(|r| Some(live(r))).collect();
        }
        match self {
            Self::Int(s) => {
                let keys = keys.as_primitive::<Int64Type>();
                (0..n)
                    .map(|r| {
                        let k = keys.value(r);
                        let unseen = if remember {
                            s.insert(k)
                        } else {
                            !s.contains(&k)
                        };
                        Some(unseen && live(r))
                    })
                    .collect()
            }
            Self::Text(s) => {
                let keys = keys.as_string::<i32>();
                (0..n)
                    .map(|r| {
                        let k = keys.value(r);
                        let unseen = if s.contains(k) {
                            false
                        } else {
                            if remember {
                                s.insert(k.to_string());
                            }
                            true
                        };
                        Some(unseen && live(r))
                    })
                    .collect()
            }
        }
    }
}

/// A Parquet row filter keeping rows whose key (root column `pk_root`) is in `wanted`; only
/// that column is decoded to evaluate it.
pub(crate) fn key_filter(descr: &SchemaDescriptor, pk_root: usize, wanted: KeySet) -> RowFilter {
    let key_mask = ProjectionMask::roots(descr, [pk_root]);
    let predicate = ArrowPredicateFn::new(key_mask, move |batch: RecordBatch| {
        let keys = wanted.canonical(batch.column(0))?;
        Ok(wanted.contains_each(&keys))
    });
    RowFilter::new(vec![Box::new(predicate)])
}

impl ColdStore {
    /// The visible rows of one partition as batches of the table schema projected by
    /// `projection` (indexes into the table schema; the last is `_seq`). `hot` are the
    /// partition's hot versions, tombstones included; `pks` narrows the read to these keys.
    ///
    /// Tables whose primary key is not an integer or text column (or that have none) are
    /// merged through [`super::merge_versions`].
    pub async fn scan_partition(
        &self,
        entry: &TableEntry,
        user: Option<&UserId>,
        hot: Vec<StoredRow>,
        pks: Option<&[Value]>,
        projection: Option<&Vec<usize>>,
    ) -> Result<Vec<RecordBatch>> {
        let all: Vec<usize> = (0..entry.schema.fields().len()).collect();
        let projection = projection.unwrap_or(&all);
        let pk = entry.def.primary_key();
        let Some((pk, mut seen)) = pk.and_then(|c| KeySet::for_type(&c.data_type).map(|s| (c, s)))
        else {
            let cold = self.read_partition(entry, user, pks).await?;
            let rows = super::merge_versions(pk.map(|c| c.id), hot, cold);
            return Ok(vec![rows_to_batch(entry, &rows, Some(projection))?]);
        };

        // Work on the projection plus `_seq` (for the final order), drop it at the end.
        let seq_index = all.len() - 1;
        let mut work = projection.clone();
        if !work.contains(&seq_index) {
            work.push(seq_index);
        }
        let work_schema: SchemaRef = Arc::new(entry.schema.project(&work)?);

        for row in &hot {
            if let Some(v) = row.get(pk.id) {
                seen.insert_value(v);
            }
        }
        let live: Vec<StoredRow> = hot.into_iter().filter(|r| !r.deleted).collect();
        let mut batches = vec![rows_to_batch(entry, &live, Some(&work))?];

        let wanted = pks.and_then(|pks| KeySet::of(&pk.data_type, pks));
        let all_hot = pks.is_some_and(|pks| pks.iter().all(|v| seen.contains_value(v)));
        if !all_hot {
            let loc = self.cold_location(&entry.def, user)?;
            let read = ColdRead {
                loc: &loc,
                pks,
                pk_name: &pk.name,
                work_schema: &work_schema,
                wanted: wanted.as_ref(),
            };
            // A compaction that commits during the read deletes the segments it started from:
            // start again from the hot state with the new manifest.
            let (hot_seen, hot_batches) = (seen.clone(), batches.clone());
            let mut attempt = 0;
            loop {
                match read.run(self, &mut seen, &mut batches).await {
                    Err(KalamError::SegmentGone(_)) if attempt < super::READ_RETRIES => {
                        attempt += 1;
                        seen = hot_seen.clone();
                        batches = hot_batches.clone();
                    }
                    other => break other?,
                }
            }
        }

        let merged = concat_batches(&work_schema, &batches)?;
        let seq_pos = work
            .iter()
            .position(|&i| i == seq_index)
            .ok_or_else(|| KalamError::internal("scan without _seq"))?;
        let seq = merged.column(seq_pos).as_primitive::<Int64Type>();
        let sorted = seq.values().windows(2).all(|w| w[0] <= w[1]);
        let merged = if sorted {
            merged
        } else {
            let order = sort_to_indices(merged.column(seq_pos), None, None)?;
            take_record_batch(&merged, &order)?
        };
        let keep: Vec<usize> = (0..projection.len()).collect();
        Ok(vec![merged.project(&keep)?])
    }
}

/// The cold part of a partition scan: its segments newest first, per the current manifest.
struct ColdRead<'a> {
    loc: &'a super::ColdLocation,
    pks: Option<&'a [Value]>,
    pk_name: &'a str,
    work_schema: &'a SchemaRef,
    wanted: Option<&'a KeySet>,
}

impl ColdRead<'_> {
    async fn run(
        &self,
        cold: &ColdStore,
        seen: &mut KeySet,
        batches: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        let manifest = cold.read_manifest(self.loc).await?;
        let mut segments: Vec<&Segment> = manifest
            .segments
            .iter()
            .filter(|s| {
                self.pks
                    .is_none_or(|pks| pks.iter().any(|pk| s.may_contain_pk(pk)))
            })
            .collect();
        segments.sort_by(|a, b| b.max_seq.cmp(&a.max_seq));
        let store = self.loc.backend.object_store();
        let count = segments.len();
        for (i, seg) in segments.into_iter().enumerate() {
            let bytes = super::fetch_segment(store.as_ref(), self.loc, &seg.file).await?;
            let read = SegmentRead {
                file: &seg.file,
                pk_name: self.pk_name,
                work_schema: self.work_schema,
                wanted: self.wanted,
                remember: i + 1 < count,
            };
            read.run(bytes, seen, batches)?;
        }
        Ok(())
    }
}

/// One segment's read into the work schema.
struct SegmentRead<'a> {
    file: &'a str,
    pk_name: &'a str,
    work_schema: &'a SchemaRef,
    /// Only these keys (a key lookup).
    wanted: Option<&'a KeySet>,
    /// Older segments follow: remember every key read.
    remember: bool,
}

impl SegmentRead<'_> {
    fn run<T: ChunkReader + 'static>(
        &self,
        bytes: T,
        seen: &mut KeySet,
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        let located =
            |e: &dyn std::fmt::Display| KalamError::Storage(format!("{}: {e}", self.file));
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| located(&e))?;
        let file_schema = builder.schema().clone();
        let pk_root = file_schema
            .index_of(self.pk_name)
            .map_err(|_| located(&"segment has no primary-key column"))?;
        // Roots to read: the work columns the file has, the key and the tombstone flag.
        let mut roots: Vec<usize> = self
            .work_schema
            .fields()
            .iter()
            .filter_map(|f| file_schema.index_of(f.name()).ok())
            .collect();
        roots.push(pk_root);
        if let Ok(i) = file_schema.index_of(DELETED_COLUMN) {
            roots.push(i);
        }
        roots.sort_unstable();
        roots.dedup();
        let descr = builder.parquet_schema();
        let mask = ProjectionMask::roots(descr, roots);
        let mut builder = builder.with_projection(mask).with_batch_size(BATCH_ROWS);
        if let Some(wanted) = self.wanted {
            let filter = key_filter(builder.parquet_schema(), pk_root, wanted.clone());
            builder = builder.with_row_filter(filter);
        }
        let reader = builder.build().map_err(|e| located(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| located(&e))?;
            let schema = batch.schema();
            let pk_col = schema.index_of(self.pk_name)?;
            let keys = seen.canonical(batch.column(pk_col))?;
            let deleted = schema
                .index_of(DELETED_COLUMN)
                .ok()
                .map(|i| batch.column(i).as_boolean().clone());
            let keep = seen.keep_unseen_live(&keys, deleted.as_ref(), self.remember);
            let batch = filter_record_batch(&batch, &keep)?;
            out.push(self.adapt(&batch)?);
        }
        Ok(())
    }

    /// A segment batch in the work schema: columns by name, cast when the table's type
    /// changed since the segment was written, NULL for columns added since.
    fn adapt(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let schema = batch.schema();
        let n = batch.num_rows();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.work_schema.fields().len());
        for field in self.work_schema.fields() {
            let column = match schema.index_of(field.name()) {
                Ok(i) if batch.column(i).data_type() == field.data_type() => {
                    batch.column(i).clone()
                }
                Ok(i) => cast(batch.column(i), field.data_type())?,
                Err(_) if field.name() == SEQ_COLUMN => {
                    return Err(KalamError::Storage(format!(
                        "{}: segment without _seq",
                        self.file
                    )));
                }
                Err(_) => new_null_array(field.data_type(), n),
            };
            columns.push(column);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(n));
        Ok(RecordBatch::try_new_with_options(
            self.work_schema.clone(),
            columns,
            &options,
        )?)
    }
}
