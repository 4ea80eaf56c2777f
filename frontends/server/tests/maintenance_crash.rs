//! Crashes in the middle of maintenance: a CLEANUP DELETED ROWS killed at each of its steps
//! loses no live row and brings back no deleted one, and the next cleanup finishes the work; a
//! restore killed after its store is in place finishes at the next start.

mod common;

use common::{Options, Server};
use std::path::Path;
use std::time::Duration;

fn failpoint(name: &str) -> Options {
    Options {
        extra_env: vec![("KALAMDB_FAILPOINT".into(), name.into())],
        ..Options::default()
    }
}

async fn ids(server: &Server, token: &str) -> Vec<i64> {
    server
        .rows(token, "SELECT id FROM app.t ORDER BY id")
        .await
        .iter()
        .map(|r| common::int(&r[0]))
        .collect()
}

/// A table with deleted rows in Parquet and in the hot store, all older than a second.
async fn fill(server: &Server, token: &str) {
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
        )
        .await;
    let values: Vec<String> = (1..=10).map(|i| format!("({i}, 'v{i}')")).collect();
    server
        .ok(
            token,
            &format!("INSERT INTO app.t VALUES {}", values.join(", ")),
        )
        .await;
    common::cold::flush(server, &root, "app.t").await;
    server.ok(token, "DELETE FROM app.t WHERE id <= 3").await;
    server
        .ok(token, "UPDATE app.t SET v = 'new' WHERE id = 5")
        .await;
    common::cold::flush(server, &root, "app.t").await;
    // Hot tombstones over cold rows.
    server
        .ok(token, "DELETE FROM app.t WHERE id IN (8, 9)")
        .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
}

#[tokio::test]
async fn a_cleanup_killed_at_any_step_loses_and_resurrects_nothing() {
    let expected: Vec<i64> = vec![4, 5, 6, 7, 10];
    for point in [
        "cleanup.after_segments",
        "cleanup.after_manifest",
        "cleanup.before_hot",
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let mut server = Server::start_in(&data, failpoint(point)).await;
        let root = server.root().await;
        let alice = server.user(&root, "alice", "user").await;
        fill(&server, &alice).await;
        assert_eq!(ids(&server, &alice).await, expected);
        let answer = server
            .try_sql(&root, "CLEANUP DELETED ROWS OLDER THAN 1 SECOND")
            .await;
        assert!(
            answer.is_none(),
            "{point}: the server should have aborted: {answer:?}"
        );
        server.kill();

        let server = Server::start_in(&data, Options::default()).await;
        let alice = server.login("alice", "pw-alice").await;
        assert_eq!(
            ids(&server, &alice).await,
            expected,
            "after a crash at {point}"
        );
        let root = server.root().await;
        server
            .ok(&root, "CLEANUP DELETED ROWS OLDER THAN 1 SECOND")
            .await;
        assert_eq!(
            ids(&server, &alice).await,
            expected,
            "after cleanup ({point})"
        );
        let v = server
            .rows(&alice, "SELECT v FROM app.t WHERE id = 5")
            .await;
        assert_eq!(v[0][0], "new", "{point}");
        // The keys are free again, and a flush writes no tombstone back.
        server
            .ok(
                &alice,
                "INSERT INTO app.t VALUES (1, 'again'), (8, 'again')",
            )
            .await;
        common::cold::flush(&server, &root, "app.t").await;
        assert_eq!(
            ids(&server, &alice).await,
            vec![1, 4, 5, 6, 7, 8, 10],
            "{point}"
        );
        let again = server
            .ok(&root, "CLEANUP DELETED ROWS OLDER THAN 1 SECOND")
            .await;
        let message = again["message"].as_str().unwrap_or_default().to_string();
        assert!(
            message.starts_with("Cleaned up 0 deleted row(s)"),
            "{point}: {message}"
        );
    }
}

#[tokio::test]
async fn a_restore_killed_before_its_cold_files_are_back_finishes_at_the_next_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let backup = tmp.path().join("b1");
    let mut server = Server::start_in(&data, Options::default()).await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    fill(&server, &alice).await;
    server
        .ok(&root, &format!("BACKUP DATABASE TO '{}'", backup.display()))
        .await;
    server.stop();
    std::fs::remove_dir_all(&data).unwrap();

    let args = vec!["--restore-from".to_string(), backup.display().to_string()];
    let (mut child, port) = common::spawn(
        &data,
        &Options {
            args: args.clone(),
            ..failpoint("restore.after_store")
        },
    );
    let _ = child.wait();
    assert!(port.is_err(), "the server should have aborted");
    assert!(!has_parquet(&data.join("storage")));
    // Started again as before (the flag is still given): the restore finishes.
    let server = Server::start_in(
        &data,
        Options {
            args,
            ..Options::default()
        },
    )
    .await;
    let alice = server.login("alice", "pw-alice").await;
    assert_eq!(ids(&server, &alice).await, vec![4, 5, 6, 7, 10]);
    assert!(has_parquet(&data.join("storage")));
}

fn has_parquet(dir: &Path) -> bool {
    common::cold::parquet_files(dir) > 0
}
