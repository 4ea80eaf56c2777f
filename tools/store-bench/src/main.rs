//! `kalamdb-store-bench`: kernel-level measurements without HTTP, one JSON object per run.
//!
//! - `--scenario rocksdb-put` (default): the raw write limit of this machine through the
//!   kernel's store — single-row insert commands submitted to the shard writers (group commit,
//!   WAL, no fsync, as the server runs by default), no SQL parsing. `kalam-bench` runs it as a
//!   baseline: `{"scenario":"rocksdb_put","ops":N,"concurrency":C,"ops_per_sec":..,"mean_us":..}`.
//! - `--scenario plan-cache`: parameterized primary-key lookups through the engine with the plan
//!   cache on and off: `{"scenario":"plan_cache","with_cache_mean_us":..,
//!   "without_cache_mean_us":..,"speedup":..}`.

use clap::Parser;
use kalamdb_core::live::ChangeFeed;
use kalamdb_core::store::{HotStore, RowMode, RowOp, StoreOptions, TableWrite, WriterId, keys};
use kalamdb_core::value::Value;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "kalamdb-store-bench",
    about = "Rows per second through the kernel's RocksDB store"
)]
struct Args {
    /// `rocksdb-put` or `plan-cache`.
    #[arg(long, default_value = "rocksdb-put")]
    scenario: String,
    /// Insert commands in total.
    #[arg(long, default_value_t = 50_000)]
    ops: usize,
    /// Tasks submitting at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Folder for the throwaway store (default: a temporary folder).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

fn fail(message: String) -> ! {
    eprintln!("kalamdb-store-bench: {message}");
    std::process::exit(1);
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match args.scenario.as_str() {
        "rocksdb-put" => rocksdb_put(&args).await,
        "plan-cache" => plan_cache(&args).await,
        other => fail(format!(
            "unknown scenario '{other}': use rocksdb-put or plan-cache"
        )),
    }
}

/// Mean microseconds of `ops` parameterized point lookups on an engine whose plan cache holds
/// `entries` plans.
async fn lookups(entries: usize, ops: usize) -> f64 {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| fail(format!("tempdir: {e}")));
    let mut registry = kalamdb_core::plugin::Registry::new();
    kalamdb_serde_json::register(&mut registry).unwrap_or_else(|e| fail(e.to_string()));
    kalamdb_storage_fs::register(&mut registry).unwrap_or_else(|e| fail(e.to_string()));
    let config = kalamdb_core::EngineConfig {
        data_dir: tmp.path().to_path_buf(),
        bcrypt_cost: 4,
        root_password: Some("bench".into()),
        plan_cache_entries: entries,
        ..kalamdb_core::EngineConfig::default()
    };
    let engine = kalamdb_core::Engine::open(config, registry)
        .await
        .unwrap_or_else(|e| fail(e.to_string()));
    let mut session = kalamdb_core::Session::new(
        kalamdb_types::UserId::new("root"),
        kalamdb_types::Role::System,
    );
    let setup =
        "CREATE NAMESPACE bench; CREATE SHARED TABLE bench.t (id BIGINT PRIMARY KEY, v TEXT)";
    engine
        .execute_sql(&mut session, setup, Vec::new())
        .await
        .unwrap_or_else(|e| fail(format!("{e:?}")));
    for chunk in 0..10 {
        let values: Vec<String> = (0..1000)
            .map(|i| format!("({}, 'row {i}')", chunk * 1000 + i))
            .collect();
        let sql = format!("INSERT INTO bench.t VALUES {}", values.join(", "));
        engine
            .execute_sql(&mut session, &sql, Vec::new())
            .await
            .unwrap_or_else(|e| fail(format!("{e:?}")));
    }
    let sql = "SELECT id, v FROM bench.t WHERE id = $1";
    let run = |i: usize| {
        let engine = engine.clone();
        let mut session = session.clone();
        async move {
            engine
                .execute_sql(
                    &mut session,
                    sql,
                    vec![Value::Int((i * 7919 % 10_000) as i64)],
                )
                .await
                .map(|r| r.len())
        }
    };
    for i in 0..50 {
        run(i).await.unwrap_or_else(|e| fail(format!("{e:?}")));
    }
    let start = Instant::now();
    for i in 0..ops {
        run(i).await.unwrap_or_else(|e| fail(format!("{e:?}")));
    }
    let mean = start.elapsed().as_secs_f64() * 1_000_000.0 / ops.max(1) as f64;
    engine.store.shutdown();
    mean
}

async fn plan_cache(args: &Args) {
    let ops = args.ops.min(20_000);
    let without = lookups(0, ops).await;
    let with = lookups(1000, ops).await;
    println!(
        "{}",
        serde_json::json!({
            "scenario": "plan_cache",
            "ops": ops,
            "with_cache_mean_us": with,
            "without_cache_mean_us": without,
            "speedup": without / with,
        })
    );
}

async fn rocksdb_put(args: &Args) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| fail(format!("tempdir: {e}")));
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let (feed, _rx) = ChangeFeed::new();
    let store = HotStore::open(
        &dir.join("rocksdb"),
        Arc::new(kalamdb_serde_json::JsonCodec),
        StoreOptions::default(),
        Arc::new(feed),
    )
    .unwrap_or_else(|e| fail(e.to_string()));
    let table = kalamdb_types::TableId::new("bench", "puts");
    let cf = keys::shared_table_cf(&table);
    store.ensure_cf(&cf).unwrap_or_else(|e| fail(e.to_string()));
    let store = Arc::new(store);
    let concurrency = args.concurrency.max(1);
    let per_task = args.ops.div_ceil(concurrency);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let store = store.clone();
        let cf = cf.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let id = (t * per_task + i) as i64;
                let key = keys::shared_row_key(&Value::Int(id))?;
                let write = TableWrite {
                    cf: cf.clone(),
                    table_label: "bench.puts".into(),
                    pk_column: "id".into(),
                    ops: vec![RowOp {
                        key,
                        cells: vec![(0, Value::Int(id)), (1, Value::Text(format!("row {id}")))],
                        mode: RowMode::Insert,
                        pk_display: id.to_string(),
                        append_seq_to_key: false,
                        prior: None,
                    }],
                    meta: None,
                };
                let began = Instant::now();
                store.submit(WriterId::Shared, write).await?;
                latencies.push(began.elapsed().as_micros() as u64);
            }
            Ok::<_, kalamdb_core::KalamError>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(l)) => latencies.extend(l),
            Ok(Err(e)) => fail(e.to_string()),
            Err(e) => fail(e.to_string()),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    store.shutdown();
    let ops = latencies.len();
    let mean = latencies.iter().sum::<u64>() as f64 / ops.max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "scenario": "rocksdb_put",
            "ops": ops,
            "concurrency": concurrency,
            "ops_per_sec": ops as f64 / elapsed,
            "mean_us": mean,
        })
    );
}
