//! Namespaces and tables: CREATE/DROP, SHOW, DESCRIBE, USE.

use super::access::require;
use super::result::{message_result, rows_result};
use super::system_tables::ViewBuilder;
use crate::catalog::model::{ColumnDef, DefaultExpr, NamespaceRecord, TableDef, TableOptions};
use crate::engine::{Engine, RESERVED_NAMESPACES, Session, now_micros};
use crate::error::{KalamError, Result};
use crate::sql::statement::{CreateTable, TableRef};
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{NamespaceId, Role, StorageId, TableId, TableType};

/// Names of namespaces, tables and columns: a letter or `_`, then letters, digits, `_`.
fn check_name(kind: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(KalamError::InvalidDefinition(format!(
            "invalid {kind} name '{name}': use up to 63 letters, digits and underscores, starting with a letter"
        )))
    }
}

/// Checks a FLUSH_POLICY value: `rows:N`, `interval:S`, or both separated by a comma.
pub fn check_flush_policy(policy: &str) -> Result<()> {
    let bad = || {
        KalamError::InvalidDefinition(format!(
            "invalid FLUSH_POLICY '{policy}': use 'rows:N', 'interval:SECONDS' or 'rows:N,interval:SECONDS'"
        ))
    };
    for part in policy.split(',') {
        let (key, value) = part.trim().split_once(':').ok_or_else(bad)?;
        let n: u64 = value.trim().parse().map_err(|_| bad())?;
        if n == 0 || !matches!(key.trim(), "rows" | "interval") {
            return Err(bad());
        }
    }
    Ok(())
}

impl Engine {
    /// A table reference resolved against the session's namespace.
    pub fn resolve_table_id(&self, session: &Session, table: &TableRef) -> Result<TableId> {
        let namespace = match (&table.namespace, &session.namespace) {
            (Some(ns), _) | (None, Some(ns)) => ns.clone(),
            (None, None) => return Err(KalamError::TableNotFound(table.table.to_string())),
        };
        Ok(TableId {
            namespace,
            table: table.table.clone(),
        })
    }

