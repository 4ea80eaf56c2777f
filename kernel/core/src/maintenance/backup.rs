//! `BACKUP DATABASE TO '<path>' | TO STORAGE '<id>'`.
//!
//! Consistency: the cold gate of every table is taken first (flush, compaction, cleanup and
//! DROP wait; writes do not), then RocksDB makes a checkpoint, then each table's cold folders
//! are copied as their manifests list them. A flush cannot move rows from hot to cold between
//! the checkpoint and the copy, so every row is in the backup once — or, for a flush that had
//! committed its segment but not yet evicted the rows, twice as the same version, which reads
//! keep once. The manifest is written last: a backup cut short has none and is refused.

use super::{BackupFile, BackupManifest, ColdFile, FORMAT, MANIFEST_NAME, STORAGE_PREFIX};
use crate::Engine;
use crate::engine::Session;
use crate::error::{KalamError, Result};
use crate::exec::access::require;
use crate::exec::result::message_result;
use crate::sql::statement::BackupLocation;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, TableType};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use std::path::{Path, PathBuf};

impl Engine {
    pub(crate) async fn backup_statement(
        &self,
        session: &Session,
        to: BackupLocation,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "BACKUP DATABASE")?;
        let (manifest, place) = self.backup(&to).await?;
        Ok(message_result(
            format!(
                "Backup written to {place}: {} table(s), {} RocksDB file(s), {} cold file(s), {} bytes",
                manifest.tables,
                manifest.rocksdb.len(),
                manifest.cold.len(),
                manifest.bytes()
            ),
            0,
        ))
    }

    /// Writes a backup; returns its manifest and where it went.
    pub async fn backup(&self, to: &BackupLocation) -> Result<(BackupManifest, String)> {
        let _one_at_a_time = self.backup_running.lock().await;
        match to {
            BackupLocation::Path(text) => {
                let dir = super::check_path(text, &self.config.data_dir)?;
                prepare_empty_dir(&dir)?;
                let manifest = self.write_backup(&dir).await?;
                Ok((manifest, format!("'{}'", dir.display())))
            }
            BackupLocation::Storage(id) => {
                let record = self.catalog.storage(id).ok_or_else(|| {
                    KalamError::NotFound(format!("Storage '{id}' does not exist"))
                })?;
                let backend = self.storage_backend(&record)?;
                let name = backup_name();
                let staging = self.config.data_dir.join(format!("backup-staging-{name}"));
                prepare_empty_dir(&staging)?;
                let written = async {
                    let manifest = self.write_backup(&staging).await?;
                    let prefix = format!("{STORAGE_PREFIX}/{name}");
                    upload_dir(backend.object_store().as_ref(), &staging, &prefix).await?;
                    Ok::<_, KalamError>(manifest)
                }
                .await;
                let _ = std::fs::remove_dir_all(&staging);
                let manifest = written?;
                Ok((
                    manifest,
                    format!("storage '{id}' as {STORAGE_PREFIX}/{name}"),
                ))
            }
        }
    }

    /// Writes the backup into the empty directory `dir`.
    async fn write_backup(&self, dir: &Path) -> Result<BackupManifest> {
        let mut tables: Vec<_> = self
            .catalog
            .tables()
            .into_iter()
            .filter(|t| matches!(t.def.table_type, TableType::User | TableType::Shared))
            .collect();
        tables.sort_by(|a, b| a.def.id.to_string().cmp(&b.def.id.to_string()));
        let gates: Vec<_> = tables.iter().map(|t| self.cold.gate(&t.def.id)).collect();
        let mut held = Vec::with_capacity(gates.len());
        for gate in &gates {
            held.push(gate.cold.lock().await);
        }
        let files_quiet = self.files_lock.write().await;
        let rocks_dir = dir.join("rocksdb");
        {
            let store = self.store.clone();
            let rocks_dir = rocks_dir.clone();
            tokio::task::spawn_blocking(move || store.checkpoint(&rocks_dir))
                .await
                .map_err(KalamError::internal)??;
        }
        kalamdb_base::failpoint::abort_at("backup.after_checkpoint");
        let rocksdb = list_files(&rocks_dir)?;
        let mut cold = Vec::new();
        let mut table_count = 0;
        for entry in &tables {
            // A table dropped before its gate was taken is not in the checkpoint either.
            if self.catalog.table(&entry.def.id).is_none() {
                continue;
            }
            table_count += 1;
            for user in self.cold.partitions(&entry.def) {
                let loc = self.cold.cold_location(&entry.def, user.as_ref())?;
                let store = loc.backend.object_store();
                for object in self.cold.folder_objects(&loc).await? {
                    let bytes = match store.get(&object.path).await {
                        Ok(got) => got.bytes().await.map_err(KalamError::storage)?,
                        Err(object_store::Error::NotFound { .. }) if !object.required => continue,
                        Err(e) => return Err(KalamError::storage(e)),
                    };
                    let storage_id = loc.storage_id.to_string();
                    let target = dir
                        .join("cold")
                        .join(&storage_id)
                        .join(object.path.as_ref());
                    write_file(&target, &bytes)?;
                    cold.push(ColdFile {
                        storage_id,
                        path: object.path.to_string(),
                        bytes: bytes.len() as u64,
                    });
                }
            }
        }
        // User files: no commit or delete since the checkpoint, so its records and these
        // bytes are the same set.
        for file in self.all_files()? {
            let store = self.file_store(&file.storage_id)?;
            let path = ObjectPath::from(file.path.as_str());
            let bytes = match store.get(&path).await {
                Ok(got) => got.bytes().await.map_err(KalamError::storage)?,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(KalamError::storage(e)),
            };
            let storage_id = file.storage_id.to_string();
            write_file(&dir.join("cold").join(&storage_id).join(&file.path), &bytes)?;
            cold.push(ColdFile {
                storage_id,
                path: file.path.clone(),
                bytes: bytes.len() as u64,
            });
        }
        drop(files_quiet);
        drop(held);
        let secret = self.config.data_dir.join("jwt_secret");
        let jwt_secret = secret.exists();
        if jwt_secret {
            std::fs::copy(&secret, dir.join("jwt_secret")).map_err(io("copy jwt_secret"))?;
        }
        let manifest = BackupManifest {
            format: FORMAT,
            kalamdb_version: env!("CARGO_PKG_VERSION").to_string(),
            created_at_micros: kalamdb_base::now_micros(),
            user_shards: self.config.user_shards.max(1),
            codec: self.config.codec.clone(),
            tables: table_count,
            rocksdb,
            cold,
            jwt_secret,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(KalamError::internal)?;
        let tmp = dir.join(format!("{MANIFEST_NAME}.tmp"));
        write_file(&tmp, &json)?;
        std::fs::rename(&tmp, dir.join(MANIFEST_NAME)).map_err(io("commit the backup manifest"))?;
        sync_dir(dir);
        Ok(manifest)
    }
}

