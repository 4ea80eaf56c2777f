//! Jobs (`kalamdb-jobs`): one scheduler and one `system.jobs` table for background work (flush today).
//! A job for a table is not queued twice while one is queued or running (idempotency key =
//! kind + table). Records are persisted; a job found `running` or `queued` at startup was
//! interrupted by a crash and is marked failed (flush is crash-safe, so a new flush simply
//! picks up what is still hot). The [`JobRunner`] component also owns the `FLUSH_POLICY`
//! triggers, since what they do is start flush jobs.

pub mod eviction;

use kalamdb_base::codec::{decode, encode};
use kalamdb_base::error::{KalamError, Result};
use kalamdb_base::now_micros;
use kalamdb_catalog::{Catalog, TableEntry};
use kalamdb_cold::ColdStore;
use kalamdb_cold::policy::FlushPolicy;
use kalamdb_store::HotStore;
use kalamdb_store::RawOp;
use kalamdb_types::{JobId, TableId};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use kalamdb_store::keys::CF_JOBS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Flush,
    Compact,
    Cleanup,
    /// One run of a KFlow: a batch of trigger firings, a schedule or `RUN FLOW`.
    Flow,
    /// `EXPORT USER DATA`: one user's data as a ZIP.
    Export,
}

impl JobKind {
    pub fn prefix(self) -> &'static str {
        match self {
            JobKind::Flush => "FL",
            JobKind::Compact => "CO",
            JobKind::Cleanup => "CL",
            JobKind::Flow => "FW",
            JobKind::Export => "UE",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Flush => "flush",
            JobKind::Compact => "compact",
            JobKind::Cleanup => "cleanup",
            JobKind::Flow => "flow",
            JobKind::Export => "export",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    New,
    Queued,
    Running,
    Retrying,
    Completed,
    Failed,
    Cancelled,
    Skipped,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::New => "new",
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Retrying => "retrying",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Skipped => "skipped",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobStatus::New | JobStatus::Queued | JobStatus::Running | JobStatus::Retrying
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job_id: JobId,
    pub kind: JobKind,
    pub status: JobStatus,
    pub table: Option<TableId>,
    pub message: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// A cleanup job's dropped table: what a restart needs to finish the DROP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<kalamdb_catalog::model::TableDef>,
    /// A flow job's flow, `ns.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// An export job's user (whose data it holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<kalamdb_types::UserId>,
}

/// Every job record in a store, oldest first.
pub fn all_jobs(store: &HotStore) -> Result<Vec<JobRecord>> {
    let mut out = Vec::new();
    for (_, bytes) in store.scan_raw(CF_JOBS, b"")? {
        out.push(decode::<JobRecord>(store.codec().as_ref(), &bytes)?);
    }
    out.sort_by_key(|j| j.created_at);
    Ok(out)
}

/// Starts a compaction job for the folders a flush left over the threshold. Boxed with an
/// explicit `Send` type: it starts a job from inside a job, and the compiler cannot see through
/// that cycle of futures otherwise.
fn compact_after_flush(
    runner: Arc<JobRunner>,
    table: TableId,
) -> futures::future::BoxFuture<'static, ()> {
    Box::pin(async move {
        let threshold = runner.compaction_threshold;
        if let Err(e) = runner
            .start(JobKind::Compact, table.clone(), threshold)
            .await
        {
            tracing::warn!("compaction of {table} after a flush did not start: {e}");
        }
    })
}

/// The job component: the active jobs and their cancel flags, and what a flush or compaction
/// job runs on (the cold store, the hot store for records). It owns its dependencies, so a job's
/// task holds the runner, never the engine.
pub struct JobRunner {
    active: Mutex<HashMap<(JobKind, TableId), (JobId, Arc<AtomicBool>)>>,
    cold: Arc<ColdStore>,
    store: Arc<HotStore>,
    catalog: Arc<Catalog>,
    /// A flush that leaves a folder with more segments than this starts a compaction.
    compaction_threshold: usize,
    /// `FLUSH_POLICY` of USER and SHARED tables created without one.
    default_flush_policy: Option<String>,
}

