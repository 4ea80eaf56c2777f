//! STREAM table eviction (a [`JobRunner`] duty): rows older than the table's `TTL_SECONDS` are deleted in the
//! background. Reads already hide them, so eviction only reclaims space. A row's age comes
//! from its key: the last 8 bytes are its `_seq`, whose high bits are milliseconds.

use crate::JobRunner;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_store::keys::{decode_i64, stream_table_cf};
use kalamdb_store::seq::SeqGenerator;
use kalamdb_types::TableType;

impl JobRunner {
    /// Deletes expired STREAM rows as of `now_ms`; returns how many.
    pub async fn evict_expired_stream_rows(&self, now_ms: i64) -> Result<usize> {
        let mut total = 0;
        for entry in self.catalog.tables() {
            let def = &entry.def;
            let (TableType::Stream, Some(ttl)) = (def.table_type, def.options.ttl_seconds) else {
                continue;
            };
            let cf = stream_table_cf(&def.id);
            let cutoff = now_ms - (ttl as i64) * 1000;
            let store = self.store.clone();
            let scan_cf = cf.clone();
            let expired: Vec<(Vec<u8>, i64)> = tokio::task::spawn_blocking(move || {
                let mut keys = Vec::new();
                store.for_each_prefix(&scan_cf, b"", |key, _| {
                    if key.len() >= 8
                        && let Some(seq) = decode_i64(&key[key.len() - 8..])
                        && SeqGenerator::unix_millis(seq) < cutoff
                    {
                        keys.push((key.to_vec(), seq));
                    }
                    Ok(true)
                })?;
                Ok::<_, KalamError>(keys)
            })
            .await
            .map_err(KalamError::internal)??;
            // Through each row's own writer (the one that wrote it), so the partition's
            // statistics follow; a row is deleted only if it is still the version scanned.
            for chunk in expired.chunks(1000) {
                total += self.store.evict(&cf, chunk.to_vec()).await?;
            }
        }
        Ok(total)
    }

    /// Counts the rows physically stored in a STREAM table (expired or not).
    pub fn stored_stream_rows(&self, table: &kalamdb_types::TableId) -> Result<usize> {
        let mut n = 0;
        self.store
            .for_each_prefix(&stream_table_cf(table), b"", |_, _| {
                n += 1;
                Ok(true)
            })?;
        Ok(n)
    }
}
