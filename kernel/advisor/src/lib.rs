//! The advisor (`kalamdb-advisor`): runs every registered [`AdvisorRule`] over a statistics
//! snapshot and keeps what they find in `system.advice`.
//!
//! A finding is known by its rule and object. While a rule keeps reporting it, it stays one
//! open record (its message follows the latest numbers); when a pass no longer reports it, the
//! record is marked resolved (`resolved_at`) and kept; if it comes back later it is a new
//! record. Records survive restarts (the `system.advice` column family); resolved ones beyond
//! [`AdvisorSettings::keep_resolved`] are deleted, oldest first.
//!
//! A rule that panics is skipped for that pass (logged, named in the report) and its open
//! findings stay as they were: one faulty plugin never stops the others. The open findings of
//! a rule that is disabled (or no longer registered) are resolved at the next pass.

use kalamdb_base::error::{KalamError, Result};
use kalamdb_plugin_api::{AdvisorRule, Registry, RuleSettings, Severity, StatsSnapshot};
use kalamdb_store::keys::CF_ADVICE;
use kalamdb_store::{HotStore, RawOp};
use kalamdb_types::UserId;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Default seconds between two passes of the background loop.
pub const DEFAULT_INTERVAL_SECONDS: u64 = 300;
/// Default resolved findings kept (the most recently resolved).
pub const DEFAULT_KEEP_RESOLVED: usize = 1000;

/// How the advisor runs (the server's `[advisor]` section).
#[derive(Clone, Debug, PartialEq)]
pub struct AdvisorSettings {
    /// Run passes in the background (`RUN ADVISOR` works either way).
    pub enabled: bool,
    pub interval_seconds: u64,
    /// Rules not run, by name.
    pub disabled_rules: BTreeSet<String>,
    /// Per rule, its thresholds.
    pub rules: BTreeMap<String, RuleSettings>,
    /// Resolved findings kept.
    pub keep_resolved: usize,
}

impl Default for AdvisorSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_seconds: DEFAULT_INTERVAL_SECONDS,
            disabled_rules: BTreeSet::new(),
            rules: BTreeMap::new(),
            keep_resolved: DEFAULT_KEEP_RESOLVED,
        }
    }
}

/// One finding as `system.advice` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    /// `AD-<ulid>`: ordered by detection time.
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub object: String,
    pub message: String,
    pub suggestion: String,
    /// The user whose partition or queries it is about (who may see it besides admins).
    pub user: Option<UserId>,
    pub detected_at: i64,
    pub resolved_at: Option<i64>,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PassReport {
    pub rules: usize,
    pub raised: usize,
    pub resolved: usize,
    pub open: usize,
    /// Rules that panicked (skipped).
    pub failed: Vec<String>,
    pub micros: u64,
}

pub struct Advisor {
    store: Arc<HotStore>,
    settings: AdvisorSettings,
    records: RwLock<Vec<Advice>>,
    /// One pass at a time (the loop and RUN ADVISOR).
    pass: tokio::sync::Mutex<()>,
}

impl Advisor {
    /// Loads the findings kept in `system.advice`.
    pub fn open(store: Arc<HotStore>, settings: AdvisorSettings) -> Result<Self> {
        let mut records = Vec::new();
        for (key, bytes) in store.scan_raw(CF_ADVICE, b"")? {
            match serde_json::from_slice::<Advice>(&bytes) {
                Ok(a) => records.push(a),
                Err(e) => tracing::warn!(
                    "skipping an unreadable advice record {}: {e}",
                    String::from_utf8_lossy(&key)
                ),
            }
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self {
            store,
            settings,
            records: RwLock::new(records),
            pass: tokio::sync::Mutex::new(()),
        })
    }

    pub fn settings(&self) -> &AdvisorSettings {
        &self.settings
    }

    /// Every finding kept, oldest first.
    pub fn all(&self) -> Vec<Advice> {
        self.records.read().clone()
    }

