//! The advisor over a real hot store: a finding is raised once while it holds, resolved (and
//! kept) when it stops, raised anew when it comes back; a panicking rule is skipped without
//! losing its findings; a disabled rule's findings resolve; findings survive a reopen.

use kalamdb_advisor::{Advisor, AdvisorSettings};
use kalamdb_plugin_api::{
    AdvisorRule, Finding, Registry, RuleSettings, Severity, StatsSnapshot, TableStats,
};
use kalamdb_store::feed::ChangeFeed;
use kalamdb_store::{HotStore, StoreOptions};
use kalamdb_types::TableId;
use std::sync::Arc;

/// Reports every table with more than `max` (default 10) cold rows.
struct BigTables;

impl AdvisorRule for BigTables {
    fn name(&self) -> &str {
        "big_tables"
    }
    fn description(&self) -> &str {
        "tables with many rows"
    }
    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding> {
        let max = settings.count("max", 10);
        snapshot
            .tables
            .iter()
            .filter(|t| t.rows_cold > max)
            .filter_map(|t| t.table.as_ref())
            .map(|t| Finding {
                rule: "big_tables".into(),
                severity: Severity::Warning,
                object: t.to_string(),
                message: format!("{t} is big"),
                suggestion: "none".into(),
                user: None,
            })
            .collect()
    }
}

/// Panics on every snapshot with a table.
struct Faulty;

impl AdvisorRule for Faulty {
    fn name(&self) -> &str {
        "faulty"
    }
    fn description(&self) -> &str {
        "panics"
    }
    fn evaluate(&self, snapshot: &StatsSnapshot, _: &RuleSettings) -> Vec<Finding> {
        if snapshot.tables.is_empty() {
            vec![Finding {
                rule: "faulty".into(),
                severity: Severity::Info,
                object: "nothing".into(),
                message: "no tables".into(),
                suggestion: "none".into(),
                user: None,
            }]
        } else {
            panic!("faulty rule")
        }
    }
}

fn store(dir: &std::path::Path) -> Arc<HotStore> {
    let (feed, _rx) = ChangeFeed::new();
    let store = HotStore::open(
        dir,
        Arc::new(kalamdb_serde_json::JsonCodec),
        StoreOptions::default(),
        Arc::new(feed),
    );
    Arc::new(store.unwrap_or_else(|e| panic!("store: {e}")))
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register_advisor_rule(Arc::new(BigTables)).ok();
    r.register_advisor_rule(Arc::new(Faulty)).ok();
    r
}

fn snapshot(rows: &[(&str, u64)]) -> StatsSnapshot {
    StatsSnapshot {
        tables: rows
            .iter()
            .map(|(t, n)| TableStats {
                table: Some(TableId::new("app", *t)),
                rows_cold: *n,
                ..TableStats::default()
            })
            .collect(),
        ..StatsSnapshot::default()
    }
}

#[tokio::test]
async fn findings_are_raised_once_resolved_kept_and_raised_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = store(dir.path());
    let advisor =
        Advisor::open(store.clone(), AdvisorSettings::default()).unwrap_or_else(|e| panic!("{e}"));
    let registry = registry();

    // An empty snapshot: only the faulty rule's finding.
    let r = advisor
        .run(&registry, &snapshot(&[]))
        .await
        .unwrap_or_default();
    assert_eq!((r.raised, r.open), (1, 1));

    // A big table: raised; the faulty rule panics, is skipped, its finding stays open.
    let r = advisor
        .run(&registry, &snapshot(&[("a", 50), ("b", 5)]))
        .await
        .unwrap_or_default();
    assert_eq!(r.failed, vec!["faulty".to_string()]);
    assert_eq!((r.raised, r.resolved, r.open), (1, 0, 2));
    let first = advisor.all();
    let big: Vec<_> = first.iter().filter(|a| a.rule == "big_tables").collect();
    assert_eq!(big.len(), 1);
    assert_eq!(big[0].object, "app.a");

    // Still big: no duplicate, nothing new.
    let r = advisor
        .run(&registry, &snapshot(&[("a", 60), ("b", 5)]))
        .await
        .unwrap_or_default();
    assert_eq!((r.raised, r.resolved), (0, 0));
    assert_eq!(advisor.all().len(), 2);

    // Shrunk: resolved, kept, same id.
    let r = advisor
        .run(&registry, &snapshot(&[("a", 1)]))
        .await
        .unwrap_or_default();
    assert_eq!(r.resolved, 1);
    let after = advisor.all();
    let resolved: Vec<_> = after.iter().filter(|a| a.rule == "big_tables").collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].id, big[0].id);
    assert!(resolved[0].resolved_at.is_some());

    // Big again: a new finding beside the resolved one.
    advisor
        .run(&registry, &snapshot(&[("a", 99)]))
        .await
        .unwrap_or_default();
    let again: Vec<_> = advisor
        .all()
        .into_iter()
        .filter(|a| a.rule == "big_tables")
        .collect();
    assert_eq!(again.len(), 2);
    assert_eq!(again.iter().filter(|a| a.resolved_at.is_none()).count(), 1);

    // Reopened: the same records.
    let before = advisor.all();
    drop(advisor);
    let reopened =
        Advisor::open(store.clone(), AdvisorSettings::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reopened.all(), before);

    // Disabling a rule resolves its open findings at the next pass.
    let mut settings = AdvisorSettings::default();
    settings.disabled_rules.insert("big_tables".into());
    let disabled = Advisor::open(store.clone(), settings).unwrap_or_else(|e| panic!("{e}"));
    disabled
        .run(&registry, &snapshot(&[("a", 99)]))
        .await
        .unwrap_or_default();
    assert!(
        disabled
            .all()
            .iter()
            .filter(|a| a.rule == "big_tables")
            .all(|a| a.resolved_at.is_some())
    );
    // Writers stopped before the process exits (RocksDB aborts on a DB torn down under them).
    store.shutdown();
}

#[tokio::test]
async fn thresholds_come_from_the_settings_and_history_is_bounded() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut settings = AdvisorSettings {
        keep_resolved: 2,
        ..AdvisorSettings::default()
    };
    settings
        .rules
        .insert("big_tables".into(), RuleSettings::new().with("max", 1000.0));
    settings.disabled_rules.insert("faulty".into());
    let store = store(dir.path());
    let advisor = Advisor::open(store.clone(), settings).unwrap_or_else(|e| panic!("{e}"));
    let registry = registry();
    let r = advisor
        .run(&registry, &snapshot(&[("a", 50)]))
        .await
        .unwrap_or_default();
    assert_eq!((r.rules, r.raised), (1, 0), "max = 1000 keeps app.a quiet");
    // Five findings come and go: only the newest two resolved ones are kept.
    for n in 0..5 {
        let name = format!("t{n}");
        advisor
            .run(&registry, &snapshot(&[(name.as_str(), 5000)]))
            .await
            .unwrap_or_default();
    }
    advisor
        .run(&registry, &snapshot(&[]))
        .await
        .unwrap_or_default();
    let kept: Vec<String> = advisor.all().into_iter().map(|a| a.object).collect();
    assert_eq!(kept, vec!["app.t3".to_string(), "app.t4".to_string()]);
    store.shutdown();
}
