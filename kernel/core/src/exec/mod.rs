//! Execution of typed statements: the one `execute` path every front end calls.
//!
//! - [`batch`]: a request's SQL text → statements → results (DML results merged).
//! - [`ddl`]: namespaces, tables, SHOW and DESCRIBE.
//! - [`users`]: CREATE/ALTER/DROP USER.
//! - [`storages`]: CREATE/ALTER/DROP STORAGE, SHOW STORAGES, STORAGE CHECK.
//! - [`dml`]: INSERT, UPDATE, DELETE through the shard writers.
//! - [`query`]: SELECT and friends on DataFusion.
//! - [`provider`], [`df_catalog`], [`system_tables`]: what DataFusion reads.
//! - [`rows`], [`coerce`], [`result`]: values between rows, Arrow and the wire.
//! - [`json`]: PostgreSQL's JSON operators (`->`, `->>`, `#>`, `#>>`) and `json_*` functions.
//! - `alter_table`: ALTER TABLE (access level, flush policy, retention).
//! - `impersonate`: EXECUTE AS USER.
//! - [`extension`]: schemas and functions a front end adds to every caller's session.
//! - [`output`]: a statement's outcome before a front end encodes it, and Describe.
//! - `dml_params`: the types of `$n` in INSERT, UPDATE and DELETE.
//! - [`plan_cache`]: logical plans of reads, reused across executions.
//! - [`shapes`], [`stats`]: query-shape statistics, the statistics snapshot, `system.stats`,
//!   `system.advice`, SHOW STATS / SHOW ADVICE / RUN ADVISOR.
//! - [`limits`]: statement timeout, result size, statements per request, query memory.
//! - [`access`]: the role matrix and plan checks; [`scope`]: the caller inside DataFusion.
//!
//! Every statement's outcome goes to the audit log when it is audited (user, table, storage
//! and namespace DDL, impersonation) or when it was denied.

pub mod access;
mod alter_table;
pub mod batch;
pub mod ddl;
pub mod df_catalog;
pub use kalamdb_base::df_error;
pub use kalamdb_catalog::{coerce, rows};
pub mod dml;
mod dml_params;
pub mod extension;
pub mod functions;
mod impersonate;
pub mod json;
pub mod limits;
pub mod output;
pub mod plan_cache;
pub mod provider;
pub mod query;
pub mod result;
pub mod scope;
pub mod session_cache;
pub mod shapes;
pub mod stats;
pub mod storages;
pub mod system_tables;
pub mod users;

use crate::engine::{Engine, Session};
use crate::error::{KalamError, Result};
use crate::jobs::JobKind;
use crate::sql::Statement;
use crate::value::Value;
use kalamdb_types::wire::QueryResult;

/// `SUBSCRIBE TO` over HTTP: how to subscribe over WebSocket.
fn subscribe_hint(select: &str, options: &[(String, String)]) -> Result<QueryResult> {
    let mut opts = serde_json::Map::new();
    for (k, v) in options {
        let value = match v.parse::<i64>() {
            Ok(n) => serde_json::Value::from(n),
            Err(_) => serde_json::Value::String(v.clone()),
        };
        opts.insert(k.clone(), value);
    }
    let message = serde_json::json!({
        "type": "subscribe",
        "subscription": {"id": "sub1", "sql": select, "options": opts},
    });
    Ok(result::message_result(
        format!(
            "Live queries run over WebSocket: connect to /v1/ws, send {{\"type\":\"authenticate\",\"method\":\"jwt\",\"token\":\"<token>\"}}, then send {message}"
        ),
        0,
    ))
}

impl Engine {
    /// `CLEAR CACHE [name]`: empties every registered cache, or the named one. Caches are
    /// never the source of truth, so what queries return does not change.
    fn clear_caches(&self, name: Option<&str>) -> Result<QueryResult> {
        let cleared: Vec<String> = match name {
            Some(name) => {
                let cache = self.registry.cache(name).ok_or_else(|| {
                    let known: Vec<&str> = self.registry.caches().map(|c| c.name()).collect();
                    KalamError::NotFound(format!(
                        "cache '{name}' does not exist; the caches are: {}",
                        known.join(", ")
                    ))
                })?;
                cache.clear();
                vec![cache.name().to_string()]
            }
            None => self
                .registry
                .caches()
                .map(|c| {
                    c.clear();
                    c.name().to_string()
                })
                .collect(),
        };
        Ok(result::message_result(
            format!("Cleared {} cache(s): {}", cleared.len(), cleared.join(", ")),
            0,
        ))
    }

