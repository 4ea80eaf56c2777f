//! KFlows in the engine: trigger flows copying rows in the firing user's partition, WHERE,
//! OLD/NEW on UPDATE and DELETE, schedules on a test clock, retries and disabling, and who may
//! see and manage which flow.

mod common;

use common::{app_engine, root, run};
use kalamdb_core::{Engine, Session};
use kalamdb_types::{Role, UserId};
use serde_json::Value as Json;
use std::time::Duration;

/// A BIGINT cell as the wire carries it (a string).
fn big(n: i64) -> Json {
    Json::from(n.to_string())
}

fn int(v: &Json) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_i64())
        .unwrap_or(-1)
}

fn as_user(name: &str) -> Session {
    Session::new(UserId::new(name), Role::User)
}

/// The rows of a query, as JSON.
async fn rows(engine: &Engine, session: &mut Session, sql: &str) -> Vec<Vec<Json>> {
    run(engine, session, sql).await.rows.unwrap_or_default()
}

/// Runs each statement, which must succeed.
async fn run_all(engine: &Engine, session: &mut Session, sqls: &[&str]) {
    for sql in sqls {
        run(engine, session, sql).await;
    }
}

async fn error(engine: &Engine, session: &mut Session, sql: &str) -> String {
    match engine.execute_sql(session, sql, Vec::new()).await {
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
        Err(kalamdb_core::exec::batch::BatchError::Statement { error, .. }) => error.to_string(),
        Err(e) => format!("{e:?}"),
    }
}

/// Polls `sql` until it returns `want` rows (the trigger loop runs in the background).
async fn wait_rows(
    engine: &Engine,
    session: &mut Session,
    sql: &str,
    want: usize,
) -> Vec<Vec<Json>> {
    for _ in 0..200 {
        let got = rows(engine, session, sql).await;
        if got.len() >= want {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let got = rows(engine, session, sql).await;
    let flows = rows(
        engine,
        &mut root(),
        "SELECT name, runs, failures, last_error FROM system.flows",
    )
    .await;
    panic!("{sql}: wanted {want} rows, got {got:?}; flows: {flows:?}");
}

/// A flow's row of SHOW FLOWS by name: (enabled, runs, failures, last_error).
async fn flow_row(engine: &Engine, session: &mut Session, name: &str) -> (bool, i64, i64, Json) {
    let shown = run(engine, session, "SHOW FLOWS").await;
    let names: Vec<&str> = shown.schema.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "flow_id",
            "name",
            "namespace",
            "trigger",
            "action",
            "enabled",
            "owner",
            "last_run",
            "next_run",
            "runs",
            "failures",
            "last_error"
        ]
    );
    let row = shown
        .rows
        .unwrap_or_default()
        .into_iter()
        .find(|r| r[1] == Json::from(name))
        .unwrap_or_else(|| panic!("flow {name} not shown"));
    (
        row[5].as_bool().unwrap_or_default(),
        int(&row[9]),
        int(&row[10]),
        row[11].clone(),
    )
}

async fn users(engine: &Engine, s: &mut Session) {
    for name in ["alice", "bob"] {
        run(
            engine,
            s,
            &format!("CREATE USER '{name}' WITH PASSWORD 'secret-{name}' ROLE user"),
        )
        .await;
    }
}

