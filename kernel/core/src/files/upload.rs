//! Streaming an upload. The bytes go to `user_files/<user>/<id>.tmp` in parts (memory holds a
//! few parts, never the file), hashed and counted on the way; a file over the size limit or
//! the user's remaining quota is refused as soon as it crosses it. Commit renames the object
//! to its final name and only then writes the record: a crash before the record leaves bytes
//! without a record (or a temporary object), which the sweep at the next start removes.

use super::{FILES_PREFIX, FileError, FileRecord, FileResult, object_path};
use crate::Engine;
use crate::catalog::model::StorageMode;
use crate::error::KalamError;
use kalamdb_types::{StorageId, UserId};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Parts uploaded at once (each `PART_BYTES`): what an upload holds in memory at most.
const PARTS_IN_FLIGHT: usize = 2;
const PART_BYTES: usize = 5 * 1024 * 1024;

/// An upload in progress; [`FileUpload::commit`] or [`FileUpload::abort`] ends it.
pub struct FileUpload {
    user: UserId,
    id: String,
    storage_id: StorageId,
    store: Arc<dyn ObjectStore>,
    tmp: Path,
    writer: WriteMultipart,
    hasher: Sha256,
    size: u64,
    max_file_bytes: u64,
    /// Bytes the user's files may still take.
    quota_left: u64,
    quota: u64,
}

/// Where a user's files go: their own storage when routed there, else `local`.
fn storage_of(engine: &Engine, user: &UserId) -> StorageId {
    engine
        .catalog
        .user(user)
        .filter(|u| u.storage_mode == StorageMode::Region)
        .and_then(|u| u.storage_id)
        .unwrap_or_else(|| StorageId::new("local"))
}

impl Engine {
    /// Starts an upload for `user`.
    pub async fn begin_upload(&self, user: &UserId) -> FileResult<FileUpload> {
        let settings = &self.config.files;
        let used: u64 = self.files_of(user)?.iter().map(|f| f.size).sum();
        if used >= settings.user_quota_bytes {
            return Err(FileError::Quota {
                user: user.to_string(),
                would: used,
                quota: settings.user_quota_bytes,
            });
        }
        let storage_id = storage_of(self, user);
        let store = self.file_store(&storage_id)?;
        let id = kalamdb_base::ids::ulid();
        let tmp = Path::from_iter([FILES_PREFIX, user.as_str(), &format!("{id}.tmp")]);
        let upload = store
            .put_multipart(&tmp)
            .await
            .map_err(KalamError::storage)?;
        Ok(FileUpload {
            user: user.clone(),
            id,
            storage_id,
            store,
            tmp,
            writer: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
            hasher: Sha256::new(),
            size: 0,
            max_file_bytes: settings.max_file_bytes,
            quota_left: settings.user_quota_bytes - used,
            quota: settings.user_quota_bytes,
        })
    }
}

impl FileUpload {
    /// Adds bytes; waits while the parts in flight are full.
    pub async fn write(&mut self, chunk: &[u8]) -> FileResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.max_file_bytes {
            return Err(FileError::TooLarge {
                limit: self.max_file_bytes,
            });
        }
        if self.size > self.quota_left {
            return Err(FileError::Quota {
                user: self.user.to_string(),
                would: self.quota - self.quota_left + self.size,
                quota: self.quota,
            });
        }
        self.hasher.update(chunk);
        self.writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(KalamError::storage)?;
        self.writer.write(chunk);
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Commits the bytes, then the record.
    pub async fn commit(self, engine: &Engine, name: &str, mime: &str) -> FileResult<FileRecord> {
        let name = name.trim();
        if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
            let _ = self.abort().await;
            return Err(FileError::Invalid(
                "a file name must be 1 to 255 bytes without control characters".into(),
            ));
        }
        self.writer.finish().await.map_err(KalamError::storage)?;
        let _no_backup_between = engine.files_lock.read().await;
        let path = object_path(&self.user, &self.id);
        self.store
            .rename(&self.tmp, &path)
            .await
            .map_err(KalamError::storage)?;
        kalamdb_base::failpoint::abort_at("files.after_bytes");
        let record = FileRecord {
            id: self.id,
            user: self.user,
            name: name.to_string(),
            mime: mime.to_string(),
            size: self.size,
            sha256: hex(&self.hasher.finalize()),
            storage_id: self.storage_id,
            path: path.to_string(),
            created_at: kalamdb_base::now_micros(),
        };
        engine.put_file_record(&record).await?;
        Ok(record)
    }

    /// Drops what was uploaded.
    pub async fn abort(self) -> FileResult<()> {
        let _ = self.writer.abort().await;
        match self.store.delete(&self.tmp).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(FileError::Kalam(KalamError::storage(e))),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
