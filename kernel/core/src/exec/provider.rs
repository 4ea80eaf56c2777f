//! The DataFusion `TableProvider` of USER, SHARED and STREAM tables over the hot store.
//! A scan reads only the caller's key range (USER/STREAM) or the table's one CF (SHARED);
//! primary-key equality and IN-list filters become point lookups.

use super::rows::rows_to_batch;
use super::scope::QueryScope;
use crate::catalog::TableEntry;
use crate::error::KalamError;
use crate::store::{HotStore, keys};
use crate::value::{StoredRow, Value};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::datasource::TableProvider;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::{
    BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType as DfTableType,
};
use datafusion::physical_plan::ExecutionPlan;
use kalamdb_types::{KalamDataType, TableType};
use std::sync::Arc;

pub struct HotTableProvider {
    pub entry: Arc<TableEntry>,
    pub store: Arc<HotStore>,
    pub cold: Arc<crate::cold::ColdStore>,
}

impl std::fmt::Debug for HotTableProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HotTableProvider({})", self.entry.def.id)
    }
}

/// Which rows of the table a scan reads.
pub(crate) enum Access {
    /// Point lookups of these keys.
    Keys {
        keys: Vec<Vec<u8>>,
        /// The primary-key values behind `keys` (prune cold segments).
        pks: Vec<Value>,
    },
    /// Every key under this prefix.
    Prefix(Vec<u8>),
}

impl HotTableProvider {
    fn pk_name(&self) -> Option<&str> {
        self.entry.def.primary_key().map(|c| c.name.as_str())
    }

    /// Primary-key values named by a filter (`pk = v`, `v = pk`, `pk IN (...)`).
    fn pk_values(&self, expr: &Expr) -> Option<Vec<ScalarValue>> {
        let pk = self.pk_name()?;
        match expr {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) => match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v, _)) | (Expr::Literal(v, _), Expr::Column(c))
                    if c.name == pk =>
                {
                    Some(vec![v.clone()])
                }
                _ => None,
            },
            Expr::InList(list) if !list.negated => match list.expr.as_ref() {
                Expr::Column(c) if c.name == pk => list
                    .list
                    .iter()
                    .map(|e| match e {
                        Expr::Literal(v, _) => Some(v.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            },
            _ => None,
        }
    }

    fn pk_key_value(&self, scalar: &ScalarValue) -> Option<Value> {
        let pk = self.entry.def.primary_key()?;
        let value = super::rows::scalar_value(scalar).ok()?;
        match (&pk.data_type, value) {
            (KalamDataType::Text | KalamDataType::Uuid, Value::Text(s)) => Some(Value::Text(s)),
            (
                KalamDataType::SmallInt | KalamDataType::Int | KalamDataType::BigInt,
                Value::Int(i),
            ) => Some(Value::Int(i)),
            _ => None,
        }
    }

    fn access(&self, scope: &QueryScope, filters: &[Expr]) -> Access {
        let def = &self.entry.def;
        let user_prefix = match def.table_type {
            TableType::User | TableType::Stream => keys::user_prefix(&scope.user),
            _ => Vec::new(),
        };
        if def.table_type != TableType::Stream {
            for filter in filters {
                if let Some(values) = self.pk_values(filter) {
                    // A literal of another type cannot match any key: it is skipped.
                    let pks: Vec<Value> =
                        values.iter().filter_map(|v| self.pk_key_value(v)).collect();
                    let mut out = Vec::with_capacity(pks.len());
                    for value in &pks {
                        let mut key = user_prefix.clone();
                        if keys::push_pk(&mut key, value).is_ok() {
                            out.push(key);
                        }
                    }
                    out.sort();
                    out.dedup();
                    return Access::Keys { keys: out, pks };
                }
            }
        }
        Access::Prefix(user_prefix)
    }

    fn cf_name(&self, scope: &QueryScope) -> String {
        let def = &self.entry.def;
        self.store.route(&def.id, def.table_type, &scope.user).1
    }

    /// The live rows a scope may see, honoring the access path and limit.
    pub(crate) fn read_rows(
        store: &HotStore,
        entry: &TableEntry,
        cf: &str,
        access: Access,
        limit: Option<usize>,
        keep_tombstones: bool,
    ) -> Result<Vec<StoredRow>, KalamError> {
        let ttl_cutoff = match (entry.def.table_type, entry.def.options.ttl_seconds) {
            (TableType::Stream, Some(ttl)) => {
                let now = chrono::Utc::now().timestamp_millis();
                Some(now - (ttl as i64) * 1000)
            }
            _ => None,
        };
        let visible = |row: &StoredRow| {
            (keep_tombstones || !row.deleted)
                && ttl_cutoff
                    .is_none_or(|cut| crate::store::seq::SeqGenerator::unix_millis(row.seq) >= cut)
        };
        let mut rows = Vec::new();
        match access {
            Access::Keys { keys, .. } => {
                for key in keys {
                    if let Some(row) = store.get_row(cf, &key)?
                        && visible(&row)
                    {
                        rows.push(row);
                    }
                }
            }
            Access::Prefix(prefix) => {
                let codec = store.codec().clone();
                store.for_each_prefix(cf, &prefix, |_, bytes| {
                    let row = kalamdb_plugin_api::decode_row(codec.as_ref(), bytes)?;
                    if visible(&row) {
                        rows.push(row);
                    }
                    Ok(limit.is_none_or(|l| rows.len() < l))
                })?;
            }
        }
        Ok(rows)
    }
}

fn df_err(err: KalamError) -> DataFusionError {
    DataFusionError::External(Box::new(err))
}

#[async_trait]
impl TableProvider for HotTableProvider {
    fn schema(&self) -> SchemaRef {
        self.entry.schema.clone()
    }

    fn table_type(&self) -> DfTableType {
        DfTableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        // We use key filters to narrow the read but DataFusion re-applies every filter.
        Ok(filters
            .iter()
            .map(|_| TableProviderFilterPushDown::Inexact)
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let scope = state
            .config()
            .get_extension::<QueryScope>()
            .ok_or_else(|| DataFusionError::Plan("query has no user scope".into()))?;
        let access = self.access(&scope, filters);
        let cf = self.cf_name(&scope);
        let tiered = self.entry.def.table_type != TableType::Stream;
        let limit = if filters.is_empty() && !tiered {
            limit
        } else {
            None
        };
        let pk_values: Option<Vec<Value>> = match &access {
            Access::Keys { pks, .. } => Some(pks.clone()),
            Access::Prefix(_) => None,
        };
        let rows = match access {
            Access::Keys { .. } => {
                Self::read_rows(&self.store, &self.entry, &cf, access, limit, tiered)
                    .map_err(df_err)?
            }
            Access::Prefix(_) => {
                let store = self.store.clone();
                let entry = self.entry.clone();
                tokio::task::spawn_blocking(move || {
                    Self::read_rows(&store, &entry, &cf, access, limit, tiered)
                })
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?
                .map_err(df_err)?
            }
        };
        let batches = if tiered {
            let user = (self.entry.def.table_type == TableType::User).then_some(&scope.user);
            self.cold
                .scan_partition(&self.entry, user, rows, pk_values.as_deref(), projection)
                .await
                .map_err(df_err)?
        } else {
            vec![rows_to_batch(&self.entry, &rows, projection).map_err(df_err)?]
        };
        let schema = match projection {
            Some(p) => Arc::new(self.entry.schema.project(p)?),
            None => self.entry.schema.clone(),
        };
        let exec = MemorySourceConfig::try_new_exec(&[batches], schema, None)?;
        Ok(exec)
    }
}
