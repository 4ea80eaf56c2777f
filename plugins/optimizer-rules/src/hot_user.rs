//! `hot_user_partition`: one user's partition far larger than the table's median: that user
//! dominates flushes, compactions and the storage of their folder.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};
use std::collections::BTreeMap;

pub struct HotUserPartition;

impl AdvisorRule for HotUserPartition {
    fn name(&self) -> &str {
        "hot_user_partition"
    }

    fn description(&self) -> &str {
        "a user partition far larger than the median partition of its table"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let factor = settings.get("factor", 10.0).max(1.0);
        let min_rows = settings.count("min_rows", 10_000);
        let min_partitions = settings.count("min_partitions", 3).max(2) as usize;
        let mut by_table: BTreeMap<String, Vec<(&str, u64)>> = BTreeMap::new();
        for p in &snapshot.partitions {
            let (Some(table), Some(user)) = (crate::table_name(&p.table), p.user.as_ref()) else {
                continue;
            };
            by_table
                .entry(table)
                .or_default()
                .push((user.as_str(), p.rows_hot.saturating_add(p.rows_cold)));
        }
        let mut out = Vec::new();
        for (table, parts) in by_table {
            if parts.len() < min_partitions {
                continue;
            }
            let mut sizes: Vec<u64> = parts.iter().map(|(_, n)| *n).collect();
            sizes.sort_unstable();
            let median = sizes[sizes.len() / 2].max(1);
            for (user, rows) in parts {
                if rows < min_rows || (rows as f64) < factor * median as f64 {
                    continue;
                }
                out.push(Finding {
                    rule: self.name().to_string(),
                    severity: Severity::Warning,
                    object: format!("{table}/{user}"),
                    // The user sees this finding: nothing about other users' partitions
                    // beyond the configured factor goes into it.
                    message: format!(
                        "user '{user}' has {} rows in {table}, more than {factor} times the table's median partition",
                        crate::count(rows),
                    ),
                    suggestion: format!(
                        "check whether '{user}' is one real user (a shared account or a bot writes like this); give them their own storage (ALTER USER '{user}' SET STORAGE_MODE region) or a TTL / cleanup for old rows"
                    ),
                    user: Some(kalamdb_types::UserId::new(user)),
                });
            }
        }
        out
    }
}
