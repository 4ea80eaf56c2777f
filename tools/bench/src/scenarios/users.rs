//! The user-scaling curve: one USER table; a probe user with a few rows; then more and more
//! users each insert a row of their own (as themselves, with their own login token), and at
//! 100, 10k and 100k users the probe user's primary-key lookup is measured again. The shape
//! target: the lookup costs the same at every step (largest/smallest mean ≤ 1.2).
//! PostgreSQL holds the same rows in one table keyed by (user_id, id).

use super::Ctx;
use super::reads::check;
use super::writes::user_clients;
use crate::kalam::{self, exec, insert_rows};
use crate::report::{ScenarioReport, Status};
use crate::runner::measure;
use crate::took::TookLog;
use futures::{StreamExt, TryStreamExt, stream};

/// Users created and logged in per round while growing the table.
const USERS_PER_ROUND: u64 = 1000;

pub async fn run(ctx: &Ctx) -> Vec<ScenarioReport> {
    let levels = ctx.sizes.user_levels.clone();
    let table = ctx.table("scale");
    let probe_rows = ctx.sizes.probe_rows.max(1);
    let mut reports = Vec::new();
    let setup = async {
        exec(&ctx.root, &format!("CREATE USER TABLE {table} (id BIGINT PRIMARY KEY, body TEXT)"))
            .await?;
        let mut probe = user_clients(ctx, "probe", 1).await?;
        let (name, _, client) = probe.pop().ok_or("no probe user")?;
        insert_rows(&client, &table, "id, body", 0..probe_rows, 1000, 1, |i| {
            format!("{i}, 'probe {i}'")
        })
        .await?;
        if let Some(pg) = &ctx.pg {
            pg.exec(
                0,
                &format!(
                    "CREATE TABLE {table} (user_id TEXT, id BIGINT, body TEXT, PRIMARY KEY (user_id, id));\
                     INSERT INTO {table} SELECT '{name}', g, 'probe ' || g FROM generate_series(0, {}) g",
                    probe_rows - 1
                ),
            )
            .await?;
        }
        Ok::<_, String>((name, client))
    }
    .await;
    let (probe_name, probe) = match setup {
        Ok(p) => p,
        Err(e) => {
            let mut r = ScenarioReport::new("user_lookup", "user-scaling curve");
            r.set_result(Err(format!("setup: {e}")));
            return vec![r];
        }
    };
    // The probe user counts as one of the users with rows.
    let mut users_with_rows = 1u64;
    for level in levels {
        let mut r = ScenarioReport::new(
            &format!("user_lookup_{level}_users"),
            "one user's primary-key lookup in a USER table where this many users have rows",
        );
        r.param("users", level);
        r.param("probe_rows", probe_rows);
        if let Err(e) = grow(ctx, &table, users_with_rows, level).await {
            r.set_result(Err(format!("setup (growing to {level} users): {e}")));
            reports.push(r);
            break;
        }
        users_with_rows = users_with_rows.max(level);
        let sql = |i: u64| {
            format!(
                "SELECT * FROM {table} WHERE id = {}",
                (i * 7919) % probe_rows
            )
        };
        let took = TookLog::new(ctx.plan.warmup);
        r.set_result(
            measure(ctx.plan, |i| {
                let (text, probe, took) = (sql(i), &probe, &took);
                async move {
                    let response = exec(probe, &text).await?;
                    took.record(i, response.took);
                    check(response.first().map_or(0, |x| x.row_count), 1, &text)
                }
            })
            .await,
        );
        took.annotate(&mut r);
        let pg_sql = |i: u64| {
            format!(
                "SELECT * FROM {table} WHERE user_id = '{probe_name}' AND id = {}",
                (i * 7919) % probe_rows
            )
        };
        let (plan, table) = (ctx.plan, &table);
        ctx.baseline(&mut r, &pg_sql(1), |pg| async move {
            pg.exec(0, &format!("VACUUM ANALYZE {table}")).await?;
            measure(plan, |i| {
                let text = pg_sql(i);
                async move { check(pg.exec(i, &text).await?, 1, &text) }
            })
            .await
        })
        .await;
        reports.push(r);
    }
    shape_note(&mut reports);
    reports
}

/// Adds users `from..to` (user `k` is `{ns}_s{k}`), each inserting one row as themselves.
async fn grow(ctx: &Ctx, table: &str, from: u64, to: u64) -> Result<(), String> {
    let mut start = from;
    while start < to {
        let end = (start + USERS_PER_ROUND).min(to);
        let names: Vec<String> = (start..end)
            .map(|k| ctx.user_name(&format!("s{k}")))
            .collect();
        kalam::create_users(&ctx.root, &names, &ctx.user_password, 2).await?;
        stream::iter(&names)
            .map(|name| async move {
                let token = ctx.bulk.login(name, &ctx.user_password).await?;
                let sql = format!("INSERT INTO {table} (id, body) VALUES (1, 'row of {name}')");
                ctx.bulk.sql(&token, &sql).await
            })
            .buffer_unordered(ctx.plan.concurrency.max(4))
            .try_collect::<()>()
            .await?;
        if let Some(pg) = &ctx.pg {
            pg.exec(
                0,
                &format!(
                    "INSERT INTO {table} SELECT '{}s' || g, 1, 'row' FROM generate_series({start}, {}) g",
                    ctx.user_name(""),
                    end - 1
                ),
            )
            .await?;
        }
        start = end;
    }
    Ok(())
}

/// Notes the largest/smallest mean on the last step (the shape target is ≤ 1.2).
fn shape_note(reports: &mut [ScenarioReport]) {
    let means: Vec<f64> = reports
        .iter()
        .filter(|r| r.status == Status::Ok)
        .filter_map(|r| r.result.as_ref().map(|s| s.mean_us))
        .collect();
    let (Some(min), Some(max)) = (
        means.iter().copied().reduce(f64::min),
        means.iter().copied().reduce(f64::max),
    ) else {
        return;
    };
    if let Some(last) = reports.last_mut()
        && min > 0.0
    {
        let spread = (max / min * 100.0).round() / 100.0;
        last.param("mean_spread_across_levels", spread);
        last.notes.push(format!(
            "largest/smallest mean across the user levels: {spread} (target ≤ 1.2)"
        ));
    }
}
