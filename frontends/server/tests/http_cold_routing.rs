//! Where flushed files go: per-user storage routing (`USE_USER_STORAGE`), automatic compaction
//! past the configured threshold, and the server's default `FLUSH_POLICY`.

mod common;
use common::cold::{flush, parquet_files, walk};
use common::{Options, Server};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_region_user_is_flushed_to_their_own_storage() {
    let server = Server::start().await;
    let root = server.root().await;
    let own_dir = tempfile::tempdir().expect("tempdir");
    let own = own_dir.path().join("eu");
    server
        .ok(
            &root,
            &format!("CREATE STORAGE eu TYPE filesystem PATH '{}'", own.display()),
        )
        .await;
    server
        .ok(
            &root,
            "CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user STORAGE_MODE region STORAGE_ID 'eu'",
        )
        .await;
    let alice = server.login("alice", "pw-alice").await;
    let bob = server.user(&root, "bob", "user").await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.routed (id INT PRIMARY KEY, t TEXT) WITH (USE_USER_STORAGE = TRUE)",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.plain (id INT PRIMARY KEY, t TEXT)",
        )
        .await;
    for table in ["app.routed", "app.plain"] {
        server
            .ok(&alice, &format!("INSERT INTO {table} VALUES (1, 'a')"))
            .await;
        server
            .ok(&bob, &format!("INSERT INTO {table} VALUES (1, 'b')"))
            .await;
        flush(&server, &root, table).await;
    }
    let local = server.data_dir.join("storage/app");
    let in_dir = |dir: &std::path::Path, user: &str, table: &str| {
        walk(dir).iter().any(|p| {
            let s = p.display().to_string();
            s.contains(&format!("/{table}/")) && s.contains(&format!("/{user}/"))
        })
    };
    // Routed table: alice's partition in her storage, bob's in the table's.
    assert!(in_dir(&own, "alice", "routed"), "{:?}", walk(&own));
    assert!(!in_dir(&local, "alice", "routed"));
    assert!(in_dir(&local, "bob", "routed"));
    // A table without USE_USER_STORAGE keeps everyone in its own storage.
    assert!(in_dir(&local, "alice", "plain"));
    assert!(!in_dir(&own, "alice", "plain"));
    // Reads find each user's rows wherever they went.
    for (token, want) in [(&alice, "a"), (&bob, "b")] {
        assert_eq!(
            server.rows(token, "SELECT t FROM app.routed").await,
            vec![vec![json!(want)]]
        );
    }
    // A storage users are routed to cannot be dropped.
    let (_, _, msg) = server.err(&root, "DROP STORAGE eu").await;
    assert!(
        msg.contains("Cannot drop storage 'eu': 1 user(s) still routed to it"),
        "{msg}"
    );
}

/// Waits until a compaction job completed for the table.
async fn wait_auto_compaction(server: &Server, token: &str) -> String {
    for _ in 0..200 {
        let rows = server
            .rows(
                token,
                "SELECT message FROM system.jobs WHERE job_type = 'compact' AND status = 'completed'",
            )
            .await;
        if let Some(row) = rows.first() {
            return row[0].as_str().unwrap_or_default().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no automatic compaction completed");
}

#[tokio::test]
async fn a_folder_past_the_threshold_is_compacted_by_a_job() {
    let server = Server::start_with(Options {
        extra_env: vec![("KALAMDB_COMPACTION_THRESHOLD".into(), "2".into())],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.c (id INT PRIMARY KEY, v TEXT)",
        )
        .await;
    let folder = server.data_dir.join("storage/app/c");
    for i in 0..2 {
        server
            .ok(&root, &format!("INSERT INTO app.c VALUES ({i}, 'v{i}')"))
            .await;
        flush(&server, &root, "app.c").await;
    }
    assert_eq!(parquet_files(&folder), 2, "at the threshold: no compaction");
    server.ok(&root, "INSERT INTO app.c VALUES (2, 'v2')").await;
    flush(&server, &root, "app.c").await;
    let msg = wait_auto_compaction(&server, &root).await;
    assert!(msg.contains("Compacted 1 folder"), "{msg}");
    assert_eq!(parquet_files(&folder), 1);
    assert_eq!(
        server
            .rows(&root, "SELECT id, v FROM app.c ORDER BY id")
            .await,
        vec![
            vec![json!(0), json!("v0")],
            vec![json!(1), json!("v1")],
            vec![json!(2), json!("v2")]
        ]
    );
}

#[tokio::test]
async fn the_server_default_flush_policy_applies_to_tables_without_one() {
    let server = Server::start_with(Options {
        extra_env: vec![("KALAMDB_DEFAULT_FLUSH_POLICY".into(), "rows:3".into())],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.d (id INT PRIMARY KEY)")
        .await;
    server
        .ok(&root, "INSERT INTO app.d VALUES (1), (2), (3)")
        .await;
    let manifest = server.data_dir.join("storage/app/d/manifest.json");
    for _ in 0..200 {
        if manifest.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(manifest.exists(), "the default policy flushed the table");
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.d").await,
        vec![vec![json!("3")]]
    );
}

#[tokio::test]
async fn a_bad_default_flush_policy_stops_the_server_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, started) = common::spawn(
        &dir.path().join("data"),
        &Options {
            extra_env: vec![("KALAMDB_DEFAULT_FLUSH_POLICY".into(), "rows:x".into())],
            ..Options::default()
        },
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(started.is_err(), "the server must refuse a bad policy");
}
