//! The bundled flow actions: what a KFlow does after `DO`. Each is a [`FlowAction`] that acts
//! only through the [`FlowHost`] it is given, as the flow's owner.
//!
//! | action | written as | arguments |
//! |---|---|---|
//! | `sql` | `DO INSERT ...` / `DO UPDATE ...` / `DO DELETE ...` | `sql`: the statement, with `NEW.col` / `OLD.col` |
//! | `compact` | `DO COMPACT [TABLE] ns.t` | `table` |
//!
//! `backup`, `cleanup` and `replicate` are parsed by the SQL front end but not provided yet:
//! a flow naming them is refused at CREATE FLOW with the list of installed actions.

mod compact;
mod sql;

pub use compact::CompactAction;
pub use sql::SqlAction;

use kalamdb_plugin_api::{Registry, Result};
use std::sync::Arc;

/// Registers every action of this crate.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_flow_action(Arc::new(SqlAction))?;
    registry.register_flow_action(Arc::new(CompactAction))
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
