//! The plugin contract as the engine sees it: the traits, the registry and the plain data come
//! from `kalamdb-plugin-api` (the one crate plugins depend on) and are re-exported here under
//! their old paths; [`codec`] adds the typed entry points with the engine's error type.

pub use kalamdb_base::codec;

pub use codec::{decode, decode_row, encode, encode_row};
pub use kalamdb_plugin_api::{
    AdvisorRule, Cache, CacheCounters, CacheStats, Codec, FlowAction, FlowHost, PluginDescriptor,
    PluginError, PluginInfo, PluginKind, PluginOrigin, Registry, RuleSettings, StatsSnapshot,
    StorageBackend, StorageBackendFactory, StorageConfig,
};

/// The contract crate's result type (what plugin methods return).
pub type PluginResult<T> = kalamdb_plugin_api::Result<T>;