#[tokio::test]
async fn an_insert_trigger_copies_each_row_into_the_same_users_partition_once() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)",
        None,
    )
    .await;
    run(
        &engine,
        &mut s,
        "CREATE USER TABLE app.audit (id BIGINT PRIMARY KEY, body TEXT, at TIMESTAMP)",
    )
    .await;
    users(&engine, &mut s).await;
    run(
        &engine,
        &mut s,
        "CREATE FLOW app.copy ON INSERT TO app.notes DO INSERT INTO app.audit (id, body, at) VALUES (NEW.id, NEW.body, NOW())",
    )
    .await;
    let (mut alice, mut bob) = (as_user("alice"), as_user("bob"));
    for i in 0..20 {
        run(
            &engine,
            &mut alice,
            &format!("INSERT INTO app.notes (id, body) VALUES ({i}, 'it''s alice {i}')"),
        )
        .await;
    }
    run(
        &engine,
        &mut bob,
        "INSERT INTO app.notes (id, body) VALUES (1, 'bob one'), (2, 'bob two')",
    )
    .await;
    let copied = wait_rows(
        &engine,
        &mut alice,
        "SELECT id, body FROM app.audit ORDER BY id",
        20,
    )
    .await;
    assert_eq!(copied.len(), 20);
    assert_eq!(copied[3], vec![big(3), Json::from("it's alice 3")]);
    let copied = wait_rows(
        &engine,
        &mut bob,
        "SELECT id, body FROM app.audit ORDER BY id",
        2,
    )
    .await;
    assert_eq!(
        copied,
        vec![
            vec![big(1), Json::from("bob one")],
            vec![big(2), Json::from("bob two")]
        ]
    );
    // Nothing more arrives later: each change was handled once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rows(&engine, &mut alice, "SELECT id FROM app.audit")
            .await
            .len(),
        20
    );
    let (enabled, runs, failures, last_error) = flow_row(&engine, &mut s, "copy").await;
    assert!(enabled);
    assert_eq!((runs, failures, last_error), (22, 0, Json::Null));
    // Every run is a job with the flow's name.
    let jobs = rows(
        &engine,
        &mut s,
        "SELECT status, flow_name FROM system.jobs WHERE job_type = 'flow'",
    )
    .await;
    assert!(!jobs.is_empty());
    assert!(
        jobs.iter()
            .all(|j| j == &vec![Json::from("completed"), Json::from("app.copy")]),
        "{jobs:?}"
    );
    let queued = engine
        .store
        .scan_raw(kalamdb_core::store::keys::CF_FLOW_EVENTS, b"")
        .unwrap();
    assert!(queued.is_empty(), "{} changes still queued", queued.len());
    engine.shutdown();
}

#[tokio::test]
async fn where_filters_and_update_delete_triggers_see_old_and_new() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE SHARED TABLE app.orders (id BIGINT PRIMARY KEY, total DOUBLE, status TEXT)",
        None,
    )
    .await;
    run_all(
        &engine,
        &mut s,
        &[
            "CREATE SHARED TABLE app.big (id BIGINT PRIMARY KEY, total DOUBLE)",
            "CREATE SHARED TABLE app.changes (id BIGINT PRIMARY KEY, was TEXT, now TEXT)",
            "CREATE SHARED TABLE app.gone (id BIGINT PRIMARY KEY, total DOUBLE)",
            "CREATE FLOW app.big_orders ON INSERT TO app.orders WHERE NEW.total > 100 DO INSERT INTO app.big (id, total) VALUES (NEW.id, NEW.total)",
            "CREATE FLOW app.status ON UPDATE TO app.orders WHERE OLD.status <> NEW.status DO INSERT INTO app.changes (id, was, now) VALUES (NEW.id, OLD.status, NEW.status)",
            "CREATE FLOW app.removed ON DELETE TO app.orders DO INSERT INTO app.gone (id, total) VALUES (OLD.id, OLD.total)",
            "INSERT INTO app.orders (id, total, status) VALUES (1, 50, 'new'), (2, 150, 'new'), (3, 300, 'new'), (4, 100.5, 'new')",
        ],
    )
    .await;
    let large = wait_rows(
        &engine,
        &mut s,
        "SELECT id, total FROM app.big ORDER BY id",
        3,
    )
    .await;
    // 100.5 > 100 holds: NEW.total keeps its DOUBLE type against the integer literal.
    assert_eq!(
        large,
        vec![
            vec![big(2), Json::from(150.0)],
            vec![big(3), Json::from(300.0)],
            vec![big(4), Json::from(100.5)]
        ]
    );
    run_all(
        &engine,
        &mut s,
        &[
            "UPDATE app.orders SET status = 'paid' WHERE id = 2",
            "UPDATE app.orders SET total = 301 WHERE id = 3",
        ],
    )
    .await;
    let changes = wait_rows(&engine, &mut s, "SELECT id, was, now FROM app.changes", 1).await;
    assert_eq!(
        changes,
        vec![vec![big(2), Json::from("new"), Json::from("paid")]]
    );
    run(&engine, &mut s, "DELETE FROM app.orders WHERE id = 1").await;
    let gone = wait_rows(&engine, &mut s, "SELECT id, total FROM app.gone", 1).await;
    assert_eq!(gone, vec![vec![big(1), Json::from(50.0)]]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rows(&engine, &mut s, "SELECT id FROM app.big").await.len(),
        3
    );
    assert_eq!(
        rows(&engine, &mut s, "SELECT id FROM app.changes")
            .await
            .len(),
        1
    );
    // The predicate that did not hold is not a firing.
    assert_eq!(flow_row(&engine, &mut s, "big_orders").await.1, 3);
    assert_eq!(flow_row(&engine, &mut s, "status").await.1, 1);
    engine.shutdown();
}

