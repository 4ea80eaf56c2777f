//! The scenarios, grouped by what they set up once (a group may report several scenarios):
//! - [`writes`]: single-row and 50-row INSERT, UPDATE and DELETE by key, a 10-user burst.
//! - [`reads`]: filter over 200 rows, key lookup in 10k rows, GROUP BY over 10k rows.
//! - [`cold`]: queries over 200k rows in 20 Parquet files.
//! - [`live`]: subscribe + snapshot, change delivery latency, fan-out.
//! - [`rate`]: insert throughput as 1, 2, 4, 8, 16 users write at once.
//! - [`users`]: one user's key lookup as 100, 10k and 100k users have rows in the table.
//! - [`flows`]: INSERT into a table with a trigger flow, and the trigger's lag.
//! - [`files`]: upload and download throughput against a disk copy; export of 100k rows.
//!
//! Each group creates its own tables in the run's namespace (and the same-named PostgreSQL
//! schema), measures KalamDB, then the PostgreSQL equivalent when a baseline is configured.

pub mod cold;
pub mod files;
pub mod flows;
pub mod live;
pub mod rate;
pub mod reads;
pub mod users;
pub mod writes;

use crate::kalam::Bulk;
use crate::kalam::exec;
use crate::pg::PgPool;
use crate::report::ScenarioReport;
use crate::runner::{Plan, measure};
use crate::took::TookLog;
use kalam_link::KalamClient;

/// Sizes of the data sets; `full` matches the issue, `tiny` is for smoke tests.
#[derive(Clone, Debug)]
pub struct Sizes {
    pub filter_rows: u64,
    pub lookup_rows: u64,
    pub group_rows: u64,
    pub cold_rows: u64,
    pub cold_files: u64,
    pub snapshot_rows: u64,
    pub fanout_subscribers: usize,
    pub concurrent_users: usize,
    /// Writing users at each step of the insert-throughput curve.
    pub rate_levels: Vec<usize>,
    /// Users with rows in the table at each step of the user-scaling curve.
    pub user_levels: Vec<u64>,
    /// Rows of the user whose lookups are measured in the user-scaling curve.
    pub probe_rows: u64,
    /// Cap on measured iterations of the slow scenarios (cold scans, fan-out).
    pub heavy_iterations: u64,
    /// File sizes of the upload and download scenarios.
    pub file_sizes: Vec<u64>,
    /// Rows of the exported user.
    pub export_rows: u64,
}

impl Sizes {
    pub fn full() -> Self {
        Self {
            filter_rows: 200,
            lookup_rows: 10_000,
            group_rows: 10_000,
            cold_rows: 200_000,
            cold_files: 20,
            snapshot_rows: 1_000,
            fanout_subscribers: 1_000,
            concurrent_users: 10,
            rate_levels: vec![1, 2, 4, 8, 16],
            user_levels: vec![100, 10_000, 100_000],
            probe_rows: 100,
            heavy_iterations: 20,
            file_sizes: vec![1 << 20, 100 << 20],
            export_rows: 100_000,
        }
    }

    pub fn tiny() -> Self {
        Self {
            filter_rows: 50,
            lookup_rows: 200,
            group_rows: 200,
            cold_rows: 400,
            cold_files: 4,
            snapshot_rows: 50,
            fanout_subscribers: 5,
            concurrent_users: 3,
            rate_levels: vec![1, 2],
            user_levels: vec![3, 6, 12],
            probe_rows: 5,
            heavy_iterations: 3,
            file_sizes: vec![64 << 10, 1 << 20],
            export_rows: 1_000,
        }
    }
}

/// Everything a scenario needs.
pub struct Ctx {
    pub url: String,
    /// The `--user` client (root by default): DDL, setup, and the SHARED-table scenarios.
    pub root: KalamClient,
    /// Its access token, for WebSocket connections.
    pub root_token: String,
    pub bulk: Bulk,
    pub pg: Option<PgPool>,
    /// Why there is no baseline, when there is none.
    pub pg_missing: String,
    pub plan: Plan,
    pub sizes: Sizes,
    /// The run's namespace (and PostgreSQL schema), e.g. `kbench_20261125230539_4242`.
    pub ns: String,
    /// Password of the users the run creates.
    pub user_password: String,
}

impl Ctx {
    /// `ns.table`.
    pub fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.ns)
    }

    /// A user name unique to this run.
    pub fn user_name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.ns)
    }

    /// Records the baseline: runs `measure` when PostgreSQL is configured, else notes why not.
    pub async fn baseline<'a, F, Fut>(
        &'a self,
        report: &mut ScenarioReport,
        statement: &str,
        measure: F,
    ) where
        F: FnOnce(&'a PgPool) -> Fut,
        Fut: Future<Output = Result<crate::stats::Summary, String>>,
    {
        match &self.pg {
            Some(pg) => {
                let outcome = measure(pg).await;
                report.set_baseline(statement, outcome);
            }
            None => report
                .notes
                .push(format!("no PostgreSQL baseline: {}", self.pg_missing)),
        }
    }
}

