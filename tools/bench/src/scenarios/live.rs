//! Live-query scenarios over `/v1/ws`: subscribe and receive a 1k-row snapshot; change delivery
//! (INSERT sent → change event read by the subscriber, both instants taken in this process, no
//! sleeps); fan-out (INSERT sent → the last of N subscribers has read the change). The
//! PostgreSQL baselines are a SELECT of the same rows and LISTEN/NOTIFY from an insert trigger.

use super::Ctx;
use super::reads::check;
use super::writes::user_clients;
use crate::kalam::{exec, insert_rows};
use crate::pg;
use crate::report::ScenarioReport;
use crate::runner::{measure, measure_reported};
use crate::ws::{Event, Listener, WsConn};
use futures::{StreamExt, TryStreamExt, stream};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc};

/// Longest wait for a change to arrive before the scenario fails.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// WebSocket connections opened at once while preparing the fan-out.
const CONNECT_CONCURRENCY: usize = 32;

pub async fn subscribe_snapshot(ctx: &Ctx) -> ScenarioReport {
    let rows = ctx.sizes.snapshot_rows;
    let mut r = ScenarioReport::new(
        "subscribe_snapshot_1k",
        "subscribe to a USER table on an open connection and receive its whole snapshot",
    );
    r.param("rows", rows);
    let plan = ctx.plan.serial();
    let table = ctx.table("snap");
    let setup = async {
        exec(
            &ctx.root,
            &format!("CREATE USER TABLE {table} (id BIGINT PRIMARY KEY, body TEXT, n INT)"),
        )
        .await?;
        let mut users = user_clients(ctx, "snap", 1).await?;
        let (name, token, client) = users.pop().ok_or("no user")?;
        insert_rows(&client, &table, "id, body, n", 0..rows, 1000, 1, |i| {
            format!("{i}, 'row {i}', {i}")
        })
        .await?;
        let conn = WsConn::connect(&ctx.url, &token).await?;
        Ok::<_, String>((name, conn))
    }
    .await;
    let (name, conn) = match setup {
        Ok(s) => s,
        Err(e) => {
            r.set_result(Err(format!("setup: {e}")));
            return r;
        }
    };
    let conn = Mutex::new(conn);
    let sql = format!("SELECT * FROM {table}");
    r.set_result(
        measure(plan, |i| {
            let (conn, sql) = (&conn, &sql);
            async move {
                let mut conn = conn.lock().await;
                let id = format!("snap{i}");
                let got = conn.subscribe(&id, sql, 1000).await?;
                conn.unsubscribe(&id).await?;
                check(got, rows as usize, sql)
            }
        })
        .await,
    );
    let pg_sql = format!("SELECT * FROM {table} WHERE user_id = '{name}'");
    let shown = pg_sql.clone();
    ctx.baseline(&mut r, &shown, |pg| async move {
        pg.exec(
            0,
            &format!(
                "CREATE TABLE {table} (user_id TEXT, id BIGINT, body TEXT, n INT, PRIMARY KEY (user_id, id));\
                 INSERT INTO {table} SELECT '{name}', g, 'row ' || g, g FROM generate_series(0, {}) g",
                rows.saturating_sub(1)
            ),
        )
        .await?;
        pg.exec(0, &format!("VACUUM ANALYZE {table}")).await?;
        measure(plan, |i| {
            let pg_sql = &pg_sql;
            async move { check(pg.exec(i, pg_sql).await?, rows as usize, pg_sql) }
        })
        .await
    })
    .await;
    r
}