#[tokio::test]
async fn flows_referring_to_what_the_row_lacks_are_refused_at_create() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
        None,
    )
    .await;
    for (sql, says) in [
        (
            "CREATE FLOW app.f ON DELETE TO app.t DO INSERT INTO app.t (id) VALUES (NEW.id)",
            "no NEW row",
        ),
        (
            "CREATE FLOW app.f ON INSERT TO app.t WHERE OLD.v = 'x' DO DELETE FROM app.t WHERE id = 0",
            "no OLD row",
        ),
        (
            "CREATE FLOW app.f ON INSERT TO app.t DO INSERT INTO app.t (id) VALUES (NEW.nope)",
            "NEW.nope does not exist",
        ),
        (
            "CREATE FLOW app.f ON INSERT TO app.missing DO DELETE FROM app.t",
            "missing",
        ),
        (
            "CREATE FLOW app.f ON SCHEDULE EVERY 1 HOUR DO BACKUP TO 'relative/b'",
            "is not an absolute directory path",
        ),
        (
            "CREATE FLOW nons.f ON INSERT TO app.t DO DELETE FROM app.t",
            "Namespace 'nons' does not exist",
        ),
    ] {
        let e = error(&engine, &mut s, sql).await;
        assert!(e.contains(says), "{sql}: {e}");
    }
    run(
        &engine,
        &mut s,
        "CREATE FLOW app.f ON INSERT TO app.t DO DELETE FROM app.t WHERE id = NEW.id + 1000",
    )
    .await;
    assert!(
        error(
            &engine,
            &mut s,
            "CREATE FLOW app.f ON INSERT TO app.t DO DELETE FROM app.t"
        )
        .await
        .contains("already exists")
    );
    run(
        &engine,
        &mut s,
        "CREATE FLOW IF NOT EXISTS app.f ON INSERT TO app.t DO DELETE FROM app.t",
    )
    .await;
    // The flow goes with its table, as a trigger does in PostgreSQL.
    run(&engine, &mut s, "DROP TABLE app.t").await;
    assert!(
        rows(
            &engine,
            &mut s,
            "SELECT name FROM system.flows WHERE namespace = 'app'"
        )
        .await
        .is_empty()
    );
    engine.shutdown();
}

#[tokio::test]
async fn a_schedule_flow_runs_when_the_clock_says_and_not_before() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE SHARED TABLE app.ticks (id BIGINT PRIMARY KEY, at TIMESTAMP)",
        None,
    )
    .await;
    run_all(
        &engine,
        &mut s,
        &[
            "CREATE SHARED TABLE app.counter (id BIGINT PRIMARY KEY, n BIGINT)",
            "INSERT INTO app.counter (id, n) VALUES (1, 0)",
            "CREATE FLOW app.every_minute ON SCHEDULE EVERY 1 MINUTE STARTS '2030-01-01 00:00:00' DO UPDATE app.counter SET n = n + 1 WHERE id = 1",
        ],
    )
    .await;
    // The built-in flows would be due in 2030 too.
    run_all(
        &engine,
        &mut s,
        &[
            "ALTER FLOW system.stream_ttl_eviction DISABLE",
            "ALTER FLOW system.job_history_cleanup DISABLE",
            "ALTER FLOW system.deleted_row_cleanup DISABLE",
        ],
    )
    .await;
    let at = |secs: i64| {
        chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .timestamp_micros()
            + secs * 1_000_000
    };
    assert_eq!(engine.tick_flows(at(-1)).await, 0, "not before STARTS");
    assert_eq!(engine.tick_flows(at(0)).await, 1);
    assert_eq!(
        engine.tick_flows(at(30)).await,
        0,
        "not twice in one period"
    );
    assert_eq!(engine.tick_flows(at(60)).await, 1);
    // Ten minutes missed: one run, then the next period.
    assert_eq!(engine.tick_flows(at(660)).await, 1);
    assert_eq!(engine.tick_flows(at(700)).await, 0);
    let n = rows(&engine, &mut s, "SELECT n FROM app.counter").await;
    assert_eq!(n, vec![vec![big(3)]]);
    let shown = run(
        &engine,
        &mut s,
        "SELECT next_run, runs FROM system.flows WHERE name = 'every_minute'",
    )
    .await;
    let row = &shown.rows.unwrap()[0];
    assert_eq!(row[1], big(3));
    assert_eq!(
        row[0].as_i64(),
        Some(at(720)),
        "the next period after the last run"
    );
    // RUN FLOW runs it now, whatever the clock; a disabled flow's schedule does not fire.
    run_all(
        &engine,
        &mut s,
        &[
            "RUN FLOW app.every_minute",
            "ALTER FLOW app.every_minute DISABLE",
        ],
    )
    .await;
    assert_eq!(engine.tick_flows(at(100_000)).await, 0);
    assert_eq!(
        rows(&engine, &mut s, "SELECT n FROM app.counter").await,
        vec![vec![big(4)]]
    );
    engine.shutdown();
}

