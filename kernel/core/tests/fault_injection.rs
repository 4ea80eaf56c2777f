//! Fault injection at each storage step of flush and compaction: a failed or torn write of a
//! segment or manifest, a failed rename, a failed delete or read of a segment. Whatever fails,
//! no row is lost or comes back, no manifest lists a missing file, and the next flush and
//! compaction succeed: hot rows are only deleted after the cold copy is committed.

mod common;
use common::faulty::{Armed, Fault, Faults, Op};
use common::{engine_with_faults, root, run};
use kalamdb_types::TableId;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Each manifest under `dir` lists only files that exist.
fn manifests_consistent(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "manifest.json") {
                let text = std::fs::read_to_string(&p).expect("manifest");
                let m: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
                for seg in m["segments"].as_array().into_iter().flatten() {
                    let file = seg["file"].as_str().unwrap_or_default();
                    assert!(
                        d.join(file).exists(),
                        "{} lists missing {file}",
                        p.display()
                    );
                }
            }
        }
    }
}

async fn rows(engine: &kalamdb_core::Engine) -> Vec<Vec<serde_json::Value>> {
    let mut s = root();
    run(engine, &mut s, "SELECT id, v FROM app.t ORDER BY id")
        .await
        .rows
        .unwrap_or_default()
}

fn expected(model: &BTreeMap<i64, String>) -> Vec<Vec<serde_json::Value>> {
    model
        .iter()
        .map(|(k, v)| vec![json!(k.to_string()), json!(v)])
        .collect()
}

/// Writes `from..to` and changes a few older rows; the model follows.
async fn write(
    engine: &kalamdb_core::Engine,
    model: &mut BTreeMap<i64, String>,
    from: i64,
    to: i64,
) {
    let mut s = root();
    for k in from..to {
        run(
            engine,
            &mut s,
            &format!("INSERT INTO app.t VALUES ({k}, 'v{k}')"),
        )
        .await;
        model.insert(k, format!("v{k}"));
    }
    for k in (0..from).step_by(7) {
        run(
            engine,
            &mut s,
            &format!("UPDATE app.t SET v = 'u{to}' WHERE id = {k}"),
        )
        .await;
        if let Some(v) = model.get_mut(&k) {
            *v = format!("u{to}");
        }
    }
    for k in (3..from).step_by(11) {
        run(engine, &mut s, &format!("DELETE FROM app.t WHERE id = {k}")).await;
        model.remove(&k);
    }
}

async fn one_fault(armed: Armed, during_compaction: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let faults = Faults::default();
    let engine = engine_with_faults(dir.path(), Some(faults.clone())).await;
    let mut s = root();
    run(&engine, &mut s, "CREATE NAMESPACE app").await;
    run(
        &engine,
        &mut s,
        "CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, v TEXT NOT NULL)",
    )
    .await;
    let table = TableId::new("app", "t");
    let mut model = BTreeMap::new();
    write(&engine, &mut model, 0, 30).await;
    engine
        .flush_table(&table, &|| false)
        .await
        .expect("first flush");
    write(&engine, &mut model, 30, 60).await;
    let what = format!("{armed:?}");
    let outcome = if during_compaction {
        engine.flush_table(&table, &|| false).await.expect("flush");
        faults.arm(armed);
        engine.compact_table(&table, 0).await.map(|_| ())
    } else {
        faults.arm(armed);
        engine.flush_table(&table, &|| false).await.map(|_| ())
    };
    assert!(
        !faults.pending(),
        "{what}: the fault was never hit ({outcome:?})"
    );
    faults.disarm();
    let storage = dir.path().join("storage");
    assert_eq!(
        rows(&engine).await,
        expected(&model),
        "{what}: after the fault"
    );
    manifests_consistent(&storage);
    // The next flush and compaction work and lose nothing either.
    write(&engine, &mut model, 60, 70).await;
    engine
        .flush_table(&table, &|| false)
        .await
        .expect("flush after the fault");
    engine
        .compact_table(&table, 0)
        .await
        .expect("compaction after the fault");
    assert_eq!(
        rows(&engine).await,
        expected(&model),
        "{what}: after recovery"
    );
    manifests_consistent(&storage);
    engine.shutdown();
}

fn armed(op: Op, needle: &'static str, fault: Fault) -> Armed {
    Armed { op, needle, fault }
}

#[tokio::test]
async fn a_failing_flush_step_loses_nothing() {
    for point in [
        armed(Op::Put, ".parquet.tmp", Fault::Error),
        armed(Op::Put, ".parquet.tmp", Fault::Torn),
        armed(Op::Rename, ".parquet", Fault::Error),
        armed(Op::Put, "manifest.json.tmp", Fault::Error),
        armed(Op::Put, "manifest.json.tmp", Fault::Torn),
        armed(Op::Rename, "manifest.json", Fault::Error),
        armed(
            Op::Put,
            ".parquet.tmp",
            Fault::Slow(Duration::from_millis(200)),
        ),
    ] {
        one_fault(point, false).await;
    }
}

#[tokio::test]
async fn a_failing_compaction_step_loses_nothing() {
    for point in [
        armed(Op::Get, ".parquet", Fault::Error),
        armed(Op::Put, ".parquet.tmp", Fault::Torn),
        armed(Op::Rename, "manifest.json", Fault::Error),
        armed(Op::Delete, ".parquet", Fault::Error),
    ] {
        one_fault(point, true).await;
    }
}
