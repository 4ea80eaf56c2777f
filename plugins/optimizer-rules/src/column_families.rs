//! `excess_column_families`: RocksDB holding more column families than the tables need
//! (one per user shard of each USER table, one per SHARED or STREAM table, plus the store's
//! own): the extra ones belong to no table — left by a DROP TABLE a crash interrupted — and
//! each costs memory, file handles and start-up time.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};
use kalamdb_types::TableType;

pub struct ExcessColumnFamilies;

impl AdvisorRule for ExcessColumnFamilies {
    fn name(&self) -> &str {
        "excess_column_families"
    }

    fn description(&self) -> &str {
        "more RocksDB column families than shards x tables need"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, _settings: &RuleSettings) -> Vec<Finding> {
        if snapshot.column_families == 0 {
            return Vec::new();
        }
        let needed = snapshot
            .tables
            .iter()
            .fold(snapshot.system_column_families, |n, t| match t.table_type {
                Some(TableType::User) => n.saturating_add(u64::from(snapshot.user_shards)),
                Some(TableType::Shared | TableType::Stream) => n.saturating_add(1),
                _ => n,
            });
        if snapshot.column_families <= needed {
            return Vec::new();
        }
        let extra = snapshot.column_families - needed;
        vec![Finding {
            rule: self.name().to_string(),
            severity: Severity::Info,
            object: "rocksdb".into(),
            message: format!(
                "RocksDB has {} column families; the tables need {} ({} user shards per USER table, one per SHARED or STREAM table, and the store's own): {} belong to no table",
                crate::count(snapshot.column_families),
                crate::count(needed),
                snapshot.user_shards,
                crate::count(extra)
            ),
            suggestion: "they are left by a DROP TABLE that a crash interrupted; with the server stopped and a backup taken, drop them with RocksDB's ldb tool (ldb --db=<data_dir>/rocksdb drop_column_family <name>)".into(),
            user: None,
        }]
    }
}
