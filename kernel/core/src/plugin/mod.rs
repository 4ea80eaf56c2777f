//! The plugin contract: one trait per concern, each with a small required core and optional
//! capabilities as default methods, and a [`Registry`] where plugins register by name.
//!
//! - [`codec`]: `Codec`, the serialization of rows and records.
//! - [`storage`]: `StorageBackend` and its factory, where cold files live.
//! - [`cache`]: `Cache`, anything that caches, so `CLEAR CACHE` reaches all of them.
//! - [`registry`]: the `Registry` and the `inventory` descriptor type.

pub mod cache;
pub mod codec;
pub mod registry;
pub mod storage;

pub use cache::Cache;
pub use codec::{Codec, decode, decode_row, encode, encode_row};
pub use registry::{PluginDescriptor, PluginKind, Registry};
pub use storage::{StorageBackend, StorageBackendFactory, StorageConfig};
