//! `kalamdb-store-bench`: kernel-level measurements without HTTP, one JSON object per run.
//!
//! - `--scenario rocksdb-put` (default): the raw write limit of this machine through the
//!   kernel's store — single-row insert commands submitted to the shard writers (group commit,
//!   WAL, no fsync, as the server runs by default), no SQL parsing. `kalam-bench` runs it as a
//!   baseline: `{"scenario":"rocksdb_put","ops":N,"concurrency":C,"ops_per_sec":..,"mean_us":..}`.
//! - `--scenario plan-cache`: parameterized primary-key lookups through the engine with the plan
//!   cache on and off: `{"scenario":"plan_cache","with_cache_mean_us":..,
//!   "without_cache_mean_us":..,"speedup":..}`.
//! - `--scenario stats-insert`: the insert path's cost with statistics on and off, in the same
//!   run: single-row SQL INSERTs into a USER table from `--concurrency` users at once, through
//!   the engine (parse, plan, shard writer, WAL), rounds alternating between an engine with
//!   statistics and one without: `{"scenario":"stats_insert","with_stats_ops_per_sec":..,
//!   "without_stats_ops_per_sec":..,"with_stats_mean_us":..,"without_stats_mean_us":..,
//!   "overhead_pct":<median of the rounds>,"overhead_pct_rounds":[..]}`.
//! - `--scenario advisor-pass`: one advisor pass (snapshot + every bundled rule + findings)
//!   over `--users` user partitions: `{"scenario":"advisor_pass","partitions":..,
//!   "snapshot_mean_ms":..,"pass_mean_ms":..,"findings":..}`.

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
    /// User partitions (`advisor-pass`).
    #[arg(long, default_value_t = 10_000)]
    users: usize,
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
        "stats-insert" => stats_insert(&args).await,
        "advisor-pass" => advisor_pass(&args).await,
        other => fail(format!(
            "unknown scenario '{other}': use rocksdb-put, plan-cache, stats-insert or advisor-pass"
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

/// An engine in a fresh folder with the bundled JSON codec, filesystem storage and advisor
/// rules, and a `bench.notes` USER table.
async fn engine(statistics: bool) -> (Arc<kalamdb_core::Engine>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| fail(format!("tempdir: {e}")));
    let mut registry = kalamdb_core::plugin::Registry::new();
    kalamdb_serde_json::register(&mut registry).unwrap_or_else(|e| fail(e.to_string()));
    kalamdb_storage_fs::register(&mut registry).unwrap_or_else(|e| fail(e.to_string()));
    kalamdb_optimizer_rules::register(&mut registry).unwrap_or_else(|e| fail(e.to_string()));
    let config = kalamdb_core::EngineConfig {
        data_dir: tmp.path().to_path_buf(),
        bcrypt_cost: 4,
        root_password: Some("bench".into()),
        statistics,
        ..kalamdb_core::EngineConfig::default()
    };
    let engine = kalamdb_core::Engine::open(config, registry)
        .await
        .unwrap_or_else(|e| fail(e.to_string()));
    let mut root = kalamdb_core::Session::new(
        kalamdb_types::UserId::new("root"),
        kalamdb_types::Role::System,
    );
    engine
        .execute_sql(
            &mut root,
            "CREATE NAMESPACE bench; CREATE USER TABLE bench.notes (id BIGINT PRIMARY KEY, body TEXT)",
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| fail(format!("{e:?}")));
    (engine, tmp)
}

/// `ops` single-row inserts from `concurrency` users at once; returns (ops/s, mean µs).
async fn insert_round(
    engine: &Arc<kalamdb_core::Engine>,
    round: usize,
    ops: usize,
    concurrency: usize,
) -> (f64, f64) {
    let per_task = ops.div_ceil(concurrency);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            let mut session = kalamdb_core::Session::new(
                kalamdb_types::UserId::new(format!("user{t}")),
                kalamdb_types::Role::User,
            );
            let mut total_us = 0u64;
            for i in 0..per_task {
                // Each user's ids: unique across rounds of any size.
                let id = (round * 10_000_000 + i) as i64;
                let began = Instant::now();
                engine
                    .execute_sql(
                        &mut session,
                        "INSERT INTO bench.notes (id, body) VALUES ($1, $2)",
                        vec![Value::Int(id), Value::Text(format!("note {id}"))],
                    )
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                total_us += began.elapsed().as_micros() as u64;
            }
            Ok::<_, String>(total_us)
        }));
    }
    let mut total_us = 0u64;
    for task in tasks {
        match task.await {
            Ok(Ok(us)) => total_us += us,
            Ok(Err(e)) => fail(e),
            Err(e) => fail(e.to_string()),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let done = per_task * concurrency;
    (done as f64 / elapsed, total_us as f64 / done.max(1) as f64)
}

async fn stats_insert(args: &Args) {
    let concurrency = args.concurrency.max(1);
    let rounds = 12;
    let per_round = (args.ops / rounds).max(concurrency);
    let (with, _keep_with) = engine(true).await;
    let (without, _keep_without) = engine(false).await;
    // Warm-up, then rounds alternating between the two engines (which one goes first
    // alternates too), so drift and order hit both alike.
    insert_round(&with, 0, concurrency * 20, concurrency).await;
    insert_round(&without, 0, concurrency * 20, concurrency).await;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        if round % 2 == 0 {
            on.push(insert_round(&with, round, per_round, concurrency).await);
            off.push(insert_round(&without, round, per_round, concurrency).await);
        } else {
            off.push(insert_round(&without, round, per_round, concurrency).await);
            on.push(insert_round(&with, round, per_round, concurrency).await);
        }
    }
    let mean = |v: &[(f64, f64)], pick: fn(&(f64, f64)) -> f64| {
        v.iter().map(pick).sum::<f64>() / v.len().max(1) as f64
    };
    let (on_ops, off_ops) = (mean(&on, |r| r.0), mean(&off, |r| r.0));
    let (on_us, off_us) = (mean(&on, |r| r.1), mean(&off, |r| r.1));
    // Per round pair: how much slower the engine with statistics was, in percent.
    let mut overheads: Vec<f64> = on
        .iter()
        .zip(off.iter())
        .map(|(a, b)| (b.0 / a.0 - 1.0) * 100.0)
        .collect();
    overheads.sort_by(|a, b| a.total_cmp(b));
    let median = overheads[overheads.len() / 2];
    with.shutdown();
    without.shutdown();
    println!(
        "{}",
        serde_json::json!({
            "scenario": "stats_insert",
            "ops_per_sec": on_ops,
            "mean_us": on_us,
            "ops": per_round * rounds,
            "concurrency": concurrency,
            "with_stats_ops_per_sec": on_ops,
            "without_stats_ops_per_sec": off_ops,
            "with_stats_mean_us": on_us,
            "without_stats_mean_us": off_us,
            "overhead_pct": median,
            "overhead_pct_rounds": overheads,
        })
    );
}

