//! `memory`: cold files in process memory. Every `PATH` names one store, shared by every
//! backend created for it, so a storage keeps its files across `create` calls.

use kalamdb_plugin_api::object_store::ObjectStore;
use kalamdb_plugin_api::object_store::memory::InMemory;
use kalamdb_plugin_api::{
    PluginError, Result, StorageBackend, StorageBackendFactory, StorageConfig,
};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct MemoryFactory {
    stores: Mutex<HashMap<String, Arc<InMemory>>>,
}

struct MemoryBackend(Arc<InMemory>);

impl StorageBackend for MemoryBackend {
    fn storage_type(&self) -> &str {
        "memory"
    }
    fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.0.clone()
    }
}

impl StorageBackendFactory for MemoryFactory {
    fn storage_type(&self) -> &str {
        "memory"
    }

    fn validate(&self, config: &StorageConfig) -> Result<()> {
        if config.base_directory.trim().is_empty() {
            return Err(PluginError::InvalidConfig(
                "a memory storage needs PATH '<name>'".into(),
            ));
        }
        Ok(())
    }

    fn create(&self, config: &StorageConfig) -> Result<Arc<dyn StorageBackend>> {
        self.validate(config)?;
        let store = self
            .stores
            .lock()
            .entry(config.base_directory.clone())
            .or_insert_with(|| Arc::new(InMemory::new()))
            .clone();
        Ok(Arc::new(MemoryBackend(store)))
    }
}
