//! `RESTORE DATABASE FROM '<path>' | FROM STORAGE '<id>'` and `--restore-from <path>`.
//!
//! A restore replaces the whole database, so it happens while the server starts, before the
//! store is open:
//! - `--restore-from` needs a data directory without a database;
//! - `RESTORE DATABASE` (on a server that holds no table yet) checks the backup and stages it;
//!   the next start moves the current store aside (`rocksdb.before-restore-<time>`) and
//!   restores. A backup in a storage is downloaded into the data directory first.
//!
//! Steps at start, each safe to repeat after a crash:
//! 1. copy the checkpoint into `rocksdb.restoring` (a leftover one is removed first);
//! 2. write `restore-cold.json` naming the backup, then rename `rocksdb.restoring` to `rocksdb`;
//! 3. once the catalog is loaded, put every cold object back into its storage (the storages
//!    are the backup's own, from its catalog), then remove `restore-cold.json`.

use super::backup::{sync_dir, write_file};
use super::{BackupManifest, MANIFEST_NAME, STORAGE_PREFIX};
use crate::Engine;
use crate::engine::{EngineConfig, Session};
use crate::error::{KalamError, Result};
use crate::exec::access::require;
use crate::exec::result::message_result;
use crate::sql::statement::BackupLocation;
use futures::TryStreamExt;
use kalamdb_types::Role;
use kalamdb_types::wire::QueryResult;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Written by `RESTORE DATABASE`: restore this backup at the next start.
const PENDING: &str = "restore-pending.json";
/// Written at start once the store is restored: its cold objects still go back.
const COLD_PENDING: &str = "restore-cold.json";
/// Where a backup from a storage is downloaded to.
const DOWNLOAD: &str = "restore-download";

#[derive(Serialize, Deserialize)]
struct Marker {
    source: PathBuf,
}

fn io(what: &'static str) -> impl Fn(std::io::Error) -> KalamError {
    move |e| KalamError::Storage(format!("restore: cannot {what}: {e}"))
}

fn read_marker(path: &Path) -> Result<Option<Marker>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            KalamError::InvalidDefinition(format!("{} is damaged: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(KalamError::Storage(format!("{}: {e}", path.display()))),
    }
}

