//! The writers' partition counters against the truth: many rounds of concurrent inserts,
//! updates, deletes and evictions of the same keys (so they share group commits), on a USER
//! and a SHARED column family; after every round the counters equal a count of what RocksDB
//! holds, and a reopened store reads the same counters back.

mod common;
use common::open;

use kalamdb_plugin_api::{Value, decode_row};
use kalamdb_store::counters::PartitionKey;

use kalamdb_store::keys::{shared_row_key, shared_table_cf, user_row_key, user_table_cf};
use kalamdb_store::{HotStore, RowMode, RowOp, TableWrite, WriterId};
use kalamdb_types::{ShardId, TableId, UserId};
use std::collections::BTreeMap;

/// (rows, bytes) per partition, by reading every family.
fn truth(store: &HotStore, cfs: &[String]) -> BTreeMap<PartitionKey, (i64, i64)> {
    let mut out: BTreeMap<PartitionKey, (i64, i64)> = BTreeMap::new();
    for cf in cfs {
        store
            .for_each_prefix(cf, b"", |key, value| {
                if let Some(p) = PartitionKey::of(cf, key) {
                    let e = out.entry(p).or_default();
                    e.1 += (key.len() + value.len()) as i64;
                    if decode_row(store.codec().as_ref(), value).is_ok_and(|r| !r.deleted) {
                        e.0 += 1;
                    }
                }
                Ok(true)
            })
            .unwrap_or_else(|e| panic!("scan: {e}"));
    }
    out
}

fn counted(store: &HotStore) -> BTreeMap<PartitionKey, (i64, i64)> {
    store
        .counters()
        .all()
        .into_iter()
        .filter(|(_, c)| c.rows != 0 || c.bytes != 0)
        .map(|(k, c)| (k, (c.rows, c.bytes)))
        .collect()
}

/// A small deterministic generator (no dependency).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_equal_what_rocksdb_holds_under_concurrent_writes_and_evictions() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let table = TableId::new("app", "t");
    let user_cf = user_table_cf(ShardId(0), &table);
    let shared_cf = shared_table_cf(&table);
    for cf in [&user_cf, &shared_cf] {
        store.ensure_cf(cf).unwrap_or_else(|e| panic!("{e}"));
    }
    let users = [UserId::new("alice"), UserId::new("bob")];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _round in 0..60 {
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let id = rng.below(12) as i64;
            let (cf, writer, key) = match rng.below(3) {
                0 => (
                    shared_cf.clone(),
                    WriterId::Shared,
                    shared_row_key(&Value::Int(id)),
                ),
                n => {
                    let user = &users[n as usize - 1];
                    (
                        user_cf.clone(),
                        WriterId::User(ShardId(0)),
                        user_row_key(user, &Value::Int(id)),
                    )
                }
            };
            let key = key.unwrap_or_else(|e| panic!("{e}"));
            let store = store.clone();
            let action = rng.below(4);
            tasks.push(tokio::spawn(async move {
                if action == 3 {
                    // Evict the current version, as a flush does.
                    if let Ok(Some(row)) = store.get_row(&cf, &key) {
                        let _ = store.evict(&cf, vec![(key, row.seq)]).await;
                    }
                    return;
                }
                let mode = [RowMode::Insert, RowMode::Update, RowMode::Delete][action as usize];
                let write = TableWrite {
                    cf,
                    table_label: "app.t".into(),
                    pk_column: "id".into(),
                    ops: vec![RowOp {
                        key,
                        cells: vec![
                            (0, Value::Int(id)),
                            (1, Value::Text("x".repeat(id as usize))),
                        ],
                        mode,
                        pk_display: id.to_string(),
                        append_seq_to_key: false,
                        prior: None,
                    }],
                    meta: None,
                    taps: Vec::new(),
                    commit_with: Vec::new(),
                };
                // A duplicate insert is refused; an update of a missing row is skipped.
                let _ = store.submit(writer, write).await;
            }));
        }
        for t in tasks {
            t.await.unwrap_or_else(|e| panic!("{e}"));
        }
        let cfs = [user_cf.clone(), shared_cf.clone()];
        assert_eq!(counted(&store), truth(&store, &cfs));
    }
    let before = counted(&store);
    assert!(!before.is_empty());
    store.shutdown();
    drop(store);
    let again = open(dir.path());
    assert_eq!(
        counted(&again),
        before,
        "the counters are read back after a restart"
    );
    again.shutdown();
}
