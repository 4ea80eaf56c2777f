//! The bundled plugins. Each is a cargo feature of this crate (default: all); naming a crate's
//! `register` here is what keeps it (and its `inventory` entry) in the binary. Plugins linked in
//! some other way are picked up from `inventory` after these.
//!
//! Adding a bundled plugin: its folder under `plugins/`, the workspace member list, an optional
//! dependency and feature in this crate's `Cargo.toml`, and one line in [`BUNDLED`].

use kalamdb_core::Result;
use kalamdb_core::plugin::{PluginResult, Registry};

type Register = fn(&mut Registry) -> PluginResult<()>;

/// The bundled plugin crates compiled into this binary, by descriptor name, in registration order.
pub const BUNDLED: &[(&str, Register)] = &[
    #[cfg(feature = "serde-json")]
    ("serde-json", kalamdb_serde_json::register),
    #[cfg(feature = "serde-msgpack")]
    ("serde-msgpack", kalamdb_serde_msgpack::register),
    #[cfg(feature = "storage-fs")]
    ("storage-fs", kalamdb_storage_fs::register),
    #[cfg(feature = "storage-s3")]
    ("storage-s3", kalamdb_storage_s3::register),
    #[cfg(feature = "optimizer-rules")]
    ("optimizer-rules", kalamdb_optimizer_rules::register),
    #[cfg(feature = "flow-actions")]
    ("flow-actions", kalamdb_flow_actions::register),
];

pub fn registry() -> Result<Registry> {
    let mut registry = Registry::new();
    registry.register_inventory(|d| BUNDLED.iter().any(|(name, _)| *name == d.name))?;
    // A bundled crate whose `inventory` entry the linker dropped still registers.
    for (name, register) in BUNDLED {
        if !registry.plugins().iter().any(|p| p.provider == *name) {
            registry.with_origin(
                name,
                env!("CARGO_PKG_VERSION"),
                kalamdb_core::plugin::PluginOrigin::Bundled,
                *register,
            )?;
        }
    }
    registry.register_inventory(|d| !BUNDLED.iter().any(|(name, _)| *name == d.name))?;
    Ok(registry)
}

#[cfg(all(
    test,
    feature = "serde-json",
    feature = "serde-msgpack",
    feature = "storage-fs",
    feature = "storage-s3",
    feature = "optimizer-rules",
    feature = "flow-actions"
))]
mod tests {
    use super::*;
    use kalamdb_core::plugin::{PluginDescriptor, PluginKind};

    #[test]
    fn registers_exactly_the_bundled_plugins() {
        let registry = registry().expect("registry");
        assert_eq!(
            registry.names(),
            vec![
                (PluginKind::Storage, "filesystem".to_string()),
                (PluginKind::Storage, "s3".to_string()),
                (PluginKind::Codec, "json".to_string()),
                (PluginKind::Codec, "msgpack".to_string()),
                (
                    PluginKind::AdvisorRule,
                    "excess_column_families".to_string()
                ),
                (PluginKind::AdvisorRule, "hot_user_partition".to_string()),
                (PluginKind::AdvisorRule, "many_small_files".to_string()),
                (PluginKind::AdvisorRule, "scan_heavy_query".to_string()),
                (PluginKind::AdvisorRule, "shared_table_per_user".to_string()),
                (PluginKind::AdvisorRule, "unflushed_hot_growth".to_string()),
                (PluginKind::FlowAction, "backup".to_string()),
                (PluginKind::FlowAction, "cleanup".to_string()),
                (PluginKind::FlowAction, "compact".to_string()),
                (PluginKind::FlowAction, "replicate".to_string()),
                (PluginKind::FlowAction, "sql".to_string()),
            ]
        );
        let inventory: Vec<&str> = kalamdb_core::inventory::iter::<PluginDescriptor>
            .into_iter()
            .map(|d| d.name)
            .collect();
        for (name, _) in BUNDLED {
            assert!(inventory.contains(name), "{name} missing from inventory");
        }
    }

    #[test]
    fn duplicate_names_are_an_error() {
        let mut registry = registry().expect("registry");
        assert!(kalamdb_serde_json::register(&mut registry).is_err());
        assert!(kalamdb_serde_msgpack::register(&mut registry).is_err());
        assert!(kalamdb_storage_fs::register(&mut registry).is_err());
        assert!(kalamdb_storage_s3::register(&mut registry).is_err());
        assert!(kalamdb_optimizer_rules::register(&mut registry).is_err());
        assert!(kalamdb_flow_actions::register(&mut registry).is_err());
    }

    #[test]
    fn bundled_plugins_are_listed_with_their_crate_and_version() {
        let registry = registry().expect("registry");
        let plugins = registry.plugins();
        assert_eq!(plugins.len(), 15);
        for p in &plugins {
            assert_eq!(
                p.origin,
                kalamdb_core::plugin::PluginOrigin::Bundled,
                "{p:?}"
            );
            assert_eq!(p.version, env!("CARGO_PKG_VERSION"));
        }
        let fs = plugins
            .iter()
            .find(|p| p.name == "filesystem")
            .expect("filesystem");
        assert_eq!(fs.provider, "storage-fs");
    }
}
