//! INSERT, UPDATE and DELETE. Rows are computed here (VALUES evaluated directly when they are
//! literals, parameters or KalamDB's generator functions; anything else through DataFusion),
//! then written as one command to the table's shard writer, all-or-nothing.
//! UPDATE and DELETE find their rows with a DataFusion query over the caller's scope, so a
//! user can only ever touch rows of their own partition.

use super::access::{Intent, authorize};
use super::coerce::coerce;
use super::functions::{snowflake_id, ulid, uuid_v7};
use super::result::{message_result, rows_result};
use super::rows::{cell_value, rows_to_batch};
use crate::catalog::TableEntry;
use crate::catalog::model::{ColumnDef, DefaultExpr};
use crate::catalog::schema::SEQ_COLUMN;
use crate::engine::{Engine, Session, now_micros};
use crate::error::{KalamError, Result};
use crate::sql::parser::{fold, literal};
use crate::store::{RowMode, RowOp, TableWrite, WriteOutcome, WriterId, keys};
use crate::value::{StoredRow, Value};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::sql::sqlparser::ast::{
    self, AssignmentTarget, Expr, FromTable, FunctionArguments, ObjectName, ObjectNamePart,
    SelectItem, SetExpr, TableFactor, TableObject, UnaryOperator,
};
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{TableType, UserId};
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn unsupported(what: &str) -> KalamError {
    KalamError::Unsupported(format!("{what} is not supported"))
}

