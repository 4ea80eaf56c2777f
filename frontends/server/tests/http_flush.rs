//! Flush to Parquet and merged reads against the real server. Every test that touches cold
//! files runs twice: on the `local` filesystem storage and on an S3 storage (s3s-fs).

mod common;
use common::cold::{Cold, flush, job_id, parquet_files, wait_job, walk};
use common::{Options, Server};
use serde_json::json;
use std::time::Duration;

/// Two tests for one body: on the `local` storage and on an S3 storage (s3s-fs).
macro_rules! on_both_storages {
    ($local:ident, $s3:ident, $options:expr, $body:ident) => {
        #[tokio::test]
        async fn $local() {
            let mut server = Server::start_with($options).await;
            let cold = Cold::local(&server);
            $body(&mut server, &cold).await;
        }

        #[tokio::test]
        async fn $s3() {
            let mut server = Server::start_with($options).await;
            let Some(cold) = Cold::s3(&server, &server.root().await).await else {
                return;
            };
            $body(&mut server, &cold).await;
        }
    };
}

on_both_storages!(
    flush_then_read_update_delete_across_tiers_local,
    flush_then_read_update_delete_across_tiers_s3,
    Options::default(),
    read_update_delete_across_tiers
);

async fn read_update_delete_across_tiers(server: &mut Server, cold: &Cold) {
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            &format!(
                "CREATE SHARED TABLE app.t (id INT PRIMARY KEY, v TEXT){}",
                cold.with(&[])
            ),
        )
        .await;
    for chunk in 0..4 {
        let values: Vec<String> = (0..50)
            .map(|i| format!("({}, 'v{}')", chunk * 50 + i, chunk * 50 + i))
            .collect();
        server
            .ok(
                &root,
                &format!("INSERT INTO app.t VALUES {}", values.join(", ")),
            )
            .await;
    }
    let msg = flush(server, &root, "app.t").await;
    assert!(msg.contains("200 row(s)"), "{msg}");
    let folder = cold.folder("app/t");
    assert!(
        folder.join("manifest.json").exists(),
        "manifest in {}",
        folder.display()
    );
    let parquet: Vec<_> = std::fs::read_dir(&folder)
        .expect("folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        .collect();
    assert_eq!(parquet.len(), 1);

    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.t").await,
        vec![vec![json!("200")]]
    );
    assert_eq!(
        server
            .rows(&root, "SELECT v FROM app.t WHERE id = 123")
            .await,
        vec![vec![json!("v123")]]
    );
    // Hot and cold together.
    server
        .ok(&root, "INSERT INTO app.t VALUES (500, 'hot')")
        .await;
    assert_eq!(
        server
            .rows(&root, "SELECT COUNT(*) FROM app.t WHERE id >= 150")
            .await,
        vec![vec![json!("51")]]
    );
    // Update and delete flushed rows.
    let r = server
        .ok(&root, "UPDATE app.t SET v = 'new' WHERE id = 5")
        .await;
    assert_eq!(r["row_count"], 1);
    let r = server.ok(&root, "DELETE FROM app.t WHERE id = 6").await;
    assert_eq!(r["row_count"], 1);
    assert_eq!(
        server.rows(&root, "SELECT v FROM app.t WHERE id = 5").await,
        vec![vec![json!("new")]]
    );
    assert!(
        server
            .rows(&root, "SELECT v FROM app.t WHERE id = 6")
            .await
            .is_empty()
    );
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.t").await,
        vec![vec![json!("200")]]
    );
    // Primary keys stay unique across tiers.
    let (_, _, msg) = server
        .err(&root, "INSERT INTO app.t VALUES (7, 'dup')")
        .await;
    assert!(msg.contains("duplicate key"), "{msg}");
    // A deleted flushed key can come back.
    server
        .ok(&root, "INSERT INTO app.t VALUES (6, 'again')")
        .await;
    // Flush again: versions and tombstones go cold, results unchanged.
    flush(server, &root, "app.t").await;
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.t").await,
        vec![vec![json!("201")]]
    );
    assert_eq!(
        server
            .rows(&root, "SELECT v FROM app.t WHERE id IN (5, 6) ORDER BY id")
            .await,
        vec![vec![json!("new")], vec![json!("again")]]
    );
}

on_both_storages!(
    user_folders_follow_the_template_local,
    user_folders_follow_the_template_s3,
    Options::default(),
    user_folders_and_drop_cleanup
);

