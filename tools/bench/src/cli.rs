//! Command-line options.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// The sizes of the issue: 10k-row tables, 200k cold rows, 1k subscribers, 100k users.
    Full,
    /// Small sizes for smoke tests: every scenario runs in seconds; figures are meaningless.
    Tiny,
}

/// KalamDB benchmarks with PostgreSQL baselines and JSON output (docs/benchmarks.md).
#[derive(Debug, Parser)]
#[command(name = "kalam-bench", version)]
pub struct Args {
    /// Server URL.
    #[arg(long, env = "KALAM_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A dba or system user: creates namespaces, tables and users.
    #[arg(long, env = "KALAM_USER", default_value = "root")]
    pub user: String,
    #[arg(
        long,
        env = "KALAM_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    pub password: String,
    /// Operations in flight at once (scenarios that are serial by nature ignore it).
    #[arg(long, default_value_t = 10)]
    pub concurrency: usize,
    /// Measured operations per scenario (default: 100 full, 3 tiny).
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Untimed operations before measuring (default: 10 full, 1 tiny, and at least
    /// --concurrency so every pooled connection is open before timing starts).
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Comma-separated substrings of scenario names to run (see --list).
    #[arg(long)]
    pub filter: Option<String>,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// PostgreSQL URL for the baselines, e.g. `host=127.0.0.1 port=5433 user=postgres`.
    #[arg(long, env = "KALAM_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long, value_enum, default_value_t = Scale::Full)]
    pub scale: Scale,
    /// The `kalamdb-store-bench` binary (default: beside this executable).
    #[arg(long)]
    pub store_bench: Option<PathBuf>,
    /// Override the user counts of the user-scaling curve, e.g. `100,1000,5000`.
    #[arg(long, value_delimiter = ',')]
    pub user_levels: Option<Vec<u64>>,
    /// Keep the run's namespace and PostgreSQL schema instead of dropping them.
    #[arg(long)]
    pub keep: bool,
    /// List the scenario groups and exit.
    #[arg(long)]
    pub list: bool,
}
