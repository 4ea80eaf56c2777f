//! `scan_heavy_query`: a query shape that reads far more rows than it returns, run often:
//! usually a filter on a column that is not the primary key, so every run reads the whole
//! partition.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};

pub struct ScanHeavyQuery;

/// Longest piece of the statement shown in a finding's object.
const SHOWN: usize = 200;

impl AdvisorRule for ScanHeavyQuery {
    fn name(&self) -> &str {
        "scan_heavy_query"
    }

    fn description(&self) -> &str {
        "a query shape that scans far more rows than it returns"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let ratio = settings.get("ratio", 100.0).max(1.0);
        let min_calls = settings.count("min_calls", 5).max(1);
        let min_rows = settings.count("min_rows_per_call", 1_000);
        let mut out = Vec::new();
        for q in &snapshot.shapes {
            if q.count < min_calls || q.shape.is_empty() {
                continue;
            }
            let per_call = q.rows_scanned / q.count;
            let returned = q.rows_returned.max(1);
            let seen = q.rows_scanned as f64 / returned as f64;
            if per_call < min_rows || seen < ratio {
                continue;
            }
            let shown: String = q.shape.chars().take(SHOWN).collect();
            let who = q.user.as_ref().map(|u| u.as_str()).unwrap_or("-");
            out.push(Finding {
                rule: self.name().to_string(),
                severity: Severity::Info,
                object: format!("{who}: {shown}"),
                message: format!(
                    "run {} times, it read {} rows to return {} ({:.0} rows read per row returned, {} per run)",
                    crate::count(q.count),
                    crate::count(q.rows_scanned),
                    crate::count(q.rows_returned),
                    seen,
                    crate::count(per_call)
                ),
                suggestion: "filter on the primary key (WHERE id = ... or id IN (...)) so a run reads only the rows it needs, or keep fewer rows in the table (TTL, cleanup)".into(),
                user: q.user.clone(),
            });
        }
        out
    }
}
