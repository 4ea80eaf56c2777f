//! User files (`system.user_files`): each user's uploaded files, their records in the column
//! family `system.user_files` (key `user prefix ‖ file id`) and their bytes in the user's
//! storage under `user_files/<user>/<file id>`.
//!
//! - [`upload`]: streaming an upload to a temporary object, hashing and counting it, then
//!   committing the bytes (rename) before the record, so no record ever lacks its bytes.
//! - [`sweep`]: at start, removing what a crash left: temporary objects and bytes without a
//!   record.
//! - this file: records, lookups, downloads and deletes (record first, then bytes).
//!
//! Every lookup is by (user, id): a user can never name another user's file, and an admin's
//! request names only the admin's own files too.

pub mod sweep;
pub mod upload;

use crate::Engine;
use crate::error::KalamError;
use crate::store::RawOp;
use crate::store::keys::{CF_USER_FILES, user_prefix};
use kalamdb_base::codec::{decode, encode};
use kalamdb_types::{StorageId, UserId};
use object_store::ObjectStoreExt;
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where files live inside a storage.
pub const FILES_PREFIX: &str = "user_files";

/// Limits on files (`[files]` in the server configuration).
#[derive(Clone, Debug)]
pub struct FileSettings {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most bytes one user's files may take together.
    pub user_quota_bytes: u64,
    /// Hours an `EXPORT USER DATA` ZIP is kept for download.
    pub export_retention_hours: u64,
}

impl Default for FileSettings {
    fn default() -> Self {
        Self {
            max_file_bytes: 1 << 30,
            user_quota_bytes: 10 << 30,
            export_retention_hours: 24,
        }
    }
}

/// One `system.user_files` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: String,
    pub user: UserId,
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes (also the download's ETag).
    pub sha256: String,
    pub storage_id: StorageId,
    /// The object's path inside the storage.
    pub path: String,
    /// Microseconds since the Unix epoch.
    pub created_at: i64,
}

/// Why a file request failed; the HTTP front end maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("File '{0}' does not exist")]
    NotFound(String),
    #[error("the file is larger than the limit of {limit} bytes (files.max_file_bytes)")]
    TooLarge { limit: u64 },
    #[error(
        "the upload would take the files of '{user}' to {would} bytes, over their quota of {quota} bytes (files.user_quota_bytes); delete files first"
    )]
    Quota {
        user: String,
        would: u64,
        quota: u64,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Kalam(#[from] KalamError),
}

pub type FileResult<T> = std::result::Result<T, FileError>;

/// A file id: a ULID, which is also what a path may hold (checked before any lookup).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

pub(crate) fn record_key(user: &UserId, id: &str) -> Vec<u8> {
    let mut key = user_prefix(user);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The object path of a user's file (each part encoded, so no name can climb out).
pub(crate) fn object_path(user: &UserId, id: &str) -> Path {
    Path::from_iter([FILES_PREFIX, user.as_str(), id])
}

impl Engine {
    /// The caller's file `id`.
    pub fn file(&self, user: &UserId, id: &str) -> FileResult<FileRecord> {
        if !valid_id(id) {
            return Err(FileError::NotFound(id.to_string()));
        }
        let found = self
            .store
            .scan_raw(CF_USER_FILES, &record_key(user, id))
            .map_err(KalamError::from)?
            .into_iter()
            .find(|(key, _)| key == &record_key(user, id));
        match found {
            Some((_, bytes)) => Ok(decode::<FileRecord>(self.store.codec().as_ref(), &bytes)
                .map_err(KalamError::from)?),
            None => Err(FileError::NotFound(id.to_string())),
        }
    }

    /// Every file of a user, oldest first.
    pub fn files_of(&self, user: &UserId) -> crate::Result<Vec<FileRecord>> {
        let mut out = Vec::new();
        for (_, bytes) in self.store.scan_raw(CF_USER_FILES, &user_prefix(user))? {
            out.push(decode::<FileRecord>(self.store.codec().as_ref(), &bytes)?);
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    /// Every file record of every user (the orphan sweep, erasure).
    pub(crate) fn all_files(&self) -> crate::Result<Vec<FileRecord>> {
        let mut out = Vec::new();
        for (_, bytes) in self.store.scan_raw(CF_USER_FILES, b"")? {
            out.push(decode::<FileRecord>(self.store.codec().as_ref(), &bytes)?);
        }
        Ok(out)
    }

    /// The object store a file's bytes are in.
    pub fn file_store(
        &self,
        storage_id: &StorageId,
    ) -> crate::Result<Arc<dyn object_store::ObjectStore>> {
        let record = self.catalog.storage(storage_id).ok_or_else(|| {
            KalamError::NotFound(format!(
                "Storage '{storage_id}' of a user file does not exist"
            ))
        })?;
        Ok(self.storage_backend(&record)?.object_store())
    }

    /// Deletes the caller's file: the record, then the bytes (a crash between leaves bytes
    /// without a record, which the next start's sweep removes).
    pub async fn delete_file(&self, user: &UserId, id: &str) -> FileResult<FileRecord> {
        let _no_backup_between = self.files_lock.read().await;
        let record = self.file(user, id)?;
        self.store
            .submit_raw(vec![RawOp {
                cf: CF_USER_FILES.into(),
                key: record_key(user, id),
                value: None,
            }])
            .await
            .map_err(KalamError::from)?;
        kalamdb_base::failpoint::abort_at("files.after_record_delete");
        let store = self.file_store(&record.storage_id)?;
        match store.delete(&Path::from(record.path.as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!("file {}: bytes left behind: {e}", record.path),
        }
        Ok(record)
    }

    pub(crate) async fn put_file_record(&self, record: &FileRecord) -> crate::Result<()> {
        let bytes = encode(self.store.codec().as_ref(), record)?;
        self.store
            .submit_raw(vec![RawOp {
                cf: CF_USER_FILES.into(),
                key: record_key(&record.user, &record.id),
                value: Some(bytes),
            }])
            .await?;
        Ok(())
    }
}
