//! Acknowledged rows are never lost and one bad value never makes a partition unreadable: the
//! defects a review found, each reproduced against the real server.

mod common;
use common::cold::{flush, walk};
use common::{Options, Server};
use serde_json::{Value, json};
use std::time::Duration;

async fn app(server: &Server, root: &str, ddl: &str) {
    server.ok(root, "CREATE NAMESPACE IF NOT EXISTS app").await;
    server.ok(root, ddl).await;
}

/// Every manifest under the data directory lists only files that exist.
fn assert_manifests_consistent(server: &Server) {
    common::cold::assert_manifests_consistent(&server.data_dir);
}

#[tokio::test]
async fn a_table_with_not_null_columns_flushes_after_a_delete() {
    let server = Server::start().await;
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, v TEXT NOT NULL, n INT NOT NULL)",
    )
    .await;
    server
        .ok(
            &root,
            "INSERT INTO app.t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)",
        )
        .await;
    server.ok(&root, "DELETE FROM app.t WHERE id = 2").await;
    let msg = flush(&server, &root, "app.t").await;
    assert!(msg.contains("3 row(s)"), "{msg}");
    // The tombstone hides the row in cold storage too, after a second flush and a compaction.
    server.ok(&root, "DELETE FROM app.t WHERE id = 3").await;
    flush(&server, &root, "app.t").await;
    server.ok(&root, "STORAGE COMPACT TABLE app.t").await;
    assert_eq!(
        server
            .rows(&root, "SELECT id, v, n FROM app.t ORDER BY id")
            .await,
        vec![vec![json!("1"), json!("a"), json!(1)]]
    );
}

#[tokio::test]
async fn nan_and_infinity_are_stored_and_read_back_in_both_tiers() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.f (id INT PRIMARY KEY, d DOUBLE, r REAL)",
    )
    .await;
    server
        .ok(
            &root,
            "INSERT INTO app.f VALUES (1, 'NaN', 'NaN'), (2, 'Infinity', '-Infinity'), \
             (3, '-Infinity', 'Infinity'), (4, 1.5, 2.5)",
        )
        .await;
    let expected = vec![
        vec![json!(1), json!("NaN"), json!("NaN")],
        vec![json!(2), json!("Infinity"), json!("-Infinity")],
        vec![json!(3), json!("-Infinity"), json!("Infinity")],
        vec![json!(4), json!(1.5), json!(2.5)],
    ];
    let query = "SELECT id, d, r FROM app.f ORDER BY id";
    assert_eq!(server.rows(&root, query).await, expected, "hot");
    flush(&server, &root, "app.f").await;
    assert_eq!(server.rows(&root, query).await, expected, "cold");
    // The rows stay writable: update one, delete another, across the tiers.
    server
        .ok(&root, "UPDATE app.f SET d = 7.0 WHERE id = 1")
        .await;
    server.ok(&root, "DELETE FROM app.f WHERE id = 3").await;
    server
        .ok(&root, "INSERT INTO app.f VALUES (5, 'NaN', 0)")
        .await;
    server.stop();
    let again = Server::start_in(&server.data_dir, Options::default()).await;
    let root = again.root().await;
    assert_eq!(
        again.rows(&root, query).await,
        vec![
            vec![json!(1), json!(7.0), json!("NaN")],
            vec![json!(2), json!("Infinity"), json!("-Infinity")],
            vec![json!(4), json!(1.5), json!(2.5)],
            vec![json!(5), json!("NaN"), json!(0.0)],
        ]
    );
    flush(&again, &root, "app.f").await;
    assert_eq!(
        again.rows(&root, "SELECT COUNT(*) FROM app.f").await,
        vec![vec![json!("4")]]
    );
    drop(tmp);
}

#[tokio::test]
async fn auto_increment_continues_after_flushed_rows_and_a_restart() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.a (id BIGINT PRIMARY KEY AUTO_INCREMENT, v TEXT)",
    )
    .await;
    server
        .ok(&root, "INSERT INTO app.a (v) VALUES ('a'), ('b'), ('c')")
        .await;
    flush(&server, &root, "app.a").await;
    server.stop();
    let again = Server::start_in(&server.data_dir, Options::default()).await;
    let root = again.root().await;
    again.ok(&root, "INSERT INTO app.a (v) VALUES ('d')").await;
    assert_eq!(
        again
            .rows(&root, "SELECT id, v FROM app.a ORDER BY id")
            .await,
        vec![
            vec![json!("1"), json!("a")],
            vec![json!("2"), json!("b")],
            vec![json!("3"), json!("c")],
            vec![json!("4"), json!("d")],
        ]
    );
    drop(tmp);
}

