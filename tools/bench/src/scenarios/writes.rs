//! Write scenarios: single-row and 50-row INSERT, UPDATE and DELETE by primary key into SHARED
//! tables, and a burst of single-row INSERTs by several users into one USER table.

use super::{Ctx, timed_sql};
use crate::kalam::{self, exec, insert_rows};
use crate::report::ScenarioReport;
use crate::runner::measure;
use kalam_link::{Auth, KalamClient};

const COLUMNS: &str = "id, body, n";
const KALAM_SHAPE: &str = "(id BIGINT PRIMARY KEY, body TEXT, n INT)";
const PG_SHAPE: &str = "(id BIGINT PRIMARY KEY, body TEXT, n INT)";

fn row(i: u64) -> String {
    format!("{i}, 'row {i}', {}", i % 1000)
}

/// Creates `name` in KalamDB (SHARED) and PostgreSQL, optionally with rows `0..rows`.
pub(super) async fn table_with_rows(
    ctx: &Ctx,
    name: &str,
    kalam_shape: &str,
    pg_shape: &str,
    columns: &str,
    rows: u64,
    render: impl Fn(u64) -> String + Copy,
) -> Result<String, String> {
    let table = ctx.table(name);
    exec(
        &ctx.root,
        &format!("CREATE SHARED TABLE {table} {kalam_shape}"),
    )
    .await?;
    if rows > 0 {
        insert_rows(&ctx.root, &table, columns, 0..rows, 1000, 2, render).await?;
    }
    if let Some(pg) = &ctx.pg {
        pg.exec(0, &format!("CREATE TABLE {table} {pg_shape}"))
            .await?;
        if rows > 0 {
            for start in (0..rows).step_by(1000) {
                let values: Vec<String> = (start..(start + 1000).min(rows))
                    .map(|i| format!("({})", render(i)))
                    .collect();
                pg.exec(
                    0,
                    &format!(
                        "INSERT INTO {table} ({columns}) VALUES {}",
                        values.join(",")
                    ),
                )
                .await?;
            }
            pg.exec(0, &format!("VACUUM ANALYZE {table}")).await?;
        }
    }
    Ok(table)
}

pub async fn insert_single(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new("insert_single", "single-row INSERT into a SHARED table");
    let table = table_with_rows(ctx, "ins1", KALAM_SHAPE, PG_SHAPE, COLUMNS, 0, row).await;
    timed_sql(
        ctx,
        &mut r,
        table,
        |t, i| format!("INSERT INTO {t} ({COLUMNS}) VALUES ({})", row(i)),
        |_| None,
    )
    .await;
    r
}

pub async fn insert_batch(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "insert_batch_50",
        "one INSERT of 50 rows into a SHARED table",
    );
    r.param("rows_per_statement", 50);
    let table = table_with_rows(ctx, "ins50", KALAM_SHAPE, PG_SHAPE, COLUMNS, 0, row).await;
    timed_sql(
        ctx,
        &mut r,
        table,
        |t, i| {
            let values: Vec<String> = (i * 50..i * 50 + 50)
                .map(|k| format!("({})", row(k)))
                .collect();
            format!("INSERT INTO {t} ({COLUMNS}) VALUES {}", values.join(","))
        },
        |_| None,
    )
    .await;
    r
}

pub async fn update_by_pk(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "update_by_pk",
        "UPDATE one row by primary key (each row once)",
    );
    let rows = ctx.plan.total();
    r.param("rows", rows);
    let table = table_with_rows(ctx, "upd", KALAM_SHAPE, PG_SHAPE, COLUMNS, rows, row).await;
    timed_sql(
        ctx,
        &mut r,
        table,
        |t, i| format!("UPDATE {t} SET body = 'updated {i}', n = n + 1 WHERE id = {i}"),
        |_| None,
    )
    .await;
    r
}

pub async fn delete_by_pk(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "delete_by_pk",
        "DELETE one row by primary key (each row once)",
    );
    let rows = ctx.plan.total();
    r.param("rows", rows);
    let table = table_with_rows(ctx, "del", KALAM_SHAPE, PG_SHAPE, COLUMNS, rows, row).await;
    timed_sql(
        ctx,
        &mut r,
        table,
        |t, i| format!("DELETE FROM {t} WHERE id = {i}"),
        |_| None,
    )
    .await;
    r
}

/// Creates `count` users named `{ns}_{prefix}{k}` and returns a client for each, logged in.
pub(super) async fn user_clients(
    ctx: &Ctx,
    prefix: &str,
    count: usize,
) -> Result<Vec<(String, String, KalamClient)>, String> {
    let names: Vec<String> = (0..count)
        .map(|k| ctx.user_name(&format!("{prefix}{k}")))
        .collect();
    kalam::create_users(&ctx.root, &names, &ctx.user_password, 2).await?;
    let tokens = kalam::login_all(&ctx.bulk, &names, &ctx.user_password, 4).await?;
    names
        .into_iter()
        .zip(tokens)
        .map(|(name, token)| {
            let client = kalam::client(&ctx.url, Auth::jwt(token.clone()))?;
            Ok((name, token, client))
        })
        .collect()
}

pub async fn concurrent_users(ctx: &Ctx) -> ScenarioReport {
    let users = ctx.sizes.concurrent_users;
    let mut r = ScenarioReport::new(
        "concurrent_insert_users",
        "N users each INSERT one row into the same USER table at once; one operation is the whole burst",
    );
    r.param("users", users);
    let plan = ctx.plan.serial();
    let table = ctx.table("burst");
    let setup = async {
        exec(
            &ctx.root,
            &format!("CREATE USER TABLE {table} (id BIGINT PRIMARY KEY, body TEXT)"),
        )
        .await?;
        user_clients(ctx, "burst", users).await
    }
    .await;
    let clients = match setup {
        Ok(c) => c,
        Err(e) => {
            r.set_result(Err(format!("setup: {e}")));
            return r;
        }
    };
    r.set_result(
        measure(plan, |i| {
            let table = &table;
            let clients = &clients;
            async move {
                let inserts = clients.iter().map(|(_, _, c)| async move {
                    let sql = format!("INSERT INTO {table} (id, body) VALUES ({i}, 'burst {i}')");
                    exec(c, &sql).await.map(|_| ())
                });
                futures::future::try_join_all(inserts).await.map(|_| ())
            }
        })
        .await,
    );
    let pg_statement = format!(
        "{users} concurrent INSERT INTO {table} (user_id, id, body) VALUES ('<user>', i, '...') on {users} connections"
    );
    let names: Vec<&str> = clients.iter().map(|(n, _, _)| n.as_str()).collect();
    ctx.baseline(&mut r, &pg_statement, |pg| async move {
        pg.exec(
            0,
            &format!(
                "CREATE TABLE {table} (user_id TEXT, id BIGINT, body TEXT, PRIMARY KEY (user_id, id))"
            ),
        )
        .await?;
        measure(plan, |i| {
            let table = &table;
            let names = &names;
            async move {
                let inserts = names.iter().enumerate().map(|(k, user)| async move {
                    let sql = format!(
                        "INSERT INTO {table} (user_id, id, body) VALUES ('{user}', {i}, 'burst {i}')"
                    );
                    pg.exec(k as u64, &sql).await.map(|_| ())
                });
                futures::future::try_join_all(inserts).await.map(|_| ())
            }
        })
        .await
    })
    .await;
    r
}
