//! `kalam-soak`: runs a mixed load at saturation against a real `kalamdb-server` it starts
//! itself (127.0.0.1, port 0, a temporary data directory), for a set time. Every sample
//! interval it records the server's resident memory and open files (from `/proc`) and the p99
//! latency of that interval; at the end it writes a JSON report and fails (exit 1) on any
//! answer other than success or 429, or when memory keeps growing.
//!
//! Modules: `load` (the workers), `sample` (what `/proc` says), `server` (starting the binary).

mod load;
mod sample;
mod server;

use clap::Parser;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "A long mixed load against kalamdb-server, with RSS, open files and p99 sampled")]
struct Args {
    /// The server binary (default: $KALAMDB_SERVER_BIN).
    #[arg(long, env = "KALAMDB_SERVER_BIN")]
    server_bin: PathBuf,
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds between samples.
    #[arg(long, default_value_t = 10)]
    sample_every: u64,
    /// Where to write the JSON report.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report {
    seconds: u64,
    concurrency: usize,
    requests: u64,
    rate_limited: u64,
    errors: u64,
    first_errors: Vec<String>,
    samples: Vec<sample::Sample>,
    rss_growth_ratio: f64,
    ok: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(report) => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            println!("{text}");
            if let Some(path) = &args.json
                && let Err(e) = std::fs::write(path, &text)
            {
                eprintln!("kalam-soak: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("kalam-soak: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &Args) -> Result<Report, String> {
    let server = server::Server::start(&args.server_bin)?;
    let setup = load::Setup::create(&server.url, args.concurrency).await?;
    let stats = Arc::new(load::Stats::default());
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let workers = load::spawn_workers(setup, stats.clone(), deadline);
    let mut samples = Vec::new();
    let every = Duration::from_secs(args.sample_every.max(1));
    while Instant::now() < deadline {
        tokio::time::sleep(every.min(deadline.saturating_duration_since(Instant::now()))).await;
        samples.push(sample::take(
            server.pid(),
            &stats,
            samples.len() as u64 * every.as_secs(),
        ));
    }
    for w in workers {
        let _ = w.await;
    }
    let growth = sample::rss_growth(&samples);
    let errors = stats.errors();
    Ok(Report {
        seconds: args.seconds,
        concurrency: args.concurrency,
        requests: stats.requests(),
        rate_limited: stats.rate_limited(),
        errors,
        first_errors: stats.first_errors(),
        rss_growth_ratio: growth,
        // Memory "flat under load": the last third's average within 25% of the second third's
        // (the first third is warm-up: caches and memtables filling).
        ok: errors == 0 && growth <= 1.25,
        samples,
    })
}