impl JobRunner {
    pub fn new(
        cold: Arc<ColdStore>,
        store: Arc<HotStore>,
        catalog: Arc<Catalog>,
        compaction_threshold: usize,
        default_flush_policy: Option<String>,
    ) -> Self {
        Self {
            active: Mutex::new(HashMap::new()),
            cold,
            store,
            catalog,
            compaction_threshold,
            default_flush_policy,
        }
    }

    /// Writes a job record (flow runs record themselves through this).
    pub async fn put_job(&self, job: &JobRecord) -> Result<()> {
        let bytes = encode(self.store.codec().as_ref(), job)?;
        self.store
            .submit_raw(vec![RawOp {
                cf: CF_JOBS.into(),
                key: job.job_id.as_str().as_bytes().to_vec(),
                value: Some(bytes),
            }])
            .await?;
        Ok(())
    }

    /// Asks every running job of a table to stop.
    pub fn cancel_table(&self, table: &TableId) {
        for ((_, t), (_, flag)) in self.active.lock().iter() {
            if t == table {
                flag.store(true, Ordering::Release);
            }
        }
    }

    /// Asks a running job to stop (`KILL JOB`).
    pub fn kill(&self, job_id: &str) -> Result<()> {
        let active = self.active.lock();
        let found = active.values().find(|(id, _)| id.as_str() == job_id);
        match found {
            Some((_, flag)) => {
                flag.store(true, Ordering::Release);
                Ok(())
            }
            None => Err(KalamError::NotFound(format!(
                "job '{job_id}' is not queued or running"
            ))),
        }
    }

    /// Starts a job unless one of the same kind is queued or running for the table (then its id
    /// is returned with `false`). `min_segments`: a compaction only merges folders with more.
    pub async fn start(
        self: &Arc<Self>,
        kind: JobKind,
        table: TableId,
        min_segments: usize,
    ) -> Result<(JobId, bool)> {
        let key = (kind, table.clone());
        let cancel = Arc::new(AtomicBool::new(false));
        let job_id = {
            let mut active = self.active.lock();
            if let Some((id, _)) = active.get(&key) {
                return Ok((id.clone(), false));
            }
            let id = JobId::new(format!(
                "{}-{}",
                kind.prefix(),
                kalamdb_base::ids::snowflake_id()
            ));
            active.insert(key.clone(), (id.clone(), cancel.clone()));
            id
        };
        let mut job = JobRecord {
            job_id: job_id.clone(),
            kind,
            status: JobStatus::Running,
            table: Some(table.clone()),
            message: None,
            created_at: now_micros(),
            started_at: Some(now_micros()),
            finished_at: None,
            dropped: None,
            flow: None,
            user: None,
        };
        if let Err(e) = self.put_job(&job).await {
            self.active.lock().remove(&key);
            return Err(e);
        }
        let runner = self.clone();
        tokio::spawn(async move {
            let flag = cancel.clone();
            let mut crowded = 0;
            let result = match kind {
                JobKind::Flush => runner
                    .cold
                    .flush_table(&table, runner.compaction_threshold, &move || {
                        flag.load(Ordering::Acquire)
                    })
                    .await
                    .map(|report| {
                        crowded = report.crowded_folders;
                        format!(
                            "Flushed {} row(s) into {} segment(s)",
                            report.rows, report.segments
                        )
                    }),
                JobKind::Compact => runner
                    .cold
                    .compact_table(&table, min_segments)
                    .await
                    .map(|n| format!("Compacted {n} folder(s)")),
                JobKind::Cleanup | JobKind::Flow | JobKind::Export => Err(KalamError::Internal(
                    format!("{} jobs are not started by the job runner", kind.as_str()),
                )),
            };
            match result {
                Ok(message) => {
                    job.status = JobStatus::Completed;
                    job.message = Some(message);
                }
                Err(e) if cancel.load(Ordering::Acquire) => {
                    job.status = JobStatus::Cancelled;
                    job.message = Some(e.to_string());
                }
                Err(e) => {
                    tracing::warn!("flush of {table} failed: {e}");
                    job.status = JobStatus::Failed;
                    job.message = Some(e.to_string());
                }
            }
            job.finished_at = Some(now_micros());
            if let Err(e) = runner.put_job(&job).await {
                tracing::error!("cannot record job {}: {e}", job.job_id);
            }
            runner.active.lock().remove(&key);
            if crowded > 0 {
                compact_after_flush(runner, key.1).await;
            }
        });
        Ok((job_id, true))
    }
}