/// Opens `count` root connections subscribed to `table`, each reporting into one channel.
async fn subscribers(
    ctx: &Ctx,
    table: &str,
    count: usize,
) -> Result<(Vec<Listener>, mpsc::UnboundedReceiver<Event>), String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let sql = format!("SELECT * FROM {table}");
    let listeners = stream::iter(0..count)
        .map(|k| {
            let (tx, sql) = (tx.clone(), &sql);
            async move {
                let mut conn = WsConn::connect(&ctx.url, &ctx.root_token).await?;
                conn.subscribe("feed", sql, 1000).await?;
                Ok::<_, String>(conn.listen(k, tx))
            }
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .try_collect()
        .await?;
    Ok((listeners, rx))
}

/// One change's delivery, all times from just before the INSERT was sent.
struct Delivery {
    /// Until the last of the subscribers read it.
    last: Duration,
    /// Mean over the subscribers.
    mean: Duration,
    /// Until the INSERT's HTTP answer arrived.
    ack: Duration,
}

/// Measured figures other than the scenario's summary, warm-up excluded.
#[derive(Default)]
struct Extra {
    per_subscriber_us: Vec<f64>,
    ack_us: Vec<f64>,
    /// Changes whose last event was read before the INSERT's answer arrived.
    before_ack: usize,
}

impl Extra {
    fn add(&mut self, d: &Delivery) {
        self.per_subscriber_us.push(d.mean.as_secs_f64() * 1e6);
        self.ack_us.push(d.ack.as_secs_f64() * 1e6);
        self.before_ack += usize::from(d.last < d.ack);
    }

    fn mean(v: &[f64]) -> Option<f64> {
        (!v.is_empty()).then(|| (v.iter().sum::<f64>() / v.len() as f64 * 10.0).round() / 10.0)
    }
}

/// Inserts row `i` and waits until `count` subscribers have read it.
async fn deliver(
    ctx: &Ctx,
    table: &str,
    events: &Mutex<mpsc::UnboundedReceiver<Event>>,
    i: u64,
    count: usize,
) -> Result<Delivery, String> {
    let mut events = events.lock().await;
    let sent = Instant::now();
    exec(
        &ctx.root,
        &format!("INSERT INTO {table} (id, body) VALUES ({i}, 'change {i}')"),
    )
    .await?;
    let ack = sent.elapsed();
    let deadline = tokio::time::Instant::now() + DELIVERY_TIMEOUT;
    let (mut seen, mut last, mut total) = (0usize, sent, Duration::ZERO);
    while seen < count {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .map_err(|_| {
                format!("{seen} of {count} subscriber(s) got row {i} within {DELIVERY_TIMEOUT:?}")
            })?
            .ok_or("all subscribers closed")?;
        if let Some(e) = event.error {
            return Err(format!("subscriber {} failed: {e}", event.subscriber));
        }
        if event.id == Some(i as i64) {
            seen += 1;
            last = last.max(event.at);
            total += event.at.saturating_duration_since(sent);
        }
    }
    Ok(Delivery {
        last: last.saturating_duration_since(sent),
        mean: total / count.max(1) as u32,
        ack,
    })
}

/// Creates `table` with `count` WebSocket subscribers, then measures INSERT → the change read by
/// the last of them and records the result in `r`. Returns the extra figures of the measured
/// operations, or `None` when the setup failed (the error is in `r`).
async fn measure_delivery(
    ctx: &Ctx,
    r: &mut ScenarioReport,
    table: &str,
    count: usize,
    plan: crate::runner::Plan,
) -> Option<Extra> {
    let setup = async {
        exec(
            &ctx.root,
            &format!("CREATE SHARED TABLE {table} (id BIGINT PRIMARY KEY, body TEXT)"),
        )
        .await?;
        subscribers(ctx, table, count).await
    }
    .await;
    let (listeners, rx) = match setup {
        Ok(s) => s,
        Err(e) => {
            r.set_result(Err(format!("setup: {e}")));
            return None;
        }
    };
    let events = Mutex::new(rx);
    let extra = std::sync::Mutex::new(Extra::default());
    r.set_result(
        measure_reported(plan, |i| {
            let (events, extra) = (&events, &extra);
            async move {
                let d = deliver(ctx, table, events, i, count).await?;
                if i >= plan.warmup
                    && let Ok(mut x) = extra.lock()
                {
                    x.add(&d);
                }
                Ok(d.last)
            }
        })
        .await,
    );
    drop(listeners);
    Some(extra.into_inner().unwrap_or_default())
}

pub async fn change_delivery(ctx: &Ctx) -> ScenarioReport {
    let mut r = ScenarioReport::new(
        "change_delivery",
        "INSERT sent over HTTP → change event read by one WebSocket subscriber (SHARED table)",
    );
    let plan = ctx.plan.serial();
    let table = ctx.table("feed");
    let Some(extra) = measure_delivery(ctx, &mut r, &table, 1, plan).await else {
        return r;
    };
    if let Some(ack) = Extra::mean(&extra.ack_us) {
        r.param("insert_ack_mean_us", ack);
        r.param("events_before_ack", extra.before_ack);
    }
    let statement = format!(
        "INSERT INTO {table} ... with an AFTER INSERT trigger calling pg_notify → LISTEN on another connection"
    );
    ctx.baseline(&mut r, &statement, |pool| {
        pg_notify_baseline(pool, &table, plan)
    })
    .await;
    r
}

/// Insert → NOTIFY delivered to a LISTEN connection, per row.
async fn pg_notify_baseline(
    pool: &pg::PgPool,
    table: &str,
    plan: crate::runner::Plan,
) -> Result<crate::stats::Summary, String> {
    let channel = table.replace('.', "_");
    pool.exec(
        0,
        &format!(
            "CREATE TABLE {table} (id BIGINT PRIMARY KEY, body TEXT);\
             CREATE FUNCTION {table}_notify() RETURNS trigger AS $$ BEGIN \
               PERFORM pg_notify('{channel}', NEW.id::text); RETURN NEW; END $$ LANGUAGE plpgsql;\
             CREATE TRIGGER notify AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_notify()"
        ),
    )
    .await?;
    let listener = Mutex::new(pg::listen(pool.url(), &channel).await?);
    measure_reported(plan, |i| {
        let listener = &listener;
        async move {
            let mut listener = listener.lock().await;
            let sent = Instant::now();
            pool.exec(
                i,
                &format!("INSERT INTO {table} (id, body) VALUES ({i}, 'change {i}')"),
            )
            .await?;
            loop {
                let (note, at) =
                    tokio::time::timeout(DELIVERY_TIMEOUT, listener.notifications.recv())
                        .await
                        .map_err(|_| format!("no NOTIFY for row {i} within {DELIVERY_TIMEOUT:?}"))?
                        .ok_or("LISTEN connection closed")?;
                if note.payload() == i.to_string() {
                    return Ok(at.saturating_duration_since(sent));
                }
            }
        }
    })
    .await
}

pub async fn fanout(ctx: &Ctx) -> ScenarioReport {
    let count = ctx.sizes.fanout_subscribers;
    let mut r = ScenarioReport::new(
        "fanout_1k",
        "INSERT sent → the change read by every one of N WebSocket subscribers (time to the last)",
    );
    r.param("subscribers", count);
    let plan = ctx.plan.serial().capped(ctx.sizes.heavy_iterations);
    let table = ctx.table("fan");
    let Some(extra) = measure_delivery(ctx, &mut r, &table, count, plan).await else {
        return r;
    };
    if let Some(mean) = Extra::mean(&extra.per_subscriber_us) {
        r.param("mean_delivery_per_subscriber_us", mean);
    }
    if let Some(ack) = Extra::mean(&extra.ack_us) {
        r.param("insert_ack_mean_us", ack);
    }
    r.notes.push(
        "no PostgreSQL baseline: 1k LISTEN connections exceed PostgreSQL's default max_connections (100)"
            .into(),
    );
    r
}