impl Engine {
    /// Resolves a table named in DML; system tables are read-only.
    pub(super) fn dml_table(
        &self,
        session: &Session,
        name: &ObjectName,
    ) -> Result<Arc<TableEntry>> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(i) => Ok(fold(i)),
                _ => Err(unsupported("this table name")),
            })
            .collect::<Result<_>>()?;
        let (ns, table) = match parts.as_slice() {
            [t] => match &session.namespace {
                Some(ns) => (ns.to_string(), t.clone()),
                None => return Err(KalamError::TableNotFound(t.clone())),
            },
            [ns, t] => (ns.clone(), t.clone()),
            [catalog, ns, t] if catalog == super::df_catalog::CATALOG_NAME => {
                (ns.clone(), t.clone())
            }
            _ => return Err(KalamError::TableNotFound(name.to_string())),
        };
        if ns == super::df_catalog::SYSTEM_SCHEMA || ns == "information_schema" {
            return Err(KalamError::Denied(format!(
                "{ns}.{table} is a system table and is read-only"
            )));
        }
        let id = kalamdb_types::TableId::new(ns, table);
        let entry = self.catalog.require_table(&id)?;
        authorize(session.into(), &entry, Intent::Write)?;
        Ok(entry)
    }

    fn column_index(entry: &TableEntry, name: &str) -> Result<usize> {
        if name == SEQ_COLUMN || name == crate::catalog::schema::DELETED_COLUMN {
            return Err(KalamError::Execution(format!(
                "cannot assign to system column \"{name}\""
            )));
        }
        entry
            .def
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| {
                KalamError::Execution(format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    entry.def.id
                ))
            })
    }

    /// Where a table's rows for `user` are written (the store's one routing rule).
    fn route(&self, entry: &TableEntry, user: &UserId) -> (WriterId, String) {
        self.store.route(&entry.def.id, entry.def.table_type, user)
    }

    fn row_key(entry: &TableEntry, user: &UserId, pk: &Value) -> Result<Vec<u8>> {
        match entry.def.table_type {
            TableType::User => Ok(keys::user_row_key(user, pk)?),
            TableType::Stream => Ok(keys::user_prefix(user)),
            _ => Ok(keys::shared_row_key(pk)?),
        }
    }

    fn eval_default(
        &self,
        default: &DefaultExpr,
        entry: &TableEntry,
        column: &ColumnDef,
        session: &Session,
    ) -> Result<Value> {
        Ok(match default {
            DefaultExpr::Literal(v) => v.clone(),
            DefaultExpr::Now => Value::Timestamp(now_micros()),
            DefaultExpr::SnowflakeId => Value::Int(snowflake_id()),
            DefaultExpr::UuidV7 => Value::Text(uuid_v7()),
            DefaultExpr::Ulid => Value::Text(ulid()),
            DefaultExpr::CurrentUser => Value::Text(session.user.to_string()),
            DefaultExpr::AutoIncrement => Value::Int(self.next_auto_increment(entry, column)?),
        })
    }

    /// Next AUTO_INCREMENT value (the counter is loaded by [`Self::load_auto_increment`]).
    fn next_auto_increment(&self, entry: &TableEntry, column: &ColumnDef) -> Result<i64> {
        if entry.auto_increment.load(Ordering::Acquire) == 0 {
            return Err(KalamError::Internal(format!(
                "AUTO_INCREMENT counter of {}.{} is not loaded",
                entry.def.id, column.name
            )));
        }
        Ok(entry.auto_increment.fetch_add(1, Ordering::AcqRel))
    }

    /// Loads a table's AUTO_INCREMENT counter on first use: one more than the largest value
    /// stored, hot or cold (every user's partition of a USER table). Counting hot rows alone
    /// handed out values that flushed rows already had, after a restart.
    async fn load_auto_increment(&self, entry: &TableEntry) -> Result<()> {
        let Some(column) = entry
            .def
            .columns
            .iter()
            .find(|c| matches!(c.default, Some(DefaultExpr::AutoIncrement)))
        else {
            return Ok(());
        };
        if entry.auto_increment.load(Ordering::Acquire) != 0 {
            return Ok(());
        }
        let _guard = self.auto_increment_init.lock().await;
        if entry.auto_increment.load(Ordering::Acquire) != 0 {
            return Ok(());
        }
        let mut max = 0i64;
        for cf in self.table_cfs(&entry.def) {
            for (_, row) in self.store.scan_rows(&cf, b"")? {
                if let Some(Value::Int(v)) = row.get(column.id) {
                    max = max.max(*v);
                }
            }
        }
        max = max.max(self.cold_max_int(entry, column).await?);
        entry.auto_increment.store(max + 1, Ordering::Release);
        Ok(())
    }

    /// The largest integer a column holds in cold storage (0 when none): from the manifests'
    /// key ranges for the primary key, else by reading the segments.
    async fn cold_max_int(&self, entry: &TableEntry, column: &ColumnDef) -> Result<i64> {
        let mut max = 0i64;
        for user in self.cold.partitions(&entry.def) {
            if column.primary_key {
                let loc = self.cold.cold_location(&entry.def, user.as_ref())?;
                for seg in &self.cold.read_manifest(&loc).await?.segments {
                    if let Some(Value::Int(v)) = &seg.max_pk {
                        max = max.max(*v);
                    }
                }
            } else {
                for row in self.cold.read_partition(entry, user.as_ref(), None).await? {
                    if let Some(Value::Int(v)) = row.get(column.id) {
                        max = max.max(*v);
                    }
                }
            }
        }
        Ok(max)
    }

    /// A VALUES expression evaluated without DataFusion, when it is that simple.
    fn simple_value(expr: &Expr, params: &[Value], session: &Session) -> Option<Result<Value>> {
        match expr {
            Expr::Value(v) => match &v.value {
                ast::Value::Placeholder(p) => {
                    let n: usize = p.trim_start_matches('$').parse().ok()?;
                    Some(params.get(n.wrapping_sub(1)).cloned().ok_or_else(|| {
                        KalamError::InvalidParameter(format!(
                            "there is no parameter ${n}: {} parameter(s) given",
                            params.len()
                        ))
                    }))
                }
                other => Some(literal(other).map_err(Into::into)),
            },
            Expr::Nested(inner) => Self::simple_value(inner, params, session),
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: inner,
            } => match Self::simple_value(inner, params, session)? {
                Ok(Value::Int(i)) => Some(Ok(Value::Int(-i))),
                Ok(Value::Float(f)) => Some(Ok(Value::Float(-f))),
                Ok(Value::Decimal(d)) => Some(Ok(Value::Decimal(format!("-{d}")))),
                _ => None,
            },
            Expr::Function(f) => {
                let no_args = match &f.args {
                    FunctionArguments::None => true,
                    FunctionArguments::List(l) => l.args.is_empty(),
                    FunctionArguments::Subquery(_) => false,
                };
                if !no_args {
                    return None;
                }
                let name = f.name.to_string().to_ascii_lowercase();
                Some(Ok(match name.as_str() {
                    "now" | "current_timestamp" => Value::Timestamp(now_micros()),
                    "snowflake_id" => Value::Int(snowflake_id()),
                    "uuid_v7" => Value::Text(uuid_v7()),
                    "ulid" => Value::Text(ulid()),
                    "current_user" => Value::Text(session.user.to_string()),
                    _ => return None,
                }))
            }
            _ => None,
        }
    }

    /// The input rows of an INSERT: VALUES evaluated directly when possible, else by DataFusion.
    async fn insert_input(
        &self,
        session: &Session,
        source: Box<ast::Query>,
        params: &[Value],
    ) -> Result<Vec<Vec<Value>>> {
        if let SetExpr::Values(values) = source.body.as_ref() {
            let mut rows = Vec::with_capacity(values.rows.len());
            for row in &values.rows {
                let simple: Option<Result<Vec<Value>>> = row
                    .content
                    .iter()
                    .map(|e| Self::simple_value(e, params, session))
                    .collect();
                match simple {
                    Some(values) => rows.push(values?),
                    None => {
                        let select = format!(
                            "SELECT {}",
                            row.content
                                .iter()
                                .map(|e| e.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        let stmt = parse_select(&select)?;
                        let (_, batches) = self.run_query(session, stmt, params).await?;
                        rows.extend(batch_rows(&batches)?);
                    }
                }
            }
            return Ok(rows);
        }
        let (_, batches) = self
            .run_query(session, ast::Statement::Query(source), params)
            .await?;
        batch_rows(&batches)
    }

    pub(crate) async fn insert(
        &self,
        session: &Session,
        insert: ast::Insert,
        params: &[Value],
    ) -> Result<QueryResult> {
        let TableObject::TableName(name) = &insert.table else {
            return Err(unsupported("INSERT into a table function"));
        };
        if insert.on.is_some() {
            return Err(unsupported("INSERT ... ON CONFLICT / ON DUPLICATE KEY"));
        }
        let entry = self.dml_table(session, name)?;
        self.load_auto_increment(&entry).await?;
        let def = &entry.def;
        let targets: Vec<usize> = if insert.columns.is_empty() {
            (0..def.columns.len()).collect()
        } else {
            insert
                .columns
                .iter()
                .map(|c| {
                    let name = match c.0.last() {
                        Some(ObjectNamePart::Identifier(i)) => fold(i),
                        _ => c.to_string(),
                    };
                    Self::column_index(&entry, &name)
                })
                .collect::<Result<_>>()?
        };
        for (i, t) in targets.iter().enumerate() {
            if targets[..i].contains(t) {
                return Err(KalamError::Execution(format!(
                    "column \"{}\" specified more than once",
                    def.columns[*t].name
                )));
            }
        }
        let source = insert
            .source
            .ok_or_else(|| unsupported("INSERT without VALUES or SELECT"))?;
        let input = self.insert_input(session, source, params).await?;
        let mut ops = Vec::with_capacity(input.len());
        let mut pk_keys: Vec<(Vec<u8>, Value)> = Vec::new();
        for row in input {
            if row.len() > targets.len() {
                return Err(KalamError::Execution(
                    "INSERT has more expressions than target columns".into(),
                ));
            }
            if row.len() < targets.len() {
                return Err(KalamError::Execution(
                    "INSERT has more target columns than expressions".into(),
                ));
            }
            let mut values: Vec<Option<Value>> = vec![None; def.columns.len()];
            for (value, &t) in row.into_iter().zip(targets.iter()) {
                values[t] = Some(value);
            }
            let mut cells = Vec::with_capacity(def.columns.len());
            let mut pk_value = Value::Null;
            for (col, given) in def.columns.iter().zip(values) {
                let raw = match given {
                    Some(v) => v,
                    None => match &col.default {
                        Some(d) => self.eval_default(d, &entry, col, session)?,
                        None => Value::Null,
                    },
                };
                let value = coerce(raw, &col.data_type, &col.name)?;
                if value.is_null() {
                    if !col.nullable {
                        return Err(KalamError::NotNull {
                            table: def.id.to_string(),
                            column: col.name.clone(),
                        });
                    }
                    continue;
                }
                if col.primary_key {
                    pk_value = value.clone();
                }
                cells.push((col.id, value));
            }
            let key = Self::row_key(&entry, &session.user, &pk_value)?;
            if def.table_type != TableType::Stream {
                pk_keys.push((key.clone(), pk_value.clone()));
            }
            ops.push(RowOp {
                key,
                cells,
                mode: if def.table_type == TableType::Stream {
                    RowMode::Append
                } else {
                    RowMode::Insert
                },
                pk_display: pk_value.display(),
                append_seq_to_key: def.table_type == TableType::Stream,
                prior: None,
            });
        }
        // From the cold check to the commit, no flush evicts this table's hot versions: the
        // writer's hot check and this cold check see one consistent state (cold::gate).
        let gate = self.cold.gate(&def.id);
        let no_eviction = gate.evict.read().await;
        self.check_cold_duplicates(&entry, session, &pk_keys)
            .await?;
        crate::failpoint::pause_at("insert.after_cold_check").await;
        let count = ops.len();
        let outcome = self.write(&entry, session, ops).await?;
        drop(no_eviction);
        self.jobs.note_writes(&entry, outcome.written.len()).await;
        match insert.returning {
            Some(items) => returning(&entry, &items, &outcome.written),
            None => Ok(message_result(format!("Inserted {count} row(s)"), count)),
        }
    }

    /// A key whose latest version is live in cold storage and that has no hot version is taken.
    async fn check_cold_duplicates(
        &self,
        entry: &TableEntry,
        session: &Session,
        pk_keys: &[(Vec<u8>, Value)],
    ) -> Result<()> {
        let Some(pk) = entry.def.primary_key() else {
            return Ok(());
        };
        if pk_keys.is_empty() {
            return Ok(());
        }
        let user = (entry.def.table_type == TableType::User).then_some(&session.user);
        let values: Vec<Value> = pk_keys.iter().map(|(_, v)| v.clone()).collect();
        let cold = self.cold.read_partition(entry, user, Some(&values)).await?;
        if cold.is_empty() {
            return Ok(());
        }
        let (_, cf) = self.route(entry, &session.user);
        for row in crate::cold::merge_versions(Some(pk.id), Vec::new(), cold) {
            let Some(value) = row.get(pk.id) else {
                continue;
            };
            if let Some((key, _)) = pk_keys.iter().find(|(_, v)| v == value)
                && self.store.get_row(&cf, key)?.is_none()
            {
                return Err(KalamError::DuplicateKey {
                    table: entry.def.id.to_string().replace('.', "_"),
                    column: pk.name.clone(),
                    value: value.display(),
                });
            }
        }
        Ok(())
    }

    async fn write(
        &self,
        entry: &TableEntry,
        session: &Session,
        ops: Vec<RowOp>,
    ) -> Result<WriteOutcome> {
        if ops.is_empty() {
            return Ok(WriteOutcome::default());
        }
        let (writer, cf) = self.route(entry, &session.user);
        let taps = self.flows.taps_for(&entry.def.id);
        let queues = !taps.is_empty();
        let commit_with = session
            .commit_with
            .as_ref()
            .map(|slot| slot.take())
            .unwrap_or_default();
        let carried = commit_with.clone();
        let outcome = self
            .store
            .submit(
                writer,
                TableWrite {
                    cf,
                    table_label: entry.def.id.to_string(),
                    pk_column: entry
                        .def
                        .primary_key()
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                    ops,
                    meta: Some(crate::live::ChangeMeta {
                        table: entry.def.id.clone(),
                        user: match entry.def.table_type {
                            TableType::User | TableType::Stream => Some(session.user.clone()),
                            _ => None,
                        },
                    }),
                    taps,
                    commit_with,
                },
            )
            .await;
        match &outcome {
            Ok(_) if queues => self.flows.wake.notify_one(),
            Ok(_) => {}
            Err(_) => {
                if let Some(slot) = &session.commit_with {
                    slot.restore(carried);
                }
            }
        }
        outcome.map_err(Into::into)
    }

    pub(super) fn target_table(table: &ast::TableWithJoins) -> Result<(&ObjectName, String)> {
        if !table.joins.is_empty() {
            return Err(unsupported("UPDATE/DELETE with JOIN"));
        }
        match &table.relation {
            TableFactor::Table { name, alias, .. } => Ok((
                name,
                alias
                    .as_ref()
                    .map(|a| format!(" AS {a}"))
                    .unwrap_or_default(),
            )),
            _ => Err(unsupported("UPDATE/DELETE of a derived table")),
        }
    }

    pub(crate) async fn update(
        &self,
        session: &Session,
        update: ast::Update,
        params: &[Value],
    ) -> Result<QueryResult> {
        if update.from.is_some() {
            return Err(unsupported("UPDATE ... FROM"));
        }
        let (name, alias) = Self::target_table(&update.table)?;
        let entry = self.dml_table(session, name)?;
        let def = &entry.def;
        if def.table_type == TableType::Stream {
            return Err(KalamError::Execution(format!(
                "STREAM table {} is append-only: rows cannot be updated",
                def.id
            )));
        }
        let pk = def
            .primary_key()
            .ok_or_else(|| KalamError::Internal("table without primary key".into()))?;
        let mut assigned: Vec<(usize, &Expr)> = Vec::new();
        for a in &update.assignments {
            let AssignmentTarget::ColumnName(col) = &a.target else {
                return Err(unsupported("tuple assignment in UPDATE"));
            };
            let col_name = match col.0.last() {
                Some(ObjectNamePart::Identifier(i)) => fold(i),
                _ => col.to_string(),
            };
            let index = Self::column_index(&entry, &col_name)?;
            if def.columns[index].primary_key {
                return Err(KalamError::Execution(format!(
                    "column \"{col_name}\" is the primary key and cannot be updated; delete the row and insert it again"
                )));
            }
            if assigned.iter().any(|(i, _)| *i == index) {
                return Err(KalamError::Execution(format!(
                    "multiple assignments to same column \"{col_name}\""
                )));
            }
            assigned.push((index, &a.value));
        }
        let mut select: Vec<String> = def.columns.iter().map(|c| quote(&c.name)).collect();
        for (i, (_, expr)) in assigned.iter().enumerate() {
            select.push(format!("{expr} AS \"__kalam_set_{i}\""));
        }
        select.push(SEQ_COLUMN.to_string());
        let batches = self
            .target_rows(
                session,
                def,
                &select,
                &alias,
                update.selection.as_ref(),
                params,
            )
            .await?;
        let n_cols = def.columns.len();
        let mut ops = Vec::new();
        for row in batch_rows(&batches)? {
            let prior = prior_row(def, &row[..n_cols], row.last());
            let mut values: Vec<Value> = row[..n_cols].to_vec();
            for (i, (index, _)) in assigned.iter().enumerate() {
                let col = &def.columns[*index];
                values[*index] = coerce(row[n_cols + i].clone(), &col.data_type, &col.name)?;
            }
            let mut cells = Vec::with_capacity(n_cols);
            for (col, value) in def.columns.iter().zip(values) {
                if value.is_null() {
                    if !col.nullable {
                        return Err(KalamError::NotNull {
                            table: def.id.to_string(),
                            column: col.name.clone(),
                        });
                    }
                    continue;
                }
                cells.push((col.id, value));
            }
            let pk_value = cells
                .iter()
                .find(|(id, _)| *id == pk.id)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null);
            ops.push(RowOp {
                key: Self::row_key(&entry, &session.user, &pk_value)?,
                cells,
                mode: RowMode::Update,
                pk_display: pk_value.display(),
                append_seq_to_key: false,
                prior: Some(prior),
            });
        }
        let outcome = self.write(&entry, session, ops).await?;
        let count = outcome.written.len();
        self.jobs.note_writes(&entry, count).await;
        match update.returning {
            Some(items) => returning(&entry, &items, &outcome.written),
            None => Ok(message_result(format!("Updated {count} row(s)"), count)),
        }
    }

    pub(crate) async fn delete(
        &self,
        session: &Session,
        delete: ast::Delete,
        params: &[Value],
    ) -> Result<QueryResult> {
        if delete.using.is_some() || !delete.tables.is_empty() {
            return Err(unsupported("DELETE ... USING"));
        }
        let tables = match &delete.from {
            FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
        };
        let [table] = tables.as_slice() else {
            return Err(unsupported("DELETE from several tables"));
        };
        let (name, alias) = Self::target_table(table)?;
        if is_user_files(name) {
            if delete.returning.is_some() {
                return Err(unsupported("DELETE ... RETURNING on system.user_files"));
            }
            return self
                .delete_user_files(session, &alias, delete.selection.as_ref(), params)
                .await;
        }
        let entry = self.dml_table(session, name)?;
        let def = &entry.def;
        if def.table_type == TableType::Stream {
            return Err(KalamError::Execution(format!(
                "STREAM table {} is append-only: rows expire after TTL_SECONDS and cannot be deleted",
                def.id
            )));
        }
        let pk = def
            .primary_key()
            .ok_or_else(|| KalamError::Internal("table without primary key".into()))?;
        let mut cols: Vec<String> = def.columns.iter().map(|c| quote(&c.name)).collect();
        cols.push(SEQ_COLUMN.to_string());
        let batches = self
            .target_rows(
                session,
                def,
                &cols,
                &alias,
                delete.selection.as_ref(),
                params,
            )
            .await?;
        let mut ops = Vec::new();
        let pk_index = def.columns.iter().position(|c| c.id == pk.id).unwrap_or(0);
        for row in batch_rows(&batches)? {
            let prior = prior_row(def, &row[..def.columns.len()], row.last());
            let pk_value = coerce(row[pk_index].clone(), &pk.data_type, &pk.name)?;
            ops.push(RowOp {
                key: Self::row_key(&entry, &session.user, &pk_value)?,
                cells: vec![(pk.id, pk_value.clone())],
                mode: RowMode::Delete,
                pk_display: pk_value.display(),
                append_seq_to_key: false,
                prior: Some(prior),
            });
        }
        let outcome = self.write(&entry, session, ops).await?;
        let count = outcome.written.len();
        self.jobs.note_writes(&entry, count).await;
        match delete.returning {
            Some(items) => {
                let old: Vec<StoredRow> = outcome.replaced.into_iter().flatten().collect();
                returning(&entry, &items, &old)
            }
            None => Ok(message_result(format!("Deleted {count} row(s)"), count)),
        }
    }
}

