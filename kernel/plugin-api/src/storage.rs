//! `StorageBackend`: where cold Parquet files and user files live. A factory registered by
//! storage type (`filesystem`, `s3`, ...) turns a `system.storages` row into a live backend.

use crate::error::Result;
use object_store::ObjectStore;
use std::sync::Arc;

/// The parts of a `system.storages` row a backend needs.
#[derive(Clone, Debug, Default)]
pub struct StorageConfig {
    pub storage_id: String,
    /// `filesystem`: a directory; `s3`: `s3://bucket/prefix`.
    pub base_directory: String,
    /// JSON object of credentials (access keys ...), if any.
    pub credentials: Option<String>,
    /// JSON object of backend options (endpoint, region ...), if any.
    pub config: Option<String>,
}

/// A live storage.
pub trait StorageBackend: Send + Sync {
    /// The storage type this backend serves, e.g. `filesystem`.
    fn storage_type(&self) -> &str;

    /// The object store rooted at the storage's base directory.
    fn object_store(&self) -> Arc<dyn ObjectStore>;

    /// Prepares the backend for use (creates the base directory ...). Default: nothing to do.
    fn ensure_ready(&self) -> Result<()> {
        Ok(())
    }

    /// Makes an object that was just written or renamed into place durable: it survives a
    /// power loss once this returns. The kernel calls it before a manifest names a new file
    /// and before the hot rows a file replaces are deleted. Blocking; called on a blocking
    /// thread. Default: nothing, for stores that acknowledge a write only once it is durable
    /// (S3); a filesystem must fsync the file and its directory.
    fn sync(&self, _location: &object_store::path::Path) -> Result<()> {
        Ok(())
    }
}

/// Builds backends of one storage type from `system.storages` rows.
pub trait StorageBackendFactory: Send + Sync {
    /// The storage type name, e.g. `filesystem`.
    fn storage_type(&self) -> &str;

    /// Checks a row's configuration without connecting; the error says what is wrong.
    fn validate(&self, config: &StorageConfig) -> Result<()>;

    /// Builds a live backend.
    fn create(&self, config: &StorageConfig) -> Result<Arc<dyn StorageBackend>>;
}
