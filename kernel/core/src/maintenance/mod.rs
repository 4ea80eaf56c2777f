//! Database maintenance that is not a job of one table:
//!
//! - [`cleanup`]: `CLEANUP DELETED ROWS` and the built-in deleted-row cleanup.
//! - [`backup`]: `BACKUP DATABASE`: a RocksDB checkpoint (every column family, the catalog
//!   included, as of one instant), the cold files of every table, and a manifest written last.
//! - [`erase`]: `DROP USER ... WITH DATA`: a user's rows, cold files and files.
//! - [`replicate`]: `REPLICATE`: new cold files of tables copied to another storage.
//! - [`restore`]: `RESTORE DATABASE` and `--restore-from`: a backup becomes the data directory
//!   at the next start, and its cold files go back into their storages.
//!
//! A backup directory:
//!
//! ```text
//! kalamdb-backup.json          the manifest (format, server version, the files below)
//! rocksdb/...                  the checkpoint
//! cold/<storage id>/<path>     each cold object at its path inside its storage
//! jwt_secret                   the token secret, when the server generated one
//! ```

pub mod backup;
pub mod cleanup;
pub mod erase;
pub mod replicate;
pub mod restore;

use crate::error::{KalamError, Result};
use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

/// The manifest's file name; a directory without it is not a complete backup.
pub const MANIFEST_NAME: &str = "kalamdb-backup.json";
/// The backup layout this version writes and reads.
pub const FORMAT: u32 = 1;
/// Where backups go inside a storage (`TO STORAGE`).
pub const STORAGE_PREFIX: &str = "backups";

/// `kalamdb-backup.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupManifest {
    pub format: u32,
    /// The version of the server that wrote it; only that version restores it.
    pub kalamdb_version: String,
    pub created_at_micros: i64,
    pub user_shards: u32,
    pub codec: String,
    pub tables: usize,
    /// Files of the checkpoint, relative to `rocksdb/`.
    pub rocksdb: Vec<BackupFile>,
    /// Cold objects.
    pub cold: Vec<ColdFile>,
    /// Whether `jwt_secret` is in the backup.
    pub jwt_secret: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdFile {
    pub storage_id: String,
    /// The object's path inside the storage.
    pub path: String,
    pub bytes: u64,
}

impl BackupManifest {
    /// Total bytes of the files listed.
    pub fn bytes(&self) -> u64 {
        self.rocksdb.iter().map(|f| f.bytes).sum::<u64>()
            + self.cold.iter().map(|f| f.bytes).sum::<u64>()
    }

    /// Reads and checks a backup directory's manifest: complete, of this format and version.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_NAME);
        let bytes = std::fs::read(&path).map_err(|e| {
            KalamError::NotFound(format!(
                "'{}' is not a complete KalamDB backup: {MANIFEST_NAME} cannot be read ({e})",
                dir.display()
            ))
        })?;
        let manifest: Self = serde_json::from_slice(&bytes).map_err(|e| {
            KalamError::InvalidDefinition(format!("{} is damaged: {e}", path.display()))
        })?;
        if manifest.format != FORMAT {
            return Err(KalamError::InvalidDefinition(format!(
                "backup '{}' has layout {}, this server reads layout {FORMAT}",
                dir.display(),
                manifest.format
            )));
        }
        let ours = env!("CARGO_PKG_VERSION");
        if manifest.kalamdb_version != ours {
            return Err(KalamError::InvalidDefinition(format!(
                "backup '{}' was written by KalamDB {}; this server is {ours}: restore it with KalamDB {}",
                dir.display(),
                manifest.kalamdb_version,
                manifest.kalamdb_version
            )));
        }
        for name in manifest
            .rocksdb
            .iter()
            .map(|f| f.name.as_str())
            .chain(manifest.cold.iter().map(|f| f.path.as_str()))
            .chain(manifest.cold.iter().map(|f| f.storage_id.as_str()))
        {
            relative(name)?;
        }
        Ok(manifest)
    }
}

/// Checks a path given in BACKUP or RESTORE: absolute, no `..`, no NUL, and not inside the
/// data directory (a backup there is lost with it).
pub fn check_path(text: &str, data_dir: &Path) -> Result<PathBuf> {
    if text.contains('\0') {
        return Err(KalamError::InvalidDefinition(
            "a backup path cannot contain a NUL character".into(),
        ));
    }
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(KalamError::InvalidDefinition(format!(
            "backup path '{text}' must be absolute, e.g. '/var/backups/kalamdb/2026-12-07'"
        )));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(KalamError::InvalidDefinition(format!(
            "backup path '{text}' cannot contain '..'"
        )));
    }
    if let Ok(data) = std::path::absolute(data_dir)
        && path.starts_with(&data)
    {
        return Err(KalamError::InvalidDefinition(format!(
            "backup path '{text}' is inside the data directory '{}'; choose a directory outside it",
            data.display()
        )));
    }
    Ok(path)
}

/// A path recorded in a manifest: relative, plain components only.
fn relative(name: &str) -> Result<&Path> {
    let path = Path::new(name);
    let plain = !name.is_empty()
        && !name.contains('\0')
        && path.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(path)
    } else {
        Err(KalamError::InvalidDefinition(format!(
            "backup manifest names the file '{name}', which is not a plain relative path"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::{check_path, relative};
    use std::path::Path;

    #[test]
    fn backup_paths_are_checked() {
        let data = Path::new("/srv/kalam/data");
        assert!(check_path("/backups/b1", data).is_ok());
        assert!(check_path("backups/b1", data).is_err());
        assert!(check_path("/backups/../etc", data).is_err());
        assert!(check_path("/backups/b\01", data).is_err());
        assert!(check_path("/srv/kalam/data/b1", data).is_err());
        assert!(relative("app/t/seg-1.parquet").is_ok());
        assert!(relative("../x").is_err());
        assert!(relative("/etc/passwd").is_err());
    }
}
