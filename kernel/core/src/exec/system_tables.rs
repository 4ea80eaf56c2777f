//! `system.*` tables: read-only views built from the catalog at scan time.

use crate::catalog::Catalog;
use crate::error::Result;
use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::Session;
use datafusion::datasource::TableProvider;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::{Expr, TableType as DfTableType};
use datafusion::physical_plan::ExecutionPlan;
use kalamdb_types::TableType;
use std::sync::Arc;

/// The system tables, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemTable {
    Namespaces,
    Tables,
    Columns,
    Storages,
    Users,
    Live,
    Jobs,
    AuditLog,
    Plugins,
    Caches,
    Stats,
    Advice,
    Flows,
    /// Each caller's own files (every role reads it; nobody sees another user's rows).
    UserFiles,
}

/// What the system views are built from.
#[derive(Clone)]
pub struct SystemSources {
    pub catalog: Arc<Catalog>,
    pub store: Arc<crate::store::HotStore>,
    pub live: Arc<crate::live::LiveManager>,
    pub registry: Arc<crate::plugin::Registry>,
    pub cold: Arc<crate::cold::ColdStore>,
    pub shapes: Arc<super::shapes::QueryShapes>,
    pub advisor: Arc<kalamdb_advisor::Advisor>,
    pub flows: Arc<crate::flows::Flows>,
    /// `storage.default_flush_policy` is set: tables without their own policy flush by it.
    pub flush_by_default: bool,
}

