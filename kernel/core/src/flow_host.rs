//! The engine's side of the flow-action contract ([`kalamdb_plugin_api::FlowHost`]): what a
//! `FlowAction` plugin may ask of the database. Statements run as the flow's owner, through the
//! same parser, access checks and audit as a statement sent over HTTP.

use crate::Engine;
use crate::exec::batch::BatchError;
use kalamdb_plugin_api::{BoxFuture, FlowHost, PluginError, StorageBackend};
use kalamdb_types::{StorageId, TableId, UserId};
use std::sync::Arc;

pub struct EngineFlowHost {
    engine: Arc<Engine>,
}

impl EngineFlowHost {
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

impl FlowHost for EngineFlowHost {
    fn execute_sql<'a>(
        &'a self,
        user: &'a UserId,
        sql: &'a str,
    ) -> BoxFuture<'a, kalamdb_plugin_api::Result<u64>> {
        Box::pin(async move {
            let record = self.engine.catalog.user(user).ok_or_else(|| {
                PluginError::NotFound(format!(
                    "user '{user}' does not exist: a flow runs as its owner, recreate the flow"
                ))
            })?;
            let mut session = self.engine.auth.session_for(&record);
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
