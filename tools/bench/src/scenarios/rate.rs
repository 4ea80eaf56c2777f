//! Insert throughput as the number of writing users grows: at each step, N users (own login
//! tokens) insert single rows into one USER table, N at a time, each about `iterations` rows.
//! The shape target: throughput grows with users (group commit per shard) until the cores are
//! busy. `ops_per_sec` of each step is the figure; the last step notes its gain over one user.
//! PostgreSQL: the same inserts on N connections into a table keyed by (user_id, id).

use super::Ctx;
use super::writes::user_clients;
use crate::kalam::exec;
use crate::report::{ScenarioReport, Status};
use crate::runner::{Plan, measure};
use crate::took::TookLog;

pub async fn run(ctx: &Ctx) -> Vec<ScenarioReport> {
    let levels = ctx.sizes.rate_levels.clone();
    let most = levels.iter().copied().max().unwrap_or(1).max(1);
    let table = ctx.table("rate");
    let setup = async {
        exec(
            &ctx.root,
            &format!("CREATE USER TABLE {table} (id BIGINT PRIMARY KEY, body TEXT)"),
        )
        .await?;
        if let Some(pg) = &ctx.pg {
            pg.exec(
                0,
                &format!(
                    "CREATE TABLE {table} (user_id TEXT, id BIGINT, body TEXT, PRIMARY KEY (user_id, id))"
                ),
            )
            .await?;
        }
        user_clients(ctx, "rate", most).await
    }
    .await;
    let clients = match setup {
        Ok(c) => c,
        Err(e) => {
            let mut r = ScenarioReport::new("insert_rate", "insert throughput by users");
            r.set_result(Err(format!("setup: {e}")));
            return vec![r];
        }
    };
    // Row ids stay unique across steps: each step starts past the previous one's.
    let mut next_id = 0u64;
    let mut reports = Vec::new();
    for users in levels {
        let users = users.max(1);
        let mut r = ScenarioReport::new(
            &format!("insert_rate_{users}_users"),
            "single-row INSERTs into one USER table by this many users at once; ops_per_sec is the throughput",
        );
        r.param("users", users);
        let plan = Plan {
            warmup: ctx.plan.warmup.min(100),
            iterations: ctx.plan.iterations * users as u64,
            concurrency: users,
        };
        let base = next_id;
        next_id += plan.total();
        let clients = &clients[..users];
        let table = &table;
        let took = TookLog::new(plan.warmup);
        r.set_result(
            measure(plan, |i| {
                let (_, _, client) = &clients[(i as usize) % users];
                let sql = format!(
                    "INSERT INTO {table} (id, body) VALUES ({}, 'rate {i}')",
                    base + i
                );
                let took = &took;
                async move {
                    let response = exec(client, &sql).await?;
                    took.record(i, response.took);
                    Ok(())
                }
            })
            .await,
        );
        took.annotate(&mut r);
        let statement = format!(
            "INSERT INTO {table} (user_id, id, body) VALUES ('<user>', i, '...') on {users} connection(s)"
        );
        ctx.baseline(&mut r, &statement, |pg| {
            measure(plan, move |i| {
                let (name, _, _) = &clients[(i as usize) % users];
                let sql = format!(
                    "INSERT INTO {table} (user_id, id, body) VALUES ('{name}', {}, 'rate {i}')",
                    base + i
                );
                async move { pg.exec(i, &sql).await.map(|_| ()) }
            })
        })
        .await;
        reports.push(r);
    }
    gain_note(&mut reports);
    reports
}

/// Notes the last step's throughput over the first step's.
fn gain_note(reports: &mut [ScenarioReport]) {
    let rate = |r: &ScenarioReport| {
        (r.status == Status::Ok)
            .then(|| r.result.as_ref().map(|s| s.ops_per_sec))
            .flatten()
    };
    let (Some(first), Some(last)) = (
        reports.first().and_then(rate),
        reports.last().and_then(rate),
    ) else {
        return;
    };
    if let Some(r) = reports.last_mut()
        && first > 0.0
    {
        let gain = (last / first * 100.0).round() / 100.0;
        r.param("throughput_gain_over_first_step", gain);
        r.notes
            .push(format!("throughput here / with the fewest users: {gain}"));
    }
}
