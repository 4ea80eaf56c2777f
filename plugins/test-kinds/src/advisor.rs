//! `test_table_rows`: a table holding more rows (hot and cold) than `max_rows`.

use kalamdb_plugin_api::{AdvisorRule, Finding, RuleSettings, Severity, StatsSnapshot};

pub struct TableRowsRule;

impl AdvisorRule for TableRowsRule {
    fn name(&self) -> &str {
        "test_table_rows"
    }

    fn description(&self) -> &str {
        "a table with more rows than max_rows (default 1000)"
    }

    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let max = settings.count("max_rows", 1000);
        snapshot
            .tables
            .iter()
            .filter_map(|t| {
                let rows = t.rows_hot.saturating_add(t.rows_cold);
                let table = t.table.as_ref()?;
                (rows > max).then(|| Finding {
                    rule: self.name().to_string(),
                    severity: Severity::Info,
                    object: table.to_string(),
                    message: format!("{table} holds {rows} rows (more than {max})"),
                    suggestion: "nothing to do: this rule only shows that rules plug in".into(),
                    user: None,
                })
            })
            .collect()
    }
}
