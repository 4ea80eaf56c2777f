//! Read scenarios on hot (not yet flushed) SHARED tables: a filter over 200 rows, a primary-key
//! lookup in 10k rows, and GROUP BY with SUM/AVG/COUNT over 10k rows. Every operation checks
//! the number of rows it got back, so a wrong answer fails the scenario instead of looking fast.

use super::writes::table_with_rows;
use super::{Ctx, timed_sql};
use crate::report::ScenarioReport;

const COLUMNS: &str = "id, cat, amount, body";
const KALAM_SHAPE: &str = "(id BIGINT PRIMARY KEY, cat INT, amount DOUBLE, body TEXT)";
const PG_SHAPE: &str = "(id BIGINT PRIMARY KEY, cat INT, amount DOUBLE PRECISION, body TEXT)";
/// Distinct `cat` values.
pub(super) const CATS: u64 = 10;

/// Row `i`: category `i % 10`, an amount spread over 0..1000.
pub(super) fn row(i: u64) -> String {
    format!("{i}, {}, {}.5, 'row {i}'", i % CATS, (i * 7919) % 1000)
}

pub(super) fn check(got: usize, expected: usize, sql: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected} row(s), got {got}: {sql}"))
    }
}

pub async fn select_filter(ctx: &Ctx) -> ScenarioReport {
    let rows = ctx.sizes.filter_rows;
    let mut r = ScenarioReport::new(
        "select_filter_200",
        "SELECT with a filter (one category) over 200 rows",
    );
    r.param("rows", rows);
    let table = table_with_rows(ctx, "f200", KALAM_SHAPE, PG_SHAPE, COLUMNS, rows, row).await;
    let per_cat = move |c: u64| (0..rows).filter(|i| i % CATS == c).count();
    timed_sql(
        ctx,
        &mut r,
        table,
        |t, i| format!("SELECT id, amount, body FROM {t} WHERE cat = {}", i % CATS),
        move |i| Some(per_cat(i % CATS)),
    )
    .await;
    r
}

pub async fn point_lookup(ctx: &Ctx) -> ScenarioReport {
    let rows = ctx.sizes.lookup_rows;
    let mut r = ScenarioReport::new(
        "point_lookup_10k",
        "primary-key lookup in a 10k-row SHARED table",
    );
    r.param("rows", rows);
    let table = table_with_rows(ctx, "pk10k", KALAM_SHAPE, PG_SHAPE, COLUMNS, rows, row).await;
    timed_sql(
        ctx,
        &mut r,
        table,
        move |t, i| format!("SELECT * FROM {t} WHERE id = {}", (i * 7919) % rows),
        |_| Some(1),
    )
    .await;
    r
}

pub async fn group_by(ctx: &Ctx) -> ScenarioReport {
    let rows = ctx.sizes.group_rows;
    let mut r = ScenarioReport::new("group_by_10k", "GROUP BY + SUM/AVG/COUNT over 10k rows");
    r.param("rows", rows);
    let table = table_with_rows(ctx, "g10k", KALAM_SHAPE, PG_SHAPE, COLUMNS, rows, row).await;
    let groups = rows.min(CATS) as usize;
    timed_sql(
        ctx,
        &mut r,
        table,
        |t, _| format!("SELECT cat, SUM(amount), AVG(amount), COUNT(*) FROM {t} GROUP BY cat"),
        move |_| Some(groups),
    )
    .await;
    r
}
