//! `many_small_files`: a folder with many small Parquet files costs one read per file on
//! every cold scan; compaction merges them into one.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};

pub struct ManySmallFiles;

impl AdvisorRule for ManySmallFiles {
    fn name(&self) -> &str {
        "many_small_files"
    }

    fn description(&self) -> &str {
        "a table folder or user folder with many small Parquet files"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let max = settings.count("max_small_files", 10).max(1);
        let mut out = Vec::new();
        for p in &snapshot.partitions {
            let Some(table) = crate::table_name(&p.table) else {
                continue;
            };
            if p.small_files < max {
                continue;
            }
            let object = match &p.user {
                Some(u) => format!("{table}/{u}"),
                None => table.clone(),
            };
            let whose = match &p.user {
                Some(u) => format!("user '{u}''s folder of {table}"),
                None => format!("the folder of {table}"),
            };
            out.push(Finding {
                rule: self.name().to_string(),
                severity: Severity::Info,
                object,
                message: format!(
                    "{whose} holds {} small Parquet files ({} files in all)",
                    crate::count(p.small_files),
                    crate::count(p.parquet_files)
                ),
                suggestion: format!(
                    "compact it: STORAGE COMPACT TABLE {table} (or lower compaction_threshold so flushes start compactions sooner)"
                ),
                user: p.user.clone(),
            });
        }
        out
    }
}