/// An engine retrying fast and giving up after three failures in a row.
async fn impatient(dir: &std::path::Path) -> std::sync::Arc<Engine> {
    common::engine_configured(dir, None, |c| {
        c.flows.retry_base_ms = 10;
        c.flows.retry_max_ms = 40;
        c.flows.max_failures = 3;
    })
    .await
}

#[tokio::test]
async fn a_failing_action_is_retried_then_the_flow_is_disabled_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let engine = impatient(dir.path()).await;
    let mut s = root();
    run_all(
        &engine,
        &mut s,
        &[
            "CREATE NAMESPACE app",
            "CREATE SHARED TABLE app.src (id BIGINT PRIMARY KEY)",
            "CREATE SHARED TABLE app.dst (id BIGINT PRIMARY KEY)",
        ],
    )
    .await;
    // Every copy collides with the row already in app.dst.
    run_all(
        &engine,
        &mut s,
        &[
            "INSERT INTO app.dst (id) VALUES (1)",
            "CREATE FLOW app.copy ON INSERT TO app.src DO INSERT INTO app.dst (id) VALUES (NEW.id)",
            "INSERT INTO app.src (id) VALUES (1)",
        ],
    )
    .await;
    let mut shown = flow_row(&engine, &mut s, "copy").await;
    for _ in 0..200 {
        if !shown.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        shown = flow_row(&engine, &mut s, "copy").await;
    }
    let (enabled, runs, failures, last_error) = shown;
    assert!(!enabled, "disabled after 3 failures in a row");
    assert_eq!((runs, failures), (0, 3));
    let last_error = last_error.as_str().unwrap_or_default().to_string();
    assert!(last_error.contains("duplicate key"), "{last_error}");
    assert!(
        last_error.contains("disabled after 3 consecutive failures"),
        "{last_error}"
    );
    assert!(
        last_error.contains("ALTER FLOW app.copy ENABLE"),
        "{last_error}"
    );
    let failed = rows(
        &engine,
        &mut s,
        "SELECT message FROM system.jobs WHERE flow_name = 'app.copy' AND status = 'failed'",
    )
    .await;
    assert_eq!(failed.len(), 3, "{failed:?}");
    // Fixed and enabled again, the change that was kept is handled.
    run_all(
        &engine,
        &mut s,
        &[
            "DELETE FROM app.dst WHERE id = 1",
            "ALTER FLOW app.copy ENABLE",
        ],
    )
    .await;
    wait_rows(&engine, &mut s, "SELECT id FROM app.dst", 1).await;
    // The run's state is shown once the action has returned, a moment after its write.
    let mut shown = flow_row(&engine, &mut s, "copy").await;
    for _ in 0..100 {
        if shown.1 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        shown = flow_row(&engine, &mut s, "copy").await;
    }
    let (enabled, runs, failures, _) = shown;
    assert!(enabled);
    assert_eq!((runs, failures), (1, 3));
    engine.shutdown();
}