async fn user_folders_and_drop_cleanup(server: &mut Server, cold: &Cold) {
    let root = server.root().await;
    let create = format!(
        "CREATE USER TABLE app.notes (id INT PRIMARY KEY, t TEXT){}",
        cold.with(&[])
    );
    server.ok(&root, "CREATE NAMESPACE app").await;
    server.ok(&root, &create).await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    server
        .ok(&alice, "INSERT INTO app.notes VALUES (1, 'a1'), (2, 'a2')")
        .await;
    server
        .ok(&bob, "INSERT INTO app.notes VALUES (1, 'b1')")
        .await;
    flush(server, &root, "app.notes").await;
    let base = cold.folder("app/notes");
    let mut found = Vec::new();
    for shard in std::fs::read_dir(&base)
        .expect("base")
        .filter_map(|e| e.ok())
    {
        for user in std::fs::read_dir(shard.path())
            .expect("shard")
            .filter_map(|e| e.ok())
        {
            assert!(user.path().join("manifest.json").exists());
            found.push(format!(
                "{}/{}",
                shard.file_name().to_string_lossy(),
                user.file_name().to_string_lossy()
            ));
        }
    }
    found.sort();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|f| f.ends_with("/alice") && f.starts_with('s')),
        "{found:?}"
    );
    assert_eq!(
        server
            .rows(&alice, "SELECT t FROM app.notes ORDER BY id")
            .await,
        vec![vec![json!("a1")], vec![json!("a2")]]
    );
    assert_eq!(
        server.rows(&bob, "SELECT t FROM app.notes").await,
        vec![vec![json!("b1")]]
    );
    // DROP TABLE removes the cold files too: a new table of the same name starts empty.
    let r = server.ok(&root, "DROP TABLE app.notes").await;
    let msg = r["message"].as_str().unwrap_or_default().to_string();
    assert!(
        msg.starts_with("Table app.notes dropped successfully. Cleanup job: CL-"),
        "{msg}"
    );
    let done = wait_job(
        server,
        &root,
        msg.rsplit("Cleanup job: ").next().unwrap_or_default(),
    )
    .await;
    assert!(done.contains("cold file(s)"), "{done}");
    let leftover: Vec<_> = walk(&base);
    assert!(leftover.is_empty(), "files left behind: {leftover:?}");
    server.ok(&root, &create).await;
    assert!(
        server
            .rows(&alice, "SELECT * FROM app.notes")
            .await
            .is_empty()
    );
    let (_, _, msg) = server.err(&root, "STORAGE FLUSH TABLE app.nope").await;
    assert!(msg.contains("does not exist"), "{msg}");
}

fn failpoint_server_options() -> Options {
    Options {
        extra_env: vec![("KALAMDB_FAILPOINT".into(), "flush.after_manifest".into())],
        ..Options::default()
    }
}

on_both_storages!(
    a_crash_after_the_manifest_loses_and_doubles_nothing_local,
    a_crash_after_the_manifest_loses_and_doubles_nothing_s3,
    failpoint_server_options(),
    crash_during_flush
);

async fn crash_during_flush(server: &mut Server, cold: &Cold) {
    let tmp = server.take_tmp();
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            &format!(
                "CREATE SHARED TABLE app.t (id INT PRIMARY KEY, v TEXT){}",
                cold.with(&[])
            ),
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        )
        .await;
    let _ = server.sql(&root, "STORAGE FLUSH TABLE app.t").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill();
    let data_dir = server.data_dir.clone();
    let again = Server::start_in(&data_dir, Options::default()).await;
    let root = again.root().await;
    assert_eq!(
        again
            .rows(&root, "SELECT id, v FROM app.t ORDER BY id")
            .await,
        vec![
            vec![json!(1), json!("a")],
            vec![json!(2), json!("b")],
            vec![json!(3), json!("c")]
        ]
    );
    let jobs = again.rows(&root, "SELECT status FROM system.jobs").await;
    assert_eq!(
        jobs,
        vec![vec![json!("failed")]],
        "an interrupted job is not left running"
    );
    assert!(cold.folder("app/t/manifest.json").exists());
    flush(&again, &root, "app.t").await;
    assert_eq!(
        again.rows(&root, "SELECT COUNT(*) FROM app.t").await,
        vec![vec![json!("3")]]
    );
    drop(tmp);
}

/// Waits for a completed flush job of a table started by its FLUSH_POLICY.
async fn wait_policy_flush(server: &Server, token: &str, table: &str) {
    for _ in 0..200 {
        let rows = server
            .rows(
                token,
                &format!("SELECT status FROM system.jobs WHERE table_name = '{table}' AND status = 'completed'"),
            )
            .await;
        if !rows.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no FLUSH_POLICY flush completed for {table}");
}

#[tokio::test]
async fn flush_policy_by_rows_and_by_interval() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.r (id INT PRIMARY KEY) WITH (FLUSH_POLICY = 'rows:5')",
        )
        .await;
    server
        .ok(&root, "INSERT INTO app.r VALUES (1), (2), (3)")
        .await;
    assert!(
        server
            .rows(&root, "SELECT * FROM system.jobs")
            .await
            .is_empty()
    );
    server
        .ok(&root, "INSERT INTO app.r VALUES (4), (5), (6)")
        .await;
    wait_policy_flush(&server, &root, "r").await;
    assert!(server.data_dir.join("storage/app/r/manifest.json").exists());
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.r").await,
        vec![vec![json!("6")]]
    );

    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.i (id INT PRIMARY KEY) WITH (FLUSH_POLICY = 'interval:1')",
        )
        .await;
    server.ok(&root, "INSERT INTO app.i VALUES (1)").await;
    wait_policy_flush(&server, &root, "i").await;
    assert!(server.data_dir.join("storage/app/i/manifest.json").exists());
    assert_eq!(
        server.rows(&root, "SELECT id FROM app.i").await,
        vec![vec![json!(1)]]
    );
}