    async fn job_statement(
        &self,
        session: &Session,
        kind: crate::jobs::JobKind,
        table: Option<crate::sql::statement::TableRef>,
        namespace: Option<kalamdb_types::NamespaceId>,
    ) -> Result<QueryResult> {
        let action = format!("STORAGE {}", kind.as_str().to_ascii_uppercase());
        access::require(session.role, kalamdb_types::Role::Service, &action)?;
        if let Some(table) = table {
            let id = self.resolve_table_id(session, &table)?;
            let entry = self.catalog.require_table(&id)?;
            if entry.def.table_type == kalamdb_types::TableType::Stream {
                return Err(crate::error::KalamError::Execution(format!(
                    "STREAM table {id} cannot be flushed or compacted: its rows expire after TTL_SECONDS"
                )));
            }
            let (job, _) = self.jobs.start(kind, id.clone(), 0).await?;
            return Ok(result::message_result(
                format!(
                    "Storage {} started for table '{id}'. Job ID: {job}",
                    kind.as_str()
                ),
                0,
            ));
        }
        let mut ids = Vec::new();
        for t in self.catalog.tables() {
            if t.def.table_type == kalamdb_types::TableType::Stream
                || namespace
                    .as_ref()
                    .is_some_and(|ns| &t.def.id.namespace != ns)
            {
                continue;
            }
            let (job, _) = self.jobs.start(kind, t.def.id.clone(), 0).await?;
            ids.push(job.to_string());
        }
        Ok(result::message_result(
            format!(
                "Storage {} started for {} table(s). Job IDs: [{}]",
                kind.as_str(),
                ids.len(),
                ids.join(", ")
            ),
            0,
        ))
    }

    fn kill_live_query(&self, session: &Session, live_id: &str) -> Result<QueryResult> {
        let sub = self
            .live
            .all()
            .into_iter()
            .find(|s| s.live_id == live_id)
            .ok_or_else(|| {
                crate::error::KalamError::NotFound(format!("live query '{live_id}' does not exist"))
            })?;
        if sub.connection.user != session.user {
            access::require(
                session.role,
                kalamdb_types::Role::Dba,
                "KILL LIVE QUERY of another user",
            )?;
        }
        self.live.remove(live_id);
        sub.connection
            .push(kalamdb_types::ws::ServerMessage::Error {
                subscription_id: Some(sub.subscription_id.clone()),
                code: kalamdb_types::ws::ws_codes::SUBSCRIPTION_FAILED.into(),
                message: format!("live query '{live_id}' was killed"),
            });
        Ok(result::message_result(
            format!("Live query '{live_id}' killed"),
            0,
        ))
    }
}

impl Engine {
    /// Executes one typed statement for `session` with bound `$n` parameters, and audits it;
    /// the result in the HTTP wire form (see [`output::Output`] for the other).
    pub async fn execute(
        &self,
        session: &mut Session,
        statement: Statement,
        params: &[Value],
    ) -> Result<QueryResult> {
        self.execute_output(session, statement, params)
            .await?
            .into_wire()
    }

