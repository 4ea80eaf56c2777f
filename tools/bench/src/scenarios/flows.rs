//! KFlow scenarios: what one trigger flow adds to a single-row INSERT (`insert_with_trigger`
//! against `insert_without_trigger`, the same table without a flow), and the trigger lag from
//! the INSERT to the flow's write of its copy.

use super::writes::table_with_rows;
use super::{Ctx, timed_sql};
use crate::kalam::exec;
use crate::report::ScenarioReport;
use crate::stats::Summary;
use std::time::{Duration, Instant};

const COLUMNS: &str = "id, body, n";
const SOURCE_SHAPE: &str = "(id BIGINT PRIMARY KEY, body TEXT, n INT, at TIMESTAMP DEFAULT NOW())";
const AUDIT_SHAPE: &str = "(id BIGINT PRIMARY KEY, body TEXT, at TIMESTAMP, copied_at TIMESTAMP)";

fn row(i: u64) -> String {
    format!("{i}, 'row {i}', {}", i % 1000)
}

/// The source table with a flow copying each insert into `<name>_audit` in KalamDB, and with
/// `baseline` the same as a PL/pgSQL trigger in PostgreSQL.
async fn flowing_table(ctx: &Ctx, name: &str, baseline: bool) -> Result<String, String> {
    let table = if baseline {
        table_with_rows(ctx, name, SOURCE_SHAPE, SOURCE_SHAPE, COLUMNS, 0, row).await?
    } else {
        let table = ctx.table(name);
        exec(
            &ctx.root,
            &format!("CREATE SHARED TABLE {table} {SOURCE_SHAPE}"),
        )
        .await?;
        table
    };
    let audit = ctx.table(&format!("{name}_audit"));
    exec(
        &ctx.root,
        &format!("CREATE SHARED TABLE {audit} {AUDIT_SHAPE}"),
    )
    .await?;
    exec(
        &ctx.root,
        &format!(
            "CREATE FLOW {table}_copy ON INSERT TO {table} DO INSERT INTO {audit} (id, body, at, copied_at) VALUES (NEW.id, NEW.body, NEW.at, NOW())"
        ),
    )
    .await?;
    if let Some(pg) = ctx.pg.as_ref().filter(|_| baseline) {
        pg.exec(0, &format!("CREATE TABLE {audit} {AUDIT_SHAPE}"))
            .await?;
        pg.exec(
            0,
            &format!(
                "CREATE FUNCTION {table}_copy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 INSERT INTO {audit} (id, body, at, copied_at) VALUES (NEW.id, NEW.body, NEW.at, clock_timestamp()); \
                 RETURN NEW; END $$"
            ),
        )
        .await?;
        pg.exec(
            0,
            &format!("CREATE TRIGGER {name}_copy AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_copy()"),
        )
        .await?;
    }
    Ok(table)
}

/// Times single-row INSERTs into `table` (KalamDB, then PostgreSQL).
async fn timed_insert(ctx: &Ctx, r: &mut ScenarioReport, table: Result<String, String>) {
    timed_sql(
        ctx,
        r,
        table,
        |t, i| format!("INSERT INTO {t} ({COLUMNS}) VALUES ({})", row(i)),
        |_| None,
    )
    .await;
}

/// The same INSERT into the same shape, with no flow: the reference for `insert_with_trigger`.
pub async fn insert_without_trigger(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "insert_without_trigger",
        "single-row INSERT into a SHARED table shaped as insert_with_trigger's, with no flow",
    );
    let table = table_with_rows(
        ctx,
        "insnoflow",
        SOURCE_SHAPE,
        SOURCE_SHAPE,
        COLUMNS,
        0,
        row,
    )
    .await;
    timed_insert(ctx, &mut r, table).await;
    r
}

pub async fn insert_with_trigger(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "insert_with_trigger",
        "single-row INSERT into a SHARED table with one trigger flow copying each row (compare insert_without_trigger)",
    );
    let table = flowing_table(ctx, "insflow", true).await;
    timed_insert(ctx, &mut r, table).await;
    r.notes.push(
        "the PostgreSQL baseline is an AFTER INSERT trigger in PL/pgSQL doing the same copy inside the transaction; KalamDB's flow copies after the commit".into(),
    );
    r
}

/// The lag of every copy: from the source row's `NOW()` (its INSERT) to the flow action's
/// `NOW()` (just before the copy's write).
pub async fn trigger_lag(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "trigger_lag",
        "INSERT → the trigger flow's copy written (per row, from the INSERT's NOW() to the action's NOW())",
    );
    let outcome = async {
        let table = flowing_table(ctx, "lagflow", false).await?;
        // Warm-up rows first; the lags of the measured rows (ids from `warmup` on) are reported.
        let (warmup, rows) = (ctx.plan.warmup, ctx.plan.total());
        r.param("rows", rows);
        let began = Instant::now();
        for i in 0..rows {
            exec(
                &ctx.root,
                &format!("INSERT INTO {table} ({COLUMNS}) VALUES ({})", row(i)),
            )
            .await?;
            // One insert at a time, spaced, so the lag is the flow's and not a queue's.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let audit = format!("{table}_audit");
        let deadline = Instant::now() + Duration::from_secs(60);
        let lags: Vec<Duration> = loop {
            let response = exec(
                &ctx.root,
                &format!(
                    "SELECT CAST(copied_at AS BIGINT) - CAST(at AS BIGINT) FROM {audit} WHERE id >= {warmup}"
                ),
            )
            .await?;
            let got: Vec<i64> = response
                .first()
                .and_then(|q| q.rows.clone())
                .unwrap_or_default()
                .iter()
                .filter_map(|row| {
                    // BIGINT cells arrive as strings.
                    let cell = row.first()?;
                    cell.as_i64().or_else(|| cell.as_str()?.parse().ok())
                })
                .collect();
            if got.len() as u64 >= rows - warmup {
                break got
                    .into_iter()
                    .map(|us| Duration::from_micros(us.max(0) as u64))
                    .collect();
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "only {} of {rows} rows copied after 60 s",
                    got.len()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Summary::from_samples(&lags, 1, began.elapsed()).ok_or_else(|| "no rows".to_string())
    }
    .await;
    r.set_result(outcome);
    r.notes
        .push("ops_per_sec is not meaningful here: inserts are spaced 5 ms apart".into());
    r
}
