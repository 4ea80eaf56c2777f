//! The filesystem storage plugin: cold files under a local directory through object_store's
//! `LocalFileSystem`. Registers the storage type `filesystem`.

use kalamdb_plugin_api::{PluginError, Result};
use kalamdb_plugin_api::{Registry, StorageBackend, StorageBackendFactory, StorageConfig};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use std::path::PathBuf;
use std::sync::Arc;

pub struct FsBackend {
    root: PathBuf,
    store: Arc<dyn ObjectStore>,
}

impl StorageBackend for FsBackend {
    fn storage_type(&self) -> &str {
        "filesystem"
    }

    fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    fn ensure_ready(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| {
            PluginError::Storage(format!("cannot create '{}': {e}", self.root.display()))
        })
    }

    /// fsync of the file, then of its directory (the rename that put it there is only durable
    /// once the directory is).
    fn sync(&self, location: &object_store::path::Path) -> Result<()> {
        let file = self.root.join(location.as_ref());
        let fsync = |path: &std::path::Path| {
            std::fs::File::open(path)
                .and_then(|f| f.sync_all())
                .map_err(|e| {
                    PluginError::Storage(format!("cannot fsync '{}': {e}", path.display()))
                })
        };
        fsync(&file)?;
        match file.parent() {
            Some(dir) => fsync(dir),
            None => Ok(()),
        }
    }
}

pub struct FsFactory;

impl StorageBackendFactory for FsFactory {
    fn storage_type(&self) -> &str {
        "filesystem"
    }

    fn validate(&self, config: &StorageConfig) -> Result<()> {
        if config.base_directory.trim().is_empty() {
            return Err(PluginError::InvalidConfig(
                "a filesystem storage needs PATH '<directory>'".into(),
            ));
        }
        if config.base_directory.starts_with("s3://") {
            return Err(PluginError::InvalidConfig(format!(
                "PATH '{}' is an S3 location; use TYPE s3 with BUCKET",
                config.base_directory
            )));
        }
        Ok(())
    }

    fn create(&self, config: &StorageConfig) -> Result<Arc<dyn StorageBackend>> {
        self.validate(config)?;
        let root = PathBuf::from(&config.base_directory);
        std::fs::create_dir_all(&root).map_err(|e| {
            PluginError::Storage(format!("cannot create '{}': {e}", root.display()))
        })?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| PluginError::Storage(e.to_string()))?
            .with_automatic_cleanup(true);
        Ok(Arc::new(FsBackend {
            root,
            store: Arc::new(store),
        }))
    }
}

/// Registers the factory.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_storage(Arc::new(FsFactory))
}

kalamdb_plugin_api::submit_plugin!("storage-fs", register);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passes_the_storage_conformance_suite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = StorageConfig {
            storage_id: "t".into(),
            base_directory: dir.path().join("base").display().to_string(),
            credentials: None,
            config: None,
        };
        assert_eq!(
            kalamdb_plugin_api::testing::storage::run(&FsFactory, config).await,
            Ok(())
        );
    }
}
