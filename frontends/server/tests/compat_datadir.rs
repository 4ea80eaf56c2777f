//! A data directory written by an earlier server opens and answers the same queries.
//!
//! `tests/fixtures/datadir-v1.tar.gz` was written by the server of commit `eac98ca` (before the
//! plugin-kernel split) with [`write_fixture`]; `datadir-v1.expected.json` holds the answers that
//! server gave. The test unpacks the directory, starts today's server on it, asks the same
//! questions as the same users, and then writes, flushes and reads again.
//!
//! The directory is unpacked with the system `tar` and started with a relative data directory
//! (`data`, in a temporary working directory): the `local` storage records the base directory it
//! was created with, and a relative one travels with the tarball.

mod common;

use common::cold::{flush, wait_job};
use common::{Options, ROOT_PASSWORD, Server};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into());
    Path::new(&manifest).join("tests/fixtures")
}

/// The users the fixture was written by, with their passwords.
const USERS: &[(&str, &str)] = &[
    ("root", ROOT_PASSWORD),
    ("alice", "pw-alice"),
    ("bob", "pw-bob"),
];

/// The questions, as (user, SQL). Every one is ordered, so the answer is one exact value.
const QUESTIONS: &[(&str, &str)] = &[
    (
        "alice",
        "SELECT id, body, score, flagged FROM app.messages ORDER BY id",
    ),
    (
        "bob",
        "SELECT id, body, score, flagged FROM app.messages ORDER BY id",
    ),
    ("alice", "SELECT COUNT(*), SUM(id) FROM app.messages"),
    ("root", "SELECT k, v FROM app.config ORDER BY k"),
    ("bob", "SELECT k, v FROM app.config WHERE k = 'theme'"),
    ("root", "SELECT id, note FROM app.archive ORDER BY id"),
    (
        "root",
        "SELECT user_id, role FROM system.users ORDER BY user_id",
    ),
    (
        "root",
        "SELECT namespace_id FROM system.namespaces ORDER BY namespace_id",
    ),
    (
        "root",
        "SELECT table_name, table_type FROM system.tables WHERE namespace_id = 'app' ORDER BY table_name",
    ),
    (
        "root",
        "SELECT storage_id, storage_type FROM system.storages ORDER BY storage_id",
    ),
];

fn options(cwd: &Path) -> Options {
    Options {
        cwd: Some(cwd.to_path_buf()),
        ..Options::default()
    }
}

async fn tokens(server: &Server) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (user, password) in USERS {
        out.push((user.to_string(), server.login(user, password).await));
    }
    out
}

fn token<'a>(tokens: &'a [(String, String)], user: &str) -> &'a str {
    tokens
        .iter()
        .find(|(u, _)| u == user)
        .map(|(_, t)| t.as_str())
        .unwrap_or_default()
}

async fn answers(server: &Server) -> Value {
    let tokens = tokens(server).await;
    let mut out = Vec::new();
    for (user, sql) in QUESTIONS {
        let rows = server.rows(token(&tokens, user), sql).await;
        out.push(json!({"user": user, "sql": sql, "rows": rows}));
    }
    Value::Array(out)
}

#[tokio::test]
async fn a_data_directory_written_before_the_kernel_split_opens_and_answers_the_same() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(fixtures().join("datadir-v1.tar.gz"))
        .arg("-C")
        .arg(tmp.path())
        .status()
        .expect("run tar");
    assert!(status.success(), "tar -xzf failed");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("datadir-v1.expected.json")).expect("expected"),
    )
    .expect("expected json");

    let mut server = Server::start_in(Path::new("data"), options(tmp.path())).await;
    let got = answers(&server).await;
    let (expected, got) = (expected.as_array().cloned(), got.as_array().cloned());
    let (expected, got) = (expected.unwrap_or_default(), got.unwrap_or_default());
    assert_eq!(expected.len(), QUESTIONS.len());
    for (want, have) in expected.iter().zip(&got) {
        assert_eq!(want, have, "answer changed for {}", want["sql"]);
    }

    // The directory keeps working: new rows next to the old ones, hot and cold.
    let tokens = tokens(&server).await;
    let (root, alice) = (token(&tokens, "root"), token(&tokens, "alice"));
    server
        .ok(
            alice,
            "INSERT INTO app.messages (id, body) VALUES (100, 'after')",
        )
        .await;
    flush(&server, root, "app.messages").await;
    let rows = server
        .rows(alice, "SELECT COUNT(*) FROM app.messages")
        .await;
    // COUNT(*) is a BIGINT: the wire carries it as a string.
    let count = |v: &Value| v.as_str().and_then(|s| s.parse::<i64>().ok());
    let before = count(&got[2]["rows"][0][0]).expect("a count");
    assert_eq!(count(&rows[0][0]), Some(before + 1), "{rows:?}");

    // And it survives a restart in its new form.
    server.stop();
    let server = Server::start_in(Path::new("data"), options(tmp.path())).await;
    let alice = server.login("alice", "pw-alice").await;
    assert_eq!(
        server
            .rows(&alice, "SELECT body FROM app.messages WHERE id = 100")
            .await,
        vec![vec![json!("after")]]
    );
}

