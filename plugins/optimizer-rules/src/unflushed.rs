//! `unflushed_hot_growth`: a table without a flush policy whose hot data keeps growing: every
//! row stays in RocksDB (memory and WAL) until someone flushes by hand.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};
use kalamdb_types::TableType;

pub struct UnflushedHotGrowth;

impl AdvisorRule for UnflushedHotGrowth {
    fn name(&self) -> &str {
        "unflushed_hot_growth"
    }

    fn description(&self) -> &str {
        "a table without a flush policy whose hot data keeps growing"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let hot_rows = settings.count("hot_rows", 100_000);
        let min_rate = settings.get("min_writes_per_minute", 1.0);
        let mut out = Vec::new();
        for t in &snapshot.tables {
            let growing = t.writes_per_minute >= min_rate;
            if !matches!(t.table_type, Some(TableType::User | TableType::Shared))
                || t.has_flush_policy
                || t.rows_hot < hot_rows
                || !growing
            {
                continue;
            }
            let Some(name) = crate::table_name(&t.table) else {
                continue;
            };
            let flushed = match t.last_flush_micros {
                Some(_) => "it was flushed by hand before",
                None => "it was never flushed",
            };
            out.push(Finding {
                rule: self.name().to_string(),
                severity: Severity::Warning,
                object: name.clone(),
                message: format!(
                    "{name} has no flush policy and holds {} rows in the hot store, growing by about {:.0} writes a minute; {flushed}",
                    crate::count(t.rows_hot),
                    t.writes_per_minute
                ),
                suggestion: format!(
                    "give it a flush policy: ALTER TABLE {name} SET (FLUSH_POLICY = 'rows:10000,interval:300')"
                ),
                user: None,
            });
        }
        out
    }
}
