//! The storage conformance suite: a backend must write, read, list and delete objects, and
//! its factory must refuse an empty configuration.

use crate::storage::{StorageBackendFactory, StorageConfig};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

/// Runs the suite against a backend built from `config`.
pub async fn run(factory: &dyn StorageBackendFactory, config: StorageConfig) -> Result<(), String> {
    let empty = StorageConfig::default();
    if factory.validate(&empty).is_ok() {
        return Err("validate() accepted a configuration without a base directory".into());
    }
    factory
        .validate(&config)
        .map_err(|e| format!("validate: {e}"))?;
    let backend = factory
        .create(&config)
        .map_err(|e| format!("create: {e}"))?;
    backend
        .ensure_ready()
        .map_err(|e| format!("ensure_ready: {e}"))?;
    let store = backend.object_store();
    let path = Path::from("conformance/ns/table/file.bin");
    let payload = vec![42u8; 4096];
    store
        .put(&path, PutPayload::from(payload.clone()))
        .await
        .map_err(|e| format!("put: {e}"))?;
    let got = store
        .get(&path)
        .await
        .map_err(|e| format!("get: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("read: {e}"))?;
    if got.as_ref() != payload.as_slice() {
        return Err("read back different bytes".into());
    }
    let listed: Vec<_> = store
        .list(Some(&Path::from("conformance/ns")))
        .try_collect()
        .await
        .map_err(|e| format!("list: {e}"))?;
    if !listed.iter().any(|m| m.location == path) {
        return Err(format!("list did not return {path}"));
    }
    store
        .delete(&path)
        .await
        .map_err(|e| format!("delete: {e}"))?;
    if store.head(&path).await.is_ok() {
        return Err("object still exists after delete".into());
    }
    Ok(())
}
