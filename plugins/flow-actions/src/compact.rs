//! `compact`: merges a table's small Parquet segments (`STORAGE COMPACT TABLE`), as the
//! flow's owner, who needs the `service` role or above for it.

use super::{plain_table, required};
use kalamdb_plugin_api::{BoxFuture, FlowAction, FlowHost, FlowInput, FlowOutcome, Result};
use std::collections::BTreeMap;

pub struct CompactAction;

impl FlowAction for CompactAction {
    fn name(&self) -> &str {
        "compact"
    }

    fn validate(&self, arguments: &BTreeMap<String, String>) -> Result<()> {
        let table = required(arguments, "compact", "table")?;
        plain_table("compact", table)?;
        Ok(())
    }

    fn run<'a>(
        &'a self,
        input: &'a FlowInput,
        host: &'a dyn FlowHost,
    ) -> BoxFuture<'a, Result<FlowOutcome>> {
        Box::pin(async move {
            self.validate(&input.arguments)?;
            let table = required(&input.arguments, "compact", "table")?;
            host.execute_sql(&input.run_as, &format!("STORAGE COMPACT TABLE {table}"))
                .await?;
            Ok(FlowOutcome {
                affected: 0,
                message: format!("compaction of {table} started"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::CompactAction;
    use std::collections::BTreeMap;

    #[tokio::test]
    async fn passes_the_flow_action_conformance_suite() {
        let valid = BTreeMap::from([("table".to_string(), "app.t".to_string())]);
        let invalid = BTreeMap::from([("table".to_string(), "app.t; DROP".to_string())]);
        kalamdb_plugin_api::testing::flow::run(&CompactAction, valid, invalid)
            .await
            .unwrap();
    }
}
