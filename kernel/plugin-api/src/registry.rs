//! The plugin registry. Plugins register by name; a duplicate name within a kind is an error,
//! never a silent overwrite. Every registration is also recorded as a [`PluginInfo`] (what
//! `SHOW PLUGINS` lists): its name, kind, the version of the crate that provided it and how it
//! got into the process.
//!
//! Bundled plugin crates submit a [`PluginDescriptor`] through `inventory`
//! ([`crate::submit_plugin!`]); [`Registry::from_inventory`] runs every descriptor linked into
//! the binary. The kernel registers its own caches with [`Registry::with_origin`].

use crate::error::{PluginError, Result};
use crate::{AdvisorRule, Cache, Codec, FlowAction, StorageBackendFactory};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The kinds of plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PluginKind {
    Storage,
    Codec,
    Cache,
    AdvisorRule,
    FlowAction,
}

impl PluginKind {
    /// The name `system.plugins` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Storage => "storage",
            PluginKind::Codec => "codec",
            PluginKind::Cache => "cache",
            PluginKind::AdvisorRule => "advisor_rule",
            PluginKind::FlowAction => "flow_action",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a plugin got into the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PluginOrigin {
    /// A plugin crate compiled into the binary, found through `inventory`.
    Bundled,
    /// Part of the kernel itself (the plan cache ...).
    Kernel,
    /// Registered directly by the program that opened the engine (an embedding application, a test).
    Application,
}

impl PluginOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginOrigin::Bundled => "bundled",
            PluginOrigin::Kernel => "kernel",
            PluginOrigin::Application => "application",
        }
    }
}

impl fmt::Display for PluginOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One registered plugin, as `SHOW PLUGINS` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// The registered name (`filesystem`, `json`, `plan` ...).
    pub name: String,
    pub kind: PluginKind,
    /// The version of the crate that registered it.
    pub version: String,
    pub origin: PluginOrigin,
    /// The plugin crate (descriptor name) that registered it; the kernel's own are `kernel`.
    pub provider: String,
}

/// An `inventory` entry a plugin crate submits (see [`crate::submit_plugin!`]).
pub struct PluginDescriptor {
    /// The plugin crate's short name, e.g. `storage-fs`.
    pub name: &'static str,
    /// The crate's version.
    pub version: &'static str,
    pub register: fn(&mut Registry) -> Result<()>,
}

inventory::collect!(PluginDescriptor);

/// Who is registering right now: recorded in each [`PluginInfo`].
#[derive(Clone, Debug)]
struct Provider {
    name: String,
    version: String,
    origin: PluginOrigin,
}

impl Default for Provider {
    fn default() -> Self {
        Self {
            name: "application".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            origin: PluginOrigin::Application,
        }
    }
}

#[derive(Default)]
pub struct Registry {
    storages: BTreeMap<String, Arc<dyn StorageBackendFactory>>,
    codecs: BTreeMap<String, Arc<dyn Codec>>,
    caches: BTreeMap<String, Arc<dyn Cache>>,
    rules: BTreeMap<String, Arc<dyn AdvisorRule>>,
    actions: BTreeMap<String, Arc<dyn FlowAction>>,
    infos: Vec<PluginInfo>,
    provider: Provider,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry holding every plugin whose crate is linked into the binary.
    pub fn from_inventory() -> Result<Self> {
        let mut registry = Self::new();
        registry.register_inventory(|_| true)?;
        Ok(registry)
    }

    /// Runs the `inventory` descriptors `wanted` accepts, in name order.
    pub fn register_inventory(&mut self, wanted: impl Fn(&PluginDescriptor) -> bool) -> Result<()> {
        let mut descriptors: Vec<&PluginDescriptor> = inventory::iter::<PluginDescriptor>
            .into_iter()
            .filter(|d| wanted(d))
            .collect();
        descriptors.sort_by_key(|d| d.name);
        for descriptor in descriptors {
            self.register_descriptor(descriptor)?;
        }
        Ok(())
    }

    /// Runs one descriptor's `register`, recording its crate as the provider.
    pub fn register_descriptor(&mut self, descriptor: &PluginDescriptor) -> Result<()> {
        let provider = Provider {
            name: descriptor.name.into(),
            version: descriptor.version.into(),
            origin: PluginOrigin::Bundled,
        };
        self.with_provider(provider, descriptor.register)
    }

    /// Runs `register` with the given origin and version recorded for what it registers.
    pub fn with_origin(
        &mut self,
        provider: &str,
        version: &str,
        origin: PluginOrigin,
        register: impl FnOnce(&mut Registry) -> Result<()>,
    ) -> Result<()> {
        let provider = Provider {
            name: provider.into(),
            version: version.into(),
            origin,
        };
        self.with_provider(provider, register)
    }

    fn with_provider(
        &mut self,
        provider: Provider,
        register: impl FnOnce(&mut Registry) -> Result<()>,
    ) -> Result<()> {
        let before = std::mem::replace(&mut self.provider, provider);
        let result = register(self);
        self.provider = before;
        result
    }

