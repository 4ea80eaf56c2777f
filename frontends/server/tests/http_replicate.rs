//! REPLICATE to an S3 storage (s3s-fs on 127.0.0.1): the replica's manifests and Parquet
//! files, read back with a Parquet reader from the bucket, hold what the source's hold; a
//! second pass copies only new segments, a compaction's removals reach the replica, and a
//! schedule flow keeps the replica current.

mod common;

use common::Server;
use common::cold::{Cold, flush, parquet_versions};
use std::time::Duration;

#[tokio::test]
async fn a_replica_on_s3_holds_what_the_source_holds_and_follows_it() {
    let server = Server::start().await;
    let root = server.root().await;
    let Some(s3) = Cold::s3(&server, &root).await else {
        eprintln!("s3s-fs is not installed: skipped (KALAM_REQUIRE_S3=1 makes this a failure)");
        return;
    };
    let source = server.data_dir.join("storage");
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    for sql in [
        "CREATE NAMESPACE app",
        "CREATE USER TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
        "CREATE SHARED TABLE app.s (id BIGINT PRIMARY KEY, v TEXT)",
        "INSERT INTO app.s VALUES (1, 'a'), (2, 'b')",
    ] {
        server.ok(&root, sql).await;
    }
    for (token, base) in [(&alice, 0), (&bob, 100)] {
        let values: Vec<String> = (1..=5).map(|i| format!("({}, 'v')", base + i)).collect();
        server
            .ok(
                token,
                &format!("INSERT INTO app.t VALUES {}", values.join(", ")),
            )
            .await;
    }
    flush(&server, &root, "app.t").await;
    flush(&server, &root, "app.s").await;

    let r = server
        .ok(&root, "REPLICATE app.t, app.s TO STORAGE 's3t'")
        .await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("Replicated 2 table(s) to storage 's3t': 3 segment(s) copied"),
        "{message}"
    );
    assert!(
        message.contains("0 already there, 0 removed, 3 manifest(s) written"),
        "{message}"
    );
    let replica = s3.base.clone();
    assert_eq!(parquet_versions(&replica), parquet_versions(&source));
    assert_eq!(parquet_versions(&replica).len(), 12);

    // New rows and a delete, flushed: the next pass copies the new segments only.
    server.ok(&alice, "INSERT INTO app.t VALUES (6, 'v')").await;
    server.ok(&alice, "DELETE FROM app.t WHERE id = 1").await;
    flush(&server, &root, "app.t").await;
    let r = server.ok(&root, "REPLICATE app.t TO STORAGE 's3t'").await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains(": 1 segment(s) copied"), "{message}");
    assert!(message.contains("2 already there, 0 removed"), "{message}");
    assert_eq!(parquet_versions(&replica), parquet_versions(&source));

    // Compaction replaces alice's two segments with one: the replica follows.
    server.ok(&root, "STORAGE COMPACT TABLE app.t").await;
    let mut compacted = false;
    for _ in 0..100 {
        if common::cold::parquet_files(&source.join("app/t")) == 2 {
            compacted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(compacted, "compaction did not finish");
    let r = server.ok(&root, "REPLICATE app.t TO STORAGE 's3t'").await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("1 segment(s) copied"), "{message}");
    assert!(message.contains("2 removed"), "{message}");
    assert_eq!(parquet_versions(&replica), parquet_versions(&source));
    assert_eq!(common::cold::parquet_files(&replica.join("app/t")), 2);

    // Only admins replicate; a table on the target storage itself is refused.
    server
        .assert_denied(&alice, "REPLICATE app.t TO STORAGE 's3t'")
        .await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.on_s3 (id BIGINT PRIMARY KEY) WITH (STORAGE_ID = 's3t')",
        )
        .await;
    server.ok(&root, "INSERT INTO app.on_s3 VALUES (1)").await;
    flush(&server, &root, "app.on_s3").await;
    let (_, _, own) = server
        .err(&root, "REPLICATE app.on_s3 TO STORAGE 's3t'")
        .await;
    assert!(own.contains("replicate it to another storage"), "{own}");

    // A schedule flow keeps the replica current.
    server
        .ok(
            &root,
            "CREATE FLOW app.mirror ON SCHEDULE EVERY 1 SECOND DO REPLICATE app.t TO STORAGE 's3t'",
        )
        .await;
    server
        .ok(&bob, "INSERT INTO app.t VALUES (106, 'late')")
        .await;
    flush(&server, &root, "app.t").await;
    let mut caught_up = false;
    for _ in 0..100 {
        if parquet_versions(&replica.join("app/t")) == parquet_versions(&source.join("app/t")) {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(caught_up, "the flow did not replicate the new segment");
    assert!(
        parquet_versions(&replica)
            .iter()
            .any(|(_, id, _)| *id == 106)
    );
}
