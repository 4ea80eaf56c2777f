//! CLEANUP DELETED ROWS: tombstones older than the cutoff leave the Parquet files (read back
//! here with a Parquet reader, not through the engine) and the hot store, with the versions
//! they hide; recent tombstones and everything live stay, and queries answer as before.

mod common;

use common::{app_engine, run};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use kalamdb_core::{Engine, Session};
use kalamdb_types::{Role, TableId, UserId};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn as_user(name: &str) -> Session {
    Session::new(UserId::new(name), Role::User)
}

fn int(v: &Json) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_i64())
        .unwrap_or(-1)
}

async fn ids(engine: &Engine, session: &mut Session) -> Vec<i64> {
    let r = run(engine, session, "SELECT id FROM app.t ORDER BY id").await;
    r.rows
        .unwrap_or_default()
        .iter()
        .map(|row| int(&row[0]))
        .collect()
}

async fn error(engine: &Engine, session: &mut Session, sql: &str) -> String {
    match engine.execute_sql(session, sql, Vec::new()).await {
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
        Err(kalamdb_core::exec::batch::BatchError::Statement { error, .. }) => error.to_string(),
        Err(e) => format!("{e:?}"),
    }
}

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            manifests(&path, out);
        } else if path.file_name().is_some_and(|n| n == "manifest.json") {
            out.push(path);
        }
    }
}

