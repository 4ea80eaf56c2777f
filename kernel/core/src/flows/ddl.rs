//! CREATE / ALTER / DROP / SHOW / RUN FLOW, and the rows of `system.flows`.
//!
//! Who may do what: anyone may create a trigger flow on a table they may read, with a SQL
//! action (a plain user's flow only fires for changes in their own partition); schedule flows
//! and the maintenance actions (backup, cleanup, replicate, compact) are for dba and system.
//! A flow is altered, dropped or run by its owner or an admin; SHOW FLOWS lists the caller's
//! own flows, or every flow for an admin.

use super::FlowEntry;
use super::model::{FlowDef, FlowState, FlowTriggerDef, def_key, state_key};
use crate::Engine;
use crate::engine::Session;
use crate::error::{KalamError, Result};
use crate::exec::access::{self, Caller, Intent};
use crate::exec::result::{message_result, rows_result};
use crate::exec::system_tables::ViewBuilder;
use crate::sql::bind::{RowRefs, bind_row_refs};
use crate::sql::statement::{CreateFlow, FlowChange, FlowRef, FlowTriggerSpec};
use crate::store::RawOp;
use crate::store::flowq::{KindSet, flow_prefix};
use crate::store::keys::{CF_FLOW_EVENTS, CF_FLOWS};
use crate::value::Value;
use datafusion::arrow::array::RecordBatch;
use kalamdb_base::now_micros;
use kalamdb_plugin_api::FlowTrigger;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{NamespaceId, Role};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The rows of `system.flows` / `SHOW FLOWS`.
pub fn flows_view(entries: &[Arc<FlowEntry>]) -> Result<RecordBatch> {
    let rows: Vec<(FlowDef, FlowState)> = entries
        .iter()
        .map(|e| (e.def.lock().clone(), e.state.lock().clone()))
        .collect();
    let count = |n: u64| Some(i64::try_from(n).unwrap_or(i64::MAX));
    ViewBuilder::default()
        .text(
            "flow_id",
            rows.iter()
                .map(|(d, _)| Some(d.flow_id.to_string()))
                .collect(),
        )
        .text(
            "name",
            rows.iter().map(|(d, _)| Some(d.name.clone())).collect(),
        )
        .text(
            "namespace",
            rows.iter()
                .map(|(d, _)| Some(d.namespace.to_string()))
                .collect(),
        )
        .text(
            "trigger",
            rows.iter()
                .map(|(d, _)| Some(d.trigger_text.clone()))
                .collect(),
        )
        .text(
            "action",
            rows.iter()
                .map(|(d, _)| Some(d.action_text.clone()))
                .collect(),
        )
        .boolean(
            "enabled",
            rows.iter().map(|(d, _)| Some(d.enabled)).collect(),
        )
        .text(
            "owner",
            rows.iter()
                .map(|(d, _)| Some(d.owner.to_string()))
                .collect(),
        )
        .timestamp("last_run", rows.iter().map(|(_, s)| s.last_run).collect())
        .timestamp(
            "next_run",
            rows.iter()
                .map(|(d, s)| match d.trigger {
                    FlowTriggerDef::Schedule { starts_micros, .. } if d.enabled => {
                        Some(s.next_run.unwrap_or(starts_micros))
                    }
                    _ => None,
                })
                .collect(),
        )
        .int("runs", rows.iter().map(|(_, s)| count(s.runs)).collect())
        .int(
            "failures",
            rows.iter().map(|(_, s)| count(s.failures)).collect(),
        )
        .text(
            "last_error",
            rows.iter().map(|(_, s)| s.last_error.clone()).collect(),
        )
        .finish()
}

/// A timestamp as written after `STARTS`: RFC 3339, or `YYYY-MM-DD HH:MM:SS` in UTC.
fn parse_starts(text: &str) -> Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc().timestamp_micros());
    }
    Err(KalamError::InvalidDefinition(format!(
        "STARTS '{text}' is not a timestamp; write it as '2026-01-31 02:00:00' (UTC) or RFC 3339"
    )))
}

impl Engine {
    fn flow_namespace(&self, session: &Session, flow: &FlowRef) -> Result<NamespaceId> {
        match (&flow.namespace, &session.namespace) {
            (Some(ns), _) | (None, Some(ns)) => Ok(ns.clone()),
            (None, None) => Err(KalamError::InvalidDefinition(format!(
                "flow '{}' needs a namespace: write ns.{} or USE a namespace first",
                flow.name, flow.name
            ))),
        }
    }