#[tokio::test]
async fn snowflake_id_in_insert_select_gives_every_row_its_own_id() {
    let server = Server::start().await;
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.src (id INT PRIMARY KEY, v TEXT)",
    )
    .await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.dst (id BIGINT PRIMARY KEY, v TEXT)",
        )
        .await;
    let values: Vec<String> = (0..50).map(|i| format!("({i}, 'v{i}')")).collect();
    server
        .ok(
            &root,
            &format!("INSERT INTO app.src VALUES {}", values.join(", ")),
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.dst SELECT SNOWFLAKE_ID(), v FROM app.src",
        )
        .await;
    assert_eq!(
        server
            .rows(&root, "SELECT COUNT(DISTINCT id), COUNT(*) FROM app.dst")
            .await,
        vec![vec![json!("50"), json!("50")]]
    );
}

#[tokio::test]
async fn seq_keeps_growing_across_restarts() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.s (id INT PRIMARY KEY)",
    )
    .await;
    server.ok(&root, "INSERT INTO app.s VALUES (1)").await;
    let before = server.rows(&root, "SELECT _seq FROM app.s").await;
    server.kill();
    let again = Server::start_in(&server.data_dir, Options::default()).await;
    let root = again.root().await;
    again.ok(&root, "INSERT INTO app.s VALUES (2)").await;
    let rows = again
        .rows(&root, "SELECT _seq FROM app.s ORDER BY id")
        .await;
    let seq = |v: &Value| v.as_str().and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    assert_eq!(seq(&rows[0][0]), seq(&before[0][0]));
    assert!(seq(&rows[1][0]) > seq(&rows[0][0]), "{rows:?}");
    drop(tmp);
}

/// Flushes and compactions of one table, started as fast as the server takes them, while rows
/// are written: every acknowledged row is still there, and no manifest lists a missing file.
#[tokio::test]
async fn concurrent_flushes_and_compactions_lose_nothing() {
    let server = Server::start_with(Options {
        extra_env: vec![("KALAMDB_COMPACTION_THRESHOLD".into(), "2".into())],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.c (id INT PRIMARY KEY, v TEXT NOT NULL)",
    )
    .await;
    let writer = async {
        for round in 0..40 {
            insert_ten_delete_one(&server, &root, "app.c", round, "v").await;
        }
    };
    let jobs = async {
        for _ in 0..60 {
            let _ = server.sql(&root, "STORAGE FLUSH TABLE app.c").await;
            let _ = server.sql(&root, "STORAGE COMPACT TABLE app.c").await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::join!(writer, jobs);
    wait_idle(&server, &root).await;
    flush(&server, &root, "app.c").await;
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.c").await,
        vec![vec![json!("360")]]
    );
    assert_manifests_consistent(&server);
}

/// Inserts rows `round * 10 ..` (ten, valued `tag`) into `table`, then deletes the first.
async fn insert_ten_delete_one(server: &Server, token: &str, table: &str, round: i32, tag: &str) {
    let values: Vec<String> = (0..10)
        .map(|i| format!("({}, '{tag}')", round * 10 + i))
        .collect();
    server
        .ok(
            token,
            &format!("INSERT INTO {table} VALUES {}", values.join(", ")),
        )
        .await;
    server
        .ok(
            token,
            &format!("DELETE FROM {table} WHERE id = {}", round * 10),
        )
        .await;
}

/// Waits until no job is queued or running.
async fn wait_idle(server: &Server, token: &str) {
    for _ in 0..400 {
        let busy = server
            .rows(
                token,
                "SELECT COUNT(*) FROM system.jobs WHERE status IN ('running', 'queued')",
            )
            .await;
        if busy == vec![vec![json!("0")]] {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("jobs still running");
}

/// An INSERT of an existing key is refused while a flush moves that key to cold storage. The
/// `insert.after_cold_check` failpoint holds each INSERT between its cold check and its write
/// for 300 ms, and the flush runs inside that window.
#[tokio::test]
async fn a_duplicate_key_is_refused_while_its_row_is_being_flushed() {
    let server = Server::start_with(Options {
        extra_env: vec![("KALAMDB_FAILPOINT".into(), "insert.after_cold_check".into())],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.k (id INT PRIMARY KEY, v TEXT)",
    )
    .await;
    for id in 0..4 {
        server
            .ok(&root, &format!("INSERT INTO app.k VALUES ({id}, 'first')"))
            .await;
        let again = format!("INSERT INTO app.k VALUES ({id}, 'second')");
        let flush_meanwhile = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flush(&server, &root, "app.k").await
        };
        let (second, _) = tokio::join!(server.sql(&root, &again), flush_meanwhile);
        assert_eq!(second.0, 400, "id {id}: {}", second.1);
    }
    wait_idle(&server, &root).await;
    assert_eq!(
        server
            .rows(&root, "SELECT COUNT(*) FROM app.k WHERE v = 'first'")
            .await,
        vec![vec![json!("4")]]
    );
}

/// DROP TABLE racing the table's own flush leaves the server writable, and a table created
/// again under the name starts empty.
#[tokio::test]
async fn drop_table_during_a_flush_leaves_the_server_writable() {
    let server = Server::start().await;
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE SHARED TABLE app.other (id INT PRIMARY KEY)",
    )
    .await;
    for round in 0..5 {
        server
            .ok(
                &root,
                "CREATE USER TABLE app.d (id INT PRIMARY KEY, v TEXT)",
            )
            .await;
        let values: Vec<String> = (0..200).map(|i| format!("({i}, 'x')")).collect();
        server
            .ok(
                &root,
                &format!("INSERT INTO app.d VALUES {}", values.join(", ")),
            )
            .await;
        let (_, dropped) = tokio::join!(
            server.sql(&root, "STORAGE FLUSH TABLE app.d"),
            server.sql(&root, "DROP TABLE app.d"),
        );
        assert_eq!(dropped.0, 200, "{}", dropped.1);
        server
            .ok(&root, &format!("INSERT INTO app.other VALUES ({round})"))
            .await;
    }
    server
        .ok(
            &root,
            "CREATE USER TABLE app.d (id INT PRIMARY KEY, v TEXT)",
        )
        .await;
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.d").await,
        vec![vec![json!("0")]]
    );
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.other").await,
        vec![vec![json!("5")]]
    );
}

#[tokio::test]
async fn a_data_directory_refuses_another_shard_count_or_codec() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    app(
        &server,
        &root,
        "CREATE USER TABLE app.u (id INT PRIMARY KEY)",
    )
    .await;
    server.stop();
    for (key, value, says) in [
        ("KALAMDB_USER_SHARDS", "3", "user_shards = 8"),
        ("KALAMDB_CODEC", "msgpack", "codec 'json'"),
    ] {
        let options = Options {
            extra_env: vec![(key.into(), value.into())],
            ..Options::default()
        };
        let (mut child, started) = common::spawn(&server.data_dir, &options);
        let _ = child.kill();
        let _ = child.wait();
        let log = started.expect_err("the server must refuse to start");
        assert!(log.contains(says), "{key}: {log}");
    }
    let again = Server::start_in(&server.data_dir, Options::default()).await;
    let root = again.root().await;
    again.ok(&root, "SELECT * FROM app.u").await;
    drop(tmp);
}

