//! `EXPORT USER DATA [FOR 'u']` and `SHOW EXPORT`: one ZIP with everything a user owns, made
//! by a job (`UE-...` in `system.jobs`) and kept in `<data>/exports/<user>/<job id>.zip` for
//! `files.export_retention_hours`.
//!
//! The ZIP holds `schema.json` (every USER and STREAM table: columns and types), per table
//! `tables/<ns>.<table>.parquet` and `.csv` (the user's partition, read as that user, so no
//! other user's row can be in it), and `files/<id>/<name>` for each of the user's files.
//! SHARED tables are not in it: their rows record no owner. A job streams each table batch by
//! batch into two files beside the ZIP (never the partition in memory), writes the ZIP under a
//! temporary name and renames it when complete. At most one export runs
//! per user; exports run one at a time, in a worker the engine starts.

use crate::Engine;
use crate::engine::Session;
use crate::error::{KalamError, Result};
use crate::exec::access::{check_plan, require};
use crate::exec::result::{message_result, rows_result};
use crate::exec::system_tables::ViewBuilder;
use crate::jobs::{JobKind, JobRecord, JobStatus};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::physical_plan::execute_stream;
use futures::StreamExt;
use kalamdb_base::now_micros;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{JobId, Role, TableType, UserId};
use object_store::ObjectStoreExt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Weak;

/// A job for the export worker.
pub struct ExportRequest {
    pub job: JobRecord,
    pub user: UserId,
}

/// Where a user's export ZIP is kept.
pub fn export_path(data_dir: &std::path::Path, user: &UserId, job_id: &str) -> PathBuf {
    data_dir
        .join("exports")
        .join(user.as_str())
        .join(format!("{job_id}.zip"))
}

/// The download URL `SHOW EXPORT` lists.
/// The files one table passes through on its way into the ZIP (`.tmp`: pruned at start).
fn parts(path: &std::path::Path) -> (PathBuf, PathBuf) {
    (
        path.with_extension("parquet.tmp"),
        path.with_extension("csv.tmp"),
    )
}

fn download_url(user: &UserId, job_id: &str) -> String {
    format!("/v1/exports/{user}/{job_id}")
}

impl Engine {
    pub(crate) async fn export_statement(
        &self,
        session: &Session,
        user: Option<UserId>,
    ) -> Result<QueryResult> {
        let target = match user {
            Some(u) if u != session.user => {
                require(session.role, Role::Dba, "EXPORT USER DATA FOR another user")?;
                u
            }
            _ => session.user.clone(),
        };
        if self.catalog.user(&target).is_none() {
            return Err(KalamError::NotFound(format!(
                "role \"{target}\" does not exist"
            )));
        }
        let _one_check_at_a_time = self.export_start.lock().await;
        if let Some(running) = self
            .exports_of(&target)?
            .into_iter()
            .find(|j| j.status.is_active())
        {
            return Err(KalamError::Execution(format!(
                "an export of '{target}' is already running: {}; wait for it (SHOW EXPORT)",
                running.job_id
            )));
        }
        let now = now_micros();
        let job = JobRecord {
            job_id: JobId::new(format!(
                "{}-{}",
                JobKind::Export.prefix(),
                kalamdb_base::ids::snowflake_id()
            )),
            kind: JobKind::Export,
            status: JobStatus::Queued,
            table: None,
            message: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            dropped: None,
            flow: None,
            user: Some(target.clone()),
        };
        self.jobs.put_job(&job).await?;
        let job_id = job.job_id.to_string();
        self.export_tx
            .send(ExportRequest { job, user: target })
            .map_err(|_| KalamError::Internal("the export worker has stopped".into()))?;
        Ok(message_result(
            format!("User data export started. Job ID: {job_id}"),
            0,
        ))
    }

    /// Export jobs of a user, newest first.
    fn exports_of(&self, user: &UserId) -> Result<Vec<JobRecord>> {
        let mut out: Vec<JobRecord> = crate::jobs::all_jobs(&self.store)?
            .into_iter()
            .filter(|j| j.kind == JobKind::Export && j.user.as_ref() == Some(user))
            .collect();
        out.reverse();
        Ok(out)
    }