    /// The flow a statement names, if the caller may manage it (its owner, or an admin).
    fn managed_flow(&self, session: &Session, flow: &FlowRef) -> Result<Option<Arc<FlowEntry>>> {
        let ns = self.flow_namespace(session, flow)?;
        let Some(entry) = self.flows.by_name(ns.as_str(), &flow.name) else {
            return Ok(None);
        };
        if entry.def.lock().owner != session.user && !session.role.is_admin() {
            // Another user's flow is not shown to exist.
            return Ok(None);
        }
        Ok(Some(entry))
    }

    fn missing_flow(&self, session: &Session, flow: &FlowRef) -> KalamError {
        let ns = self
            .flow_namespace(session, flow)
            .map(|n| n.to_string())
            .unwrap_or_default();
        KalamError::NotFound(format!("Flow '{ns}.{}' does not exist", flow.name))
    }

    pub(crate) async fn create_flow(
        &self,
        session: &Session,
        spec: CreateFlow,
    ) -> Result<QueryResult> {
        let namespace = self.flow_namespace(session, &spec.flow)?;
        let qualified = format!("{namespace}.{}", spec.flow.name);
        let _one_create = self.flows.ddl.lock().await;
        if self.catalog.namespace(&namespace).is_none() {
            return Err(KalamError::NotFound(format!(
                "Namespace '{namespace}' does not exist; CREATE NAMESPACE {namespace} first"
            )));
        }
        if self
            .flows
            .by_name(namespace.as_str(), &spec.flow.name)
            .is_some()
        {
            if spec.if_not_exists {
                return Ok(message_result(
                    format!("Flow '{qualified}' already exists"),
                    0,
                ));
            }
            return Err(KalamError::AlreadyExists(format!(
                "Flow '{qualified}' already exists"
            )));
        }
        let action = self
            .registry
            .flow_action(&spec.action.action)
            .ok_or_else(|| {
                let known: Vec<&str> = self.registry.flow_actions().map(|a| a.name()).collect();
                KalamError::InvalidDefinition(format!(
                    "flow action '{}' is not installed; the installed actions are: {}",
                    spec.action.action,
                    if known.is_empty() {
                        "(none)".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            })?;
        if spec.action.action != "sql" {
            access::require(
                session.role,
                Role::Dba,
                &format!("CREATE FLOW with the {} action", spec.action.action),
            )?;
        }
        let mut arguments = spec.action.arguments.clone();
        if let Some(table) = arguments.get("table").cloned()
            && !table.contains('.')
            && let Some(ns) = &session.namespace
        {
            arguments.insert("table".into(), format!("{ns}.{table}"));
        }
        action
            .validate(&arguments)
            .map_err(|e| KalamError::InvalidDefinition(format!("flow {qualified}: {e}")))?;
        let now = now_micros();
        let (trigger, trigger_text) = match &spec.trigger {
            FlowTriggerSpec::Change {
                kinds,
                table,
                predicate,
            } => {
                let id = self.resolve_table_id(session, table)?;
                let entry = self.catalog.require_table(&id)?;
                access::authorize(Caller::from(session), &entry, Intent::Read)?;
                let kinds = KindSet {
                    insert: kinds.insert,
                    update: kinds.update,
                    delete: kinds.delete,
                };
                // Every NEW/OLD reference must name a column the fired row will have.
                let row: BTreeMap<String, Value> = entry
                    .def
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), Value::Null))
                    .collect();
                for (on, kind, new, old) in [
                    (kinds.insert, "INSERT", Some(&row), None),
                    (kinds.update, "UPDATE", Some(&row), Some(&row)),
                    (kinds.delete, "DELETE", None, Some(&row)),
                ] {
                    if !on {
                        continue;
                    }
                    let refs = RowRefs {
                        new,
                        old,
                        kind,
                        types: None,
                    };
                    for text in predicate.iter().chain(arguments.get("sql")) {
                        bind_row_refs(text, refs).map_err(|e| {
                            KalamError::InvalidDefinition(format!("flow {qualified}: {e}"))
                        })?;
                    }
                }
                let mut text = format!("ON {} TO {id}", spec_kinds(&kinds));
                if let Some(p) = predicate {
                    text.push_str(&format!(" WHERE {p}"));
                }
                (
                    FlowTriggerDef::Change {
                        table: id,
                        kinds,
                        predicate: predicate.clone(),
                    },
                    text,
                )
            }
            FlowTriggerSpec::Schedule { every_secs, starts } => {
                access::require(session.role, Role::Dba, "CREATE FLOW ... ON SCHEDULE")?;
                if let Some(sql) = arguments.get("sql") {
                    bind_row_refs(
                        sql,
                        RowRefs {
                            new: None,
                            old: None,
                            kind: "SCHEDULE",
                            types: None,
                        },
                    )
                    .map_err(|e| KalamError::InvalidDefinition(format!("flow {qualified}: {e}")))?;
                }
                let starts_micros = match starts {
                    Some(text) => parse_starts(text)?,
                    None => now,
                };
                let mut text = format!("ON SCHEDULE EVERY {every_secs} SECOND");
                if let Some(s) = starts {
                    text.push_str(&format!(" STARTS '{s}'"));
                }
                (
                    FlowTriggerDef::Schedule {
                        every_secs: *every_secs,
                        starts_micros,
                    },
                    text,
                )
            }
        };
        let def = FlowDef {
            flow_id: kalamdb_base::ids::snowflake_id() as u64,
            namespace,
            name: spec.flow.name.clone(),
            owner: session.user.clone(),
            trigger,
            trigger_text,
            action: spec.action.action.clone(),
            arguments,
            action_text: spec.action.text.clone(),
            enabled: true,
            created_at: now,
        };
        self.add_flow(def).await?;
        Ok(message_result(format!("Flow '{qualified}' created"), 0))
    }