/// Writes the fixture with the server binary of this checkout. Run it only to make a new
/// fixture version (`KALAM_WRITE_COMPAT_FIXTURE=1 cargo nextest run --workspace -E
/// 'test(write_fixture)' --run-ignored all`), then name the commit in this file's docs.
#[tokio::test]
#[ignore = "writes tests/fixtures; run by hand to make a new fixture version"]
async fn write_fixture() {
    if std::env::var("KALAM_WRITE_COMPAT_FIXTURE").as_deref() != Ok("1") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_in(Path::new("data"), options(tmp.path())).await;
    let root = server.root().await;
    for sql in [
        "CREATE NAMESPACE app",
        "CREATE USER TABLE app.messages (id BIGINT PRIMARY KEY, body TEXT, score DOUBLE, flagged BOOLEAN)",
        "CREATE SHARED TABLE app.config (k TEXT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'public')",
        "CREATE SHARED TABLE app.archive (id INT PRIMARY KEY, note TEXT)",
        "INSERT INTO app.config VALUES ('theme', 'dark'), ('lang', 'en'), ('limit', '10')",
        "INSERT INTO app.archive VALUES (1, 'one'), (2, 'two'), (3, 'three')",
    ] {
        server.ok(&root, sql).await;
    }
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    server
        .ok(
            &alice,
            "INSERT INTO app.messages VALUES (1, 'hello', 1.5, false), (2, 'world', -2.25, true), (3, 'gone', 0, false)",
        )
        .await;
    server
        .ok(
            &bob,
            "INSERT INTO app.messages VALUES (1, 'bob only', 9.75, true)",
        )
        .await;
    // Cold rows, then hot changes on top of them: updates, a delete, new rows.
    flush(&server, &root, "app.messages").await;
    flush(&server, &root, "app.archive").await;
    for sql in [
        "UPDATE app.messages SET body = 'hello again' WHERE id = 1",
        "DELETE FROM app.messages WHERE id = 3",
        "INSERT INTO app.messages VALUES (4, 'hot', 4.0, NULL)",
    ] {
        server.ok(&alice, sql).await;
    }
    server
        .ok(&root, "UPDATE app.archive SET note = 'TWO' WHERE id = 2")
        .await;
    server
        .ok(&root, "DELETE FROM app.config WHERE k = 'limit'")
        .await;
    let flushed = server.ok(&root, "STORAGE FLUSH TABLE app.config").await;
    let message = flushed["message"].as_str().unwrap_or_default().to_string();
    wait_job(&server, &root, &common::cold::job_id(&message)).await;

    let expected = answers(&server).await;
    server.stop();
    let dir = fixtures();
    std::fs::create_dir_all(&dir).expect("fixtures dir");
    std::fs::write(
        dir.join("datadir-v1.expected.json"),
        serde_json::to_string_pretty(&expected).expect("json") + "\n",
    )
    .expect("write expected");
    // RocksDB's info logs are not data; leave them out of the tarball.
    for entry in std::fs::read_dir(tmp.path().join("data/rocksdb"))
        .expect("rocksdb dir")
        .filter_map(|e| e.ok())
    {
        if entry.file_name().to_string_lossy().starts_with("LOG") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let status = Command::new("tar")
        .arg("-czf")
        .arg(dir.join("datadir-v1.tar.gz"))
        .arg("-C")
        .arg(tmp.path())
        .arg("--exclude=kalamdb.lock")
        .arg("--exclude=data/logs")
        .arg("data")
        .status()
        .expect("run tar");
    assert!(status.success(), "tar -czf failed");
}