#[tokio::test]
async fn users_own_their_flows_and_their_flows_see_only_their_rows() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)",
        None,
    )
    .await;
    run_all(
        &engine,
        &mut s,
        &[
            "CREATE USER TABLE app.mine (id BIGINT PRIMARY KEY, body TEXT)",
            "CREATE SHARED TABLE app.public_copy (id BIGINT PRIMARY KEY, body TEXT)",
        ],
    )
    .await;
    users(&engine, &mut s).await;
    let (mut alice, mut bob) = (as_user("alice"), as_user("bob"));
    // Schedules and maintenance actions are for admins.
    let e = error(
        &engine,
        &mut alice,
        "CREATE FLOW app.tick ON SCHEDULE EVERY 1 HOUR DO DELETE FROM app.mine",
    )
    .await;
    assert!(
        e.to_lowercase().contains("permission denied") || e.contains("requires"),
        "{e}"
    );
    let e = error(
        &engine,
        &mut alice,
        "CREATE FLOW app.c ON INSERT TO app.notes DO COMPACT app.notes",
    )
    .await;
    assert!(
        e.to_lowercase().contains("permission denied") || e.contains("requires"),
        "{e}"
    );
    // A user's own trigger flow.
    run(&engine, &mut alice, "CREATE FLOW app.keep ON INSERT TO app.notes DO INSERT INTO app.mine (id, body) VALUES (NEW.id, NEW.body)").await;
    run(
        &engine,
        &mut bob,
        "INSERT INTO app.notes (id, body) VALUES (7, 'bob secret')",
    )
    .await;
    run(
        &engine,
        &mut alice,
        "INSERT INTO app.notes (id, body) VALUES (1, 'alice note')",
    )
    .await;
    let mine = wait_rows(&engine, &mut alice, "SELECT id, body FROM app.mine", 1).await;
    assert_eq!(mine, vec![vec![big(1), Json::from("alice note")]]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rows(&engine, &mut alice, "SELECT id FROM app.mine")
            .await
            .len(),
        1,
        "bob's row never reaches alice's flow"
    );
    assert!(
        rows(&engine, &mut bob, "SELECT id FROM app.mine")
            .await
            .is_empty()
    );
    // Bob neither sees nor manages alice's flow; an admin sees and manages every flow.
    assert!(
        run(&engine, &mut bob, "SHOW FLOWS")
            .await
            .rows
            .unwrap_or_default()
            .is_empty()
    );
    assert!(
        error(&engine, &mut bob, "DROP FLOW app.keep")
            .await
            .contains("does not exist")
    );
    assert!(
        error(&engine, &mut bob, "ALTER FLOW app.keep DISABLE")
            .await
            .contains("does not exist")
    );
    assert!(
        error(&engine, &mut bob, "SELECT * FROM system.flows")
            .await
            .to_lowercase()
            .contains("permission denied")
    );
    assert_eq!(
        run(&engine, &mut alice, "SHOW FLOWS")
            .await
            .rows
            .unwrap_or_default()
            .len(),
        1
    );
    // Root sees alice's flow and the built-in ones.
    assert_eq!(
        run(&engine, &mut s, "SHOW FLOWS")
            .await
            .rows
            .unwrap_or_default()
            .len(),
        4
    );
    // An admin's flow on a USER table fires for every user and writes into that user's rows.
    run(&engine, &mut s, "CREATE FLOW app.all ON INSERT TO app.notes DO INSERT INTO app.mine (id, body) VALUES (NEW.id + 100, NEW.body)").await;
    run(
        &engine,
        &mut bob,
        "INSERT INTO app.notes (id, body) VALUES (8, 'bob again')",
    )
    .await;
    let bobs = wait_rows(&engine, &mut bob, "SELECT id, body FROM app.mine", 1).await;
    assert_eq!(bobs, vec![vec![big(108), Json::from("bob again")]]);
    run(&engine, &mut alice, "DROP FLOW app.keep").await;
    assert!(
        error(&engine, &mut alice, "DROP FLOW app.keep")
            .await
            .contains("Flow 'app.keep' does not exist")
    );
    run(&engine, &mut alice, "DROP FLOW IF EXISTS app.keep").await;
    // Flow DDL is audited, with who did it.
    let audited = rows(
        &engine,
        &mut s,
        "SELECT action, actor, target FROM system.audit_log WHERE action LIKE '%flow' AND success ORDER BY audit_id",
    )
    .await;
    assert_eq!(
        audited,
        vec![
            vec![
                Json::from("create_flow"),
                Json::from("alice"),
                Json::from("app.keep")
            ],
            vec![
                Json::from("create_flow"),
                Json::from("root"),
                Json::from("app.all")
            ],
            vec![
                Json::from("drop_flow"),
                Json::from("alice"),
                Json::from("app.keep")
            ],
            vec![
                Json::from("drop_flow"),
                Json::from("alice"),
                Json::from("app.keep")
            ],
        ],
        "DROP FLOW IF EXISTS of a missing flow succeeds and is audited too"
    );
    engine.shutdown();
}