/// Every version in the Parquet segments the manifests under `dir` list: (user, id, deleted),
/// the user being the last folder of the partition's path.
fn cold_versions(dir: &Path) -> Vec<(String, i64, bool)> {
    let mut found = Vec::new();
    manifests(dir, &mut found);
    let mut out = Vec::new();
    for manifest in found {
        let json: Json = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
        let folder = manifest.parent().unwrap();
        let user = folder.file_name().unwrap().to_string_lossy().into_owned();
        for segment in json["segments"].as_array().unwrap() {
            let file = std::fs::File::open(folder.join(segment["file"].as_str().unwrap())).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .build()
                .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let id = batch
                    .column_by_name("id")
                    .unwrap()
                    .as_primitive::<Int64Type>();
                let deleted = batch.column_by_name("_deleted").unwrap().as_boolean();
                for i in 0..batch.num_rows() {
                    out.push((user.clone(), id.value(i), deleted.value(i)));
                }
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn old_tombstones_leave_parquet_and_the_hot_store_recent_ones_stay() {
    let (dir, engine, mut root) = app_engine(
        "CREATE USER TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
        None,
    )
    .await;
    run(
        &engine,
        &mut root,
        "CREATE USER alice WITH PASSWORD 'pw-alice-1' ROLE user",
    )
    .await;
    run(
        &engine,
        &mut root,
        "CREATE USER bob WITH PASSWORD 'pw-bob-1' ROLE user",
    )
    .await;
    let table = TableId::new("app", "t");
    let mut alice = as_user("alice");
    let mut bob = as_user("bob");
    let values: Vec<String> = (1..=8).map(|i| format!("({i}, 'v{i}')")).collect();
    let insert = format!("INSERT INTO app.t VALUES {}", values.join(", "));
    run(&engine, &mut alice, &insert).await;
    run(&engine, &mut bob, &insert).await;
    engine.flush_table(&table, &|| false).await.unwrap();
    // Old: 1 and 2 deleted and flushed (tombstones in Parquet over cold rows), 4 updated and
    // flushed (a superseded cold version).
    run(&engine, &mut alice, "DELETE FROM app.t WHERE id IN (1, 2)").await;
    run(
        &engine,
        &mut alice,
        "UPDATE app.t SET v = 'new' WHERE id = 4",
    )
    .await;
    engine.flush_table(&table, &|| false).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    // Recent: 5 deleted and flushed; 3 and 6 deleted and left hot (over cold rows).
    run(&engine, &mut alice, "DELETE FROM app.t WHERE id = 5").await;
    engine.flush_table(&table, &|| false).await.unwrap();
    run(&engine, &mut alice, "DELETE FROM app.t WHERE id IN (3, 6)").await;
    let storage = dir.path().join("storage");
    let of = |who: &str| {
        let who = who.to_string();
        move |versions: &[(String, i64, bool)]| -> Vec<(i64, bool)> {
            versions
                .iter()
                .filter(|(u, _, _)| *u == who)
                .map(|(_, id, d)| (*id, *d))
                .collect()
        }
    };
    let (alices, bobs) = (of("alice"), of("bob"));
    let before = cold_versions(&storage);
    assert!(alices(&before).contains(&(1, true)) && alices(&before).contains(&(5, true)));
    let bob_before = bobs(&before);
    assert_eq!(bob_before.len(), 8);

    let r = run(
        &engine,
        &mut root,
        "CLEANUP DELETED ROWS IN app.t OLDER THAN 1 SECOND",
    )
    .await;
    let message = r.message.clone().unwrap_or_default();
    // The tombstones of 1 and 2 with the rows they hid, and 4's first version.
    assert!(
        message
            .starts_with("Cleaned up 2 deleted row(s) and 3 superseded version(s) in 1 table(s)"),
        "{message}"
    );
    assert_eq!(r.row_count, 5);
    let after = cold_versions(&storage);
    // Alice: 3, 5, 6, 7, 8 in the first segment, the new 4, and 5's recent tombstone.
    assert_eq!(
        alices(&after),
        vec![
            (3, false),
            (4, false),
            (5, false),
            (5, true),
            (6, false),
            (7, false),
            (8, false)
        ]
    );
    // Bob's partition had no deletes: it is as it was.
    assert_eq!(bobs(&after), bob_before);
    assert_eq!(ids(&engine, &mut alice).await, vec![4, 7, 8]);
    assert_eq!(ids(&engine, &mut bob).await, (1..=8).collect::<Vec<_>>());
    let v = run(&engine, &mut alice, "SELECT v FROM app.t WHERE id = 4").await;
    assert_eq!(v.rows.unwrap()[0][0], Json::from("new"));

    // Later the recent ones are old too: 5's tombstone leaves Parquet, 3's and 6's the hot
    // store (a flush finds nothing of them to write), each with the cold row it hid.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let r = run(
        &engine,
        &mut root,
        "CLEANUP DELETED ROWS OLDER THAN 1 SECOND",
    )
    .await;
    let message = r.message.clone().unwrap_or_default();
    assert!(
        message
            .starts_with("Cleaned up 3 deleted row(s) and 3 superseded version(s) in 1 table(s)"),
        "{message}"
    );
    engine.flush_table(&table, &|| false).await.unwrap();
    let after = cold_versions(&storage);
    assert_eq!(alices(&after), vec![(4, false), (7, false), (8, false)]);
    assert_eq!(bobs(&after), bob_before);
    assert_eq!(ids(&engine, &mut alice).await, vec![4, 7, 8]);
    // A purged key can be inserted again.
    run(&engine, &mut alice, "INSERT INTO app.t VALUES (1, 'again')").await;
    assert_eq!(ids(&engine, &mut alice).await, vec![1, 4, 7, 8]);
    assert_eq!(ids(&engine, &mut bob).await, (1..=8).collect::<Vec<_>>());
    engine.shutdown();
}

#[tokio::test]
async fn cleanup_needs_the_service_role_and_a_table_that_keeps_rows() {
    let (_dir, engine, mut root) =
        app_engine("CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY)", None).await;
    run(
        &engine,
        &mut root,
        "CREATE USER carol WITH PASSWORD 'pw-carol-1' ROLE user",
    )
    .await;
    run(
        &engine,
        &mut root,
        "CREATE STREAM TABLE app.ev (id BIGINT PRIMARY KEY) WITH (TTL_SECONDS = 60)",
    )
    .await;
    let mut carol = as_user("carol");
    let denied = error(&engine, &mut carol, "CLEANUP DELETED ROWS").await;
    assert!(denied.contains("CLEANUP DELETED ROWS"), "{denied}");
    let stream = error(&engine, &mut root, "CLEANUP DELETED ROWS IN app.ev").await;
    assert!(stream.contains("STREAM table app.ev"), "{stream}");
    // The built-in flow exists and cannot be dropped.
    let flows = run(&engine, &mut root, "SHOW FLOWS").await;
    let text = serde_json::to_string(&flows.rows).unwrap();
    assert!(text.contains("deleted_row_cleanup"), "{text}");
    let drop = error(&engine, &mut root, "DROP FLOW system.deleted_row_cleanup").await;
    assert!(drop.contains("cannot be dropped"), "{drop}");
    engine.shutdown();
}