    pub(crate) fn show_exports(&self, session: &Session) -> Result<QueryResult> {
        let all = self.exports_of(&session.user)?;
        let size = |j: &JobRecord| {
            std::fs::metadata(export_path(
                &self.config.data_dir,
                &session.user,
                j.job_id.as_str(),
            ))
            .ok()
            .map(|m| m.len() as i64)
        };
        let batch = ViewBuilder::default()
            .text(
                "job_id",
                all.iter().map(|j| Some(j.job_id.to_string())).collect(),
            )
            .text(
                "status",
                all.iter()
                    .map(|j| {
                        // A finished export whose ZIP has been pruned has expired.
                        let gone = j.status == JobStatus::Completed && size(j).is_none();
                        Some(if gone { "expired" } else { j.status.as_str() }.to_string())
                    })
                    .collect(),
            )
            .timestamp(
                "created_at",
                all.iter().map(|j| Some(j.created_at)).collect(),
            )
            .int("size", all.iter().map(size).collect())
            .text(
                "download_url",
                all.iter()
                    .map(|j| {
                        (j.status == JobStatus::Completed && size(j).is_some())
                            .then(|| download_url(&session.user, j.job_id.as_str()))
                    })
                    .collect(),
            )
            .text("message", all.iter().map(|j| j.message.clone()).collect())
            .finish()?;
        rows_result(&batch.schema(), &[batch])
    }

