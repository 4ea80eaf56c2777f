//! sqllogictest files in `tests/slt/` (repository root) run through the HTTP API, one server
//! and one isolated namespace per file. `query` cells use the wire values: strings as they
//! are, numbers as printed, NULL as `NULL`.

mod common;
use common::Server;
use serde_json::Value;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use std::path::PathBuf;

#[derive(Debug)]
struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

struct HttpDb {
    url: String,
    token: String,
    http: reqwest::Client,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[async_trait::async_trait]
impl AsyncDB for HttpDb {
    type Error = HttpError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, HttpError> {
        let resp = self
            .http
            .post(format!("{}/v1/api/sql", self.url))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "sql": sql }))
            .send()
            .await
            .map_err(|e| HttpError(e.to_string()))?;
        let body: Value = resp.json().await.map_err(|e| HttpError(e.to_string()))?;
        if body["status"] != "success" {
            return Err(HttpError(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_string(),
            ));
        }
        let result = body["results"]
            .as_array()
            .and_then(|r| r.last())
            .cloned()
            .unwrap_or(Value::Null);
        match result["rows"].as_array() {
            Some(rows) => {
                let width = result["schema"].as_array().map(|s| s.len()).unwrap_or(0);
                Ok(DBOutput::Rows {
                    types: vec![DefaultColumnType::Any; width],
                    rows: rows
                        .iter()
                        .map(|r| {
                            r.as_array()
                                .map(|c| c.iter().map(cell).collect())
                                .unwrap_or_default()
                        })
                        .collect(),
                })
            }
            None => Ok(DBOutput::StatementComplete(
                result["row_count"].as_u64().unwrap_or(0),
            )),
        }
    }

    async fn shutdown(&mut self) {}

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

#[tokio::test]
async fn sqllogictest_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    let server = Server::start().await;
    let token = server.root().await;
    let mut failures = Vec::new();
    for file in &files {
        let url = server.url.clone();
        let token = token.clone();
        let mut runner = sqllogictest::Runner::new(move || {
            let db = HttpDb {
                url: url.clone(),
                token: token.clone(),
                http: reqwest::Client::new(),
            };
            async move { Ok::<_, HttpError>(db) }
        });
        if let Err(e) = runner.run_file_async(file).await {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