fn write_marker(path: &Path, source: &Path) -> Result<()> {
    let json = serde_json::to_vec(&Marker {
        source: source.to_path_buf(),
    })
    .map_err(KalamError::internal)?;
    let tmp = path.with_extension("json.tmp");
    write_file(&tmp, &json)?;
    std::fs::rename(&tmp, path).map_err(io("write a restore marker"))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

fn holds_a_database(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// Step 1 and 2, before the store opens. Returns the backup whose cold objects still go back.
pub(crate) fn prepare(config: &EngineConfig) -> Result<Option<PathBuf>> {
    let data = &config.data_dir;
    let rocks = data.join("rocksdb");
    let restoring = data.join("rocksdb.restoring");
    if let Some(marker) = read_marker(&data.join(COLD_PENDING))? {
        // A restore got as far as step 2.
        if restoring.exists() && !rocks.exists() {
            std::fs::rename(&restoring, &rocks).map_err(io("move the restored store in"))?;
        }
        return Ok(Some(marker.source));
    }
    let pending = read_marker(&data.join(PENDING))?;
    let source = match (&config.restore_from, &pending) {
        (Some(from), _) => {
            if holds_a_database(&rocks) {
                return Err(KalamError::AlreadyExists(format!(
                    "--restore-from: the data directory '{}' already holds a database; restore into an empty data directory",
                    data.display()
                )));
            }
            from.clone()
        }
        (None, Some(marker)) => marker.source.clone(),
        (None, None) => return Ok(None),
    };
    let manifest = BackupManifest::read(&source)?;
    if manifest.user_shards != config.user_shards.max(1) {
        return Err(KalamError::InvalidDefinition(format!(
            "backup '{}' has {} user shards; start the server with storage.user_shards = {} to restore it",
            source.display(),
            manifest.user_shards,
            manifest.user_shards
        )));
    }
    if restoring.exists() {
        std::fs::remove_dir_all(&restoring).map_err(io("remove a cut-short restore"))?;
    }
    if pending.is_some() && holds_a_database(&rocks) {
        let aside = data.join(format!(
            "rocksdb.before-restore-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&rocks, &aside).map_err(io("move the current store aside"))?;
        tracing::warn!(
            "restore: the store it replaces is kept in {}",
            aside.display()
        );
    }
    for file in &manifest.rocksdb {
        let from = source.join("rocksdb").join(&file.name);
        let bytes = std::fs::read(&from).map_err(|e| {
            KalamError::Storage(format!(
                "restore: backup file {} is missing: {e}",
                from.display()
            ))
        })?;
        if bytes.len() as u64 != file.bytes {
            return Err(KalamError::Storage(format!(
                "restore: backup file {} has {} bytes, its manifest says {}",
                from.display(),
                bytes.len(),
                file.bytes
            )));
        }
        write_file(&restoring.join(&file.name), &bytes)?;
    }
    sync_dir(&restoring);
    if manifest.jwt_secret && config.jwt_secret.as_deref().is_none_or(str::is_empty) {
        let bytes = std::fs::read(source.join("jwt_secret")).map_err(io("read jwt_secret"))?;
        write_file(&data.join("jwt_secret"), &bytes)?;
    }
    write_marker(&data.join(COLD_PENDING), &source)?;
    std::fs::rename(&restoring, &rocks).map_err(io("move the restored store in"))?;
    kalamdb_base::failpoint::abort_at("restore.after_store");
    match std::fs::remove_file(data.join(PENDING)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(KalamError::Storage(format!("restore: {PENDING}: {e}")));
        }
        _ => {}
    }
    sync_dir(data);
    tracing::info!(
        "restore: store of backup {} in place ({} tables)",
        source.display(),
        manifest.tables
    );
    Ok(Some(source))
}

impl Engine {
    /// Step 3: the backup's cold objects back into their storages.
    pub(crate) async fn finish_restore(&self, source: &Path) -> Result<()> {
        let manifest = BackupManifest::read(source)?;
        for file in &manifest.cold {
            let id = kalamdb_types::StorageId::new(file.storage_id.clone());
            let record = self.catalog.storage(&id).ok_or_else(|| {
                KalamError::NotFound(format!(
                    "restore: the backup's catalog has no storage '{id}' for {}",
                    file.path
                ))
            })?;
            let backend = self.storage_backend(&record)?;
            let from = source.join("cold").join(&file.storage_id).join(&file.path);
            let bytes = std::fs::read(&from).map_err(|e| {
                KalamError::Storage(format!(
                    "restore: backup file {} is missing: {e}",
                    from.display()
                ))
            })?;
            backend
                .object_store()
                .put(
                    &ObjectPath::from(file.path.as_str()),
                    PutPayload::from(bytes),
                )
                .await
                .map_err(KalamError::storage)?;
        }
        self.cold.forget_manifests();
        let data = &self.config.data_dir;
        std::fs::remove_file(data.join(COLD_PENDING)).map_err(io("remove restore-cold.json"))?;
        let download = data.join(DOWNLOAD);
        if source.starts_with(&download) {
            let _ = std::fs::remove_dir_all(&download);
        }
        tracing::info!(
            "restore: {} cold object(s) back in their storages; restore of {} complete",
            manifest.cold.len(),
            source.display()
        );
        Ok(())
    }

    pub(crate) async fn restore_statement(
        &self,
        session: &Session,
        from: BackupLocation,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "RESTORE DATABASE")?;
        let tables = self.catalog.tables().len();
        if tables > 0 {
            return Err(KalamError::Execution(format!(
                "RESTORE DATABASE replaces the whole database, and this one holds {tables} table(s): restore into a new data directory (kalamdb-server --restore-from '<path>'), or drop them first"
            )));
        }
        let _one_at_a_time = self.backup_running.lock().await;
        let (dir, place) = match &from {
            BackupLocation::Path(text) => {
                let dir = super::check_path(text, &self.config.data_dir)?;
                (dir.clone(), format!("'{}'", dir.display()))
            }
            BackupLocation::Storage(id) => {
                let (dir, name) = self.download_newest_backup(id).await?;
                (dir, format!("storage '{id}' ({STORAGE_PREFIX}/{name})"))
            }
        };
        let manifest = BackupManifest::read(&dir)?;
        write_marker(&self.config.data_dir.join(PENDING), &dir)?;
        Ok(message_result(
            format!(
                "Restore from {place} staged ({} table(s), {} bytes): restart the server to complete it",
                manifest.tables,
                manifest.bytes()
            ),
            0,
        ))
    }

    /// Downloads the newest backup in a storage into the data directory.
    async fn download_newest_backup(
        &self,
        id: &kalamdb_types::StorageId,
    ) -> Result<(PathBuf, String)> {
        let record = self
            .catalog
            .storage(id)
            .ok_or_else(|| KalamError::NotFound(format!("Storage '{id}' does not exist")))?;
        let backend = self.storage_backend(&record)?;
        let store = backend.object_store();
        let listing = store
            .list_with_delimiter(Some(&ObjectPath::from(STORAGE_PREFIX)))
            .await
            .map_err(KalamError::storage)?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        names.sort();
        let mut newest = None;
        // The newest complete one: a backup cut short has no manifest.
        for name in names.into_iter().rev() {
            let path = ObjectPath::from(format!("{STORAGE_PREFIX}/{name}/{MANIFEST_NAME}"));
            if store.head(&path).await.is_ok() {
                newest = Some(name);
                break;
            }
        }
        let name = newest.ok_or_else(|| {
            KalamError::NotFound(format!(
                "storage '{id}' holds no complete backup under {STORAGE_PREFIX}/"
            ))
        })?;
        let dir = self.config.data_dir.join(DOWNLOAD).join(&name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io("clear the download directory"))?;
        }
        let prefix = ObjectPath::from(format!("{STORAGE_PREFIX}/{name}"));
        let objects: Vec<_> = store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(KalamError::storage)?;
        for meta in objects {
            let rel = meta
                .location
                .as_ref()
                .strip_prefix(prefix.as_ref())
                .map(|r| r.trim_start_matches('/').to_string())
                .unwrap_or_default();
            if rel.is_empty() || super::relative(&rel).is_err() {
                continue;
            }
            let bytes = store
                .get(&meta.location)
                .await
                .map_err(KalamError::storage)?
                .bytes()
                .await
                .map_err(KalamError::storage)?;
            write_file(&dir.join(&rel), &bytes)?;
        }
        Ok((dir, name))
    }
}
