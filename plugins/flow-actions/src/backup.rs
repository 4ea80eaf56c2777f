//! `backup`: `BACKUP DATABASE` as the flow's owner (dba or system). `TO STORAGE '<id>'` puts
//! each run's backup under `backups/<time>-<id>/` in the storage; `TO '<dir>'` writes each
//! run into a new directory `<dir>/backup-<unix ms>`, so a schedule never meets a used one.

use kalamdb_plugin_api::{BoxFuture, FlowAction, FlowHost, FlowInput, FlowOutcome};
use kalamdb_plugin_api::{PluginError, Result};
use std::collections::BTreeMap;

pub struct BackupAction;

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn target(arguments: &BTreeMap<String, String>) -> Result<Target<'_>> {
    match (arguments.get("path"), arguments.get("storage")) {
        (Some(path), None) if path.starts_with('/') && !path.contains('\0') => {
            Ok(Target::Path(path))
        }
        (Some(path), None) => Err(PluginError::InvalidConfig(format!(
            "flow action 'backup': '{path}' is not an absolute directory path"
        ))),
        (None, Some(storage)) if !storage.trim().is_empty() => Ok(Target::Storage(storage)),
        _ => Err(PluginError::InvalidConfig(
            "flow action 'backup' needs one of the arguments 'path' or 'storage'".into(),
        )),
    }
}

enum Target<'a> {
    Path(&'a str),
    Storage(&'a str),
}

impl FlowAction for BackupAction {
    fn name(&self) -> &str {
        "backup"
    }

    fn validate(&self, arguments: &BTreeMap<String, String>) -> Result<()> {
        target(arguments).map(|_| ())
    }

    fn run<'a>(
        &'a self,
        input: &'a FlowInput,
        host: &'a dyn FlowHost,
    ) -> BoxFuture<'a, Result<FlowOutcome>> {
        Box::pin(async move {
            let to = match target(&input.arguments)? {
                Target::Storage(id) => format!("STORAGE {}", quoted(id)),
                Target::Path(dir) => {
                    let ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or_default();
                    quoted(&format!("{}/backup-{ms}", dir.trim_end_matches('/')))
                }
            };
            let sql = format!("BACKUP DATABASE TO {to}");
            host.execute_sql(&input.run_as, &sql).await?;
            Ok(FlowOutcome {
                affected: 0,
                message: format!("backup written to {to}"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::BackupAction;
    use std::collections::BTreeMap;

    #[tokio::test]
    async fn passes_the_flow_action_conformance_suite() {
        let valid = BTreeMap::from([("storage".to_string(), "archive".to_string())]);
        let invalid = BTreeMap::from([("path".to_string(), "relative/dir".to_string())]);
        kalamdb_plugin_api::testing::flow::run(&BackupAction, valid, invalid)
            .await
            .unwrap();
    }
}