    pub(crate) async fn execute_unaudited(
        &self,
        session: &mut Session,
        statement: Statement,
        params: &[Value],
    ) -> Result<QueryResult> {
        match statement {
            Statement::CreateNamespace {
                name,
                if_not_exists,
            } => self.create_namespace(session, name, if_not_exists).await,
            Statement::DropNamespace {
                name,
                if_exists,
                cascade,
            } => self.drop_namespace(session, name, if_exists, cascade).await,
            Statement::ShowNamespaces => self.show_namespaces(),
            Statement::Use { namespace } => self.use_namespace(session, namespace),
            Statement::CreateTable(spec) => self.create_table(session, *spec).await,
            Statement::DropTable { table, if_exists } => {
                self.drop_table(session, table, if_exists).await
            }
            Statement::AlterTable { table, change } => {
                self.alter_table(session, table, change).await
            }
            Statement::ShowTables { namespace } => self.show_tables(session, namespace),
            Statement::DescribeTable { table } => self.describe_table(session, table),
            Statement::CreateUser(spec) => self.create_user(session, *spec).await,
            Statement::AlterUser { user, change } => self.alter_user(session, user, change).await,
            Statement::DropUser {
                user,
                if_exists,
                with_data,
            } => self.drop_user(session, user, if_exists, with_data).await,
            Statement::KillLiveQuery { live_id } => self.kill_live_query(session, &live_id),
            Statement::SubscribeTo { select, options } => subscribe_hint(&select, &options),
            Statement::CreateStorage(spec) => self.create_storage(session, *spec).await,
            Statement::AlterStorage { storage_id, change } => {
                self.alter_storage(session, storage_id, change).await
            }
            Statement::DropStorage {
                storage_id,
                if_exists,
            } => self.drop_storage(session, storage_id, if_exists).await,
            Statement::ShowStorages => self.show_storages(session),
            Statement::ShowPlugins => {
                let batch = system_tables::plugins_view(&self.registry)?;
                result::rows_result(&batch.schema(), &[batch])
            }
            Statement::ShowCaches => {
                access::require(session.role, kalamdb_types::Role::Dba, "SHOW CACHES")?;
                let batch = system_tables::caches_view(&self.registry)?;
                result::rows_result(&batch.schema(), &[batch])
            }
            Statement::ClearCache { name } => {
                access::require(session.role, kalamdb_types::Role::Dba, "CLEAR CACHE")?;
                self.clear_caches(name.as_deref())
            }
            Statement::ShowStats { table } => self.show_stats(session, table),
            Statement::ShowAdvice => self.show_advice(session),
            Statement::RunAdvisor => self.run_advisor_statement(session).await,
            Statement::CreateFlow(spec) => self.create_flow(session, *spec).await,
            Statement::AlterFlow { flow, change } => self.alter_flow(session, flow, change).await,
            Statement::DropFlow { flow, if_exists } => {
                self.drop_flow(session, flow, if_exists).await
            }
            Statement::ShowFlows => self.show_flows(session),
            Statement::RunFlow { flow } => self.run_flow_statement(session, flow).await,
            Statement::CleanupDeletedRows {
                table,
                older_than_secs,
            } => {
                self.cleanup_statement(session, table, older_than_secs)
                    .await
            }
            Statement::BackupDatabase { to } => self.backup_statement(session, to).await,
            Statement::ExportUserData { user } => self.export_statement(session, user).await,
            Statement::ShowExports => self.show_exports(session),
            Statement::Replicate { tables, storage } => {
                self.replicate_statement(session, tables, storage).await
            }
            Statement::RestoreDatabase { from } => self.restore_statement(session, from).await,
            Statement::StorageCheck { storage_id } => self.storage_check(session, storage_id).await,
            Statement::StorageFlushTable { table } => {
                self.job_statement(session, JobKind::Flush, Some(table), None)
                    .await
            }
            Statement::StorageFlushAll { namespace } => {
                self.job_statement(session, JobKind::Flush, None, namespace)
                    .await
            }
            Statement::StorageCompactTable { table } => {
                self.job_statement(session, JobKind::Compact, Some(table), None)
                    .await
            }
            Statement::StorageCompactAll { namespace } => {
                self.job_statement(session, JobKind::Compact, None, namespace)
                    .await
            }
            Statement::KillJob { job_id } => {
                access::require(session.role, kalamdb_types::Role::Dba, "KILL JOB")?;
                self.jobs.kill(&job_id)?;
                Ok(result::message_result(
                    format!("Job '{job_id}' cancelled"),
                    0,
                ))
            }
            Statement::Insert(insert) => self.insert(session, *insert, params).await,
            Statement::Update(update) => self.update(session, *update, params).await,
            Statement::Delete(delete) => self.delete(session, *delete, params).await,
            Statement::Query(stmt) => self.query(session, *stmt, params).await,
            Statement::ExecuteAs { user, statement } => {
                self.execute_as(session, user, *statement, params).await
            }
        }
    }
}