    /// Stores a new flow with an empty run state, then puts it in force.
    pub(crate) async fn add_flow(&self, def: FlowDef) -> Result<()> {
        let state = FlowState::default();
        self.store
            .submit_raw(vec![
                self.flows.def_op(&def)?,
                self.flows.state_op(def.flow_id, &state)?,
            ])
            .await?;
        self.flows.insert(def, state);
        self.flows.rebuild_taps(&self.catalog);
        Ok(())
    }

    pub(crate) async fn alter_flow(
        &self,
        session: &Session,
        flow: FlowRef,
        change: FlowChange,
    ) -> Result<QueryResult> {
        let entry = self
            .managed_flow(session, &flow)?
            .ok_or_else(|| self.missing_flow(session, &flow))?;
        // Not in the middle of a run, whose state would overwrite this one.
        let _no_run = entry.run.lock().await;
        let mut def = entry.def.lock().clone();
        let mut state = entry.state.lock().clone();
        let what = match change {
            FlowChange::Enable => {
                def.enabled = true;
                state.failing = 0;
                "enabled"
            }
            FlowChange::Disable => {
                def.enabled = false;
                "disabled"
            }
            FlowChange::Every(secs) => {
                access::require(session.role, Role::Dba, "ALTER FLOW ... SET SCHEDULE")?;
                let FlowTriggerDef::Schedule { starts_micros, .. } = def.trigger else {
                    return Err(KalamError::InvalidDefinition(format!(
                        "flow {} fires on changes, not on a schedule",
                        def.qualified()
                    )));
                };
                def.trigger = FlowTriggerDef::Schedule {
                    every_secs: secs,
                    starts_micros,
                };
                def.trigger_text = format!("ON SCHEDULE EVERY {secs} SECOND");
                state.next_run = None;
                "rescheduled"
            }
        };
        self.store
            .submit_raw(vec![
                self.flows.def_op(&def)?,
                self.flows.state_op(def.flow_id, &state)?,
            ])
            .await?;
        let qualified = def.qualified();
        *entry.def.lock() = def;
        *entry.state.lock() = state;
        *entry.retry_at.lock() = None;
        self.flows.rebuild_taps(&self.catalog);
        self.flows.wake.notify_one();
        Ok(message_result(format!("Flow '{qualified}' {what}"), 0))
    }

