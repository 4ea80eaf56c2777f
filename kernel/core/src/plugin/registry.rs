//! The plugin registry. Plugins register factories and codecs by name; a duplicate name is an
//! error, never a silent overwrite. Bundled plugins also submit a [`PluginDescriptor`] through
//! `inventory`, so [`Registry::from_inventory`] finds every plugin linked into the binary.

use crate::error::{KalamError, Result};
use crate::plugin::{Cache, Codec, StorageBackendFactory};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The kinds of plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginKind {
    Storage,
    Codec,
    Cache,
}

/// An `inventory` entry a plugin crate submits: its name and its `register` function.
pub struct PluginDescriptor {
    pub name: &'static str,
    pub register: fn(&mut Registry) -> Result<()>,
}

inventory::collect!(PluginDescriptor);

#[derive(Default)]
pub struct Registry {
    storages: BTreeMap<String, Arc<dyn StorageBackendFactory>>,
    codecs: BTreeMap<String, Arc<dyn Codec>>,
    caches: BTreeMap<String, Arc<dyn Cache>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry holding every plugin whose crate is linked into the binary.
    pub fn from_inventory() -> Result<Self> {
        let mut registry = Self::new();
        let mut descriptors: Vec<&PluginDescriptor> =
            inventory::iter::<PluginDescriptor>.into_iter().collect();
        descriptors.sort_by_key(|d| d.name);
        for descriptor in descriptors {
            (descriptor.register)(&mut registry)?;
        }
        Ok(registry)
    }

    fn duplicate(kind: &str, name: &str) -> KalamError {
        KalamError::AlreadyExists(format!(
            "A {kind} plugin named '{name}' is already registered; plugin names must be unique"
        ))
    }

    pub fn register_storage(&mut self, factory: Arc<dyn StorageBackendFactory>) -> Result<()> {
        let name = factory.storage_type().to_string();
        if self.storages.contains_key(&name) {
            return Err(Self::duplicate("storage", &name));
        }
        self.storages.insert(name, factory);
        Ok(())
    }

    pub fn register_codec(&mut self, codec: Arc<dyn Codec>) -> Result<()> {
        let name = codec.name().to_string();
        if self.codecs.contains_key(&name) {
            return Err(Self::duplicate("codec", &name));
        }
        self.codecs.insert(name, codec);
        Ok(())
    }

    pub fn register_cache(&mut self, cache: Arc<dyn Cache>) -> Result<()> {
        let name = cache.name().to_string();
        if self.caches.contains_key(&name) {
            return Err(Self::duplicate("cache", &name));
        }
        self.caches.insert(name, cache);
        Ok(())
    }

    pub fn storage(&self, storage_type: &str) -> Option<Arc<dyn StorageBackendFactory>> {
        self.storages.get(storage_type).cloned()
    }

    pub fn codec(&self, name: &str) -> Option<Arc<dyn Codec>> {
        self.codecs.get(name).cloned()
    }

    pub fn caches(&self) -> impl Iterator<Item = &Arc<dyn Cache>> {
        self.caches.values()
    }

    /// Every registered name by kind, sorted: what a test asserts.
    pub fn names(&self) -> Vec<(PluginKind, String)> {
        let mut out = Vec::new();
        out.extend(
            self.storages
                .keys()
                .map(|n| (PluginKind::Storage, n.clone())),
        );
        out.extend(self.codecs.keys().map(|n| (PluginKind::Codec, n.clone())));
        out.extend(self.caches.keys().map(|n| (PluginKind::Cache, n.clone())));
        out
    }

    /// The storage types plugins provide, sorted.
    pub fn storage_types(&self) -> Vec<String> {
        self.storages.keys().cloned().collect()
    }
}
