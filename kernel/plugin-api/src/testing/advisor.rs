//! The advisor-rule conformance suite: a rule has a name and a description, never panics on
//! odd snapshots (empty, zero and huge counts), names itself in its findings, and gives the
//! same findings for the same snapshot.

use crate::advisor::{
    AdvisorRule, PartitionStats, QueryShapeStats, RuleSettings, StatsSnapshot, TableStats,
};
use kalamdb_types::{TableId, TableType, UserId};

fn snapshots() -> Vec<StatsSnapshot> {
    let table = |name: &str, table_type, rows: u64| TableStats {
        table: Some(TableId::new("app", name)),
        table_type: Some(table_type),
        rows_hot: rows,
        rows_cold: rows,
        bytes_hot: rows.saturating_mul(100),
        bytes_cold: rows.saturating_mul(50),
        parquet_files: rows / 1000,
        last_flush_micros: None,
        writes_per_minute: rows as f64,
        has_flush_policy: false,
        columns: vec!["id".into(), "user_id".into()],
        filled: [("user_id".to_string(), rows)].into_iter().collect(),
        partitions: rows / 100,
    };
    let partition = |user: &str, rows: u64| PartitionStats {
        table: Some(TableId::new("app", "u")),
        user: Some(UserId::new(user)),
        rows_hot: rows,
        rows_cold: rows,
        bytes_hot: rows.saturating_mul(100),
        bytes_cold: rows,
        parquet_files: rows / 10,
        small_files: rows / 10,
        writes_per_minute: rows as f64,
        last_flush_micros: Some(1),
    };
    vec![
        StatsSnapshot::default(),
        StatsSnapshot {
            taken_at_micros: 1,
            user_shards: 8,
            column_families: 20,
            system_column_families: 9,
            tables: vec![
                table("s", TableType::Shared, 0),
                table("u", TableType::User, 0),
            ],
            partitions: vec![partition("a", 0), partition("b", 0)],
            shapes: vec![QueryShapeStats::default()],
        },
        StatsSnapshot {
            taken_at_micros: i64::MAX,
            user_shards: u32::MAX,
            column_families: u64::MAX,
            system_column_families: u64::MAX,
            tables: vec![
                table("s", TableType::Shared, u64::MAX / 4),
                table("u", TableType::User, u64::MAX / 4),
                table("t", TableType::Stream, 5),
            ],
            partitions: (0..100)
                .map(|i| partition(&format!("u{i}"), if i == 0 { u64::MAX / 4 } else { i }))
                .collect(),
            shapes: vec![QueryShapeStats {
                shape: "SELECT * FROM app.u WHERE body = $1".into(),
                user: Some(UserId::new("a")),
                count: u64::MAX,
                mean_micros: f64::MAX,
                p95_micros: f64::INFINITY,
                rows_scanned: u64::MAX,
                rows_returned: 0,
            }],
        },
    ]
}

/// Runs the suite with the rule's default settings.
pub fn run(rule: &dyn AdvisorRule) -> Result<(), String> {
    if rule.name().is_empty() || rule.description().is_empty() {
        return Err("a rule needs a name and a description".into());
    }
    let settings = [RuleSettings::new()];
    for snapshot in snapshots() {
        for s in &settings {
            let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rule.evaluate(&snapshot, s)
            }))
            .map_err(|_| format!("evaluate panicked on {snapshot:?}"))?;
            if let Some(f) = first.iter().find(|f| f.rule != rule.name()) {
                return Err(format!(
                    "a finding names rule '{}', the rule is '{}'",
                    f.rule,
                    rule.name()
                ));
            }
            if let Some(f) = first
                .iter()
                .find(|f| f.message.is_empty() || f.object.is_empty())
            {
                return Err(format!("a finding without an object or message: {f:?}"));
            }
            if rule.evaluate(&snapshot, s) != first {
                return Err("two evaluations of one snapshot disagree".into());
            }
        }
    }
    Ok(())
}