    pub(crate) async fn drop_flow(
        &self,
        session: &Session,
        flow: FlowRef,
        if_exists: bool,
    ) -> Result<QueryResult> {
        let Some(entry) = self.managed_flow(session, &flow)? else {
            if if_exists {
                return Ok(message_result(
                    format!("{} (skipped)", self.missing_flow(session, &flow)),
                    0,
                ));
            }
            return Err(self.missing_flow(session, &flow));
        };
        let (qualified, builtin) = {
            let def = entry.def.lock();
            (def.qualified(), super::builtin::is_builtin(&def))
        };
        if builtin {
            return Err(KalamError::InvalidDefinition(format!(
                "flow {qualified} is built in and cannot be dropped; ALTER FLOW {qualified} DISABLE stops it"
            )));
        }
        self.forget_flow(&entry).await?;
        Ok(message_result(format!("Flow '{qualified}' dropped"), 0))
    }

    /// Drops every flow `doomed` selects (flows of a dropped table or namespace).
    pub(crate) async fn drop_flows_where(
        &self,
        doomed: impl Fn(&FlowDef) -> bool,
    ) -> Result<usize> {
        let selected: Vec<Arc<FlowEntry>> = self
            .flows
            .all()
            .into_iter()
            .filter(|e| doomed(&*e.def.lock()))
            .collect();
        for entry in &selected {
            self.forget_flow(entry).await?;
        }
        Ok(selected.len())
    }

    /// Removes a flow, its state and its queued changes.
    async fn forget_flow(&self, entry: &Arc<FlowEntry>) -> Result<()> {
        // A run in progress finishes first; none starts after the entry is gone.
        let _no_run = entry.run.lock().await;
        let id = entry.def.lock().flow_id;
        self.flows.remove(id);
        self.flows.rebuild_taps(&self.catalog);
        let mut ops = vec![
            RawOp {
                cf: CF_FLOWS.into(),
                key: def_key(id),
                value: None,
            },
            RawOp {
                cf: CF_FLOWS.into(),
                key: state_key(id),
                value: None,
            },
        ];
        for (key, _) in self.store.scan_raw(CF_FLOW_EVENTS, &flow_prefix(id))? {
            ops.push(RawOp {
                cf: CF_FLOW_EVENTS.into(),
                key,
                value: None,
            });
        }
        for chunk in ops.chunks(1000) {
            self.store.submit_raw(chunk.to_vec()).await?;
        }
        Ok(())
    }

    pub(crate) fn show_flows(&self, session: &Session) -> Result<QueryResult> {
        let visible: Vec<Arc<FlowEntry>> = self
            .flows
            .all()
            .into_iter()
            .filter(|e| session.role.is_admin() || e.def.lock().owner == session.user)
            .collect();
        let batch = flows_view(&visible)?;
        rows_result(&batch.schema(), &[batch])
    }

    pub(crate) async fn run_flow_statement(
        &self,
        session: &Session,
        flow: FlowRef,
    ) -> Result<QueryResult> {
        let entry = self
            .managed_flow(session, &flow)?
            .ok_or_else(|| self.missing_flow(session, &flow))?;
        let (qualified, change) = {
            let def = entry.def.lock();
            (
                def.qualified(),
                matches!(def.trigger, FlowTriggerDef::Change { .. }),
            )
        };
        if change {
            *entry.retry_at.lock() = None;
            let mut handled = 0;
            loop {
                let failures = entry.state.lock().failures;
                let n = self.drain_trigger(&entry).await?;
                handled += n;
                let state = entry.state.lock().clone();
                if state.failures > failures {
                    return Err(KalamError::Execution(format!(
                        "flow {qualified}: {}",
                        state.last_error.unwrap_or_default()
                    )));
                }
                if n == 0 {
                    break;
                }
            }
            return Ok(message_result(
                format!("Flow '{qualified}' handled {handled} queued change(s)"),
                0,
            ));
        }
        let outcome = self
            .run_flow_now(
                &entry,
                FlowTrigger::Manual {
                    by: session.user.clone(),
                },
            )
            .await?;
        Ok(message_result(
            format!("Flow '{qualified}' ran: {}", outcome.message),
            0,
        ))
    }
}

fn spec_kinds(kinds: &KindSet) -> String {
    crate::sql::statement::ChangeKinds {
        insert: kinds.insert,
        update: kinds.update,
        delete: kinds.delete,
    }
    .to_string()
}