impl JobRunner {
    /// Every job record, oldest first.
    pub fn records(&self) -> Result<Vec<JobRecord>> {
        all_jobs(&self.store)
    }

    /// Deletes records of finished jobs that ended before `before_micros`, and the oldest
    /// finished ones beyond the newest `keep`: every `STORAGE FLUSH` adds a record, and
    /// `system.jobs` must not grow without bound. Active jobs are never deleted. Returns how
    /// many records went.
    pub async fn prune(&self, before_micros: i64, keep: usize) -> Result<usize> {
        let finished: Vec<JobRecord> = self
            .records()?
            .into_iter()
            .filter(|j| !j.status.is_active())
            .collect();
        let excess = finished.len().saturating_sub(keep);
        let doomed: Vec<RawOp> = finished
            .iter()
            .enumerate()
            .filter(|(i, j)| *i < excess || j.finished_at.is_some_and(|t| t < before_micros))
            .map(|(_, j)| RawOp {
                cf: CF_JOBS.into(),
                key: j.job_id.as_str().as_bytes().to_vec(),
                value: None,
            })
            .collect();
        let n = doomed.len();
        for chunk in doomed.chunks(1000) {
            self.store.submit_raw(chunk.to_vec()).await?;
        }
        Ok(n)
    }

    /// At startup: finishes the DROP TABLEs a crash interrupted, and marks other interrupted
    /// jobs failed (flush and compaction are crash-safe: a new one picks up where it was).
    pub async fn recover(&self) -> Result<()> {
        for mut job in self.records()? {
            if !job.status.is_active() {
                continue;
            }
            if let (JobKind::Cleanup, Some(def)) = (job.kind, job.dropped.clone()) {
                // The DROP may not have removed the catalog entry yet; it was never
                // acknowledged, so finishing it is one of the outcomes the client allows.
                if self
                    .catalog
                    .table(&def.id)
                    .is_some_and(|t| t.def.created_at == def.created_at)
                {
                    self.catalog.delete_table(&def.id).await?;
                }
                self.finish_cleanup(job, &def).await?;
                continue;
            }
            job.status = JobStatus::Failed;
            job.message = Some("interrupted by a server restart".into());
            job.finished_at = Some(now_micros());
            self.put_job(&job).await?;
        }
        Ok(())
    }

    /// Starts a flush job for a table, or returns the one already queued or running.
    pub async fn start_flush(self: &Arc<Self>, table: TableId) -> Result<(JobId, bool)> {
        self.start(JobKind::Flush, table, 0).await
    }

    /// DROP TABLE as a recorded job: the job (with the table's definition) is written first,
    /// then the catalog entry goes, then the hot column families and the cold files. A crash
    /// at any point is finished by [`Self::recover`] at the next start. It runs inside
    /// the statement, so a table created again under the name never loses files to a late
    /// cleanup (and never reads leftovers: see `ColdStore::read_manifest`).
    pub async fn drop_table(&self, def: &kalamdb_catalog::model::TableDef) -> Result<JobId> {
        let job_id = JobId::new(format!(
            "{}-{}",
            JobKind::Cleanup.prefix(),
            kalamdb_base::ids::snowflake_id()
        ));
        let job = JobRecord {
            job_id: job_id.clone(),
            kind: JobKind::Cleanup,
            status: JobStatus::Running,
            table: Some(def.id.clone()),
            message: None,
            created_at: now_micros(),
            started_at: Some(now_micros()),
            finished_at: None,
            dropped: Some(def.clone()),
            flow: None,
            user: None,
        };
        self.put_job(&job).await?;
        kalamdb_base::failpoint::abort_at("drop.after_job");
        self.catalog.delete_table(&def.id).await?;
        kalamdb_base::failpoint::abort_at("drop.after_catalog");
        self.finish_cleanup(job, def).await?;
        Ok(job_id)
    }

