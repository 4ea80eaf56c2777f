//! The bundled flow actions: what a KFlow does after `DO`. Each is a [`FlowAction`] that acts
//! only through the [`FlowHost`] it is given, as the flow's owner.
//!
//! | action | written as | arguments |
//! |---|---|---|
//! | `sql` | `DO INSERT ...` / `DO UPDATE ...` / `DO DELETE ...` | `sql`: the statement, with `NEW.col` / `OLD.col` |
//! | `compact` | `DO COMPACT [TABLE] ns.t` | `table` |
//! | `cleanup` | `DO CLEANUP DELETED ROWS [IN ns.t] [OLDER THAN n unit]` | `table`, `older_than_secs` (both optional) |
//! | `backup` | `DO BACKUP TO '<dir>'` / `DO BACKUP TO STORAGE '<id>'` | `path` or `storage` |
//! | `replicate` | `DO REPLICATE ns.t[, ...] TO STORAGE '<id>'` | `tables` (comma-separated), `storage` |

mod backup;
mod cleanup;
mod compact;
mod replicate;
mod sql;

pub use backup::BackupAction;
pub use cleanup::CleanupAction;
pub use compact::CompactAction;
pub use replicate::ReplicateAction;
pub use sql::SqlAction;

use kalamdb_plugin_api::{Registry, Result};
use std::sync::Arc;

/// Registers every action of this crate.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_flow_action(Arc::new(SqlAction))?;
    registry.register_flow_action(Arc::new(CleanupAction))?;
    registry.register_flow_action(Arc::new(BackupAction))?;
    registry.register_flow_action(Arc::new(ReplicateAction))?;
    registry.register_flow_action(Arc::new(CompactAction))
}

/// Checks a table name argument is a plain `ns.table` (it is pasted into a statement).
fn plain_table(action: &str, table: &str) -> Result<()> {
    let plain = table
        .split('.')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if plain {
        Ok(())
    } else {
        Err(kalamdb_plugin_api::PluginError::InvalidConfig(format!(
            "flow action '{action}': '{table}' is not a table name (ns.table)"
        )))
    }
}

/// An argument the action needs.
fn required<'a>(
    arguments: &'a std::collections::BTreeMap<String, String>,
    action: &str,
    key: &str,
) -> Result<&'a str> {
    arguments
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            kalamdb_plugin_api::PluginError::InvalidConfig(format!(
                "flow action '{action}' needs the argument '{key}'"
            ))
        })
}

kalamdb_plugin_api::submit_plugin!("flow-actions", register);