impl SystemTable {
    pub const ALL: [SystemTable; 14] = [
        SystemTable::AuditLog,
        SystemTable::Jobs,
        SystemTable::Namespaces,
        SystemTable::Tables,
        SystemTable::Columns,
        SystemTable::Storages,
        SystemTable::Users,
        SystemTable::Live,
        SystemTable::Plugins,
        SystemTable::Caches,
        SystemTable::Stats,
        SystemTable::Advice,
        SystemTable::Flows,
        SystemTable::UserFiles,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SystemTable::Namespaces => "namespaces",
            SystemTable::Tables => "tables",
            SystemTable::Columns => "columns",
            SystemTable::Storages => "storages",
            SystemTable::Users => "users",
            SystemTable::Live => "live",
            SystemTable::Jobs => "jobs",
            SystemTable::AuditLog => "audit_log",
            SystemTable::Plugins => "plugins",
            SystemTable::Caches => "caches",
            SystemTable::Stats => "stats",
            SystemTable::Advice => "advice",
            SystemTable::Flows => "flows",
            SystemTable::UserFiles => "user_files",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Column builder for system views.
#[derive(Default)]
pub struct ViewBuilder {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl ViewBuilder {
    pub fn text(mut self, name: &str, values: Vec<Option<String>>) -> Self {
        self.fields.push(Field::new(name, DataType::Utf8, true));
        self.arrays.push(Arc::new(StringArray::from(values)));
        self
    }
    pub fn int(mut self, name: &str, values: Vec<Option<i64>>) -> Self {
        self.fields.push(Field::new(name, DataType::Int64, true));
        self.arrays.push(Arc::new(Int64Array::from(values)));
        self
    }
    pub fn float(mut self, name: &str, values: Vec<Option<f64>>) -> Self {
        self.fields.push(Field::new(name, DataType::Float64, true));
        self.arrays.push(Arc::new(Float64Array::from(values)));
        self
    }
    pub fn boolean(mut self, name: &str, values: Vec<Option<bool>>) -> Self {
        self.fields.push(Field::new(name, DataType::Boolean, true));
        self.arrays.push(Arc::new(BooleanArray::from(values)));
        self
    }
    pub fn timestamp(mut self, name: &str, values: Vec<Option<i64>>) -> Self {
        self.fields.push(Field::new(
            name,
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ));
        self.arrays
            .push(Arc::new(TimestampMicrosecondArray::from(values)));
        self
    }
    pub fn finish(self) -> Result<RecordBatch> {
        let schema = Arc::new(Schema::new(self.fields));
        Ok(RecordBatch::try_new(schema, self.arrays)?)
    }
}

/// `system.plugins` and `SHOW PLUGINS`: every registered plugin, by kind and name.
pub fn plugins_view(registry: &crate::plugin::Registry) -> Result<RecordBatch> {
    let all = registry.plugins();
    ViewBuilder::default()
        .text("name", all.iter().map(|p| Some(p.name.clone())).collect())
        .text(
            "kind",
            all.iter()
                .map(|p| Some(p.kind.as_str().to_string()))
                .collect(),
        )
        .text(
            "version",
            all.iter().map(|p| Some(p.version.clone())).collect(),
        )
        .text(
            "origin",
            all.iter()
                .map(|p| Some(p.origin.as_str().to_string()))
                .collect(),
        )
        .text(
            "provider",
            all.iter().map(|p| Some(p.provider.clone())).collect(),
        )
        .finish()
}

/// `system.caches` and `SHOW CACHES`: every registered cache with its size and counters.
pub fn caches_view(registry: &crate::plugin::Registry) -> Result<RecordBatch> {
    let all: Vec<_> = registry.caches().collect();
    let stats: Vec<_> = all.iter().map(|c| c.stats()).collect();
    let count = |n: usize| Some(i64::try_from(n).unwrap_or(i64::MAX));
    let counter = |n: u64| Some(i64::try_from(n).unwrap_or(i64::MAX));
    ViewBuilder::default()
        .text(
            "name",
            all.iter().map(|c| Some(c.name().to_string())).collect(),
        )
        .int("entries", all.iter().map(|c| count(c.entries())).collect())
        .int("bytes", all.iter().map(|c| count(c.bytes())).collect())
        .int(
            "capacity",
            all.iter().map(|c| c.capacity().and_then(count)).collect(),
        )
        .int("hits", stats.iter().map(|s| counter(s.hits)).collect())
        .int("misses", stats.iter().map(|s| counter(s.misses)).collect())
        .int(
            "evictions",
            stats.iter().map(|s| counter(s.evictions)).collect(),
        )
        .finish()
}

/// Builds a system table's current content.
pub fn build(table: SystemTable, sources: &SystemSources) -> Result<RecordBatch> {
    build_for(table, sources, None)
}

/// `system.user_files` as `user` sees it: their own files (none without a user).
fn user_files_view(
    sources: &SystemSources,
    user: Option<&kalamdb_types::UserId>,
) -> Result<RecordBatch> {
    let mut all: Vec<crate::files::FileRecord> = Vec::new();
    if let Some(user) = user {
        let prefix = crate::store::keys::user_prefix(user);
        for (_, bytes) in sources
            .store
            .scan_raw(crate::store::keys::CF_USER_FILES, &prefix)?
        {
            all.push(kalamdb_base::codec::decode(
                sources.store.codec().as_ref(),
                &bytes,
            )?);
        }
    }
    all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    ViewBuilder::default()
        .text("id", all.iter().map(|f| Some(f.id.clone())).collect())
        .text("name", all.iter().map(|f| Some(f.name.clone())).collect())
        .text("mime", all.iter().map(|f| Some(f.mime.clone())).collect())
        .int("size", all.iter().map(|f| Some(f.size as i64)).collect())
        .text(
            "sha256",
            all.iter().map(|f| Some(f.sha256.clone())).collect(),
        )
        .text(
            "storage_id",
            all.iter().map(|f| Some(f.storage_id.to_string())).collect(),
        )
        .text("path", all.iter().map(|f| Some(f.path.clone())).collect())
        .timestamp(
            "created_at",
            all.iter().map(|f| Some(f.created_at)).collect(),
        )
        .finish()
}

/// A system view's rows; `user` is the caller (what `system.user_files` is scoped to).
pub fn build_for(
    table: SystemTable,
    sources: &SystemSources,
    user: Option<&kalamdb_types::UserId>,
) -> Result<RecordBatch> {
    let (catalog, live) = (sources.catalog.as_ref(), sources.live.as_ref());
    match table {
        SystemTable::UserFiles => user_files_view(sources, user),
        SystemTable::Plugins => plugins_view(&sources.registry),
        SystemTable::Caches => caches_view(&sources.registry),
        SystemTable::Stats => super::stats::stats_view(sources, None, None),
        SystemTable::Advice => super::stats::advice_view(sources, None),
        SystemTable::Flows => crate::flows::flows_view(&sources.flows.all()),
        SystemTable::Jobs => {
            let all = crate::jobs::all_jobs(&sources.store)?;
            ViewBuilder::default()
                .text(
                    "job_id",
                    all.iter().map(|j| Some(j.job_id.to_string())).collect(),
                )
                .text(
                    "job_type",
                    all.iter()
                        .map(|j| Some(j.kind.as_str().to_string()))
                        .collect(),
                )
                .text(
                    "status",
                    all.iter()
                        .map(|j| Some(j.status.as_str().to_string()))
                        .collect(),
                )
                .text(
                    "namespace_id",
                    all.iter()
                        .map(|j| j.table.as_ref().map(|t| t.namespace.to_string()))
                        .collect(),
                )
                .text(
                    "table_name",
                    all.iter()
                        .map(|j| j.table.as_ref().map(|t| t.table.to_string()))
                        .collect(),
                )
                .text("message", all.iter().map(|j| j.message.clone()).collect())
                .timestamp(
                    "created_at",
                    all.iter().map(|j| Some(j.created_at)).collect(),
                )
                .timestamp("started_at", all.iter().map(|j| j.started_at).collect())
                .timestamp("finished_at", all.iter().map(|j| j.finished_at).collect())
                .text("flow_name", all.iter().map(|j| j.flow.clone()).collect())
                .finish()
        }
        SystemTable::AuditLog => {
            let all = crate::audit::all_records(&sources.store)?;
            ViewBuilder::default()
                .int("audit_id", all.iter().map(|a| Some(a.audit_id)).collect())
                .timestamp("timestamp", all.iter().map(|a| Some(a.at)).collect())
                .text("actor", all.iter().map(|a| Some(a.actor.clone())).collect())
                .text(
                    "actor_role",
                    all.iter().map(|a| a.actor_role.clone()).collect(),
                )
                .text(
                    "action",
                    all.iter()
                        .map(|a| Some(a.action.as_str().to_string()))
                        .collect(),
                )
                .text("target", all.iter().map(|a| a.target.clone()).collect())
                .text("details", all.iter().map(|a| a.details.clone()).collect())
                .text(
                    "ip_address",
                    all.iter().map(|a| a.ip_address.clone()).collect(),
                )
                .boolean("success", all.iter().map(|a| Some(a.success)).collect())
                .finish()
        }
        SystemTable::Live => {
            let all = live.all();
            ViewBuilder::default()
                .text(
                    "live_id",
                    all.iter().map(|s| Some(s.live_id.clone())).collect(),
                )
                .text(
                    "connection_id",
                    all.iter().map(|s| Some(s.connection.id.clone())).collect(),
                )
                .text(
                    "subscription_id",
                    all.iter()
                        .map(|s| Some(s.subscription_id.clone()))
                        .collect(),
                )
                .text(
                    "user_id",
                    all.iter()
                        .map(|s| Some(s.connection.user.to_string()))
                        .collect(),
                )
                .text(
                    "namespace_id",
                    all.iter()
                        .map(|s| Some(s.table.namespace.to_string()))
                        .collect(),
                )
                .text(
                    "table_name",
                    all.iter()
                        .map(|s| Some(s.table.table.to_string()))
                        .collect(),
                )
                .text("query", all.iter().map(|s| Some(s.sql.clone())).collect())
                .text(
                    "status",
                    all.iter()
                        .map(|s| Some(if s.is_loading() { "loading" } else { "live" }.to_string()))
                        .collect(),
                )
                .int(
                    "changes_sent",
                    all.iter()
                        .map(|s| {
                            Some(s.changes_sent.load(std::sync::atomic::Ordering::Relaxed) as i64)
                        })
                        .collect(),
                )
                .timestamp(
                    "created_at",
                    all.iter().map(|s| Some(s.created_at)).collect(),
                )
                .finish()
        }
        SystemTable::Namespaces => {
            let all = catalog.namespaces();
            let counts: Vec<Option<i64>> = all
                .iter()
                .map(|n| Some(catalog.tables_in(&n.namespace_id).len() as i64))
                .collect();
            ViewBuilder::default()
                .text(
                    "namespace_id",
                    all.iter()
                        .map(|n| Some(n.namespace_id.to_string()))
                        .collect(),
                )
                .text(
                    "name",
                    all.iter()
                        .map(|n| Some(n.namespace_id.to_string()))
                        .collect(),
                )
                .int("table_count", counts)
                .timestamp(
                    "created_at",
                    all.iter().map(|n| Some(n.created_at)).collect(),
                )
                .finish()
        }
        SystemTable::Tables => {
            let all = catalog.tables();
            let defs: Vec<_> = all.iter().map(|t| &t.def).collect();
            ViewBuilder::default()
                .text(
                    "table_id",
                    defs.iter().map(|d| Some(d.id.to_string())).collect(),
                )
                .text(
                    "namespace_id",
                    defs.iter()
                        .map(|d| Some(d.id.namespace.to_string()))
                        .collect(),
                )
                .text(
                    "table_name",
                    defs.iter().map(|d| Some(d.id.table.to_string())).collect(),
                )
                .text(
                    "table_type",
                    defs.iter()
                        .map(|d| Some(d.table_type.to_string()))
                        .collect(),
                )
                .text(
                    "storage_id",
                    defs.iter()
                        .map(|d| Some(d.options.storage_id.to_string()))
                        .collect(),
                )
                .boolean(
                    "use_user_storage",
                    defs.iter()
                        .map(|d| Some(d.options.use_user_storage))
                        .collect(),
                )
                .text(
                    "flush_policy",
                    defs.iter()
                        .map(|d| d.options.flush_policy.clone())
                        .collect(),
                )
                .int(
                    "deleted_retention_hours",
                    defs.iter()
                        .map(|d| d.options.deleted_retention_hours.map(|v| v as i64))
                        .collect(),
                )
                .int(
                    "ttl_seconds",
                    defs.iter()
                        .map(|d| d.options.ttl_seconds.map(|v| v as i64))
                        .collect(),
                )
                .text(
                    "access_level",
                    defs.iter()
                        .map(|d| match d.table_type {
                            TableType::Shared => Some(
                                d.options
                                    .access_level
                                    .unwrap_or(crate::catalog::model::AccessLevel::Private)
                                    .as_str()
                                    .to_string(),
                            ),
                            _ => None,
                        })
                        .collect(),
                )
                .int(
                    "schema_version",
                    defs.iter()
                        .map(|d| Some(i64::from(d.schema_version)))
                        .collect(),
                )
                .timestamp(
                    "created_at",
                    defs.iter().map(|d| Some(d.created_at)).collect(),
                )
                .timestamp(
                    "updated_at",
                    defs.iter().map(|d| Some(d.updated_at)).collect(),
                )
                .finish()
        }
        SystemTable::Columns => {
            let mut ns = Vec::new();
            let mut tn = Vec::new();
            let mut cn = Vec::new();
            let mut ord = Vec::new();
            let mut dt = Vec::new();
            let mut nullable = Vec::new();
            let mut pk = Vec::new();
            let mut default = Vec::new();
            for t in catalog.tables() {
                for (i, c) in t.def.columns.iter().enumerate() {
                    ns.push(Some(t.def.id.namespace.to_string()));
                    tn.push(Some(t.def.id.table.to_string()));
                    cn.push(Some(c.name.clone()));
                    ord.push(Some(i as i64 + 1));
                    dt.push(Some(c.data_type.sql_name()));
                    nullable.push(Some(c.nullable));
                    pk.push(Some(c.primary_key));
                    default.push(c.default.as_ref().map(|d| d.sql()));
                }
            }
            ViewBuilder::default()
                .text("namespace_id", ns)
                .text("table_name", tn)
                .text("column_name", cn)
                .int("ordinal_position", ord)
                .text("data_type", dt)
                .boolean("is_nullable", nullable)
                .boolean("is_primary_key", pk)
                .text("column_default", default)
                .finish()
        }
        SystemTable::Storages => storages_view(&catalog.storages(), false, true),
        SystemTable::Users => {
            let all = catalog.users();
            ViewBuilder::default()
                .text(
                    "user_id",
                    all.iter().map(|u| Some(u.user_id.to_string())).collect(),
                )
                .text(
                    "username",
                    all.iter().map(|u| Some(u.user_id.to_string())).collect(),
                )
                .text(
                    "role",
                    all.iter().map(|u| Some(u.role.to_string())).collect(),
                )
                .text("email", all.iter().map(|u| u.email.clone()).collect())
                .text(
                    "password_hash",
                    all.iter()
                        .map(|u| u.password_hash.as_ref().map(|_| "***".to_string()))
                        .collect(),
                )
                .text(
                    "storage_mode",
                    all.iter()
                        .map(|u| Some(u.storage_mode.as_str().to_string()))
                        .collect(),
                )
                .text(
                    "storage_id",
                    all.iter()
                        .map(|u| u.storage_id.as_ref().map(|s| s.to_string()))
                        .collect(),
                )
                .int(
                    "failed_login_attempts",
                    all.iter()
                        .map(|u| Some(i64::from(u.failed_login_attempts)))
                        .collect(),
                )
                .timestamp("locked_until", all.iter().map(|u| u.locked_until).collect())
                .timestamp(
                    "last_login_at",
                    all.iter().map(|u| u.last_login_at).collect(),
                )
                .timestamp(
                    "created_at",
                    all.iter().map(|u| Some(u.created_at)).collect(),
                )
                .timestamp(
                    "updated_at",
                    all.iter().map(|u| Some(u.updated_at)).collect(),
                )
                .timestamp("deleted_at", all.iter().map(|u| u.deleted_at).collect())
                .finish()
        }
    }
}

/// `system.storages` and `SHOW STORAGES`: `local` first; credentials masked unless revealed.
/// `text` for administrators, `***` for everyone else.
fn reveal(admin: bool, text: &str) -> String {
    if admin {
        text.to_string()
    } else {
        "***".into()
    }
}

pub fn storages_view(
    all: &[crate::catalog::model::StorageRecord],
    reveal_credentials: bool,
    reveal_paths: bool,
) -> Result<RecordBatch> {
    ViewBuilder::default()
        .text(
            "storage_id",
            all.iter().map(|s| Some(s.storage_id.to_string())).collect(),
        )
        .text(
            "storage_name",
            all.iter().map(|s| Some(s.storage_name.clone())).collect(),
        )
        .text(
            "description",
            all.iter().map(|s| s.description.clone()).collect(),
        )
        .text(
            "storage_type",
            all.iter().map(|s| Some(s.storage_type.clone())).collect(),
        )
        .text(
            "base_directory",
            // Paths and endpoints are the operators' business (dba and up).
            all.iter()
                .map(|s| Some(reveal(reveal_paths, &s.base_directory)))
                .collect(),
        )
        .text(
            "credentials",
            all.iter()
                .map(|s| {
                    s.credentials.as_ref().map(|c| {
                        if reveal_credentials {
                            c.clone()
                        } else {
                            "***".to_string()
                        }
                    })
                })
                .collect(),
        )
        .text(
            "config",
            all.iter()
                .map(|s| s.config.as_ref().map(|c| reveal(reveal_paths, c)))
                .collect(),
        )
        .text(
            "shared_tables_template",
            all.iter()
                .map(|s| Some(s.shared_tables_template.clone()))
                .collect(),
        )
        .text(
            "user_tables_template",
            all.iter()
                .map(|s| Some(s.user_tables_template.clone()))
                .collect(),
        )
        .timestamp(
            "created_at",
            all.iter().map(|s| Some(s.created_at)).collect(),
        )
        .timestamp(
            "updated_at",
            all.iter().map(|s| Some(s.updated_at)).collect(),
        )
        .finish()
}

/// A system table as a DataFusion table.
pub struct SystemTableProvider {
    pub table: SystemTable,
    sources: SystemSources,
    schema: SchemaRef,
}

impl std::fmt::Debug for SystemTableProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SystemTableProvider(system.{})", self.table.name())
    }
}

impl SystemTableProvider {
    pub fn new(table: SystemTable, sources: SystemSources) -> Result<Self> {
        let schema = build(table, &sources)?.schema();
        Ok(Self {
            table,
            sources,
            schema,
        })
    }
}

#[async_trait]
impl TableProvider for SystemTableProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn table_type(&self) -> DfTableType {
        DfTableType::View
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let scope = state.config().get_extension::<super::scope::QueryScope>();
        let batch = build_for(self.table, &self.sources, scope.as_ref().map(|s| &s.user))
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let exec = MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(exec)
    }
}