async fn advisor_pass(args: &Args) {
    let (engine, _keep) = engine(true).await;
    let users = args.users.max(1);
    // One row in each of `users` partitions, 32 users at a time.
    let mut tasks = Vec::new();
    for t in 0..32usize {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            for u in (t..users).step_by(32) {
                let mut session = kalamdb_core::Session::new(
                    kalamdb_types::UserId::new(format!("u{u:05}")),
                    kalamdb_types::Role::User,
                );
                engine
                    .execute_sql(
                        &mut session,
                        "INSERT INTO bench.notes VALUES (1, 'x')",
                        Vec::new(),
                    )
                    .await
                    .map_err(|e| format!("{e:?}"))?;
            }
            Ok::<_, String>(())
        }));
    }
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fail(e),
            Err(e) => fail(e.to_string()),
        }
    }
    let partitions = engine.stats_snapshot().partitions.len();
    let passes = 10;
    let start = Instant::now();
    for _ in 0..passes {
        std::hint::black_box(engine.stats_snapshot());
    }
    let snapshot_ms = start.elapsed().as_secs_f64() * 1000.0 / passes as f64;
    let start = Instant::now();
    let mut report = kalamdb_core::advisor::PassReport::default();
    for _ in 0..passes {
        report = engine
            .run_advisor()
            .await
            .unwrap_or_else(|e| fail(e.to_string()));
    }
    let pass_ms = start.elapsed().as_secs_f64() * 1000.0 / passes as f64;
    engine.shutdown();
    println!(
        "{}",
        serde_json::json!({
            "scenario": "advisor_pass",
            "ops_per_sec": 1000.0 / pass_ms.max(f64::MIN_POSITIVE),
            "mean_us": pass_ms * 1000.0,
            "partitions": partitions,
            "rules": report.rules,
            "snapshot_mean_ms": snapshot_ms,
            "pass_mean_ms": pass_ms,
            "findings": report.open,
        })
    );
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
                    taps: Vec::new(),
                    commit_with: Vec::new(),
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
