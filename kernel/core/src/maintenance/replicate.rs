//! `REPLICATE ns.t[, ...] TO STORAGE '<id>'`: each table's committed Parquet segments and
//! manifests copied to another storage at the same paths, incrementally (see
//! `ColdStore::replicate_table`). Hot rows are not replicated until a flush commits them.

use crate::Engine;
use crate::cold::export::ReplicaReport;
use crate::engine::Session;
use crate::error::{KalamError, Result};
use crate::exec::access::require;
use crate::exec::result::message_result;
use crate::sql::statement::TableRef;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, StorageId};

impl Engine {
    pub(crate) async fn replicate_statement(
        &self,
        session: &Session,
        tables: Vec<TableRef>,
        storage: StorageId,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "REPLICATE")?;
        let record = self
            .catalog
            .storage(&storage)
            .ok_or_else(|| KalamError::NotFound(format!("Storage '{storage}' does not exist")))?;
        let target = self.storage_backend(&record)?.object_store();
        let mut ids = Vec::new();
        for table in &tables {
            ids.push(self.resolve_table_id(session, table)?);
        }
        let mut report = ReplicaReport::default();
        for id in &ids {
            report += self
                .cold
                .replicate_table(id, target.as_ref(), &storage)
                .await?;
        }
        Ok(message_result(
            format!(
                "Replicated {} table(s) to storage '{storage}': {} segment(s) copied ({} bytes), {} already there, {} removed, {} manifest(s) written",
                ids.len(),
                report.copied,
                report.bytes,
                report.present,
                report.removed,
                report.folders
            ),
            report.copied,
        ))
    }
}