    /// Starts the worker that runs export jobs one at a time.
    pub(crate) fn spawn_export_worker(
        self: &std::sync::Arc<Self>,
        mut rx: tokio::sync::mpsc::UnboundedReceiver<ExportRequest>,
    ) {
        let weak: Weak<Engine> = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(request) = rx.recv().await {
                let Some(engine) = weak.upgrade() else {
                    return;
                };
                engine.run_export(request).await;
            }
        });
    }

    async fn run_export(&self, request: ExportRequest) {
        let mut job = request.job;
        job.status = JobStatus::Running;
        job.started_at = Some(now_micros());
        if let Err(e) = self.jobs.put_job(&job).await {
            tracing::warn!("export {}: {e}", job.job_id);
        }
        kalamdb_base::failpoint::pause_at("export.slow").await;
        let path = export_path(&self.config.data_dir, &request.user, job.job_id.as_str());
        let outcome = self.write_export(&request.user, &path).await;
        job.finished_at = Some(now_micros());
        match outcome {
            Ok(summary) => {
                job.status = JobStatus::Completed;
                job.message = Some(summary);
            }
            Err(e) => {
                job.status = JobStatus::Failed;
                job.message = Some(e.to_string());
                let (parquet_part, csv_part) = parts(&path);
                for leftover in [path.with_extension("zip.tmp"), parquet_part, csv_part] {
                    let _ = std::fs::remove_file(leftover);
                }
            }
        }
        if let Err(e) = self.jobs.put_job(&job).await {
            tracing::warn!("export {}: {e}", job.job_id);
        }
    }

    /// Writes the ZIP; returns what it holds.
    async fn write_export(&self, user: &UserId, path: &std::path::Path) -> Result<String> {
        let io = |e: std::io::Error| KalamError::Storage(format!("export: {e}"));
        let zip_err = |e: zip::result::ZipError| KalamError::Storage(format!("export: {e}"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("zip.tmp");
        let (parquet_part, csv_part) = parts(path);
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        let role = self
            .catalog
            .user(user)
            .map(|u| u.role)
            .unwrap_or(Role::User);
        let session = Session::new(user.clone(), role);
        let mut schema = Vec::new();
        let mut rows_total = 0usize;
        let mut tables = self.catalog.tables();
        tables.sort_by(|a, b| a.def.id.to_string().cmp(&b.def.id.to_string()));
        for entry in tables {
            let def = &entry.def;
            if !matches!(def.table_type, TableType::User | TableType::Stream) {
                continue;
            }
            schema.push(serde_json::json!({
                "namespace": def.id.namespace.as_str(),
                "table": def.id.table.as_str(),
                "table_type": def.table_type.as_str(),
                "columns": def.columns.iter().map(|c| serde_json::json!({
                    "name": c.name,
                    "type": c.data_type.to_string(),
                    "nullable": c.nullable,
                    "primary_key": c.primary_key,
                })).collect::<Vec<_>>(),
            }));
            let sql = format!(
                "SELECT * FROM \"{}\".\"{}\"",
                def.id.namespace.as_str().replace('"', "\"\""),
                def.id.table.as_str().replace('"', "\"\"")
            );
            let caller = self.session_state(&session)?;
            let plan = caller.state.create_logical_plan(&sql).await?;
            check_plan(&plan, &session)?;
            let arrow_schema = std::sync::Arc::new(plan.schema().as_arrow().clone());
            let physical = caller.state.create_physical_plan(&plan).await?;
            let mut stream = execute_stream(physical, caller.task.clone())?;
            // Each table goes through two files beside the ZIP, so a large partition is never
            // held in memory.
            let mut parquet = ArrowWriter::try_new(
                std::fs::File::create(&parquet_part).map_err(io)?,
                arrow_schema,
                None,
            )
            .map_err(|e| KalamError::Storage(e.to_string()))?;
            let mut csv = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(std::io::BufWriter::new(
                    std::fs::File::create(&csv_part).map_err(io)?,
                ));
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows_total += batch.num_rows();
                parquet
                    .write(&batch)
                    .map_err(|e| KalamError::Storage(e.to_string()))?;
                csv.write(&batch)
                    .map_err(|e| KalamError::Storage(e.to_string()))?;
            }
            parquet
                .close()
                .map_err(|e| KalamError::Storage(e.to_string()))?;
            csv.into_inner().flush().map_err(io)?;
            let name = format!("tables/{}.{}", def.id.namespace, def.id.table);
            for (part, ext) in [(&parquet_part, "parquet"), (&csv_part, "csv")] {
                zip.start_file(format!("{name}.{ext}"), options)
                    .map_err(zip_err)?;
                std::io::copy(&mut std::fs::File::open(part).map_err(io)?, &mut zip).map_err(io)?;
            }
        }
        for part in [&parquet_part, &csv_part] {
            let _ = std::fs::remove_file(part);
        }
        zip.start_file("schema.json", options).map_err(zip_err)?;
        let json = serde_json::to_vec_pretty(&serde_json::json!({
            "user": user.as_str(),
            "exported_at_micros": now_micros(),
            "kalamdb_version": env!("CARGO_PKG_VERSION"),
            "tables": schema,
        }))
        .map_err(KalamError::internal)?;
        zip.write_all(&json).map_err(io)?;
        let files = self.files_of(user)?;
        for file in &files {
            let store = self.file_store(&file.storage_id)?;
            let got = store
                .get(&object_store::path::Path::from(file.path.as_str()))
                .await
                .map_err(KalamError::storage)?;
            let name = file.name.replace(['/', '\\'], "_");
            zip.start_file(format!("files/{}/{name}", file.id), options)
                .map_err(zip_err)?;
            let mut chunks = got.into_stream();
            while let Some(chunk) = chunks.next().await {
                zip.write_all(&chunk.map_err(KalamError::storage)?)
                    .map_err(io)?;
            }
        }
        let file = zip.finish().map_err(zip_err)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(format!(
            "{} row(s) in {} table(s), {} file(s)",
            rows_total,
            schema.len(),
            files.len()
        ))
    }

    /// Deletes export ZIPs older than `files.export_retention_hours`; returns how many.
    /// A ZIP still being written (`.zip.tmp`) is left alone unless `at_start`, when no export
    /// can be running and any such file is a crash's leftover.
    pub(crate) fn prune_exports(&self, at_start: bool) -> usize {
        let keep = std::time::Duration::from_secs(self.config.files.export_retention_hours * 3600);
        let root = self.config.data_dir.join("exports");
        let mut removed = 0;
        for user_dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            for file in std::fs::read_dir(user_dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let old = file
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age >= keep);
                let partial = file.file_name().to_string_lossy().ends_with(".tmp");
                if ((old && !partial) || (partial && at_start))
                    && std::fs::remove_file(file.path()).is_ok()
                {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Removes every export of a user (`DROP USER ... WITH DATA`).
    pub(crate) fn remove_exports(&self, user: &UserId) -> usize {
        let dir = self.config.data_dir.join("exports").join(user.as_str());
        let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        let _ = std::fs::remove_dir_all(&dir);
        n
    }
}
