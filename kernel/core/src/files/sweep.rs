//! At start: removes what a crash left in every storage's `user_files/` — temporary objects of
//! uploads that never committed, and bytes whose record was never written or already deleted.
//! It runs before the server serves, so no upload is in progress.
//!
//! A filesystem storage stages a multipart upload in `<name>#<n>` beside the object, which its
//! listing does not show; those are removed by walking the folder. On S3 an upload cut short
//! stays an incomplete multipart upload until the bucket's lifecycle rule
//! (`AbortIncompleteMultipartUpload`) clears it; it holds no object and no listing shows it.

use super::{FILES_PREFIX, record_key};
use crate::Engine;
use crate::store::keys::CF_USER_FILES;
use futures::TryStreamExt;
use kalamdb_types::UserId;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use std::collections::HashSet;

impl Engine {
    /// Returns how many objects were removed.
    pub async fn sweep_orphan_files(&self) -> crate::Result<usize> {
        let known: HashSet<Vec<u8>> = self
            .store
            .scan_raw(CF_USER_FILES, b"")?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut removed = 0;
        for storage in self.catalog.storages() {
            if storage.storage_type == "filesystem" {
                removed += remove_staging_files(
                    &std::path::Path::new(&storage.base_directory).join(FILES_PREFIX),
                );
            }
            let Ok(backend) = self.storage_backend(&storage) else {
                continue;
            };
            let store = backend.object_store();
            let listed: Vec<object_store::ObjectMeta> = match store
                .list(Some(&Path::from(FILES_PREFIX)))
                .try_collect()
                .await
            {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(
                        "user files in storage '{}' not swept: {e}",
                        storage.storage_id
                    );
                    continue;
                }
            };
            for meta in listed {
                let parts: Vec<String> = meta
                    .location
                    .parts()
                    .map(|p| p.as_ref().to_string())
                    .collect();
                let [_, user, name] = parts.as_slice() else {
                    continue;
                };
                let keep = !name.ends_with(".tmp")
                    && known.contains(&record_key(&UserId::new(user.as_str()), name));
                if keep {
                    continue;
                }
                match store.delete(&meta.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => removed += 1,
                    Err(e) => tracing::warn!("orphan {} not removed: {e}", meta.location),
                }
            }
        }
        if removed > 0 {
            tracing::info!("user files: removed {removed} object(s) a crash left behind");
        }
        Ok(removed)
    }
}

/// Removes object_store's staging files (`name#digits`) below `dir`; returns how many.
fn remove_staging_files(dir: &std::path::Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            removed += remove_staging_files(&path);
            continue;
        }
        let staging = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.rsplit_once('#'))
            .is_some_and(|(_, suffix)| {
                !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
            });
        if staging && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}
