//! sqllogictest files in `tests/slt/pg/` run with a PostgreSQL engine: tokio-postgres over the
//! simple query protocol, cells in PostgreSQL's text format (NULL as `NULL`, `''` as
//! `(empty)`). Every file runs against KalamDB's pgwire port; `portable.slt` also runs against
//! a real PostgreSQL 15 started for the test (`tools/bench/pg-cluster.sh`), and both must pass
//! the same expectations.

mod common;

use common::{Options, ROOT_PASSWORD, Server};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use std::path::{Path, PathBuf};
use std::process::Command;
use tokio_postgres::{NoTls, SimpleQueryMessage};

#[derive(Debug)]
struct PgError(String);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PgError {}

struct PgDb {
    client: tokio_postgres::Client,
}

#[async_trait::async_trait]
impl AsyncDB for PgDb {
    type Error = PgError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, PgError> {
        let messages = self.client.simple_query(sql).await.map_err(|e| {
            PgError(match e.as_db_error() {
                Some(db) => db.message().to_string(),
                None => e.to_string(),
            })
        })?;
        let mut width = None;
        let mut rows = Vec::new();
        let mut affected = 0;
        for m in messages {
            match m {
                SimpleQueryMessage::RowDescription(cols) => width = Some(cols.len()),
                SimpleQueryMessage::Row(r) => {
                    width = Some(r.len());
                    rows.push(
                        (0..r.len())
                            .map(|i| match r.get(i) {
                                None => "NULL".to_string(),
                                Some("") => "(empty)".to_string(),
                                Some(s) => s.to_string(),
                            })
                            .collect(),
                    );
                }
                SimpleQueryMessage::CommandComplete(n) => affected = n,
                _ => {}
            }
        }
        Ok(match width {
            Some(w) => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; w],
                rows,
            },
            None => DBOutput::StatementComplete(affected),
        })
    }

    async fn shutdown(&mut self) {}

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/slt/pg")
}

async fn run_file(conninfo: &str, file: &Path) -> Result<(), String> {
    let conninfo = conninfo.to_string();
    let mut runner = sqllogictest::Runner::new(move || {
        let conninfo = conninfo.clone();
        async move {
            let (client, connection) = tokio_postgres::connect(&conninfo, NoTls)
                .await
                .map_err(|e| PgError(e.to_string()))?;
            tokio::spawn(connection);
            Ok::<_, PgError>(PgDb { client })
        }
    });
    runner
        .run_file_async(file)
        .await
        .map_err(|e| format!("{}: {e}", file.display()))
}

async fn kalamdb() -> (Server, String) {
    let server = Server::start_with(Options {
        extra_env: vec![
            ("KALAMDB_PGWIRE_ENABLED".into(), "true".into()),
            ("KALAMDB_PGWIRE_PORT".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await;
    let port = server.pg_port.expect("pgwire port");
    let conninfo =
        format!("host=127.0.0.1 port={port} user=root password={ROOT_PASSWORD} dbname=kalam");
    (server, conninfo)
}

#[tokio::test]
async fn slt_files_over_pgwire() {
    let (_server, conninfo) = kalamdb().await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/slt/pg")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let mut failures = Vec::new();
    for file in &files {
        if let Err(e) = run_file(&conninfo, file).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A throwaway PostgreSQL 15; stopped on drop.
struct Postgres {
    dir: tempfile::TempDir,
    script: PathBuf,
    conninfo: String,
}

impl Postgres {
    fn start() -> Option<Postgres> {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/bench/pg-cluster.sh");
        let dir = tempfile::tempdir().expect("tempdir");
        // The cluster runs as `postgres` when the tests run as root: let it reach the folder.
        let _ = Command::new("chmod").arg("o+rwx").arg(dir.path()).status();
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir.path().join("pg"))
            .output()
            .expect("run pg-cluster.sh");
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                std::env::var("KALAM_REQUIRE_POSTGRES").is_err(),
                "PostgreSQL is required (KALAM_REQUIRE_POSTGRES) but did not start: {why}"
            );
            eprintln!("skipping the PostgreSQL comparison: {why}");
            return None;
        }
        let conninfo = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Some(Postgres {
            dir,
            script,
            conninfo,
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(self.dir.path().join("pg"))
            .output();
    }
}

#[tokio::test]
async fn the_portable_subset_answers_as_postgresql_does() {
    let file = dir().join("portable.slt");
    let Some(pg) = Postgres::start() else {
        return;
    };
    run_file(&pg.conninfo, &file)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL 15 disagrees with the expectations: {e}"));
    let (_server, conninfo) = kalamdb().await;
    run_file(&conninfo, &file)
        .await
        .unwrap_or_else(|e| panic!("KalamDB disagrees with PostgreSQL: {e}"));
}