/// The version a statement read, rebuilt from its column values and `_seq`.
fn prior_row(
    def: &crate::catalog::model::TableDef,
    values: &[Value],
    seq: Option<&Value>,
) -> StoredRow {
    StoredRow {
        seq: match seq {
            Some(Value::Int(s)) => *s,
            _ => 0,
        },
        deleted: false,
        cells: def
            .columns
            .iter()
            .zip(values)
            .filter(|(_, v)| !v.is_null())
            .map(|(c, v)| (c.id, v.clone()))
            .collect(),
    }
}

/// `system.user_files` (also as `kalam.system.user_files`).
fn is_user_files(name: &ObjectName) -> bool {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(fold(i)),
            _ => None,
        })
        .collect();
    matches!(
        parts
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["system", "user_files"] | [super::df_catalog::CATALOG_NAME, "system", "user_files"]
    )
}

impl Engine {
    /// `DELETE FROM system.user_files [WHERE ...]`: the caller's matching files, records and
    /// bytes.
    async fn delete_user_files(
        &self,
        session: &Session,
        alias: &str,
        selection: Option<&Expr>,
        params: &[Value],
    ) -> Result<QueryResult> {
        let sql = format!(
            "SELECT id FROM system.user_files{alias}{}",
            selection.map(|s| format!(" WHERE {s}")).unwrap_or_default()
        );
        let (_, batches) = self.run_query(session, parse_select(&sql)?, params).await?;
        let mut count = 0;
        for row in batch_rows(&batches)? {
            if let Some(Value::Text(id)) = row.first() {
                match self.delete_file(&session.user, id).await {
                    Ok(_) => count += 1,
                    Err(crate::files::FileError::NotFound(_)) => {}
                    Err(crate::files::FileError::Kalam(e)) => return Err(e),
                    Err(e) => return Err(KalamError::Execution(e.to_string())),
                }
            }
        }
        Ok(message_result(format!("Deleted {count} row(s)"), count))
    }