/// Scenario groups in run order: name and what it reports.
pub const GROUPS: &[(&str, &str)] = &[
    ("insert_single", "single-row INSERT into a SHARED table"),
    (
        "insert_batch_50",
        "one INSERT of 50 rows into a SHARED table",
    ),
    ("select_filter_200", "SELECT with a filter over 200 rows"),
    (
        "point_lookup_10k",
        "primary-key lookup in a 10k-row SHARED table",
    ),
    ("group_by_10k", "GROUP BY + SUM/AVG/COUNT over 10k rows"),
    ("update_by_pk", "UPDATE one row by primary key"),
    ("delete_by_pk", "DELETE one row by primary key"),
    (
        "concurrent_insert_users",
        "10 users insert one row each into one USER table at once (whole burst)",
    ),
    (
        "insert_rate",
        "insert throughput with 1, 2, 4, 8, 16 users writing at once",
    ),
    (
        "cold_200k",
        "filter / GROUP BY / key / range+ORDER BY LIMIT over 200k rows in 20 Parquet files",
    ),
    (
        "subscribe_snapshot_1k",
        "subscribe to a 1k-row USER table and receive the snapshot",
    ),
    (
        "change_delivery",
        "INSERT sent → change event read by a subscriber",
    ),
    (
        "fanout_1k",
        "INSERT sent → the change read by all of 1k subscribers",
    ),
    (
        "user_lookup",
        "one user's key lookup with 100, 10k and 100k users having rows",
    ),
    (
        "insert_with_trigger",
        "single-row INSERT into a SHARED table with and without one trigger flow",
    ),
    ("trigger_lag", "INSERT → the trigger flow's copy written"),
    (
        "files",
        "upload/download of 1 MiB and 100 MiB files against a disk copy; export of 100k rows",
    ),
];

/// Whether `--filter` (comma-separated substrings) selects the group.
pub fn selected(group: &str, filter: Option<&str>) -> bool {
    match filter {
        None => true,
        Some(f) => f
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .any(|p| group.contains(p) || p.starts_with(group)),
    }
}

/// Runs one group.
pub async fn run_group(name: &str, ctx: &Ctx) -> Vec<ScenarioReport> {
    match name {
        "insert_single" => vec![writes::insert_single(ctx).await],
        "insert_batch_50" => vec![writes::insert_batch(ctx).await],
        "update_by_pk" => vec![writes::update_by_pk(ctx).await],
        "delete_by_pk" => vec![writes::delete_by_pk(ctx).await],
        "concurrent_insert_users" => vec![writes::concurrent_users(ctx).await],
        "select_filter_200" => vec![reads::select_filter(ctx).await],
        "point_lookup_10k" => vec![reads::point_lookup(ctx).await],
        "group_by_10k" => vec![reads::group_by(ctx).await],
        "insert_rate" => rate::run(ctx).await,
        "cold_200k" => cold::run(ctx).await,
        "subscribe_snapshot_1k" => vec![live::subscribe_snapshot(ctx).await],
        "change_delivery" => vec![live::change_delivery(ctx).await],
        "fanout_1k" => vec![live::fanout(ctx).await],
        "user_lookup" => users::run(ctx).await,
        "insert_with_trigger" => vec![
            flows::insert_without_trigger(ctx).await,
            flows::insert_with_trigger(ctx).await,
        ],
        "trigger_lag" => vec![flows::trigger_lag(ctx).await],
        "files" => files::run(ctx).await,
        other => {
            let mut r = ScenarioReport::new(other, "unknown scenario");
            r.skip("unknown scenario name");
            vec![r]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_select_by_substring() {
        assert!(selected("insert_single", None));
        assert!(selected("insert_single", Some("insert")));
        assert!(selected("cold_200k", Some("x, cold")));
        assert!(selected("cold_200k", Some("cold_200k_filter")));
        assert!(!selected("group_by_10k", Some("insert")));
    }
}

/// Measures `sql(table, i)` against KalamDB, then PostgreSQL, on a prepared table. When
/// `expect(i)` names a row count, every answer must have it (a wrong answer fails the scenario
/// instead of looking fast); statements without one only need to succeed.
pub(crate) async fn timed_sql(
    ctx: &Ctx,
    report: &mut ScenarioReport,
    table: Result<String, String>,
    sql: impl Fn(&str, u64) -> String + Copy,
    expect: impl Fn(u64) -> Option<usize> + Copy,
) {
    let table = match table {
        Ok(t) => t,
        Err(e) => return report.set_result(Err(format!("setup: {e}"))),
    };
    let took = TookLog::new(ctx.plan.warmup);
    report.set_result(
        measure(ctx.plan, |i| {
            let (text, took) = (sql(&table, i), &took);
            async move {
                let response = exec(&ctx.root, &text).await?;
                took.record(i, response.took);
                let got = response.first().map_or(0, |r| r.row_count);
                expect(i).map_or(Ok(()), |n| reads::check(got, n, &text))
            }
        })
        .await,
    );
    took.annotate(report);
    let shown = sql(&table, 1);
    ctx.baseline(report, &shown, |pg| {
        measure(ctx.plan, move |i| {
            let text = sql(&table, i);
            async move {
                let got = pg.exec(i, &text).await?;
                expect(i).map_or(Ok(()), |n| reads::check(got, n, &text))
            }
        })
    })
    .await;
}
