//! Caches on the real server: every cache the kernel keeps is listed by `SHOW CACHES` and
//! `system.caches`, `CLEAR CACHE` empties them all (or one by name) without changing what any
//! query returns, an unknown name is an error naming the known ones, and only dba and system
//! may see or clear them.

mod common;
use common::Server;
use common::cold::{job_id, wait_job};
use serde_json::Value;

const CACHES: [&str; 4] = ["manifest", "plan", "session", "storage"];

/// `SHOW CACHES` as (name, entries) pairs, after checking its columns.
async fn entries(server: &Server, token: &str) -> Vec<(String, i64)> {
    let shown = server.ok(token, "SHOW CACHES").await;
    let columns: Vec<&str> = shown["schema"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "name",
            "entries",
            "bytes",
            "capacity",
            "hits",
            "misses",
            "evictions"
        ]
    );
    let rows: Vec<Vec<Value>> = serde_json::from_value(shown["rows"].clone()).unwrap_or_default();
    rows.iter()
        .map(|r| {
            let n = match &r[1] {
                Value::String(s) => s.parse().unwrap_or(-1),
                v => v.as_i64().unwrap_or(-1),
            };
            (r[0].as_str().unwrap_or_default().to_string(), n)
        })
        .collect()
}

/// What the workload's queries return: hot and cold rows of a shared and a user table.
async fn answers(server: &Server, root: &str, alice: &str) -> Vec<Vec<Vec<Value>>> {
    vec![
        server
            .rows(root, "SELECT id, v FROM app.config ORDER BY id")
            .await,
        server
            .rows(root, "SELECT COUNT(*) FROM app.config WHERE id > 2")
            .await,
        server
            .rows(alice, "SELECT id, body FROM app.notes ORDER BY id")
            .await,
    ]
}

#[tokio::test]
async fn clear_cache_empties_every_cache_and_changes_no_result() {
    let server = Server::start().await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    for sql in [
        "CREATE NAMESPACE app",
        "CREATE SHARED TABLE app.config (id INT PRIMARY KEY, v TEXT)",
        "CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)",
        "INSERT INTO app.config VALUES (1, 'one'), (2, 'two'), (3, 'three')",
    ] {
        server.ok(&root, sql).await;
    }
    server
        .ok(&alice, "INSERT INTO app.notes VALUES (1, 'a'), (2, 'b')")
        .await;
    // Part of each table goes cold, so reads go through manifests and storage backends.
    for table in ["app.config", "app.notes"] {
        let flushed = server
            .ok(&root, &format!("STORAGE FLUSH TABLE {table}"))
            .await;
        let message = flushed["message"].as_str().unwrap_or_default().to_string();
        wait_job(&server, &root, &job_id(&message)).await;
    }
    server
        .ok(&root, "INSERT INTO app.config VALUES (4, 'four')")
        .await;
    server
        .ok(&alice, "UPDATE app.notes SET body = 'B' WHERE id = 2")
        .await;

    let before = answers(&server, &root, &alice).await;
    assert_eq!(before[0].len(), 4, "{before:?}");
    assert_eq!(before[2].len(), 2, "{before:?}");
    let warm = entries(&server, &root).await;
    let names: Vec<&str> = warm.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, CACHES);
    for (name, n) in &warm {
        assert!(*n > 0, "cache {name} is empty after the workload: {warm:?}");
    }

    let cleared = server.ok(&root, "CLEAR CACHE").await;
    assert_eq!(
        cleared["message"],
        "Cleared 4 cache(s): manifest, plan, session, storage"
    );
    let cold = entries(&server, &root).await;
    assert!(cold.iter().all(|(_, n)| *n == 0), "{cold:?}");
    assert_eq!(answers(&server, &root, &alice).await, before);

    // One by name: only that one empties.
    let refilled = entries(&server, &root).await;
    assert!(refilled.iter().all(|(_, n)| *n > 0), "{refilled:?}");
    let one = server.ok(&root, "CLEAR CACHE plan").await;
    assert_eq!(one["message"], "Cleared 1 cache(s): plan");
    let after = entries(&server, &root).await;
    for (name, n) in &after {
        assert_eq!(*n == 0, name == "plan", "{after:?}");
    }
    assert_eq!(answers(&server, &root, &alice).await, before);

    // system.caches is the same view, for SQL.
    let rows = server
        .rows(&root, "SELECT name FROM system.caches ORDER BY name")
        .await;
    let listed: Vec<&str> = rows.iter().filter_map(|r| r[0].as_str()).collect();
    assert_eq!(listed, CACHES);

    let (status, code, message) = server.err(&root, "CLEAR CACHE nope").await;
    assert_eq!(
        (status, code.as_str()),
        (400, "SQL_EXECUTION_ERROR"),
        "{message}"
    );
    assert_eq!(
        message,
        "Statement 1 failed: cache 'nope' does not exist; the caches are: manifest, plan, session, storage"
    );
}

#[tokio::test]
async fn only_admins_see_or_clear_caches() {
    let server = Server::start().await;
    let root = server.root().await;
    let dba = server.user(&root, "ops", "dba").await;
    for role in ["user", "service"] {
        let token = server.user(&root, &format!("a_{role}"), role).await;
        for sql in ["CLEAR CACHE", "CLEAR CACHE plan", "SHOW CACHES"] {
            let (status, code, message) = server.err(&token, sql).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "PERMISSION_DENIED"),
                "{role}: {sql}: {message}"
            );
        }
        let (status, _, message) = server.err(&token, "SELECT * FROM system.caches").await;
        assert_eq!(status, 403, "{role}: {message}");
    }
    assert_eq!(entries(&server, &dba).await.len(), CACHES.len());
    let cleared = server.ok(&dba, "CLEAR CACHE").await;
    assert!(
        cleared["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Cleared 4 cache(s)")),
        "{cleared}"
    );
}
