//! `DROP USER 'u' WITH DATA`: everything a user owns goes — their rows in every USER and STREAM
//! table (hot and cold), their files (records and bytes). The user is disabled first (tokens
//! revoked), so nothing of theirs is written meanwhile.

use crate::Engine;
use crate::error::Result;
use crate::store::keys::user_prefix;
use kalamdb_types::{TableType, UserId};

/// What an erasure removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erasure {
    pub rows: usize,
    pub tables: usize,
    pub cold_files: usize,
    pub files: usize,
    pub exports: usize,
}

impl Engine {
    pub(crate) async fn erase_user_data(&self, user: &UserId) -> Result<Erasure> {
        let mut out = Erasure::default();
        let prefix = user_prefix(user);
        for entry in self.catalog.tables() {
            let def = &entry.def;
            if !matches!(def.table_type, TableType::User | TableType::Stream) {
                continue;
            }
            let mut touched = false;
            for cf in self.store.table_cfs(&def.id, def.table_type) {
                let store = self.store.clone();
                let (scan_cf, scan_prefix) = (cf.clone(), prefix.clone());
                let rows =
                    tokio::task::spawn_blocking(move || store.scan_rows(&scan_cf, &scan_prefix))
                        .await
                        .map_err(crate::error::KalamError::internal)??;
                if rows.is_empty() {
                    continue;
                }
                touched = true;
                let items: Vec<(Vec<u8>, i64)> =
                    rows.into_iter().map(|(k, r)| (k, r.seq)).collect();
                out.rows += self.store.evict(&cf, items).await?;
            }
            if def.table_type == TableType::User {
                let deleted = self.cold.delete_partition_files(def, user).await?;
                touched |= deleted > 0;
                out.cold_files += deleted;
            }
            if touched {
                out.tables += 1;
            }
        }
        for file in self.files_of(user)? {
            match self.delete_file(user, &file.id).await {
                Ok(_) => out.files += 1,
                Err(crate::files::FileError::NotFound(_)) => {}
                Err(crate::files::FileError::Kalam(e)) => return Err(e),
                Err(e) => return Err(crate::error::KalamError::Execution(e.to_string())),
            }
        }
        out.exports = self.remove_exports(user);
        Ok(out)
    }
}
