//! `cleanup`: `CLEANUP DELETED ROWS [IN ns.t] [OLDER THAN n unit]`, as the flow's owner (dba
//! or system: only they create maintenance flows). Without `older_than_secs` each table keeps
//! its own `DELETED_RETENTION_HOURS`.

use super::plain_table;
use kalamdb_plugin_api::{BoxFuture, FlowAction, FlowHost, FlowInput, FlowOutcome};
use kalamdb_plugin_api::{PluginError, Result};
use std::collections::BTreeMap;

pub struct CleanupAction;

/// The statement the arguments stand for.
fn statement(arguments: &BTreeMap<String, String>) -> Result<String> {
    let mut sql = "CLEANUP DELETED ROWS".to_string();
    if let Some(table) = arguments.get("table") {
        plain_table("cleanup", table)?;
        sql.push_str(&format!(" IN {table}"));
    }
    if let Some(secs) = arguments.get("older_than_secs") {
        let secs: u64 = secs.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
            PluginError::InvalidConfig(format!(
                "flow action 'cleanup': older_than_secs '{secs}' is not a positive number of seconds"
            ))
        })?;
        sql.push_str(&format!(" OLDER THAN {secs} SECOND"));
    }
    if let Some(unknown) = arguments
        .keys()
        .find(|k| !matches!(k.as_str(), "table" | "older_than_secs"))
    {
        return Err(PluginError::InvalidConfig(format!(
            "flow action 'cleanup' takes table and older_than_secs, not '{unknown}'"
        )));
    }
    Ok(sql)
}

impl FlowAction for CleanupAction {
    fn name(&self) -> &str {
        "cleanup"
    }

    fn validate(&self, arguments: &BTreeMap<String, String>) -> Result<()> {
        statement(arguments).map(|_| ())
    }

    fn run<'a>(
        &'a self,
        input: &'a FlowInput,
        host: &'a dyn FlowHost,
    ) -> BoxFuture<'a, Result<FlowOutcome>> {
        Box::pin(async move {
            let sql = statement(&input.arguments)?;
            let affected = host.execute_sql(&input.run_as, &sql).await?;
            Ok(FlowOutcome {
                affected,
                message: format!("{sql}: {affected} version(s) purged"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{CleanupAction, statement};
    use std::collections::BTreeMap;

    #[test]
    fn arguments_become_the_statement() {
        let args = BTreeMap::from([
            ("table".to_string(), "app.t".to_string()),
            ("older_than_secs".to_string(), "3600".to_string()),
        ]);
        assert_eq!(
            statement(&args).unwrap(),
            "CLEANUP DELETED ROWS IN app.t OLDER THAN 3600 SECOND"
        );
        assert_eq!(statement(&BTreeMap::new()).unwrap(), "CLEANUP DELETED ROWS");
    }

    #[tokio::test]
    async fn passes_the_flow_action_conformance_suite() {
        let valid = BTreeMap::from([("older_than_secs".to_string(), "60".to_string())]);
        let invalid = BTreeMap::from([("older_than_secs".to_string(), "-1".to_string())]);
        kalamdb_plugin_api::testing::flow::run(&CleanupAction, valid, invalid)
            .await
            .unwrap();
    }
}