    fn insert<T: ?Sized>(
        kind: PluginKind,
        map: &mut BTreeMap<String, Arc<T>>,
        infos: &mut Vec<PluginInfo>,
        provider: &Provider,
        name: &str,
        value: Arc<T>,
    ) -> Result<()> {
        if name.is_empty() {
            return Err(PluginError::InvalidConfig(format!(
                "a {kind} plugin from '{}' has an empty name; every plugin needs one",
                provider.name
            )));
        }
        if map.contains_key(name) {
            let what = kind.as_str().replace('_', " ");
            return Err(PluginError::AlreadyExists(format!(
                "A {what} plugin named '{name}' is already registered; plugin names must be unique"
            )));
        }
        map.insert(name.to_string(), value);
        infos.push(PluginInfo {
            name: name.to_string(),
            kind,
            version: provider.version.clone(),
            origin: provider.origin,
            provider: provider.name.clone(),
        });
        Ok(())
    }

    pub fn register_storage(&mut self, factory: Arc<dyn StorageBackendFactory>) -> Result<()> {
        let name = factory.storage_type().to_string();
        Self::insert(
            PluginKind::Storage,
            &mut self.storages,
            &mut self.infos,
            &self.provider,
            &name,
            factory,
        )
    }

    pub fn register_codec(&mut self, codec: Arc<dyn Codec>) -> Result<()> {
        let name = codec.name().to_string();
        Self::insert(
            PluginKind::Codec,
            &mut self.codecs,
            &mut self.infos,
            &self.provider,
            &name,
            codec,
        )
    }

    pub fn register_cache(&mut self, cache: Arc<dyn Cache>) -> Result<()> {
        let name = cache.name().to_string();
        Self::insert(
            PluginKind::Cache,
            &mut self.caches,
            &mut self.infos,
            &self.provider,
            &name,
            cache,
        )
    }

    pub fn register_advisor_rule(&mut self, rule: Arc<dyn AdvisorRule>) -> Result<()> {
        let name = rule.name().to_string();
        Self::insert(
            PluginKind::AdvisorRule,
            &mut self.rules,
            &mut self.infos,
            &self.provider,
            &name,
            rule,
        )
    }

    pub fn register_flow_action(&mut self, action: Arc<dyn FlowAction>) -> Result<()> {
        let name = action.name().to_string();
        if name.starts_with("kernel.") {
            return Err(PluginError::InvalidConfig(format!(
                "flow action '{name}': names starting with 'kernel.' are the kernel's built-in flows"
            )));
        }
        Self::insert(
            PluginKind::FlowAction,
            &mut self.actions,
            &mut self.infos,
            &self.provider,
            &name,
            action,
        )
    }

    pub fn storage(&self, storage_type: &str) -> Option<Arc<dyn StorageBackendFactory>> {
        self.storages.get(storage_type).cloned()
    }

    pub fn codec(&self, name: &str) -> Option<Arc<dyn Codec>> {
        self.codecs.get(name).cloned()
    }

    pub fn cache(&self, name: &str) -> Option<Arc<dyn Cache>> {
        self.caches.get(name).cloned()
    }

    pub fn caches(&self) -> impl Iterator<Item = &Arc<dyn Cache>> {
        self.caches.values()
    }

    pub fn advisor_rule(&self, name: &str) -> Option<Arc<dyn AdvisorRule>> {
        self.rules.get(name).cloned()
    }

    /// Every advisor rule, by name.
    pub fn advisor_rules(&self) -> impl Iterator<Item = &Arc<dyn AdvisorRule>> {
        self.rules.values()
    }

    pub fn flow_action(&self, name: &str) -> Option<Arc<dyn FlowAction>> {
        self.actions.get(name).cloned()
    }

    /// Every flow action, by name.
    pub fn flow_actions(&self) -> impl Iterator<Item = &Arc<dyn FlowAction>> {
        self.actions.values()
    }

    /// Every registered name by kind, sorted: what a test asserts.
    pub fn names(&self) -> Vec<(PluginKind, String)> {
        let mut out: Vec<(PluginKind, String)> = self
            .infos
            .iter()
            .map(|i| (i.kind, i.name.clone()))
            .collect();
        out.sort();
        out
    }

    /// Every registration, sorted by kind and name: the rows of `system.plugins`.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        let mut out = self.infos.clone();
        out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        out
    }

    /// The storage types plugins provide, sorted.
    pub fn storage_types(&self) -> Vec<String> {
        self.storages.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);

    impl Cache for Named {
        fn name(&self) -> &str {
            self.0
        }
        fn entries(&self) -> usize {
            0
        }
        fn clear(&self) {}
    }

    #[test]
    fn duplicates_and_empty_names_are_refused_and_origins_recorded() {
        let mut registry = Registry::new();
        registry
            .register_cache(Arc::new(Named("a")))
            .expect("first");
        let err = registry.register_cache(Arc::new(Named("a")));
        assert_eq!(
            err.err().map(|e| e.to_string()).as_deref(),
            Some("A cache plugin named 'a' is already registered; plugin names must be unique")
        );
        assert!(registry.register_cache(Arc::new(Named(""))).is_err());
        registry
            .with_origin("kernel", "9.9.9", PluginOrigin::Kernel, |r| {
                r.register_cache(Arc::new(Named("b")))
            })
            .expect("kernel cache");
        let plugins = registry.plugins();
        assert_eq!(plugins.len(), 2);
        assert_eq!(plugins[0].origin, PluginOrigin::Application);
        assert_eq!(
            (
                plugins[1].origin,
                plugins[1].version.as_str(),
                plugins[1].provider.as_str()
            ),
            (PluginOrigin::Kernel, "9.9.9", "kernel")
        );
        // The provider is restored after `with_origin`.
        registry
            .register_cache(Arc::new(Named("c")))
            .expect("third");
        assert_eq!(registry.plugins()[2].origin, PluginOrigin::Application);
    }
}
