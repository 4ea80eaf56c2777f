//! `FLUSH_POLICY = 'rows:N[,interval:S]'`: a flush job starts once N rows were written since
//! the last flush, or S seconds after it when rows are pending.

use crate::catalog::TableEntry;
use crate::engine::Engine;
use std::sync::atomic::Ordering;

/// A parsed flush policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushPolicy {
    pub rows: Option<u64>,
    pub interval_secs: Option<u64>,
}

impl FlushPolicy {
    /// Parses a validated policy text (see `check_flush_policy`).
    pub fn parse(text: &str) -> Self {
        let mut policy = Self::default();
        for part in text.split(',') {
            if let Some((key, value)) = part.trim().split_once(':')
                && let Ok(n) = value.trim().parse::<u64>()
            {
                match key.trim() {
                    "rows" => policy.rows = Some(n),
                    "interval" => policy.interval_secs = Some(n),
                    _ => {}
                }
            }
        }
        policy
    }
}

impl Engine {
    /// The table's own `FLUSH_POLICY`, else the server default (never for STREAM tables).
    fn flush_policy_text<'a>(&'a self, entry: &'a TableEntry) -> Option<&'a str> {
        if entry.def.table_type == kalamdb_types::TableType::Stream {
            return None;
        }
        entry
            .def
            .options
            .flush_policy
            .as_deref()
            .or(self.config.default_flush_policy.as_deref())
    }

    /// Counts written rows and starts a flush when the table's row threshold is reached.
    pub(crate) async fn note_writes(&self, entry: &TableEntry, rows: usize) {
        let Some(text) = self.flush_policy_text(entry) else {
            return;
        };
        let pending = entry.pending_rows.fetch_add(rows as u64, Ordering::AcqRel) + rows as u64;
        if FlushPolicy::parse(text).rows.is_some_and(|n| pending >= n) {
            self.start_policy_flush(entry).await;
        }
    }

    /// Starts flushes whose interval has passed with rows pending (called every second).
    pub async fn tick_flush_policies(&self, now_ms: i64) {
        for entry in self.catalog.tables() {
            let Some(text) = self.flush_policy_text(&entry) else {
                continue;
            };
            let Some(secs) = FlushPolicy::parse(text).interval_secs else {
                continue;
            };
            let due = entry.last_flush_ms.load(Ordering::Acquire) + (secs as i64) * 1000 <= now_ms;
            if due && entry.pending_rows.load(Ordering::Acquire) > 0 {
                self.start_policy_flush(&entry).await;
            }
        }
    }

    async fn start_policy_flush(&self, entry: &TableEntry) {
        entry.pending_rows.store(0, Ordering::Release);
        entry
            .last_flush_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Release);
        if let Err(e) = self.start_flush_job(entry.def.id.clone()).await {
            tracing::warn!("FLUSH_POLICY flush of {} did not start: {e}", entry.def.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FlushPolicy;

    #[test]
    fn parses_rows_and_interval() {
        assert_eq!(
            FlushPolicy::parse("rows:100,interval:60"),
            FlushPolicy {
                rows: Some(100),
                interval_secs: Some(60)
            }
        );
        assert_eq!(FlushPolicy::parse("interval:5").rows, None);
    }
}
