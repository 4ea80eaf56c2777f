//! The engine's side of the flow-action contract ([`kalamdb_plugin_api::FlowHost`]): what a
//! `FlowAction` plugin may ask of the database. Statements run as the flow's owner, through the
//! same parser, access checks and audit as a statement sent over HTTP.
//!
//! A host is made per run. For a change in a USER or STREAM table it carries the partition the
//! change is in (an admin's flow writes into that user's rows) and the flow's cursor, which
//! the first row write of the action commits with itself ([`CommitSlot`]).

use crate::Engine;
use crate::error::KalamError;
use crate::exec::batch::BatchError;
use crate::sql::bind::{RowRefs, bind_row_refs};
use crate::sql::{Statement, parse_statement};
use crate::value::Value;
use kalamdb_base::{CommitSlot, Session};
use kalamdb_plugin_api::{BoxFuture, FlowHost, FlowTrigger, PluginError, StorageBackend};
use kalamdb_types::{Role, StorageId, TableId, UserId};
use std::sync::Arc;

pub struct EngineFlowHost<'a> {
    engine: &'a Engine,
    /// The partition of the change the flow fired on.
    partition: Option<UserId>,
    slot: Option<CommitSlot>,
}

fn host_error(e: KalamError) -> PluginError {
    PluginError::Host(e.to_string())
}

impl<'a> EngineFlowHost<'a> {
    pub fn new(engine: &'a Engine) -> Self {
        Self::for_run(engine, None, None)
    }

    pub fn for_run(
        engine: &'a Engine,
        partition: Option<UserId>,
        slot: Option<CommitSlot>,
    ) -> Self {
        Self {
            engine,
            partition,
            slot,
        }
    }

    pub fn with_slot(mut self, slot: CommitSlot) -> Self {
        self.slot = Some(slot);
        self
    }

    /// The session a statement of the flow runs in: the owner's rights, in the partition of
    /// the change (an owner below `service` only ever gets changes of its own partition).
    fn session(&self, user: &UserId) -> kalamdb_plugin_api::Result<Session> {
        let record = self.engine.catalog.user(user).ok_or_else(|| {
            PluginError::NotFound(format!(
                "user '{user}' does not exist: a flow runs as its owner, recreate the flow"
            ))
        })?;
        let mut session = self.engine.auth.session_for(&record);
        if let Some(partition) = &self.partition
            && *partition != record.user_id
            && record.role >= Role::Service
        {
            session.user = partition.clone();
        }
        session.commit_with = self.slot.clone();
        Ok(session)
    }

    /// One statement with `NEW` / `OLD` bound from the trigger's row; with `typed`, each
    /// reference is cast to its column's type.
    async fn run_bound(
        &self,
        session: &mut Session,
        sql: &str,
        trigger: &FlowTrigger,
        typed: bool,
    ) -> crate::error::Result<kalamdb_types::wire::QueryResult> {
        let (bound, params): (String, Vec<Value>) = match trigger {
            FlowTrigger::Change {
                table,
                kind,
                new,
                old,
                ..
            } => {
                let types = typed.then(|| self.cast_types(table));
                bind_row_refs(
                    sql,
                    RowRefs {
                        new: new.as_ref(),
                        old: old.as_ref(),
                        kind: kind.as_str(),
                        types: types.as_ref(),
                    },
                )?
            }
            _ => (sql.to_string(), Vec::new()),
        };
        let statement = parse_statement(&bound)?;
        if matches!(statement, Statement::ExecuteAs { .. }) {
            return Err(KalamError::Denied(
                "a flow's statement cannot use EXECUTE AS USER".into(),
            ));
        }
        // Boxed: a flow's statement runs inside RUN FLOW, itself a statement.
        Box::pin(self.engine.execute(session, statement, &params)).await
    }

    /// The SQL type to cast each of a table's columns to: its own, or the type DataFusion
    /// holds it in (text for JSON, UUID and FILE, bytes for BYTES).
    fn cast_types(&self, table: &TableId) -> std::collections::BTreeMap<String, String> {
        use kalamdb_types::KalamDataType as T;
        let Some(entry) = self.engine.catalog.table(table) else {
            return Default::default();
        };
        entry
            .def
            .columns
            .iter()
            .map(|c| {
                let ty = match c.data_type {
                    T::Text | T::Json | T::Uuid | T::File => "VARCHAR".to_string(),
                    T::Bytes => "BYTEA".to_string(),
                    ref other => other.sql_name(),
                };
                (c.name.clone(), ty)
            })
            .collect()
    }

    /// Whether a flow's WHERE holds for the trigger's row (run as `SELECT 1 WHERE ...`).
    pub async fn predicate_holds(
        &self,
        owner: &UserId,
        predicate: &str,
        trigger: &FlowTrigger,
    ) -> crate::error::Result<bool> {
        let mut session = self
            .session(owner)
            .map_err(|e| KalamError::NotFound(e.to_string()))?;
        session.commit_with = None;
        let probe = format!("SELECT 1 WHERE {predicate}");
        let result = self.run_bound(&mut session, &probe, trigger, true).await?;
        Ok(result.row_count > 0)
    }
}

impl FlowHost for EngineFlowHost<'_> {
    fn execute_sql<'b>(
        &'b self,
        user: &'b UserId,
        sql: &'b str,
    ) -> BoxFuture<'b, kalamdb_plugin_api::Result<u64>> {
        Box::pin(async move {
            let mut session = self.session(user)?;
            let results = self
                .engine
                .execute_sql(&mut session, sql, Vec::new())
                .await
                .map_err(|e| {
                    PluginError::Host(match e {
                        BatchError::Request { message, .. } => message,
                        BatchError::Statement { error, .. } => error.to_string(),
                    })
                })?;
            Ok(results.iter().map(|r| r.row_count as u64).sum())
        })
    }

    fn execute_for_row<'b>(
        &'b self,
        user: &'b UserId,
        sql: &'b str,
        trigger: &'b FlowTrigger,
    ) -> BoxFuture<'b, kalamdb_plugin_api::Result<u64>> {
        Box::pin(async move {
            let mut session = self.session(user)?;
            let result = self
                .run_bound(&mut session, sql, trigger, false)
                .await
                .map_err(host_error)?;
            Ok(result.row_count as u64)
        })
    }

    fn storage(&self, storage_id: &str) -> kalamdb_plugin_api::Result<Arc<dyn StorageBackend>> {
        let id = StorageId::new(storage_id);
        let record = self.engine.catalog.storage(&id).ok_or_else(|| {
            PluginError::NotFound(format!("Storage '{storage_id}' does not exist"))
        })?;
        self.engine
            .storage_backend(&record)
            .map_err(|e| PluginError::Host(e.to_string()))
    }

    fn tables(&self) -> Vec<TableId> {
        let mut ids: Vec<TableId> = self
            .engine
            .catalog
            .tables()
            .iter()
            .map(|t| t.def.id.clone())
            .collect();
        ids.sort_by_key(|id| id.to_string());
        ids
    }
}
