//! `shared_table_per_user`: a SHARED table with many rows, most of which carry a
//! user-id-like column, is per-user data every reader scans whole; as a USER table each user
//! reads only their own partition.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};
use kalamdb_types::TableType;

pub struct SharedTablePerUser;

/// Column names that hold a user's id.
const USER_COLUMNS: &[&str] = &[
    "user_id",
    "userid",
    "owner_id",
    "owner",
    "author_id",
    "account_id",
    "customer_id",
    "member_id",
    "created_by",
];

fn user_like(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    USER_COLUMNS.contains(&c.as_str()) || c.ends_with("_user_id")
}

impl AdvisorRule for SharedTablePerUser {
    fn name(&self) -> &str {
        "shared_table_per_user"
    }

    fn description(&self) -> &str {
        "a SHARED table with many rows, most of them carrying a user-id-like column"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let min_rows = settings.count("rows", 1_000_000);
        let share = settings.get("share", 0.8).clamp(0.0, 1.0);
        let mut out = Vec::new();
        for t in &snapshot.tables {
            if t.table_type != Some(TableType::Shared) {
                continue;
            }
            let Some(name) = crate::table_name(&t.table) else {
                continue;
            };
            let rows = t.rows_hot.saturating_add(t.rows_cold);
            if rows < min_rows || t.rows_cold == 0 {
                continue;
            }
            let best = t
                .columns
                .iter()
                .filter(|c| user_like(c))
                .map(|c| (c, t.filled.get(c).copied().unwrap_or(0)))
                .max_by_key(|(_, n)| *n);
            let Some((column, filled)) = best else {
                continue;
            };
            let ratio = filled as f64 / t.rows_cold as f64;
            if ratio < share {
                continue;
            }
            out.push(Finding {
                rule: self.name().to_string(),
                severity: Severity::Warning,
                object: name.clone(),
                message: format!(
                    "SHARED table {name} holds {} rows and {:.0}% of its flushed rows carry a user id in `{column}`",
                    crate::count(rows),
                    (ratio * 100.0).min(100.0)
                ),
                suggestion: format!(
                    "store it as a USER table (CREATE USER TABLE ...), so each user reads only their own partition instead of filtering all of {name} by `{column}`"
                ),
                user: None,
            });
        }
        out
    }
}
