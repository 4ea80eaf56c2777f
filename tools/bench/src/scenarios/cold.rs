//! Cold reads: 200k rows written in 20 rounds, each followed by `STORAGE FLUSH TABLE` (waited
//! for in `system.jobs`), so the rows sit in 20 Parquet files. Then four queries, each its own
//! scenario: a filter, GROUP BY, a key lookup, and a key range with ORDER BY ... LIMIT.
//! The PostgreSQL table holds the same rows (heap + primary key index, VACUUM ANALYZEd).

use super::Ctx;
use super::reads::{CATS, check, row};
use crate::kalam::{exec, flush_and_wait, insert_rows};
use crate::report::ScenarioReport;
use crate::runner::measure;
use crate::took::TookLog;
use std::time::Duration;

const COLUMNS: &str = "id, cat, amount, body";
const FLUSH_TIMEOUT: Duration = Duration::from_secs(600);

struct Query {
    name: &'static str,
    description: &'static str,
    sql: fn(&str, u64, u64) -> String,
    /// Expected rows for (i, total rows).
    rows: fn(u64, u64) -> usize,
}

const QUERIES: &[Query] = &[
    Query {
        name: "cold_200k_filter",
        description: "filter over 200k cold rows: one category, amount above 990",
        sql: |t, i, _| {
            format!(
                "SELECT id, amount FROM {t} WHERE cat = {} AND amount > 990",
                i % CATS
            )
        },
        rows: |i, n| {
            (0..n)
                .filter(|k| k % CATS == i % CATS && (k * 7919) % 1000 >= 990)
                .count()
        },
    },
    Query {
        name: "cold_200k_group_by",
        description: "GROUP BY + SUM/AVG/COUNT over 200k cold rows",
        sql: |t, _, _| {
            format!("SELECT cat, SUM(amount), AVG(amount), COUNT(*) FROM {t} GROUP BY cat")
        },
        rows: |_, n| n.min(CATS) as usize,
    },
    Query {
        name: "cold_200k_pk",
        description: "primary-key lookup among 200k cold rows",
        sql: |t, i, n| format!("SELECT * FROM {t} WHERE id = {}", (i * 7919) % n),
        rows: |_, _| 1,
    },
    Query {
        name: "cold_200k_range_order_limit",
        description: "key range of 1000 rows, ORDER BY amount DESC LIMIT 10, over 200k cold rows",
        sql: |t, i, n| {
            let start = (i * 7919) % n.saturating_sub(1000).max(1);
            format!(
                "SELECT id, amount FROM {t} WHERE id >= {start} AND id < {} ORDER BY amount DESC LIMIT 10",
                start + 1000
            )
        },
        rows: |i, n| {
            let start = (i * 7919) % n.saturating_sub(1000).max(1);
            ((start + 1000).min(n) - start).min(10) as usize
        },
    },
];

pub async fn run(ctx: &Ctx) -> Vec<ScenarioReport> {
    let (rows, files) = (ctx.sizes.cold_rows, ctx.sizes.cold_files.max(1));
    let mut reports: Vec<ScenarioReport> = QUERIES
        .iter()
        .map(|q| {
            let mut r = ScenarioReport::new(q.name, q.description);
            r.param("rows", rows);
            r.param("parquet_flushes", files);
            r
        })
        .collect();
    let table = ctx.table("cold");
    let setup = load(ctx, &table, rows, files).await;
    let flushes = match setup {
        Ok(f) => f,
        Err(e) => {
            for r in &mut reports {
                r.set_result(Err(format!("setup: {e}")));
            }
            return reports;
        }
    };
    let plan = ctx.plan.capped(ctx.sizes.heavy_iterations);
    for (q, r) in QUERIES.iter().zip(&mut reports) {
        r.notes.push(format!("flush jobs: {}", flushes.join(" | ")));
        let text = |i: u64| (q.sql)(&table, i, rows);
        // Expected row counts are computed before timing starts.
        let expected: Vec<usize> = (0..plan.total()).map(|i| (q.rows)(i, rows)).collect();
        let expected = &expected;
        let want = move |i: u64| expected.get(i as usize).copied().unwrap_or(0);
        let took = TookLog::new(plan.warmup);
        r.set_result(
            measure(plan, |i| {
                let (sql, took) = (text(i), &took);
                async move {
                    let response = exec(&ctx.root, &sql).await?;
                    took.record(i, response.took);
                    check(response.first().map_or(0, |x| x.row_count), want(i), &sql)
                }
            })
            .await,
        );
        took.annotate(r);
        let table = &table;
        ctx.baseline(r, &text(1), |pg| {
            measure(plan, move |i| {
                let sql = (q.sql)(table, i, rows);
                async move { check(pg.exec(i, &sql).await?, want(i), &sql) }
            })
        })
        .await;
    }
    reports
}

/// Creates the table, writes `rows` in `files` rounds with a flush after each. Returns the
/// flush jobs' messages.
async fn load(ctx: &Ctx, table: &str, rows: u64, files: u64) -> Result<Vec<String>, String> {
    exec(
        &ctx.root,
        &format!(
            "CREATE SHARED TABLE {table} (id BIGINT PRIMARY KEY, cat INT, amount DOUBLE, body TEXT)"
        ),
    )
    .await?;
    let per_file = rows.div_ceil(files);
    let mut messages = Vec::new();
    for f in 0..files {
        let range = f * per_file..((f + 1) * per_file).min(rows);
        insert_rows(&ctx.root, table, COLUMNS, range, 1000, 2, row).await?;
        messages.push(flush_and_wait(&ctx.root, table, FLUSH_TIMEOUT).await?);
    }
    if let Some(pg) = &ctx.pg {
        pg.exec(
            0,
            &format!(
                "CREATE TABLE {table} (id BIGINT PRIMARY KEY, cat INT, amount DOUBLE PRECISION, body TEXT);\
                 INSERT INTO {table} (id, cat, amount, body) \
                 SELECT g, g % {CATS}, ((g * 7919) % 1000) + 0.5, 'row ' || g FROM generate_series(0, {}) g",
                rows.saturating_sub(1)
            ),
        )
        .await?;
        // VACUUM refuses to run inside the implicit transaction of a multi-statement query.
        pg.exec(0, &format!("VACUUM ANALYZE {table}")).await?;
    }
    Ok(messages)
}