/// A sortable name for a backup in a storage: its time, then a unique suffix.
fn backup_name() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        kalamdb_base::ids::ulid()
    )
}

fn io(what: &'static str) -> impl Fn(std::io::Error) -> KalamError {
    move |e| KalamError::Storage(format!("backup: cannot {what}: {e}"))
}

/// `dir` must not exist or be empty (a backup never overwrites another).
fn prepare_empty_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(KalamError::AlreadyExists(format!(
                    "backup directory '{}' is not empty; choose a new directory",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io("create the backup directory"))
        }
        Err(e) => Err(KalamError::Storage(format!(
            "backup directory '{}': {e}",
            dir.display()
        ))),
    }
}

/// Writes a file and syncs it, creating its directory.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("create a directory"))?;
    }
    let mut file = std::fs::File::create(path).map_err(io("create a file"))?;
    file.write_all(bytes).map_err(io("write a file"))?;
    file.sync_all().map_err(io("sync a file"))?;
    Ok(())
}

pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Every file under `dir`, relative to it, with its size.
pub(crate) fn list_files(dir: &Path) -> Result<Vec<BackupFile>> {
    let mut out = Vec::new();
    let mut pending: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(io("list the checkpoint"))? {
            let entry = entry.map_err(io("list the checkpoint"))?;
            let meta = entry.metadata().map_err(io("list the checkpoint"))?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if let Ok(rel) = entry.path().strip_prefix(dir) {
                out.push(BackupFile {
                    name: rel.to_string_lossy().into_owned(),
                    bytes: meta.len(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Uploads every file under `dir` to `prefix/` in a storage, the manifest last.
async fn upload_dir(store: &dyn object_store::ObjectStore, dir: &Path, prefix: &str) -> Result<()> {
    let mut files: Vec<String> = list_files(dir)?.into_iter().map(|f| f.name).collect();
    files.sort_by_key(|name| name == MANIFEST_NAME);
    for name in files {
        let bytes = std::fs::read(dir.join(&name)).map_err(io("read a staged file"))?;
        let path = ObjectPath::from(format!("{prefix}/{name}"));
        store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(KalamError::storage)?;
    }
    Ok(())
}
