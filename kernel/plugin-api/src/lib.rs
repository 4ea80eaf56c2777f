//! The KalamDB plugin contract: everything a plugin depends on, and nothing of the engine.
//!
//! A plugin implements one of the traits below, registers it from a `register` function and
//! names that function in a [`PluginDescriptor`] submitted with [`submit_plugin!`]. The server
//! collects every descriptor linked into the binary at startup ([`Registry::from_inventory`]).
//!
//! | kind | trait | what it is for |
//! |---|---|---|
//! | storage | [`StorageBackendFactory`] → [`StorageBackend`] | where cold Parquet files and user files live |
//! | codec | [`Codec`] | how rows and catalog records are encoded in RocksDB |
//! | cache | [`Cache`] | anything that caches, so `CLEAR CACHE` reaches it |
//! | advisor rule | [`AdvisorRule`] | a check the background advisor runs over statistics |
//! | flow action | [`FlowAction`] | what a KFlow does when it fires |
//!
//! The data they exchange is plain: [`Value`] and [`StoredRow`] (a stored row version),
//! [`StatsSnapshot`] (statistics), [`Finding`] (an advisor result), [`FlowInput`] (why a flow
//! fired). Errors are [`PluginError`]; the kernel maps them onto its own status codes.
//!
//! The conformance suites under [`testing`] (feature `testing`) are what a plugin runs in its
//! own tests to prove it behaves as the kernel expects.
//!
//! This crate must stay light: it depends on `serde`, `erased-serde`, `inventory`,
//! `object_store` and `kalamdb-types`, never on RocksDB, DataFusion, bcrypt, an async runtime or
//! an HTTP stack. The server's test suite checks that with `cargo metadata`.

pub mod advisor;
pub mod cache;
pub mod codec;
pub mod error;
pub mod flow;
pub mod registry;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
pub mod value;

pub use advisor::{
    AdvisorRule, Finding, PartitionStats, QueryShapeStats, RuleSettings, Severity, StatsSnapshot,
    TableStats,
};
pub use cache::{Cache, CacheCounters, CacheStats};
pub use codec::{Codec, DecodeFn, decode, decode_row, encode, encode_row};
pub use error::{PluginError, Result};
pub use flow::{BoxFuture, ChangeKind, FlowAction, FlowHost, FlowInput, FlowOutcome, FlowTrigger};
pub use registry::{PluginDescriptor, PluginInfo, PluginKind, PluginOrigin, Registry};
pub use storage::{StorageBackend, StorageBackendFactory, StorageConfig};
pub use value::{StoredRow, Value};

/// Re-exported so plugins use the same versions as the kernel.
pub use inventory;
pub use object_store;

/// Submits a plugin crate's descriptor to the registry's `inventory` collection, with the
/// crate's own name and version:
///
/// ```ignore
/// pub fn register(registry: &mut Registry) -> kalamdb_plugin_api::Result<()> { ... }
/// kalamdb_plugin_api::submit_plugin!("storage-fs", register);
/// ```
#[macro_export]
macro_rules! submit_plugin {
    ($name:expr, $register:path) => {
        $crate::inventory::submit! {
            $crate::PluginDescriptor {
                name: $name,
                version: env!("CARGO_PKG_VERSION"),
                register: $register,
            }
        }
    };
}