    pub(crate) async fn create_namespace(
        &self,
        session: &Session,
        name: NamespaceId,
        if_not_exists: bool,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "CREATE NAMESPACE")?;
        if RESERVED_NAMESPACES.contains(&name.as_str()) {
            return Err(KalamError::InvalidDefinition(format!(
                "Namespace name '{name}' is reserved; choose another name"
            )));
        }
        check_name("namespace", name.as_str())?;
        if self.catalog.namespace(&name).is_some() {
            if if_not_exists {
                return Ok(message_result(
                    format!("Namespace '{name}' already exists, skipping"),
                    0,
                ));
            }
            return Err(KalamError::NamespaceExists(name));
        }
        self.catalog
            .put_namespace(NamespaceRecord {
                namespace_id: name.clone(),
                created_at: now_micros(),
            })
            .await?;
        Ok(message_result(
            format!("Namespace '{name}' created successfully"),
            0,
        ))
    }

    pub(crate) async fn drop_namespace(
        &self,
        session: &Session,
        name: NamespaceId,
        if_exists: bool,
        cascade: bool,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "DROP NAMESPACE")?;
        if self.catalog.namespace(&name).is_none() {
            if if_exists {
                return Ok(message_result(
                    format!("Namespace '{name}' does not exist, skipping"),
                    0,
                ));
            }
            return Err(KalamError::NotFound(format!(
                "Namespace '{name}' does not exist"
            )));
        }
        let tables = self.catalog.tables_in(&name);
        if !tables.is_empty() && !cascade {
            return Err(KalamError::Execution(format!(
                "Cannot drop namespace '{name}': it contains {} table(s). Drop them first or use DROP NAMESPACE {name} CASCADE",
                tables.len()
            )));
        }
        for table in tables {
            self.remove_table(&table.def).await?;
        }
        self.catalog.delete_namespace(&name).await?;
        self.drop_flows_where(|def| def.namespace == name).await?;
        Ok(message_result(
            format!("Namespace '{name}' dropped successfully"),
            0,
        ))
    }

    pub(crate) fn show_namespaces(&self) -> Result<QueryResult> {
        let all = self.catalog.namespaces();
        let batch = ViewBuilder::default()
            .text(
                "namespace_id",
                all.iter()
                    .map(|n| Some(n.namespace_id.to_string()))
                    .collect(),
            )
            .int(
                "table_count",
                all.iter()
                    .map(|n| Some(self.catalog.tables_in(&n.namespace_id).len() as i64))
                    .collect(),
            )
            .timestamp(
                "created_at",
                all.iter().map(|n| Some(n.created_at)).collect(),
            )
            .finish()?;
        rows_result(&batch.schema(), &[batch])
    }

    pub(crate) fn use_namespace(
        &self,
        session: &mut Session,
        namespace: NamespaceId,
    ) -> Result<QueryResult> {
        if self.catalog.namespace(&namespace).is_none() {
            return Err(KalamError::NamespaceNotFound(namespace));
        }
        let message = format!("Using namespace '{namespace}'");
        session.namespace = Some(namespace);
        Ok(message_result(message, 0))
    }

    pub(crate) async fn create_table(
        &self,
        session: &Session,
        spec: CreateTable,
    ) -> Result<QueryResult> {
        let id = self.resolve_table_id(session, &spec.table)?;
        let table_type = match (spec.prefix_type, spec.options.table_type) {
            (Some(a), Some(b)) if a != b => {
                return Err(KalamError::InvalidDefinition(format!(
                    "CREATE {a} TABLE conflicts with TYPE = '{b}'; give one table type"
                )));
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => TableType::Shared,
        };
        if table_type == TableType::System {
            return Err(KalamError::InvalidDefinition(
                "SYSTEM tables cannot be created".into(),
            ));
        }
        let needed = if table_type == TableType::Shared {
            Role::Service
        } else {
            Role::User
        };
        require(session.role, needed, &format!("CREATE {table_type} TABLE"))?;
        if self.catalog.namespace(&id.namespace).is_none() {
            return Err(KalamError::NamespaceNotFound(id.namespace.clone()));
        }
        check_name("table", id.table.as_str())?;
        if self.catalog.table(&id).is_some() {
            if spec.if_not_exists {
                return Ok(message_result(
                    format!("Table {id} already exists, skipping"),
                    0,
                ));
            }
            return Err(KalamError::TableExists(id));
        }
        let def = self.table_def(id.clone(), table_type, &spec)?;
        for cf in self.table_cfs(&def) {
            // A family under this name belongs to no table: what a dropped table of the same
            // name left. The new table starts from an empty one.
            self.store.drop_cf(&cf).await?;
            self.store.ensure_cf(&cf)?;
        }
        if table_type == TableType::Shared {
            // The table's folder exists in its storage from the start (an object on S3).
            self.cold.create_table_folder(&def).await?;
        }
        self.catalog.put_table(def).await?;
        Ok(message_result(
            format!("Table {id} created successfully"),
            0,
        ))
    }

    fn table_def(
        &self,
        id: TableId,
        table_type: TableType,
        spec: &CreateTable,
    ) -> Result<TableDef> {
        if spec.columns.is_empty() {
            return Err(KalamError::InvalidDefinition(format!(
                "table {id} needs at least one column"
            )));
        }
        let mut columns: Vec<ColumnDef> = Vec::with_capacity(spec.columns.len());
        for (i, col) in spec.columns.iter().enumerate() {
            check_name("column", &col.name)?;
            if col.name.starts_with('_') {
                return Err(KalamError::InvalidDefinition(format!(
                    "column name \"{}\" is reserved: names starting with '_' are system columns",
                    col.name
                )));
            }
            if columns.iter().any(|c| c.name == col.name) {
                return Err(KalamError::InvalidDefinition(format!(
                    "column \"{}\" specified more than once",
                    col.name
                )));
            }
            if let Some(DefaultExpr::Literal(v)) = &col.default {
                super::coerce::coerce(v.clone(), &col.data_type, &col.name)?;
            }
            if col.default == Some(DefaultExpr::AutoIncrement)
                && !matches!(
                    col.data_type,
                    kalamdb_types::KalamDataType::SmallInt
                        | kalamdb_types::KalamDataType::Int
                        | kalamdb_types::KalamDataType::BigInt
                )
            {
                return Err(KalamError::InvalidDefinition(format!(
                    "AUTO_INCREMENT column \"{}\" must be an integer type",
                    col.name
                )));
            }
            columns.push(ColumnDef {
                id: i as u32,
                name: col.name.clone(),
                data_type: col.data_type,
                nullable: col.nullable,
                primary_key: col.primary_key,
                default: col.default.clone(),
            });
        }
        let pks: Vec<&ColumnDef> = columns.iter().filter(|c| c.primary_key).collect();
        if pks.len() > 1 {
            return Err(KalamError::InvalidDefinition(format!(
                "multiple primary keys for table {id} are not allowed"
            )));
        }
        match pks.first() {
            None if table_type != TableType::Stream => {
                return Err(KalamError::InvalidDefinition(format!(
                    "{table_type} table {id} needs a PRIMARY KEY column (BIGINT, INT, TEXT or UUID)"
                )));
            }
            Some(pk) if !pk.data_type.can_be_primary_key() => {
                return Err(KalamError::InvalidDefinition(format!(
                    "PRIMARY KEY column \"{}\" has type {}; use BIGINT, INT, TEXT or UUID",
                    pk.name, pk.data_type
                )));
            }
            _ => {}
        }
        let o = &spec.options;
        if table_type == TableType::Stream && o.ttl_seconds.is_none() {
            return Err(KalamError::InvalidDefinition(format!(
                "STREAM table {id} needs TTL_SECONDS, e.g. WITH (TTL_SECONDS = 3600)"
            )));
        }
        if o.ttl_seconds.is_some() && table_type != TableType::Stream {
            return Err(KalamError::InvalidDefinition(
                "TTL_SECONDS applies to STREAM tables only".into(),
            ));
        }
        if o.access_level.is_some() && table_type != TableType::Shared {
            return Err(KalamError::InvalidDefinition(
                "ACCESS_LEVEL applies to SHARED tables only".into(),
            ));
        }
        if o.use_user_storage.is_some() && table_type != TableType::User {
            return Err(KalamError::InvalidDefinition(
                "USE_USER_STORAGE applies to USER tables only".into(),
            ));
        }
        if let Some(policy) = &o.flush_policy {
            if table_type == TableType::Stream {
                return Err(KalamError::InvalidDefinition(
                    "STREAM tables are never flushed; FLUSH_POLICY does not apply".into(),
                ));
            }
            check_flush_policy(policy)?;
        }
        let storage_id = o
            .storage_id
            .clone()
            .unwrap_or_else(|| StorageId::new("local"));
        if self.catalog.storage(&storage_id).is_none() {
            return Err(KalamError::NotFound(format!(
                "Storage '{storage_id}' does not exist. Create it with CREATE STORAGE or use 'local'"
            )));
        }
        let now = now_micros();
        Ok(TableDef {
            id,
            table_type,
            next_column_id: columns.len() as u32,
            columns,
            options: TableOptions {
                storage_id,
                use_user_storage: o.use_user_storage.unwrap_or(false),
                flush_policy: o.flush_policy.clone(),
                deleted_retention_hours: o.deleted_retention_hours,
                ttl_seconds: o.ttl_seconds,
                access_level: o.access_level,
            },
            schema_version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// The column families holding a table's hot rows.
    pub fn table_cfs(&self, def: &TableDef) -> Vec<String> {
        self.store.table_cfs(&def.id, def.table_type)
    }

    /// Removes a table from the catalog, then its hot data and cold files (a cleanup job that
    /// a restart finishes).
    /// Drops the table and the flows it fires (as PostgreSQL drops a table's triggers).
    async fn remove_table(&self, def: &TableDef) -> Result<kalamdb_types::JobId> {
        let job = self.jobs.drop_table(def).await?;
        self.drop_flows_where(|flow| flow.fires_on(&def.id)).await?;
        Ok(job)
    }

    pub(crate) async fn drop_table(
        &self,
        session: &Session,
        table: TableRef,
        if_exists: bool,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "DROP TABLE")?;
        let id = self.resolve_table_id(session, &table)?;
        let Some(entry) = self.catalog.table(&id) else {
            if if_exists {
                return Ok(message_result(
                    format!("Table {id} does not exist, skipping"),
                    0,
                ));
            }
            return Err(KalamError::TableNotFound(id.to_string()));
        };
        let job = self.remove_table(&entry.def).await?;
        Ok(message_result(
            format!("Table {id} dropped successfully. Cleanup job: {job}"),
            0,
        ))
    }

    pub(crate) fn show_tables(
        &self,
        session: &Session,
        namespace: Option<NamespaceId>,
    ) -> Result<QueryResult> {
        let ns = namespace.or_else(|| session.namespace.clone());
        let tables: Vec<_> = match &ns {
            Some(ns) => {
                if self.catalog.namespace(ns).is_none() {
                    return Err(KalamError::NamespaceNotFound(ns.clone()));
                }
                self.catalog.tables_in(ns)
            }
            None => self.catalog.tables(),
        };
        // Only what the caller may read, as PostgreSQL lists only what a role may see.
        let defs: Vec<_> = tables
            .iter()
            .filter(|t| {
                super::access::authorize(
                    super::access::Caller::role(session.role),
                    t,
                    super::access::Intent::Read,
                )
                .is_ok()
            })
            .map(|t| &t.def)
            .collect();
        let batch = ViewBuilder::default()
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
            .timestamp(
                "created_at",
                defs.iter().map(|d| Some(d.created_at)).collect(),
            )
            .finish()?;
        rows_result(&batch.schema(), &[batch])
    }

    pub(crate) fn describe_table(&self, session: &Session, table: TableRef) -> Result<QueryResult> {
        let id = self.resolve_table_id(session, &table)?;
        let entry = self.catalog.require_table(&id)?;
        super::access::authorize(
            super::access::Caller::role(session.role),
            &entry,
            super::access::Intent::Read,
        )?;
        let cols = &entry.def.columns;
        let batch = ViewBuilder::default()
            .text(
                "column_name",
                cols.iter().map(|c| Some(c.name.clone())).collect(),
            )
            .text(
                "data_type",
                cols.iter().map(|c| Some(c.data_type.sql_name())).collect(),
            )
            .boolean(
                "is_nullable",
                cols.iter().map(|c| Some(c.nullable)).collect(),
            )
            .boolean(
                "is_primary_key",
                cols.iter().map(|c| Some(c.primary_key)).collect(),
            )
            .text(
                "column_default",
                cols.iter()
                    .map(|c| c.default.as_ref().map(|d| d.sql()))
                    .collect(),
            )
            .int(
                "ordinal_position",
                (1..=cols.len() as i64).map(Some).collect(),
            )
            .finish()?;
        rows_result(&batch.schema(), &[batch])
    }
}
