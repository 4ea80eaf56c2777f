//! `kalam-bench`: KalamDB benchmarks. Runs each scenario against a server over HTTP and
//! WebSocket, the equivalent statements against PostgreSQL in the same run, and the machine's
//! raw limits (an empty HTTP handler, the RocksDB put rate); prints a table and writes a JSON
//! report (schema in `docs/benchmarks.md`). Exit code 1 when any scenario failed.
//!
//! Modules:
//! - `cli`: options. `scenarios`: what is measured. `runner`: timing with concurrency.
//! - `stats`: mean and percentiles. `report`: the JSON schema and the table.
//! - `kalam`: setup over HTTP. `ws`: the WebSocket client. `pg`: the PostgreSQL baseline.
//! - `empty_http`, `store_bench`: the raw limits. `machine`: what it ran on.
//! - `took`: the server's own time per request, beside the client's latency.

mod cli;
mod empty_http;
mod kalam;
mod machine;
mod pg;
mod report;
mod runner;
mod scenarios;
mod stats;
mod store_bench;
mod took;
mod ws;

use clap::Parser;
use cli::{Args, Scale};
use kalam_link::{Auth, chrono};
use report::{Report, ScenarioReport, Settings, Status, Target};
use runner::{Plan, measure};
use scenarios::{Ctx, GROUPS, Sizes};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for (name, what) in GROUPS {
            println!("{name:<26} {what}");
        }
        return ExitCode::SUCCESS;
    }
    match run(args).await {
        Ok(report) => {
            let failed = report
                .limits
                .iter()
                .chain(&report.scenarios)
                .any(|s| s.status == Status::Failed);
            if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("kalam-bench: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<Report, String> {
    let started_at = chrono::Utc::now().to_rfc3339();
    let (mut sizes, iterations, warmup) = match args.scale {
        Scale::Full => (Sizes::full(), 100, 10),
        Scale::Tiny => (Sizes::tiny(), 3, 1),
    };
    if let Some(levels) = &args.user_levels {
        sizes.user_levels = levels.clone();
    }
    let concurrency = args.concurrency.max(1);
    let plan = Plan {
        iterations: args.iterations.unwrap_or(iterations).max(1),
        warmup: args
            .warmup
            .unwrap_or_else(|| warmup.max(concurrency as u64)),
        concurrency,
    };
    let root = kalam::client(&args.url, Auth::basic(&args.user, &args.password))?;
    let server_version = match root.health().await {
        kalam_link::HealthStatus::Ok(v) => v,
        other => return Err(format!("server not usable: {other:?}")),
    };
    let root_token = root.login().await.map_err(|e| e.to_string())?.access_token;
    let ns = format!(
        "kbench_{}_{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        std::process::id()
    );
    kalam::exec(&root, &format!("CREATE NAMESPACE {ns}")).await?;

    let (pg, pg_missing) = match &args.pg_url {
        None => (None, "no --pg-url given".to_string()),
        Some(url) => {
            let most_writers = sizes.rate_levels.iter().copied().max().unwrap_or(1);
            let size = plan
                .concurrency
                .max(sizes.concurrent_users)
                .max(most_writers)
                .max(2);
            match pg::PgPool::new(url, size).await {
                Ok(pool) => match pool.exec(0, &format!("CREATE SCHEMA {ns}")).await {
                    Ok(_) => (Some(pool), String::new()),
                    Err(e) => (None, e),
                },
                Err(e) => (None, e),
            }
        }
    };
    let postgresql_version = match &pg {
        Some(pool) => pool.version().await,
        None => None,
    };
    if !pg_missing.is_empty() && args.pg_url.is_some() {
        eprintln!("kalam-bench: PostgreSQL baseline unavailable: {pg_missing}");
    }

    let store = args.store_bench.as_deref();
    let (insert_ops, users) = match args.scale {
        Scale::Full => ("12000", "10000"),
        Scale::Tiny => ("600", "200"),
    };
    let limits = vec![
        empty_http_limit(plan).await,
        store_limit(
            store,
            "rocksdb_put",
            "RocksDB put rate through the kernel's store, without HTTP (kalamdb-store-bench)",
            &[],
        ),
        store_limit(
            store,
            "insert_statistics",
            "single-row INSERTs through the engine with statistics on (result) and off (params), same run",
            &[
                "--scenario",
                "stats-insert",
                "--ops",
                insert_ops,
                "--concurrency",
                "10",
            ],
        ),
        store_limit(
            store,
            "advisor_pass",
            "one advisor pass (snapshot and every bundled rule) over many user partitions",
            &["--scenario", "advisor-pass", "--users", users],
        ),
    ];
    let empty_http_mean = limits[0].result.as_ref().map(|s| s.mean_us);

    let ctx = Ctx {
        url: args.url.trim_end_matches('/').to_string(),
        root,
        root_token,
        bulk: kalam::Bulk::new(&args.url)?,
        pg,
        pg_missing,
        plan,
        sizes,
        ns: ns.clone(),
        user_password: format!("{ns}-pw"),
    };
    let mut scenarios = Vec::new();
    for (group, _) in GROUPS {
        if !scenarios::selected(group, args.filter.as_deref()) {
            continue;
        }
        eprintln!("kalam-bench: running {group}");
        for mut r in scenarios::run_group(group, &ctx).await {
            r.relate_to_empty_http(empty_http_mean);
            if let Some(e) = &r.error {
                eprintln!("kalam-bench: {} {:?}: {e}", r.name, r.status);
            }
            scenarios.push(r);
        }
    }

    if !args.keep {
        if let Err(e) = kalam::exec(&ctx.root, &format!("DROP NAMESPACE {ns} CASCADE")).await {
            eprintln!("kalam-bench: cleanup: {e}");
        }
        if let Some(pg) = &ctx.pg
            && let Err(e) = pg.exec(0, &format!("DROP SCHEMA {ns} CASCADE")).await
        {
            eprintln!("kalam-bench: PostgreSQL cleanup: {e}");
        }
    }

    let report = Report {
        schema_version: report::SCHEMA_VERSION,
        tool: "kalam-bench".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        machine: machine::Machine::detect(),
        target: Target {
            url: ctx.url.clone(),
            server_version,
            postgresql_version,
        },
        settings: Settings {
            scale: format!("{:?}", args.scale).to_lowercase(),
            concurrency: plan.concurrency,
            iterations: plan.iterations,
            warmup: plan.warmup,
            filter: args.filter.clone(),
        },
        limits,
        scenarios,
    };
    print!("{}", report::render_table(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    }
    Ok(report)
}

/// The empty HTTP handler's request rate, with the same client and concurrency.
async fn empty_http_limit(plan: Plan) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "empty_http",
        "POST /v1/api/sql to an in-process responder that answers a fixed body (kalam-link client)",
    );
    let outcome = async {
        let server = empty_http::start().await?;
        let client = kalam::client(&server.url, Auth::None)?;
        let client = &client;
        measure(plan, |i| async move {
            client
                .query(&format!("SELECT {i}"))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await
    }
    .await;
    r.set_result(outcome);
    r
}

/// A kernel-level measurement from `kalamdb-store-bench` (run with `args`), when available.
fn store_limit(
    explicit: Option<&std::path::Path>,
    name: &str,
    description: &str,
    args: &[&str],
) -> ScenarioReport {
    let mut r = ScenarioReport::new(name, description);
    match store_bench::locate(explicit) {
        None => r.skip(format!(
            "{} not found: pass --store-bench PATH or put it beside kalam-bench",
            store_bench::BINARY
        )),
        Some(path) => match store_bench::run(&path, args) {
            Ok((summary, raw)) => {
                r.set_result(Ok(summary));
                r.params = raw;
            }
            Err(e) => r.set_result(Err(e)),
        },
    }
    r
}
