//! `replicate`: `REPLICATE ns.t[, ...] TO STORAGE '<id>'` as the flow's owner (dba or system).
//! Each run copies only the segments committed since the last one.

use super::{plain_table, required};
use kalamdb_plugin_api::{BoxFuture, FlowAction, FlowHost, FlowInput, FlowOutcome, Result};
use std::collections::BTreeMap;

pub struct ReplicateAction;

fn statement(arguments: &BTreeMap<String, String>) -> Result<String> {
    let tables = required(arguments, "replicate", "tables")?;
    for table in tables.split(',') {
        plain_table("replicate", table.trim())?;
    }
    let storage = required(arguments, "replicate", "storage")?;
    Ok(format!(
        "REPLICATE {tables} TO STORAGE '{}'",
        storage.replace('\'', "''")
    ))
}

impl FlowAction for ReplicateAction {
    fn name(&self) -> &str {
        "replicate"
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
            let copied = host.execute_sql(&input.run_as, &sql).await?;
            Ok(FlowOutcome {
                affected: copied,
                message: format!("{sql}: {copied} segment(s) copied"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ReplicateAction;
    use std::collections::BTreeMap;

    #[tokio::test]
    async fn passes_the_flow_action_conformance_suite() {
        let valid = BTreeMap::from([
            ("tables".to_string(), "app.a,app.b".to_string()),
            ("storage".to_string(), "s3".to_string()),
        ]);
        let invalid = BTreeMap::from([("tables".to_string(), "app.a;x".to_string())]);
        kalamdb_plugin_api::testing::flow::run(&ReplicateAction, valid, invalid)
            .await
            .unwrap();
    }
}
