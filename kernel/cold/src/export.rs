//! The objects one folder's cold data is made of, for a backup to copy.

use crate::manifest::MANIFEST_FILE;
use crate::{ColdLocation, ColdStore, TABLE_MARKER};
use kalamdb_base::error::Result;
use object_store::path::Path;

/// One object of a folder, relative to its storage's root.
pub struct FolderObject {
    pub path: Path,
    /// False for what a folder may lack (the table marker).
    pub required: bool,
}

impl ColdStore {
    /// What a folder holds now: the segments its manifest lists, then the manifest, then the
    /// table marker. Empty for a folder without a manifest. The caller holds the table's cold
    /// gate, so the list stays true while it copies.
    pub async fn folder_objects(&self, loc: &ColdLocation) -> Result<Vec<FolderObject>> {
        let Some(manifest) = self.read_raw_manifest(loc).await? else {
            return Ok(Vec::new());
        };
        let mut out: Vec<FolderObject> = manifest
            .segments
            .iter()
            .map(|s| FolderObject {
                path: loc.path(&s.file),
                required: true,
            })
            .collect();
        out.push(FolderObject {
            path: loc.path(MANIFEST_FILE),
            required: true,
        });
        out.push(FolderObject {
            path: loc.path(TABLE_MARKER),
            required: false,
        });
        Ok(out)
    }
}

/// What a replication pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaReport {
    /// Folders whose manifest was written to the replica.
    pub folders: usize,
    /// Segments copied now, and their bytes.
    pub copied: usize,
    pub bytes: u64,
    /// Segments the replica already had (copied by an earlier pass).
    pub present: usize,
    /// Segments removed from the replica because the source no longer lists them.
    pub removed: usize,
}

impl std::ops::AddAssign for ReplicaReport {
    fn add_assign(&mut self, o: Self) {
        self.folders += o.folders;
        self.copied += o.copied;
        self.bytes += o.bytes;
        self.present += o.present;
        self.removed += o.removed;
    }
}

impl ColdStore {
    /// Copies a table's committed cold files to another storage, at the same paths: per
    /// folder, the segments the replica lacks, then the manifest (so the replica's manifest
    /// never names a segment it does not have), then removes segments the source no longer
    /// lists. Segments never change once written, so a pass copies only what is new, and a
    /// pass cut short is finished by the next one.
    pub async fn replicate_table(
        &self,
        table: &kalamdb_types::TableId,
        target: &dyn object_store::ObjectStore,
        target_id: &kalamdb_types::StorageId,
    ) -> Result<ReplicaReport> {
        use futures::TryStreamExt;
        use kalamdb_base::error::KalamError;
        use object_store::{ObjectStoreExt, PutPayload};
        let gate = self.gate(table);
        let _one_cold_writer = gate.cold.lock().await;
        let entry = self.catalog.require_table(table)?;
        if !matches!(
            entry.def.table_type,
            kalamdb_types::TableType::User | kalamdb_types::TableType::Shared
        ) {
            return Err(KalamError::Execution(format!(
                "{} table {table} has no cold files to replicate",
                entry.def.table_type
            )));
        }
        let mut report = ReplicaReport::default();
        for user in self.partitions(&entry.def) {
            let loc = self.cold_location(&entry.def, user.as_ref())?;
            if &loc.storage_id == target_id {
                return Err(KalamError::InvalidDefinition(format!(
                    "table {table} keeps its files in storage '{target_id}': replicate it to another storage"
                )));
            }
            let objects = self.folder_objects(&loc).await?;
            if objects.is_empty() {
                continue;
            }
            let folder = Path::from(loc.folder.as_str());
            let existing: std::collections::HashMap<String, u64> = target
                .list(Some(&folder))
                .map_ok(|m| (m.location.to_string(), m.size))
                .try_collect()
                .await
                .map_err(KalamError::storage)?;
            let source = loc.backend.object_store();
            let mut listed = std::collections::HashSet::new();
            for object in &objects {
                let name = object.path.to_string();
                listed.insert(name.clone());
                let is_segment = object
                    .path
                    .filename()
                    .is_some_and(|f| f.ends_with(".parquet"));
                if is_segment && existing.contains_key(&name) {
                    report.present += 1;
                    continue;
                }
                let bytes = match source.get(&object.path).await {
                    Ok(got) => got.bytes().await.map_err(KalamError::storage)?,
                    Err(object_store::Error::NotFound { .. }) if !object.required => continue,
                    Err(e) => return Err(KalamError::storage(e)),
                };
                let len = bytes.len() as u64;
                target
                    .put(&object.path, PutPayload::from(bytes))
                    .await
                    .map_err(KalamError::storage)?;
                if is_segment {
                    report.copied += 1;
                    report.bytes += len;
                }
            }
            report.folders += 1;
            for name in existing.keys() {
                let ours = Path::from(name.as_str());
                let segment = ours
                    .filename()
                    .is_some_and(|f| f.starts_with("seg-") && f.ends_with(".parquet"));
                if segment && !listed.contains(name) {
                    match target.delete(&ours).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => report.removed += 1,
                        Err(e) => return Err(KalamError::storage(e)),
                    }
                }
            }
        }
        Ok(report)
    }
}