    /// The rows an UPDATE or DELETE targets: `SELECT <select> FROM ns.t [alias] [WHERE ...]`
    /// in the caller's scope, so only rows the caller can read are ever touched.
    async fn target_rows(
        &self,
        session: &Session,
        def: &crate::catalog::model::TableDef,
        select: &[String],
        alias: &str,
        selection: Option<&Expr>,
        params: &[Value],
    ) -> Result<Vec<RecordBatch>> {
        let sql = format!(
            "SELECT {} FROM {}.{}{alias}{}",
            select.join(", "),
            quote(def.id.namespace.as_str()),
            quote(def.id.table.as_str()),
            selection.map(|s| format!(" WHERE {s}")).unwrap_or_default()
        );
        let (_, batches) = self.run_query(session, parse_select(&sql)?, params).await?;
        Ok(batches)
    }
}

fn parse_select(sql: &str) -> Result<ast::Statement> {
    match crate::sql::parse_statement(sql)? {
        crate::sql::Statement::Query(stmt) => Ok(*stmt),
        _ => Err(KalamError::Internal(
            "generated query did not parse as a query".into(),
        )),
    }
}

/// Every row of `batches` as values.
fn batch_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let row = batch
                .columns()
                .iter()
                .map(|c| cell_value(c, r))
                .collect::<Result<Vec<_>>>()?;
            out.push(row);
        }
    }
    Ok(out)
}

