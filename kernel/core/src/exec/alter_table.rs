//! `ALTER TABLE ns.t SET ACCESS LEVEL x` and `ALTER TABLE ns.t SET (FLUSH_POLICY = ..., ...)`.

use super::access::require;
use super::ddl::check_flush_policy;
use super::result::message_result;
use crate::engine::{Engine, Session, now_micros};
use crate::error::{KalamError, Result};
use crate::sql::statement::{TableChange, TableRef};
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, TableType};

impl Engine {
    pub(crate) async fn alter_table(
        &self,
        session: &Session,
        table: TableRef,
        change: TableChange,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "ALTER TABLE")?;
        let id = self.resolve_table_id(session, &table)?;
        let entry = self.catalog.require_table(&id)?;
        let mut def = entry.def.clone();
        match &change {
            TableChange::AccessLevel(level) => {
                if def.table_type != TableType::Shared {
                    return Err(KalamError::InvalidDefinition(format!(
                        "ACCESS LEVEL applies to SHARED tables only; {id} is a {} table whose rows belong to their users",
                        def.table_type
                    )));
                }
                def.options.access_level = Some(*level);
            }
            TableChange::Options {
                flush_policy,
                deleted_retention_hours,
            } => {
                if let Some(policy) = flush_policy {
                    if def.table_type == TableType::Stream {
                        return Err(KalamError::InvalidDefinition(format!(
                            "{id} is a STREAM table: it is never flushed, FLUSH_POLICY does not apply"
                        )));
                    }
                    check_flush_policy(policy)?;
                    def.options.flush_policy = Some(policy.clone());
                }
                if let Some(hours) = deleted_retention_hours {
                    def.options.deleted_retention_hours = Some(*hours);
                }
            }
        }
        def.updated_at = now_micros();
        self.catalog.put_table(def).await?;
        Ok(message_result(format!("Table {id} altered: {change}"), 0))
    }
}