    /// Drops a dropped table's column families and deletes its cold files, then records the
    /// job's outcome.
    async fn finish_cleanup(
        &self,
        mut job: JobRecord,
        def: &kalamdb_catalog::model::TableDef,
    ) -> Result<()> {
        // A running flush or compaction of the table stops at its next partition; the gate
        // then waits for it, so nothing writes into the folders or families being removed.
        self.cancel_table(&def.id);
        let gate = self.cold.gate(&def.id);
        let _one_cold_writer = gate.cold.lock().await;
        let mut result = Ok(0);
        for cf in self.store.table_cfs(&def.id, def.table_type) {
            if let Err(e) = self.store.drop_cf(&cf).await {
                result = Err(KalamError::from(e));
            }
        }
        kalamdb_base::failpoint::abort_at("drop.after_column_families");
        if result.is_ok() && def.table_type != kalamdb_types::TableType::Stream {
            result = self.cold.delete_table_files(def).await;
        }
        job.finished_at = Some(now_micros());
        match &result {
            Ok(files) => {
                job.status = JobStatus::Completed;
                job.message = Some(format!("Removed hot data and {files} cold file(s)"));
            }
            Err(e) => {
                job.status = JobStatus::Failed;
                job.message = Some(e.to_string());
            }
        }
        self.put_job(&job).await?;
        result.map(|_| ())
    }

    /// The table's own `FLUSH_POLICY`, else the server default (never for STREAM tables).
    fn flush_policy_text<'a>(&'a self, entry: &'a TableEntry) -> Option<&'a str> {
        if entry.def.table_type == kalamdb_types::TableType::Stream {
            return None;
        }
        entry
            .def
            .options
            .flush_policy
            .as_deref()
            .or(self.default_flush_policy.as_deref())
    }

    /// Counts written rows and starts a flush when the table's row threshold is reached.
    pub async fn note_writes(self: &Arc<Self>, entry: &TableEntry, rows: usize) {
        let Some(text) = self.flush_policy_text(entry) else {
            return;
        };
        let pending = entry.pending_rows.fetch_add(rows as u64, Ordering::AcqRel) + rows as u64;
        if FlushPolicy::parse(text).rows.is_some_and(|n| pending >= n) {
            self.start_policy_flush(entry).await;
        }
    }

    /// Starts flushes whose interval has passed with rows pending (called every second).
    pub async fn tick_flush_policies(self: &Arc<Self>, now_ms: i64) {
        for entry in self.catalog.tables() {
            let Some(text) = self.flush_policy_text(&entry) else {
                continue;
            };
            let Some(secs) = FlushPolicy::parse(text).interval_secs else {
                continue;
            };
            let due = entry.last_flush_ms.load(Ordering::Acquire) + (secs as i64) * 1000 <= now_ms;
            if due && entry.pending_rows.load(Ordering::Acquire) > 0 {
                self.start_policy_flush(&entry).await;
            }
        }
    }

    async fn start_policy_flush(self: &Arc<Self>, entry: &TableEntry) {
        entry.pending_rows.store(0, Ordering::Release);
        entry
            .last_flush_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Release);
        if let Err(e) = self.start_flush(entry.def.id.clone()).await {
            tracing::warn!("FLUSH_POLICY flush of {} did not start: {e}", entry.def.id);
        }
    }
}
