//! Running flows: the trigger loop over each flow's queue, schedule ticks, `RUN FLOW`, and
//! what a run leaves behind (its state, a job, a retry time or a disabled flow).

use super::FlowEntry;
use super::model::{FlowDef, FlowTriggerDef};
use crate::Engine;
use crate::error::{KalamError, Result};
use crate::flow_host::EngineFlowHost;
use crate::jobs::{JobKind, JobRecord, JobStatus};
use crate::store::RawOp;
use crate::store::flowq::{EventKind, QueuedEvent};
use crate::store::keys::CF_FLOW_EVENTS;
use crate::value::Value;
use kalamdb_base::{CommitSlot, now_micros};
use kalamdb_plugin_api::{ChangeKind, FlowInput, FlowOutcome, FlowTrigger};
use kalamdb_types::{JobId, Role, TableId, UserId};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Trigger flows one pass works on at once.
const FLOWS_AT_ONCE: usize = 4;

/// How long the trigger loop sleeps when no write woke it.
const IDLE: Duration = Duration::from_millis(500);

impl Engine {
    /// Starts the trigger loop. It holds the engine only while it works, and ends once the
    /// engine is gone.
    pub(crate) fn spawn_flow_runner(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(engine) = weak.upgrade() else {
                    return;
                };
                let busy = engine.trigger_pass().await;
                let flows = engine.flows.clone();
                drop(engine);
                if !busy {
                    let _ = tokio::time::timeout(IDLE, flows.wake.notified()).await;
                }
            }
        });
    }

    /// One pass over the enabled trigger flows, [`FLOWS_AT_ONCE`] at a time, so a slow flow
    /// does not hold up the others; true when a flow handled changes.
    async fn trigger_pass(&self) -> bool {
        use futures::StreamExt;
        let ready: Vec<Arc<FlowEntry>> = self
            .flows
            .all()
            .into_iter()
            .filter(|entry| {
                let def = entry.def.lock();
                def.enabled && matches!(def.trigger, FlowTriggerDef::Change { .. })
            })
            .filter(|entry| !entry.retry_at.lock().is_some_and(|t| t > Instant::now()))
            .collect();
        let handled: Vec<bool> = futures::stream::iter(ready)
            .map(|entry| async move {
                match self.drain_trigger(&entry).await {
                    Ok(n) => n > 0,
                    Err(e) => {
                        tracing::warn!("flow {}: {e}", entry.def.lock().qualified());
                        false
                    }
                }
            })
            .buffer_unordered(FLOWS_AT_ONCE)
            .collect()
            .await;
        handled.into_iter().any(|h| h)
    }

    /// Handles up to one batch of a trigger flow's queued changes, in queue order; stops at
    /// the first failure (the change stays queued for the retry). Returns changes removed.
    pub(crate) async fn drain_trigger(&self, entry: &Arc<FlowEntry>) -> Result<usize> {
        let _one_run = entry.run.lock().await;
        let def = entry.def.lock().clone();
        let FlowTriggerDef::Change {
            table, predicate, ..
        } = &def.trigger
        else {
            return Ok(0);
        };
        let events = self
            .store
            .queued_flow_events(def.flow_id, self.flows.settings.batch)?;
        if events.is_empty() {
            return Ok(0);
        }
        let started = now_micros();
        let (mut fired, mut removed, mut filtered) = (0u64, 0usize, Vec::new());
        let mut failure = None;
        for (key, event) in events {
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    // A change that cannot be read is reported and removed, so it cannot
                    // stop the flow for good.
                    failure = Some(KalamError::Storage(format!(
                        "a queued change could not be read and was skipped: {e}"
                    )));
                    filtered.push(key);
                    continue;
                }
            };
            match self
                .handle_change(entry, &def, table, predicate.as_deref(), &key, event)
                .await
            {
                Ok(true) => {
                    fired += 1;
                    removed += 1;
                }
                Ok(false) => filtered.push(key),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        removed += filtered.len();
        if !filtered.is_empty() {
            let ops = filtered
                .into_iter()
                .map(|key| RawOp {
                    cf: CF_FLOW_EVENTS.into(),
                    key,
                    value: None,
                })
                .collect();
            self.store.submit_raw(ops).await?;
        }
        let outcome = match failure {
            None => Ok(format!("Handled {fired} change(s) of {table}")),
            Some(e) => Err(e),
        };
        if fired > 0 || outcome.is_err() {
            self.finish_run(entry, &def, Some(table), started, outcome)
                .await?;
        }
        Ok(removed)
    }

    /// One queued change: the WHERE, then the action. `Ok(false)`: the flow does not fire for
    /// it (the caller removes it).
    async fn handle_change(
        &self,
        entry: &Arc<FlowEntry>,
        def: &FlowDef,
        table: &TableId,
        predicate: Option<&str>,
        key: &[u8],
        event: QueuedEvent,
    ) -> Result<bool> {
        let table_entry = self.catalog.table(table).ok_or_else(|| {
            KalamError::TableNotFound(format!(
                "{table} (the table flow {} fires on)",
                def.qualified()
            ))
        })?;
        let owner = self.catalog.user(&def.owner).ok_or_else(|| {
            KalamError::NotFound(format!(
                "user '{}' does not exist: flow {} runs as its owner; drop and recreate the flow",
                def.owner,
                def.qualified()
            ))
        })?;
        let partition = event.user.clone().map(UserId::new);
        // A plain user's flow only fires in the user's own partition (its taps say so; a role
        // changed since is checked here).
        if partition.as_ref().is_some_and(|p| *p != owner.user_id) && owner.role < Role::Service {
            return Ok(false);
        }
        let columns = |row: &crate::value::StoredRow| -> BTreeMap<String, Value> {
            table_entry
                .def
                .columns
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        row.get(c.id).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect()
        };
        let kind = match event.kind {
            EventKind::Insert => ChangeKind::Insert,
            EventKind::Update => ChangeKind::Update,
            EventKind::Delete => ChangeKind::Delete,
        };
        let trigger = FlowTrigger::Change {
            table: table.clone(),
            kind,
            user: partition.clone(),
            new: event.new.as_ref().map(columns),
            old: event.old.as_ref().map(columns),
        };
        let host = EngineFlowHost::for_run(self, partition, None);
        if let Some(predicate) = predicate
            && !host
                .predicate_holds(&owner.user_id, predicate, &trigger)
                .await?
        {
            return Ok(false);
        }
        let mut state = entry.state.lock().clone();
        state.runs += 1;
        state.failing = 0;
        state.last_run = Some(now_micros());
        let slot = CommitSlot::new(vec![
            RawOp {
                cf: CF_FLOW_EVENTS.into(),
                key: key.to_vec(),
                value: None,
            },
            self.flows.state_op(def.flow_id, &state)?,
        ]);
        let host = host.with_slot(slot.clone());
        self.run_action(def, trigger, &host).await?;
        let left = slot.take();
        if !left.is_empty() {
            // The action wrote nothing (or not to KalamDB): its cursor commits on its own.
            self.store.submit_raw(left).await?;
        }
        *entry.state.lock() = state;
        Ok(true)
    }

    async fn run_action(
        &self,
        def: &FlowDef,
        trigger: FlowTrigger,
        host: &EngineFlowHost<'_>,
    ) -> Result<FlowOutcome> {
        if super::builtin::is_builtin(def) {
            return self.run_builtin(def).await;
        }
        let action = self.registry.flow_action(&def.action).ok_or_else(|| {
            KalamError::NotFound(format!(
                "flow action '{}' is not installed (flow {})",
                def.action,
                def.qualified()
            ))
        })?;
        let input = FlowInput {
            flow: def.qualified(),
            run_as: def.owner.clone(),
            trigger,
            arguments: def.arguments.clone(),
        };
        action
            .run(&input, host)
            .await
            .map_err(|e| KalamError::Execution(e.to_string()))
    }

    /// Runs a flow's action once outside its queue (a schedule or `RUN FLOW`), and records it.
    pub(crate) async fn run_flow_now(
        &self,
        entry: &Arc<FlowEntry>,
        trigger: FlowTrigger,
    ) -> Result<FlowOutcome> {
        let _one_run = entry.run.lock().await;
        let def = entry.def.lock().clone();
        let started = now_micros();
        let host = EngineFlowHost::for_run(self, None, None);
        let result = self.run_action(&def, trigger, &host).await;
        if result.is_ok() {
            let mut state = entry.state.lock().clone();
            state.runs += 1;
            state.failing = 0;
            state.last_run = Some(started);
            self.store
                .submit_raw(vec![self.flows.state_op(def.flow_id, &state)?])
                .await?;
            *entry.state.lock() = state;
        }
        let outcome = match &result {
            Ok(o) => Ok(o.message.clone()),
            Err(e) => Err(KalamError::Execution(e.to_string())),
        };
        self.finish_run(entry, &def, None, started, outcome).await?;
        result
    }

    /// Runs the schedule flows due at `now_micros` (the server calls this every second; tests
    /// drive it with their own clock). Returns how many ran.
    pub async fn tick_flows(&self, now_micros: i64) -> usize {
        let mut ran = 0;
        for entry in self.flows.all() {
            let (enabled, every, starts, id) = {
                let def = entry.def.lock();
                match def.trigger {
                    FlowTriggerDef::Schedule {
                        every_secs,
                        starts_micros,
                    } => (def.enabled, every_secs, starts_micros, def.flow_id),
                    FlowTriggerDef::Change { .. } => continue,
                }
            };
            let due = entry.state.lock().next_run.unwrap_or(starts);
            if !enabled || due > now_micros {
                continue;
            }
            ran += 1;
            let result = self
                .run_flow_now(&entry, FlowTrigger::Schedule { due_micros: due })
                .await;
            let mut state = entry.state.lock().clone();
            state.next_run = Some(match result {
                Ok(_) => next_after(starts, every, now_micros),
                // A failed run is retried after its backoff, not at the next period.
                Err(_) => now_micros + self.backoff(state.failing).as_micros() as i64,
            });
            let op = self.flows.state_op(id, &state);
            *entry.state.lock() = state;
            match op {
                Ok(op) => {
                    if let Err(e) = self.store.submit_raw(vec![op]).await {
                        tracing::warn!("flow state not saved: {e}");
                    }
                }
                Err(e) => tracing::warn!("flow state not saved: {e}"),
            }
        }
        ran
    }

    fn backoff(&self, failing: u32) -> Duration {
        let s = &self.flows.settings;
        let factor = 1u64 << failing.saturating_sub(1).min(20);
        Duration::from_millis(s.retry_base_ms.saturating_mul(factor).min(s.retry_max_ms))
    }

    /// Records a run as a job, and a failure in the flow's state: a retry time, and the flow
    /// disabled once it failed `max_failures` times in a row.
    async fn finish_run(
        &self,
        entry: &Arc<FlowEntry>,
        def: &FlowDef,
        table: Option<&TableId>,
        started: i64,
        outcome: std::result::Result<String, KalamError>,
    ) -> Result<()> {
        let finished = now_micros();
        let mut job = JobRecord {
            job_id: JobId::new(format!(
                "{}-{}",
                JobKind::Flow.prefix(),
                kalamdb_base::ids::snowflake_id()
            )),
            kind: JobKind::Flow,
            status: JobStatus::Completed,
            table: table.cloned(),
            message: None,
            created_at: started,
            started_at: Some(started),
            finished_at: Some(finished),
            dropped: None,
            flow: Some(def.qualified()),
            user: None,
        };
        match outcome {
            Ok(message) => {
                job.message = Some(message);
                *entry.retry_at.lock() = None;
            }
            Err(e) => {
                let mut state = entry.state.lock().clone();
                state.failures += 1;
                state.failing += 1;
                let limit = self.flows.settings.max_failures.max(1);
                let mut message = e.to_string();
                let mut ops = Vec::new();
                if state.failing >= limit {
                    let mut disabled = entry.def.lock().clone();
                    disabled.enabled = false;
                    ops.push(self.flows.def_op(&disabled)?);
                    message = format!(
                        "{message} (flow disabled after {} consecutive failures; fix the cause, then ALTER FLOW {} ENABLE)",
                        state.failing,
                        def.qualified()
                    );
                    entry.def.lock().enabled = false;
                    self.flows.rebuild_taps(&self.catalog);
                } else {
                    *entry.retry_at.lock() = Some(Instant::now() + self.backoff(state.failing));
                }
                tracing::warn!("flow {}: {message}", def.qualified());
                state.last_error = Some(message.clone());
                ops.push(self.flows.state_op(def.flow_id, &state)?);
                self.store.submit_raw(ops).await?;
                *entry.state.lock() = state;
                job.status = JobStatus::Failed;
                job.message = Some(message);
            }
        }
        self.jobs.put_job(&job).await
    }
}

/// The first `starts + k * every` after `now` (runs missed while the server was down are not
/// made up, as with MySQL events).
fn next_after(starts: i64, every_secs: u64, now: i64) -> i64 {
    let every = (every_secs as i64).saturating_mul(1_000_000).max(1);
    if now < starts {
        return starts;
    }
    let periods = (now - starts) / every + 1;
    starts.saturating_add(periods.saturating_mul(every))
}

#[cfg(test)]
mod tests {
    use super::next_after;

    #[test]
    fn the_next_run_is_the_first_period_after_now() {
        assert_eq!(next_after(100, 1, 50), 100);
        assert_eq!(next_after(0, 1, 0), 1_000_000);
        assert_eq!(next_after(0, 1, 2_500_000), 3_000_000);
        assert_eq!(next_after(0, 60, 60_000_000), 120_000_000);
    }
}