/// A DROP TABLE cut short by a crash at any of its steps is finished at the next start: the
/// table is gone, its files too, and a new table of the name starts empty.
#[tokio::test]
async fn a_drop_table_interrupted_by_a_crash_is_finished_at_restart() {
    for point in [
        "drop.after_job",
        "drop.after_catalog",
        "drop.after_column_families",
    ] {
        let mut server = Server::start_with(Options {
            extra_env: vec![("KALAMDB_FAILPOINT".into(), point.into())],
            ..Options::default()
        })
        .await;
        let tmp = server.take_tmp();
        let root = server.root().await;
        app(
            &server,
            &root,
            "CREATE SHARED TABLE app.g (id INT PRIMARY KEY, v TEXT)",
        )
        .await;
        server
            .ok(&root, "INSERT INTO app.g VALUES (1, 'old'), (2, 'old')")
            .await;
        flush(&server, &root, "app.g").await;
        server
            .ok(&root, "INSERT INTO app.g VALUES (3, 'old hot')")
            .await;
        // The server aborts inside the DROP: no answer.
        let answer = reqwest::Client::new()
            .post(format!("{}/v1/api/sql", server.url))
            .bearer_auth(&root)
            .json(&json!({"sql": "DROP TABLE app.g"}))
            .send()
            .await;
        assert!(answer.is_err(), "{point}: the DROP was answered");
        server.kill();
        let again = Server::start_in(&server.data_dir, Options::default()).await;
        let root = again.root().await;
        let (_, _, message) = again.err(&root, "SELECT * FROM app.g").await;
        assert!(message.contains("does not exist"), "{point}: {message}");
        let jobs = again
            .rows(
                &root,
                "SELECT status FROM system.jobs WHERE job_type = 'cleanup'",
            )
            .await;
        assert_eq!(jobs, vec![vec![json!("completed")]], "{point}");
        let folder = again.data_dir.join("storage/app/g");
        let left: Vec<_> = walk(&folder);
        assert!(left.is_empty(), "{point}: files left behind: {left:?}");
        again
            .ok(
                &root,
                "CREATE SHARED TABLE app.g (id INT PRIMARY KEY, v TEXT)",
            )
            .await;
        assert_eq!(
            again.rows(&root, "SELECT COUNT(*) FROM app.g").await,
            vec![vec![json!("0")]],
            "{point}"
        );
        drop(tmp);
    }
}