on_both_storages!(
    compaction_merges_segments_with_identical_results_local,
    compaction_merges_segments_with_identical_results_s3,
    Options::default(),
    compaction_merges_segments
);

async fn compaction_merges_segments(server: &mut Server, cold: &Cold) {
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            &format!(
                "CREATE SHARED TABLE app.c (id INT PRIMARY KEY, v TEXT){}",
                cold.with(&["DELETED_RETENTION_HOURS = 0"])
            ),
        )
        .await;
    for round in 0..3 {
        server
            .ok(
                &root,
                &format!(
                    "INSERT INTO app.c VALUES ({r}0, 'a{r}'), ({r}1, 'b{r}')",
                    r = round + 1
                ),
            )
            .await;
        server
            .ok(
                &root,
                &format!("UPDATE app.c SET v = 'changed' WHERE id = {}0", round + 1),
            )
            .await;
        flush(server, &root, "app.c").await;
    }
    server.ok(&root, "DELETE FROM app.c WHERE id = 11").await;
    flush(server, &root, "app.c").await;
    let folder = cold.folder("app/c");
    assert_eq!(parquet_files(&folder), 4);
    let query = "SELECT id, v FROM app.c ORDER BY id";
    let before = server.rows(&root, query).await;
    assert_eq!(before.len(), 5);

    let r = server.ok(&root, "STORAGE COMPACT TABLE app.c").await;
    let msg = r["message"].as_str().unwrap_or_default().to_string();
    assert!(
        msg.starts_with("Storage compact started for table 'app.c'. Job ID: CO-"),
        "{msg}"
    );
    let done = wait_job(server, &root, &job_id(&msg)).await;
    assert!(done.contains("Compacted 1 folder"), "{done}");
    assert_eq!(parquet_files(&folder), 1);
    assert_eq!(server.rows(&root, query).await, before);
}

on_both_storages!(
    text_keys_and_write_order_across_segments_local,
    text_keys_and_write_order_across_segments_s3,
    Options::default(),
    text_keys_and_write_order_across_segments
);

/// Text primary keys through two segments and the hot tier: key lookups find the newest
/// version wherever it lives, a tombstone in a newer segment hides the older version, and a
/// query without ORDER BY returns rows in write (`_seq`) order.
async fn text_keys_and_write_order_across_segments(server: &mut Server, cold: &Cold) {
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            &format!(
                "CREATE SHARED TABLE app.k (id TEXT PRIMARY KEY, n INT){}",
                cold.with(&[])
            ),
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.k VALUES ('b', 1), ('a', 2), ('e', 5), ('f', 6)",
        )
        .await;
    flush(server, &root, "app.k").await;
    server
        .ok(&root, "UPDATE app.k SET n = 10 WHERE id = 'b'")
        .await;
    server.ok(&root, "DELETE FROM app.k WHERE id = 'e'").await;
    flush(server, &root, "app.k").await;
    assert_eq!(parquet_files(&cold.folder("app/k")), 2);
    server.ok(&root, "INSERT INTO app.k VALUES ('c', 3)").await;
    server
        .ok(&root, "UPDATE app.k SET n = 60 WHERE id = 'f'")
        .await;

    let s: &Server = server;
    assert_eq!(
        s.rows(&root, "SELECT n FROM app.k WHERE id = 'a'").await,
        vec![vec![json!(2)]]
    );
    assert_eq!(
        s.rows(&root, "SELECT n FROM app.k WHERE id = 'b'").await,
        vec![vec![json!(10)]]
    );
    assert!(
        s.rows(&root, "SELECT n FROM app.k WHERE id = 'e'")
            .await
            .is_empty()
    );
    assert_eq!(
        s.rows(
            &root,
            "SELECT id, n FROM app.k WHERE id IN ('f', 'c', 'zz', 'b') ORDER BY id"
        )
        .await,
        vec![
            vec![json!("b"), json!(10)],
            vec![json!("c"), json!(3)],
            vec![json!("f"), json!(60)]
        ]
    );
    // Write order: a (first insert), b (updated, then flushed), c, f (updated last).
    let unordered = s.rows(&root, "SELECT id FROM app.k").await;
    assert_eq!(
        unordered,
        vec![
            vec![json!("a")],
            vec![json!("b")],
            vec![json!("c")],
            vec![json!("f")]
        ]
    );
    assert_eq!(
        s.rows(&root, "SELECT id FROM app.k ORDER BY _seq").await,
        unordered
    );
    let (_, _, msg) = s.err(&root, "INSERT INTO app.k VALUES ('a', 0)").await;
    assert!(msg.contains("duplicate key"), "{msg}");
    s.ok(&root, "INSERT INTO app.k VALUES ('e', 50)").await;
    assert_eq!(
        s.rows(&root, "SELECT COUNT(*) FROM app.k").await,
        vec![vec![json!("5")]]
    );
}
