//! `CLEANUP DELETED ROWS [IN ns.t] [OLDER THAN n unit]`, and the built-in flow
//! `system.deleted_row_cleanup` that runs it hourly with each table's retention.

use crate::Engine;
use crate::cold::cleanup::CleanupReport;
use crate::engine::Session;
use crate::error::{KalamError, Result};
use crate::exec::access::require;
use crate::exec::result::message_result;
use crate::sql::statement::TableRef;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, TableId, TableType};

impl Engine {
    pub(crate) async fn cleanup_statement(
        &self,
        session: &Session,
        table: Option<TableRef>,
        older_than_secs: Option<u64>,
    ) -> Result<QueryResult> {
        require(session.role, Role::Service, "CLEANUP DELETED ROWS")?;
        let tables = match table {
            Some(table) => {
                let id = self.resolve_table_id(session, &table)?;
                let entry = self.catalog.require_table(&id)?;
                if entry.def.table_type == TableType::Stream {
                    return Err(KalamError::Execution(format!(
                        "STREAM table {id} keeps no deleted rows: its rows expire after TTL_SECONDS"
                    )));
                }
                vec![id]
            }
            None => self.cleanable_tables(),
        };
        let (report, n) = self.cleanup_tables(&tables, older_than_secs).await?;
        let purged = report.tombstones + report.superseded;
        Ok(message_result(describe(&report, n), purged))
    }

    /// Every USER and SHARED table.
    fn cleanable_tables(&self) -> Vec<TableId> {
        self.catalog
            .tables()
            .into_iter()
            .filter(|t| matches!(t.def.table_type, TableType::User | TableType::Shared))
            .map(|t| t.def.id.clone())
            .collect()
    }

    /// Cleans the tables up, each with `older_than_secs` or else its own retention. A table
    /// dropped meanwhile is skipped. Returns what went and from how many tables.
    pub(crate) async fn cleanup_tables(
        &self,
        tables: &[TableId],
        older_than_secs: Option<u64>,
    ) -> Result<(CleanupReport, usize)> {
        let mut report = CleanupReport::default();
        let mut done = 0;
        for id in tables {
            let Some(entry) = self.catalog.table(id) else {
                continue;
            };
            let secs = older_than_secs.unwrap_or_else(|| {
                entry
                    .def
                    .options
                    .deleted_retention_hours
                    .unwrap_or(self.config.deleted_retention_hours)
                    .saturating_mul(3600)
            });
            let cutoff_ms = chrono::Utc::now()
                .timestamp_millis()
                .saturating_sub(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX));
            match self.cold.cleanup_table(id, cutoff_ms).await {
                Ok(r) => {
                    report += r;
                    done += 1;
                }
                Err(KalamError::TableNotFound(_)) if self.catalog.table(id).is_none() => {}
                Err(e) => return Err(e),
            }
        }
        Ok((report, done))
    }

    /// The built-in flow's run: every table with its retention.
    pub(crate) async fn cleanup_all_by_retention(&self) -> Result<(CleanupReport, usize)> {
        let tables = self.cleanable_tables();
        self.cleanup_tables(&tables, None).await
    }
}

/// The statement's answer.
pub(crate) fn describe(report: &CleanupReport, tables: usize) -> String {
    format!(
        "Cleaned up {} deleted row(s) and {} superseded version(s) in {tables} table(s); {} Parquet segment(s) rewritten",
        report.tombstones, report.superseded, report.segments_rewritten
    )
}
