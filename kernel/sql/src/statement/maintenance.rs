//! Maintenance statements: CLEANUP DELETED ROWS, BACKUP DATABASE, RESTORE DATABASE.

use kalamdb_types::StorageId;

/// Where a backup is written to or read from.
#[derive(Clone, Debug, PartialEq)]
pub enum BackupLocation {
    /// `'<path>'`: a directory on the server's filesystem.
    Path(String),
    /// `STORAGE '<id>'`: under `backups/` in a storage.
    Storage(StorageId),
}

impl std::fmt::Display for BackupLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupLocation::Path(p) => write!(f, "'{}'", p.replace('\'', "''")),
            BackupLocation::Storage(s) => write!(f, "STORAGE '{}'", s.as_str().replace('\'', "''")),
        }
    }
}