/// `RETURNING *`, columns and `_seq`, optionally renamed with AS.
fn returning(entry: &TableEntry, items: &[SelectItem], rows: &[StoredRow]) -> Result<QueryResult> {
    let mut projection = Vec::new();
    let mut names: Vec<Option<String>> = Vec::new();
    let index_of = |name: &str| -> Result<usize> {
        entry
            .schema
            .fields()
            .iter()
            .position(|f| f.name() == name)
            .ok_or_else(|| KalamError::Execution(format!("column \"{name}\" does not exist")))
    };
    for item in items {
        match item {
            SelectItem::Wildcard(_) => {
                for i in 0..entry.schema.fields().len() {
                    projection.push(i);
                    names.push(None);
                }
            }
            SelectItem::UnnamedExpr(Expr::Identifier(ident)) => {
                projection.push(index_of(&fold(ident))?);
                names.push(None);
            }
            SelectItem::ExprWithAlias {
                expr: Expr::Identifier(ident),
                alias,
            } => {
                projection.push(index_of(&fold(ident))?);
                names.push(Some(fold(alias)));
            }
            other => {
                return Err(KalamError::Unsupported(format!(
                    "RETURNING {other} is not supported; list columns or *"
                )));
            }
        }
    }
    let batch = rows_to_batch(entry, rows, Some(&projection))?;
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(names)
        .map(|(f, n)| match n {
            Some(n) => f.as_ref().clone().with_name(n),
            None => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?;
    rows_result(&schema, &[batch])
}
