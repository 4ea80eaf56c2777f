//! Fault injection for crash and failure tests: `KALAMDB_FAILPOINT=<name>` (read once at first
//! use) arms one named point. The real server binary is what the tests start, so the points
//! are compiled in; unarmed, a point costs one load of a cached value.
//!
//! Points that abort the process there: `flush.after_segment`, `flush.after_manifest`,
//! `compact.after_segment`, `compact.after_manifest` (before the old segments are deleted),
//! `drop.after_job`, `drop.after_catalog`, `drop.after_column_families`,
//! `cleanup.after_segments`, `cleanup.after_manifest`, `cleanup.before_hot` (cold versions
//! purged, hot tombstones not yet), `backup.after_checkpoint`, `restore.after_store` (the
//! restored store in place, its cold files not yet back). A point that waits:
//! `insert.after_cold_check` (300 ms between an INSERT's cold duplicate check and its write, to
//! widen that race for a test). And `http.sql.panic`: the SQL handler panics, to prove a panic
//! is answered as a 500.

use std::sync::OnceLock;

fn armed() -> Option<&'static str> {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| std::env::var("KALAMDB_FAILPOINT").ok())
        .as_deref()
}

/// True when the point `name` is armed.
pub fn hit(name: &str) -> bool {
    armed() == Some(name)
}

/// Aborts the process (as a crash would) when the point `name` is armed.
pub fn abort_at(name: &str) {
    if hit(name) {
        tracing::error!("failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Waits 300 ms when the point `name` is armed (widens a race window for a test).
pub async fn pause_at(name: &str) {
    if hit(name) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}
