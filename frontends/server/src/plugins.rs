//! The bundled plugins. Naming each crate's `register` here is what keeps it (and its
//! `inventory` entry) in the binary; plugins linked in some other way are picked up from
//! `inventory` after these.

use kalamdb_core::Result;
use kalamdb_core::plugin::{PluginDescriptor, Registry};

/// Names of the bundled plugin crates, in registration order.
pub const BUNDLED: &[&str] = &["serde-json", "serde-msgpack", "storage-fs", "storage-s3"];

pub fn registry() -> Result<Registry> {
    let mut registry = Registry::new();
    kalamdb_serde_json::register(&mut registry)?;
    kalamdb_serde_msgpack::register(&mut registry)?;
    kalamdb_storage_fs::register(&mut registry)?;
    kalamdb_storage_s3::register(&mut registry)?;
    for descriptor in kalamdb_core::inventory::iter::<PluginDescriptor> {
        if !BUNDLED.contains(&descriptor.name) {
            (descriptor.register)(&mut registry)?;
        }
    }
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalamdb_core::plugin::PluginKind;

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
            ]
        );
        let inventory: Vec<&str> = kalamdb_core::inventory::iter::<PluginDescriptor>
            .into_iter()
            .map(|d| d.name)
            .collect();
        for name in BUNDLED {
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
    }
}
