//! Each rule on a crafted snapshot that should make it fire and on a healthy one that should
//! not, plus the advisor-rule conformance suite. (`frontends/server/tests/http_advisor.rs`
//! drives the same rules through a real server's workload.)

use kalamdb_optimizer_rules::*;
use kalamdb_plugin_api::{
    AdvisorRule, PartitionStats, QueryShapeStats, RuleSettings, StatsSnapshot, TableStats,
};
use kalamdb_types::{TableId, TableType, UserId};

fn shared(rows_cold: u64, filled: u64) -> TableStats {
    TableStats {
        table: Some(TableId::new("app", "events")),
        table_type: Some(TableType::Shared),
        rows_cold,
        columns: vec!["id".into(), "user_id".into(), "body".into()],
        filled: [("user_id".to_string(), filled)].into_iter().collect(),
        ..TableStats::default()
    }
}

fn partition(user: &str, rows: u64, small_files: u64) -> PartitionStats {
    PartitionStats {
        table: Some(TableId::new("app", "notes")),
        user: Some(UserId::new(user)),
        rows_cold: rows,
        parquet_files: small_files,
        small_files,
        ..PartitionStats::default()
    }
}

fn fired(rule: &dyn AdvisorRule, snapshot: &StatsSnapshot) -> Vec<String> {
    rule.evaluate(snapshot, &RuleSettings::new())
        .into_iter()
        .map(|f| f.object)
        .collect()
}

#[test]
fn every_rule_passes_the_conformance_suite() {
    let rules: Vec<Box<dyn AdvisorRule>> = vec![
        Box::new(SharedTablePerUser),
        Box::new(HotUserPartition),
        Box::new(ManySmallFiles),
        Box::new(UnflushedHotGrowth),
        Box::new(ScanHeavyQuery),
        Box::new(ExcessColumnFamilies),
    ];
    for rule in rules {
        kalamdb_plugin_api::testing::advisor::run(rule.as_ref())
            .unwrap_or_else(|e| panic!("{}: {e}", rule.name()));
    }
}

#[test]
fn shared_table_rule_fires_from_one_million_rows_carrying_a_user_id() {
    let rule = SharedTablePerUser;
    let at = |rows, filled| StatsSnapshot {
        tables: vec![shared(rows, filled)],
        ..StatsSnapshot::default()
    };
    assert_eq!(fired(&rule, &at(1_000_000, 990_000)), vec!["app.events"]);
    // Below the default threshold, or with the column mostly empty: healthy.
    assert!(fired(&rule, &at(999_999, 999_999)).is_empty());
    assert!(fired(&rule, &at(1_000_000, 100_000)).is_empty());
    // The threshold is a setting.
    let lower = RuleSettings::new().with("rows", 1000.0);
    assert_eq!(rule.evaluate(&at(2000, 2000), &lower).len(), 1);
    // A USER table is what the rule suggests: never a finding.
    let mut user = shared(5_000_000, 5_000_000);
    user.table_type = Some(TableType::User);
    let snapshot = StatsSnapshot {
        tables: vec![user],
        ..StatsSnapshot::default()
    };
    assert!(fired(&rule, &snapshot).is_empty());
}

#[test]
fn hot_user_rule_names_the_outlier_only() {
    let rule = HotUserPartition;
    let mut partitions: Vec<PartitionStats> = (0..9)
        .map(|i| partition(&format!("u{i}"), 2_000, 1))
        .collect();
    let healthy = StatsSnapshot {
        partitions: partitions.clone(),
        ..StatsSnapshot::default()
    };
    assert!(fired(&rule, &healthy).is_empty());
    partitions.push(partition("whale", 500_000, 1));
    let skewed = StatsSnapshot {
        partitions,
        ..StatsSnapshot::default()
    };
    let findings = rule.evaluate(&skewed, &RuleSettings::new());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].object, "app.notes/whale");
    assert_eq!(findings[0].user, Some(UserId::new("whale")));
}

#[test]
fn small_files_rule_fires_at_its_threshold() {
    let rule = ManySmallFiles;
    let snapshot = StatsSnapshot {
        partitions: vec![partition("a", 100, 10), partition("b", 100, 9)],
        ..StatsSnapshot::default()
    };
    assert_eq!(fired(&rule, &snapshot), vec!["app.notes/a"]);
}

#[test]
fn unflushed_rule_wants_growth_and_no_policy() {
    let rule = UnflushedHotGrowth;
    let table = |policy: bool, rate: f64| TableStats {
        table: Some(TableId::new("app", "log")),
        table_type: Some(TableType::User),
        rows_hot: 200_000,
        writes_per_minute: rate,
        has_flush_policy: policy,
        ..TableStats::default()
    };
    let at = |t| StatsSnapshot {
        tables: vec![t],
        ..StatsSnapshot::default()
    };
    assert_eq!(fired(&rule, &at(table(false, 50.0))), vec!["app.log"]);
    assert!(fired(&rule, &at(table(true, 50.0))).is_empty());
    assert!(fired(&rule, &at(table(false, 0.0))).is_empty());
}

#[test]
fn scan_heavy_rule_compares_rows_read_with_rows_returned() {
    let rule = ScanHeavyQuery;
    let shape = |scanned: u64, returned: u64| QueryShapeStats {
        shape: "SELECT * FROM app.notes WHERE body = ?".into(),
        user: Some(UserId::new("alice")),
        count: 10,
        rows_scanned: scanned,
        rows_returned: returned,
        ..QueryShapeStats::default()
    };
    let at = |q| StatsSnapshot {
        shapes: vec![q],
        ..StatsSnapshot::default()
    };
    let findings = rule.evaluate(&at(shape(100_000, 10)), &RuleSettings::new());
    assert_eq!(findings.len(), 1);
    assert!(findings[0].object.starts_with("alice: SELECT"));
    assert_eq!(findings[0].user, Some(UserId::new("alice")));
    // A primary-key lookup reads what it returns.
    assert!(fired(&rule, &at(shape(10, 10))).is_empty());
}

#[test]
fn column_family_rule_counts_what_the_tables_need() {
    let rule = ExcessColumnFamilies;
    let tables = vec![
        TableStats {
            table: Some(TableId::new("app", "u")),
            table_type: Some(TableType::User),
            ..TableStats::default()
        },
        TableStats {
            table: Some(TableId::new("app", "s")),
            table_type: Some(TableType::Shared),
            ..TableStats::default()
        },
    ];
    let at = |cfs| StatsSnapshot {
        user_shards: 4,
        system_column_families: 9,
        column_families: cfs,
        tables: tables.clone(),
        ..StatsSnapshot::default()
    };
    assert!(fired(&rule, &at(9 + 4 + 1)).is_empty());
    assert_eq!(fired(&rule, &at(9 + 4 + 1 + 2)), vec!["rocksdb"]);
}