    /// The rules a pass runs, by name.
    fn rules<'a>(&self, registry: &'a Registry) -> Vec<&'a Arc<dyn AdvisorRule>> {
        registry
            .advisor_rules()
            .filter(|r| !self.settings.disabled_rules.contains(r.name()))
            .collect()
    }

    /// Runs every enabled rule over `snapshot` and updates the findings.
    pub async fn run(&self, registry: &Registry, snapshot: &StatsSnapshot) -> Result<PassReport> {
        let _one_pass = self.pass.lock().await;
        let started = std::time::Instant::now();
        let now = kalamdb_base::now_micros();
        let mut report = PassReport::default();
        let default_settings = RuleSettings::new();
        // (rule, object) -> finding, in a stable order.
        let mut found = BTreeMap::new();
        for rule in self.rules(registry) {
            report.rules += 1;
            let settings = self
                .settings
                .rules
                .get(rule.name())
                .unwrap_or(&default_settings);
            let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rule.evaluate(snapshot, settings)
            }));
            match evaluated {
                Ok(findings) => {
                    for mut f in findings {
                        // A rule speaks only for itself.
                        f.rule = rule.name().to_string();
                        found.insert((f.rule.clone(), f.object.clone()), f);
                    }
                }
                Err(_) => {
                    tracing::error!("advisor rule {} panicked; skipped", rule.name());
                    report.failed.push(rule.name().to_string());
                }
            }
        }
        let mut ops = Vec::new();
        {
            let mut records = self.records.write();
            for record in records.iter_mut().filter(|r| r.resolved_at.is_none()) {
                let key = (record.rule.clone(), record.object.clone());
                match found.remove(&key) {
                    Some(f) => {
                        let updated = Advice {
                            severity: f.severity.as_str().to_string(),
                            message: f.message,
                            suggestion: f.suggestion,
                            user: f.user,
                            ..record.clone()
                        };
                        if updated != *record {
                            *record = updated;
                            ops.push(put(record)?);
                        }
                    }
                    // A rule that panicked cannot say its finding is gone: it stays as it
                    // was. One that ran without it, or is disabled or gone, resolves it.
                    None if !report.failed.contains(&record.rule) => {
                        record.resolved_at = Some(now);
                        report.resolved += 1;
                        ops.push(put(record)?);
                    }
                    None => {}
                }
            }
            for (_, f) in found {
                let record = Advice {
                    id: format!("AD-{}", kalamdb_base::ids::ulid()),
                    rule: f.rule,
                    severity: severity(f.severity),
                    object: f.object,
                    message: f.message,
                    suggestion: f.suggestion,
                    user: f.user,
                    detected_at: now,
                    resolved_at: None,
                };
                ops.push(put(&record)?);
                records.push(record);
                report.raised += 1;
            }
            // Bound the history: the findings resolved longest ago go first.
            let mut resolved: Vec<(i64, String)> = records
                .iter()
                .filter_map(|r| r.resolved_at.map(|at| (at, r.id.clone())))
                .collect();
            resolved.sort();
            let excess = resolved.len().saturating_sub(self.settings.keep_resolved);
            let doomed: BTreeSet<String> = resolved
                .into_iter()
                .take(excess)
                .map(|(_, id)| id)
                .collect();
            records.retain(|r| {
                if doomed.contains(&r.id) {
                    ops.push(RawOp {
                        cf: CF_ADVICE.into(),
                        key: r.id.as_bytes().to_vec(),
                        value: None,
                    });
                    false
                } else {
                    true
                }
            });
            report.open = records.iter().filter(|r| r.resolved_at.is_none()).count();
        }
        if !ops.is_empty() {
            self.store.submit_raw(ops).await?;
        }
        report.micros = started.elapsed().as_micros() as u64;
        Ok(report)
    }
}

fn severity(s: Severity) -> String {
    s.as_str().to_string()
}

fn put(record: &Advice) -> Result<RawOp> {
    Ok(RawOp {
        cf: CF_ADVICE.into(),
        key: record.id.as_bytes().to_vec(),
        value: Some(serde_json::to_vec(record).map_err(KalamError::internal)?),
    })
}