/// The S3 server goes away while a flush runs and comes back: no row is lost (hot rows are only
/// deleted after their cold copy is committed), and the next flush moves the rest.
#[tokio::test]
async fn an_s3_outage_during_a_flush_loses_nothing() {
    let server = Server::start().await;
    let root = server.root().await;
    let Some(mut cold) = common::cold::Cold::s3(&server, &root).await else {
        return;
    };
    app(
        &server,
        &root,
        &format!(
            "CREATE USER TABLE app.o (id INT PRIMARY KEY, v TEXT NOT NULL){}",
            cold.with(&[])
        ),
    )
    .await;
    let mut users = Vec::new();
    for i in 0..12 {
        let token = server.user(&root, &format!("o{i}"), "user").await;
        let values: Vec<String> = (0..40).map(|k| format!("({k}, 'u{i}-{k}')")).collect();
        server
            .ok(
                &token,
                &format!("INSERT INTO app.o VALUES {}", values.join(", ")),
            )
            .await;
        users.push(token);
    }
    let started = server.ok(&root, "STORAGE FLUSH TABLE app.o").await;
    let job = common::cold::job_id(started["message"].as_str().unwrap_or_default());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let s3 = cold.s3_server().expect("an S3 storage");
    s3.stop();
    // The job ends one way or the other while S3 is down.
    for _ in 0..400 {
        let status = server
            .rows(
                &root,
                &format!("SELECT status FROM system.jobs WHERE job_id = '{job}'"),
            )
            .await;
        if status
            .first()
            .is_some_and(|r| r[0] != "running" && r[0] != "queued")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    s3.restart();
    for (i, token) in users.iter().enumerate() {
        let rows = server
            .rows(token, "SELECT id, v FROM app.o ORDER BY id")
            .await;
        assert_eq!(rows.len(), 40, "user o{i} after the outage: {rows:?}");
        assert_eq!(rows[39], vec![json!(39), json!(format!("u{i}-39"))]);
    }
    flush(&server, &root, "app.o").await;
    for token in &users {
        assert_eq!(
            server.rows(token, "SELECT COUNT(*) FROM app.o").await,
            vec![vec![json!("40")]]
        );
    }
    common::cold::assert_manifests_consistent(&cold.base);
}

/// A compaction cut short by a crash, before or after its manifest commit, loses nothing and
/// leaves a manifest naming only existing files; compacting again works.
#[tokio::test]
async fn a_compaction_interrupted_by_a_crash_loses_nothing() {
    for point in ["compact.after_segment", "compact.after_manifest"] {
        let mut server = Server::start_with(Options {
            extra_env: vec![("KALAMDB_FAILPOINT".into(), point.into())],
            ..Options::default()
        })
        .await;
        let tmp = server.take_tmp();
        let root = server.root().await;
        app(
            &server,
            &root,
            "CREATE SHARED TABLE app.c (id INT PRIMARY KEY, v TEXT NOT NULL)",
        )
        .await;
        for round in 0..3 {
            insert_ten_delete_one(&server, &root, "app.c", round, &format!("r{round}")).await;
            flush(&server, &root, "app.c").await;
        }
        let _ = server.sql(&root, "STORAGE COMPACT TABLE app.c").await;
        // The server aborts inside the compaction job.
        for _ in 0..200 {
            if reqwest::Client::new()
                .get(format!("{}/health", server.url))
                .send()
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        server.kill();
        let again = Server::start_in(&server.data_dir, Options::default()).await;
        let root = again.root().await;
        let count = vec![vec![json!("27")]];
        assert_eq!(
            again.rows(&root, "SELECT COUNT(*) FROM app.c").await,
            count,
            "{point}"
        );
        assert_manifests_consistent(&again);
        again.ok(&root, "STORAGE COMPACT TABLE app.c").await;
        wait_idle(&again, &root).await;
        assert_eq!(
            again.rows(&root, "SELECT COUNT(*) FROM app.c").await,
            count,
            "{point}"
        );
        assert_manifests_consistent(&again);
        drop(tmp);
    }
}
