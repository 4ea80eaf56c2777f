//! Statistics on the real server: `SHOW STATS` and `system.stats` match the real row counts
//! (`COUNT(*)`) and the real Parquet files on disk after inserts, deletes, updates, flushes,
//! compactions and restarts — also on a data directory first written with statistics off —
//! and a user sees only their own partitions and query shapes.

mod common;
use common::cold::{flush, job_id, parquet_files, wait_job, walk};
use common::{Options, Server, int};
use serde_json::Value;

/// One `SHOW STATS FOR TABLE` row as (scope, user, rows_hot, rows_cold, parquet_files).
type Row = (String, String, i64, i64, i64);

async fn stats(server: &Server, token: &str, table: &str) -> Vec<Row> {
    let shown = server
        .ok(token, &format!("SHOW STATS FOR TABLE {table}"))
        .await;
    let columns = common::columns(&shown);
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap_or(usize::MAX);
    let rows: Vec<Vec<Value>> = serde_json::from_value(shown["rows"].clone()).unwrap_or_default();
    let mut out: Vec<Row> = rows
        .iter()
        .map(|r| {
            let text = |name: &str| {
                r.get(at(name))
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let number = |name: &str| r.get(at(name)).map(int).unwrap_or(-1);
            (
                text("scope"),
                text("user_id"),
                number("rows_hot"),
                number("rows_cold"),
                number("parquet_files"),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(scope: &str, user: &str, hot: i64, cold: i64, files: i64) -> Row {
    (scope.into(), user.into(), hot, cold, files)
}

/// Parquet files on disk in one user's folder of `app.notes`.
fn files_of(server: &Server, user: &str) -> i64 {
    walk(&server.data_dir.join("storage").join("app").join("notes"))
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .filter(|p| p.components().any(|c| c.as_os_str() == user))
        .count() as i64
}

async fn count(server: &Server, token: &str) -> i64 {
    let rows = server.rows(token, "SELECT COUNT(*) FROM app.notes").await;
    rows.first().and_then(|r| r.first()).map(int).unwrap_or(-1)
}

/// `app.notes` (USER, with `options`) and the users alice and bob: (root, alice, bob) tokens.
async fn notes(server: &Server, options: &str) -> (String, String, String) {
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            &format!("CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT){options}"),
        )
        .await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    (root, alice, bob)
}

#[tokio::test]
async fn statistics_follow_rows_and_files_through_flush_compaction_and_restart() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let (root, alice, bob) = notes(&server, " WITH (DELETED_RETENTION_HOURS = 0)").await;
    for i in 1..=10 {
        server
            .ok(
                &alice,
                &format!("INSERT INTO app.notes VALUES ({i}, 'a{i}')"),
            )
            .await;
    }
    server
        .ok(
            &bob,
            "INSERT INTO app.notes VALUES (1, 'b1'), (2, 'b2'), (3, 'b3')",
        )
        .await;
    assert_eq!(
        stats(&server, &root, "app.notes").await,
        vec![
            row("partition", "alice", 10, 0, 0),
            row("partition", "bob", 3, 0, 0),
            row("table", "", 13, 0, 0),
        ]
    );

    // Flush: the rows move to one file per user, as on disk.
    flush(&server, &root, "app.notes").await;
    assert_eq!(
        stats(&server, &root, "app.notes").await,
        vec![
            row("partition", "alice", 0, 10, 1),
            row("partition", "bob", 0, 3, 1),
            row("table", "", 0, 13, 2),
        ]
    );
    assert_eq!(
        (files_of(&server, "alice"), files_of(&server, "bob")),
        (1, 1)
    );
    let flushed = server
        .rows(
            &root,
            "SELECT scope, last_flush FROM system.stats WHERE table_name = 'notes' ORDER BY scope",
        )
        .await;
    assert_eq!(flushed.len(), 3, "{flushed:?}");
    assert!(flushed.iter().all(|r| !r[1].is_null()), "{flushed:?}");

    // Deletes leave tombstones (not rows) hot; flushed, they are versions in a second file.
    server
        .ok(&alice, "DELETE FROM app.notes WHERE id <= 4")
        .await;
    assert_eq!(count(&server, &alice).await, 6);
    assert_eq!(
        stats(&server, &root, "app.notes").await[0],
        row("partition", "alice", 0, 10, 1)
    );
    flush(&server, &root, "app.notes").await;
    assert_eq!(
        stats(&server, &root, "app.notes").await[0],
        row("partition", "alice", 0, 14, 2)
    );
    assert_eq!(files_of(&server, "alice"), 2);

    // Compaction merges them: one file holding exactly the live rows.
    let msg = server.ok(&root, "STORAGE COMPACT TABLE app.notes").await;
    wait_job(
        &server,
        &root,
        &job_id(msg["message"].as_str().unwrap_or_default()),
    )
    .await;
    assert_eq!(
        stats(&server, &root, "app.notes").await,
        vec![
            row("partition", "alice", 0, 6, 1),
            row("partition", "bob", 0, 3, 1),
            row("table", "", 0, 9, 2),
        ]
    );
    assert_eq!(files_of(&server, "alice"), 1);
    assert_eq!(count(&server, &alice).await, 6);

    // New rows and an update of a cold row are hot versions.
    server
        .ok(
            &alice,
            "INSERT INTO app.notes VALUES (11, 'a11'), (12, 'a12')",
        )
        .await;
    server
        .ok(&alice, "UPDATE app.notes SET body = 'changed' WHERE id = 5")
        .await;
    assert_eq!(
        stats(&server, &root, "app.notes").await[0],
        row("partition", "alice", 3, 6, 1)
    );
    assert_eq!(count(&server, &alice).await, 8);

    // A restart reads the same counters back.
    let before = stats(&server, &root, "app.notes").await;
    let total_files = parquet_files(&server.data_dir.join("storage"));
    server.stop();
    let data_dir = server.data_dir.clone();
    let again = Server::start_in(&data_dir, Options::default()).await;
    let root = again.root().await;
    assert_eq!(stats(&again, &root, "app.notes").await, before);
    assert_eq!(total_files, 2);

    // A user sees only their own partition, and no table totals; system.stats is admin-only.
    let alice = again.login("alice", "pw-alice").await;
    let mine = stats(&again, &alice, "app.notes").await;
    assert_eq!(mine, vec![row("partition", "alice", 3, 6, 1)]);
    again
        .assert_denied(&alice, "SELECT * FROM system.stats")
        .await;
    let (status, _, message) = again.err(&alice, "SHOW STATS FOR TABLE app.missing").await;
    assert_eq!(status, 400, "{message}");
    assert!(
        message.contains("\"app.missing\" does not exist"),
        "{message}"
    );
    drop(tmp);
}

#[tokio::test]
async fn query_shapes_count_runs_and_rows_and_stay_with_their_user() {
    let server = Server::start().await;
    let (root, alice, bob) = notes(&server, "").await;
    let values: Vec<String> = (1..=50).map(|i| format!("({i}, 'n{i}')")).collect();
    server
        .ok(
            &alice,
            &format!("INSERT INTO app.notes VALUES {}", values.join(", ")),
        )
        .await;
    for word in ["n1", "n2", "n3"] {
        server
            .ok(
                &alice,
                &format!("SELECT id FROM app.notes WHERE body = '{word}'"),
            )
            .await;
    }
    server
        .ok(&bob, "SELECT id FROM app.notes WHERE id = 1")
        .await;

    // SHOW STATS columns: scope (0), user_id (3), query (11), calls (12), rows_scanned (15),
    // rows_returned (16).
    let mine = server.rows(&alice, "SHOW STATS").await;
    let query_rows: Vec<&Vec<Value>> = mine.iter().filter(|r| r[0] == "query").collect();
    assert_eq!(query_rows.len(), 1, "{mine:?}");
    let q = query_rows[0];
    assert_eq!(q[3], "alice");
    assert_eq!(
        q[11].as_str().unwrap_or_default(),
        "SELECT id FROM app.notes WHERE body = ?"
    );
    assert_eq!((int(&q[12]), int(&q[15]), int(&q[16])), (3, 150, 3));
    assert!(mine.iter().all(|r| r[3] == "alice"), "{mine:?}");

    let theirs = server.rows(&bob, "SHOW STATS").await;
    assert!(theirs.iter().all(|r| r[3] == "bob"), "{theirs:?}");
    let lookups: Vec<&Vec<Value>> = theirs.iter().filter(|r| r[0] == "query").collect();
    assert_eq!(lookups.len(), 1);
    // A primary-key lookup reads only the row it needs (none here: bob has no rows).
    assert_eq!(int(&lookups[0][15]), 0);

    // Admins see every user's shapes.
    let all = server
        .rows(
            &root,
            "SELECT user_id, calls FROM system.stats WHERE scope = 'query' ORDER BY user_id",
        )
        .await;
    let users: Vec<&str> = all.iter().filter_map(|r| r[0].as_str()).collect();
    assert!(
        users.contains(&"alice") && users.contains(&"bob"),
        "{all:?}"
    );
}

#[tokio::test]
async fn counters_are_rebuilt_for_rows_written_with_statistics_off() {
    let off = Options {
        extra_env: vec![("KALAMDB_STATS_ENABLED".into(), "false".into())],
        ..Options::default()
    };
    let mut server = Server::start_with(off).await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.cfg (id INT PRIMARY KEY, v TEXT)",
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.cfg VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        )
        .await;
    server.ok(&root, "DELETE FROM app.cfg WHERE id = 2").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.hot (id INT PRIMARY KEY, v TEXT)",
        )
        .await;
    server
        .ok(&root, "INSERT INTO app.hot VALUES (1, 'a'), (2, 'b')")
        .await;
    flush(&server, &root, "app.cfg").await;
    // Off: nothing is counted.
    assert_eq!(
        stats(&server, &root, "app.cfg").await,
        vec![row("table", "", 0, 0, 0)]
    );
    server.stop();
    let data_dir = server.data_dir.clone();
    let on = Server::start_in(&data_dir, Options::default()).await;
    let root = on.root().await;
    // Rebuilt at start: hot rows by a scan, cold ones from the manifests (in the background).
    assert_eq!(
        stats(&on, &root, "app.hot").await,
        vec![row("table", "", 2, 0, 0)]
    );
    let mut cold = Vec::new();
    for _ in 0..100 {
        cold = stats(&on, &root, "app.cfg").await;
        if cold == vec![row("table", "", 0, 3, 1)] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Three versions in one file: two rows and the tombstone of the deleted one.
    assert_eq!(cold, vec![row("table", "", 0, 3, 1)]);
    on.ok(&root, "INSERT INTO app.cfg VALUES (4, 'd')").await;
    assert_eq!(
        stats(&on, &root, "app.cfg").await,
        vec![row("table", "", 1, 3, 1)]
    );
    drop(tmp);
}
