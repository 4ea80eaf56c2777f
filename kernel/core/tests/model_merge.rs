//! The hot+cold merge against a model: random INSERT / UPDATE / DELETE with flushes and
//! compactions in between must leave exactly what a `BTreeMap` holds after the same operations,
//! for a SHARED table and for one user's partition of a USER table.

mod common;
use common::{app_engine, run};
use kalamdb_types::TableId;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Op {
    Insert(i64, i64),
    Update(i64, i64),
    Delete(i64),
    Flush,
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..24i64, 0..1000i64).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0..24i64, 0..1000i64).prop_map(|(k, v)| Op::Update(k, v)),
        2 => (0..24i64).prop_map(Op::Delete),
        1 => Just(Op::Flush),
        1 => Just(Op::Compact),
    ]
}

async fn check(ops: Vec<Op>, table_type: &str) {
    let ddl = format!("CREATE {table_type} TABLE app.t (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)");
    let (_dir, engine, mut s) = app_engine(&ddl, None).await;
    let table = TableId::new("app", "t");
    let mut model: BTreeMap<i64, i64> = BTreeMap::new();
    for op in &ops {
        match op {
            Op::Insert(k, v) => {
                let sql = format!("INSERT INTO app.t VALUES ({k}, {v})");
                let outcome = engine.execute_sql(&mut s, &sql, Vec::new()).await;
                assert_eq!(
                    outcome.is_ok(),
                    !model.contains_key(k),
                    "{sql}: {outcome:?}"
                );
                model.entry(*k).or_insert(*v);
            }
            Op::Update(k, v) => {
                let r = run(
                    &engine,
                    &mut s,
                    &format!("UPDATE app.t SET v = {v} WHERE id = {k}"),
                )
                .await;
                assert_eq!(
                    r.row_count,
                    usize::from(model.contains_key(k)),
                    "update {k}"
                );
                if let Some(slot) = model.get_mut(k) {
                    *slot = *v;
                }
            }
            Op::Delete(k) => {
                let r = run(
                    &engine,
                    &mut s,
                    &format!("DELETE FROM app.t WHERE id = {k}"),
                )
                .await;
                assert_eq!(
                    r.row_count,
                    usize::from(model.remove(k).is_some()),
                    "delete {k}"
                );
            }
            Op::Flush => {
                engine.flush_table(&table, &|| false).await.expect("flush");
            }
            Op::Compact => {
                engine.compact_table(&table, 0).await.expect("compact");
            }
        }
    }
    let r = run(&engine, &mut s, "SELECT id, v FROM app.t ORDER BY id").await;
    let expected: Vec<Vec<serde_json::Value>> = model
        .iter()
        .map(|(k, v)| vec![json!(k.to_string()), json!(v.to_string())])
        .collect();
    assert_eq!(r.rows, Some(expected), "after {ops:?}");
    engine.shutdown();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn shared_table_matches_the_model(ops in proptest::collection::vec(op(), 1..50)) {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(check(ops, "SHARED"));
    }

    #[test]
    fn user_partition_matches_the_model(ops in proptest::collection::vec(op(), 1..50)) {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(check(ops, "USER"));
    }
}
