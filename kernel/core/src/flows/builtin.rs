//! Built-in maintenance flows: in the namespace `system` from the first start, owned by root and
//! run by the kernel itself (they reach the job runner, which no plugin may). They can be
//! enabled, disabled, rescheduled and run (`ALTER FLOW`, `RUN FLOW`), never dropped.
//!
//! | flow | does | first schedule |
//! |---|---|---|
//! | `system.stream_ttl_eviction` | deletes STREAM rows older than their table's `TTL_SECONDS` | `flows.stream_eviction_secs` |
//! | `system.deleted_row_cleanup` | purges tombstones older than each table's `DELETED_RETENTION_HOURS` (default `storage.deleted_retention_hours`), with the versions they hide, hot and cold | hourly |
//! | `system.job_history_cleanup` | deletes finished `system.jobs` records older than `flows.job_history_days`, and beyond the newest `flows.jobs_kept` | hourly |

use super::model::{FlowDef, FlowTriggerDef};
use crate::Engine;
use crate::error::{KalamError, Result};
use kalamdb_base::now_micros;
use kalamdb_plugin_api::FlowOutcome;
use kalamdb_types::{NamespaceId, UserId};
use std::collections::BTreeMap;

/// The action names of the built-in flows (never a plugin's: plugins cannot register `kernel.`).
pub const STREAM_EVICTION: &str = "kernel.stream_eviction";
pub const JOB_HISTORY: &str = "kernel.job_history";
pub const DELETED_ROWS: &str = "kernel.deleted_rows";

/// Whether a flow is one of the built-in ones.
pub fn is_builtin(def: &FlowDef) -> bool {
    def.action.starts_with("kernel.")
}

impl Engine {
    /// Creates the built-in flows a data directory does not have yet.
    pub(crate) async fn ensure_builtin_flows(&self) -> Result<()> {
        let settings = &self.config.flows;
        let wanted = [
            (
                "stream_ttl_eviction",
                STREAM_EVICTION,
                settings.stream_eviction_secs.max(1),
                "EVICT EXPIRED STREAM ROWS".to_string(),
            ),
            (
                "deleted_row_cleanup",
                DELETED_ROWS,
                3600,
                "CLEANUP DELETED ROWS".to_string(),
            ),
            (
                "job_history_cleanup",
                JOB_HISTORY,
                3600,
                "CLEANUP JOB HISTORY".to_string(),
            ),
        ];
        let now = now_micros();
        for (name, action, every_secs, text) in wanted {
            if self.flows.by_name("system", name).is_some() {
                continue;
            }
            let def = FlowDef {
                flow_id: kalamdb_base::ids::snowflake_id() as u64,
                namespace: NamespaceId::new("system"),
                name: name.to_string(),
                owner: UserId::new("root"),
                trigger: FlowTriggerDef::Schedule {
                    every_secs,
                    // The first run one period after the first start.
                    starts_micros: now + (every_secs as i64) * 1_000_000,
                },
                trigger_text: format!("ON SCHEDULE EVERY {every_secs} SECOND"),
                action: action.to_string(),
                arguments: BTreeMap::new(),
                action_text: text,
                enabled: true,
                created_at: now,
            };
            self.add_flow(def).await?;
        }
        Ok(())
    }

    /// Runs a built-in flow's action.
    pub(crate) async fn run_builtin(&self, def: &FlowDef) -> Result<FlowOutcome> {
        let settings = &self.config.flows;
        match def.action.as_str() {
            STREAM_EVICTION => {
                let n = self
                    .jobs
                    .evict_expired_stream_rows(chrono::Utc::now().timestamp_millis())
                    .await?;
                Ok(FlowOutcome {
                    affected: n as u64,
                    message: format!("Evicted {n} expired STREAM row(s)"),
                })
            }
            JOB_HISTORY => {
                let days = settings.job_history_days;
                let before = if days == 0 {
                    i64::MIN
                } else {
                    now_micros() - (days as i64) * 86_400 * 1_000_000
                };
                let n = self.jobs.prune(before, settings.jobs_kept).await?;
                let exports = self.prune_exports(false);
                Ok(FlowOutcome {
                    affected: n as u64,
                    message: format!(
                        "Removed {n} finished job record(s) and {exports} expired export(s)"
                    ),
                })
            }
            DELETED_ROWS => {
                let (report, tables) = self.cleanup_all_by_retention().await?;
                Ok(FlowOutcome {
                    affected: (report.tombstones + report.superseded) as u64,
                    message: crate::maintenance::cleanup::describe(&report, tables),
                })
            }
            other => Err(KalamError::Internal(format!(
                "unknown built-in flow action '{other}'"
            ))),
        }
    }
}
