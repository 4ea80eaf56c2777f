//! Where a flush test's cold files go: the server's `local` storage, or an `s3` storage on a
//! real S3-compatible server (s3s-fs on 127.0.0.1) whose bucket folder the test can inspect.

use super::Server;
use kalamdb_plugin_api::testing::s3::{BUCKET, S3Server};
use std::path::PathBuf;
use std::time::Duration;

pub struct Cold {
    /// The storage id tables are created in (`None`: the default, `local`).
    pub storage: Option<String>,
    /// The folder the storage's paths are relative to.
    pub base: PathBuf,
    _s3: Option<(S3Server, tempfile::TempDir)>,
}

impl Cold {
    pub fn local(server: &Server) -> Cold {
        Cold {
            storage: None,
            base: server.data_dir.join("storage"),
            _s3: None,
        }
    }

    /// Starts s3s-fs and creates storage `s3t` on it (`None` when s3s-fs is not installed and
    /// not required).
    pub async fn s3(server: &Server, root: &str) -> Option<Cold> {
        let dir = tempfile::tempdir().expect("tempdir");
        let s3 = S3Server::start(&dir.path().join("s3"))?;
        server
            .ok(
                root,
                &format!(
                    "CREATE STORAGE s3t TYPE s3 NAME 'Test S3' BUCKET 's3://{BUCKET}/kdb' CONFIG '{}' CREDENTIALS '{}'",
                    s3.config_json(),
                    s3.credentials_json()
                ),
            )
            .await;
        Some(Cold {
            storage: Some("s3t".into()),
            base: s3.bucket_dir().join("kdb"),
            _s3: Some((s3, dir)),
        })
    }

    /// The S3 server behind the storage (`None` for `local`).
    pub fn s3_server(&mut self) -> Option<&mut S3Server> {
        self._s3.as_mut().map(|(s3, _)| s3)
    }

    /// A `WITH (...)` clause with the table options given plus this storage.
    pub fn with(&self, options: &[&str]) -> String {
        let mut all: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        if let Some(id) = &self.storage {
            all.push(format!("STORAGE_ID = '{id}'"));
        }
        if all.is_empty() {
            String::new()
        } else {
            format!(" WITH ({})", all.join(", "))
        }
    }

    /// A folder below the storage's base.
    pub fn folder(&self, relative: &str) -> PathBuf {
        self.base.join(relative)
    }
}

pub async fn wait_job(server: &Server, token: &str, job: &str) -> String {
    for _ in 0..200 {
        let rows = server
            .rows(
                token,
                &format!("SELECT status, message FROM system.jobs WHERE job_id = '{job}'"),
            )
            .await;
        if let Some(row) = rows.first() {
            let status = row[0].as_str().unwrap_or_default().to_string();
            if status != "running" && status != "queued" {
                assert_eq!(status, "completed", "job {job}: {row:?}");
                return row[1].as_str().unwrap_or_default().to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish");
}

/// Every file below a directory (none when it does not exist).
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn job_id(message: &str) -> String {
    message
        .rsplit("Job ID: ")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

pub async fn flush(server: &Server, token: &str, table: &str) -> String {
    let r = server
        .ok(token, &format!("STORAGE FLUSH TABLE {table}"))
        .await;
    let msg = r["message"].as_str().unwrap_or_default().to_string();
    assert!(
        msg.starts_with(&format!(
            "Storage flush started for table '{table}'. Job ID: FL-"
        )),
        "{msg}"
    );
    wait_job(server, token, &job_id(&msg)).await
}

pub fn parquet_files(dir: &std::path::Path) -> usize {
    walk(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .count()
}

/// Asserts that every `manifest.json` below `dir` lists only segment files that exist beside
/// it; returns how many manifests were checked.
pub fn assert_manifests_consistent(dir: &std::path::Path) -> usize {
    let manifests: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "manifest.json"))
        .collect();
    for path in &manifests {
        let text = std::fs::read_to_string(path).expect("read manifest");
        let manifest: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {text}", path.display()));
        let folder = path.parent().expect("manifest folder");
        for segment in manifest["segments"].as_array().into_iter().flatten() {
            let file = segment["file"].as_str().expect("segment file name");
            assert!(
                folder.join(file).exists(),
                "{} lists missing {file}",
                path.display()
            );
        }
    }
    manifests.len()
}

/// Every row version in the Parquet segments the manifests below `dir` list, as
/// (manifest folder relative to `dir`, `id`, `_deleted`), sorted: what a reader of the files
/// sees, read with a Parquet reader rather than through the server.
pub fn parquet_versions(dir: &std::path::Path) -> Vec<(String, i64, bool)> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut out = Vec::new();
    for manifest in walk(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "manifest.json"))
    {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("json");
        let folder = manifest.parent().expect("folder");
        let name = folder
            .strip_prefix(dir)
            .unwrap_or(folder)
            .display()
            .to_string();
        for segment in json["segments"].as_array().into_iter().flatten() {
            let file = segment["file"].as_str().expect("file");
            let reader = ParquetRecordBatchReaderBuilder::try_new(
                std::fs::File::open(folder.join(file)).expect("segment"),
            )
            .expect("parquet")
            .build()
            .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let id = batch
                    .column_by_name("id")
                    .expect("id")
                    .as_primitive::<Int64Type>();
                let deleted = batch
                    .column_by_name("_deleted")
                    .expect("_deleted")
                    .as_boolean();
                for i in 0..batch.num_rows() {
                    out.push((name.clone(), id.value(i), deleted.value(i)));
                }
            }
        }
    }
    out.sort();
    out
}
