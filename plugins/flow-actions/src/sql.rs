//! `sql`: one INSERT, UPDATE or DELETE, with `NEW.col` / `OLD.col` bound from the row that
//! fired the flow. On a change trigger the host binds the row and commits the flow's cursor
//! with the statement's write, which makes the flow exactly-once.

use super::required;
use kalamdb_plugin_api::{BoxFuture, FlowAction, FlowHost, FlowInput, FlowOutcome, FlowTrigger};
use kalamdb_plugin_api::{PluginError, Result};
use std::collections::BTreeMap;

pub struct SqlAction;

impl FlowAction for SqlAction {
    fn name(&self) -> &str {
        "sql"
    }

    fn validate(&self, arguments: &BTreeMap<String, String>) -> Result<()> {
        let sql = required(arguments, "sql", "sql")?;
        let head = sql
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if !matches!(head.as_str(), "INSERT" | "UPDATE" | "DELETE") {
            return Err(PluginError::InvalidConfig(format!(
                "flow action 'sql' runs one INSERT, UPDATE or DELETE, not {head}"
            )));
        }
        Ok(())
    }

    fn run<'a>(
        &'a self,
        input: &'a FlowInput,
        host: &'a dyn FlowHost,
    ) -> BoxFuture<'a, Result<FlowOutcome>> {
        Box::pin(async move {
            let sql = required(&input.arguments, "sql", "sql")?;
            let affected = match &input.trigger {
                FlowTrigger::Change { .. } => {
                    host.execute_for_row(&input.run_as, sql, &input.trigger)
                        .await?
                }
                FlowTrigger::Schedule { .. } | FlowTrigger::Manual { .. } => {
                    host.execute_sql(&input.run_as, sql).await?
                }
            };
            Ok(FlowOutcome {
                affected,
                message: format!("{affected} row(s) affected"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SqlAction;
    use std::collections::BTreeMap;

    #[tokio::test]
    async fn passes_the_flow_action_conformance_suite() {
        let valid = BTreeMap::from([(
            "sql".to_string(),
            "INSERT INTO app.log (id) VALUES (NEW.id)".to_string(),
        )]);
        let invalid = BTreeMap::from([("sql".to_string(), "SELECT 1".to_string())]);
        kalamdb_plugin_api::testing::flow::run(&SqlAction, valid, invalid)
            .await
            .unwrap();
    }
}