#[tokio::test]
async fn built_in_maintenance_flows_exist_run_and_cannot_be_dropped() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE STREAM TABLE app.events (kind TEXT) WITH (TTL_SECONDS = 1)",
        None,
    )
    .await;
    let shown = rows(&engine, &mut s, "SELECT name, trigger, action, enabled, owner FROM system.flows WHERE namespace = 'system' ORDER BY name").await;
    assert_eq!(
        shown,
        vec![
            vec![
                Json::from("deleted_row_cleanup"),
                Json::from("ON SCHEDULE EVERY 3600 SECOND"),
                Json::from("CLEANUP DELETED ROWS"),
                Json::from(true),
                Json::from("root")
            ],
            vec![
                Json::from("job_history_cleanup"),
                Json::from("ON SCHEDULE EVERY 3600 SECOND"),
                Json::from("CLEANUP JOB HISTORY"),
                Json::from(true),
                Json::from("root")
            ],
            vec![
                Json::from("stream_ttl_eviction"),
                Json::from("ON SCHEDULE EVERY 60 SECOND"),
                Json::from("EVICT EXPIRED STREAM ROWS"),
                Json::from(true),
                Json::from("root")
            ],
        ]
    );
    let e = error(&engine, &mut s, "DROP FLOW system.stream_ttl_eviction").await;
    assert!(e.contains("built in and cannot be dropped"), "{e}");
    run_all(
        &engine,
        &mut s,
        &[
            "ALTER FLOW system.stream_ttl_eviction SET SCHEDULE EVERY 5 SECOND",
            "INSERT INTO app.events VALUES ('old'), ('old')",
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let ran = run(&engine, &mut s, "RUN FLOW system.stream_ttl_eviction").await;
    assert_eq!(
        ran.message.as_deref(),
        Some("Flow 'system.stream_ttl_eviction' ran: Evicted 2 expired STREAM row(s)")
    );
    assert_eq!(
        engine
            .jobs
            .stored_stream_rows(&kalamdb_types::TableId::new("app", "events"))
            .unwrap(),
        0
    );
    let job = rows(
        &engine,
        &mut s,
        "SELECT status, message FROM system.jobs WHERE flow_name = 'system.stream_ttl_eviction'",
    )
    .await;
    assert_eq!(
        job,
        vec![vec![
            Json::from("completed"),
            Json::from("Evicted 2 expired STREAM row(s)")
        ]]
    );
    let (_, runs, _, _) = flow_row(&engine, &mut s, "stream_ttl_eviction").await;
    assert_eq!(runs, 1);
    // A plain user does not see them and cannot run them.
    run(
        &engine,
        &mut s,
        "CREATE USER 'carol' WITH PASSWORD 'secret-carol' ROLE user",
    )
    .await;
    let mut carol = as_user("carol");
    assert!(
        run(&engine, &mut carol, "SHOW FLOWS")
            .await
            .rows
            .unwrap_or_default()
            .is_empty()
    );
    assert!(
        error(&engine, &mut carol, "RUN FLOW system.job_history_cleanup")
            .await
            .contains("does not exist")
    );
    engine.shutdown();
}

#[tokio::test]
async fn a_flow_on_a_stream_table_sees_each_event() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE STREAM TABLE app.events (kind TEXT) WITH (TTL_SECONDS = 60)",
        None,
    )
    .await;
    run_all(
        &engine,
        &mut s,
        &[
            "CREATE SHARED TABLE app.seen (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), kind TEXT)",
            "CREATE FLOW app.watch ON INSERT TO app.events WHERE NEW.kind <> 'noise' DO INSERT INTO app.seen (kind) VALUES (NEW.kind)",
            "INSERT INTO app.events VALUES ('login'), ('noise'), ('logout')",
        ],
    )
    .await;
    let seen = wait_rows(
        &engine,
        &mut s,
        "SELECT kind FROM app.seen ORDER BY kind",
        2,
    )
    .await;
    assert_eq!(
        seen,
        vec![vec![Json::from("login")], vec![Json::from("logout")]]
    );
    engine.shutdown();
}
