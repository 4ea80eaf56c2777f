//! The PostgreSQL wire protocol against the real server binary: psql sessions with golden
//! output, tokio-postgres over the simple and extended protocols (prepared statements, every
//! KalamDB type round-tripped in binary), SQLSTATEs, SCRAM, and two users kept apart.

mod common;

use common::{Options, ROOT_PASSWORD, Server};
use std::process::Command;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

async fn start(extra: &[(&str, &str)]) -> Server {
    let mut extra_env = vec![
        ("KALAMDB_PGWIRE_ENABLED".to_string(), "true".to_string()),
        ("KALAMDB_PGWIRE_PORT".to_string(), "0".to_string()),
    ];
    extra_env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Server::start_with(Options {
        extra_env,
        ..Options::default()
    })
    .await
}

async fn connect(
    server: &Server,
    user: &str,
    password: &str,
) -> Result<Client, tokio_postgres::Error> {
    let port = server.pg_port.expect("pgwire port");
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user={user} password={password} dbname=kalam"),
        NoTls,
    )
    .await?;
    tokio::spawn(connection);
    Ok(client)
}

async fn root_client(server: &Server) -> Client {
    connect(server, "root", ROOT_PASSWORD)
        .await
        .expect("root connects")
}

fn sqlstate(err: &tokio_postgres::Error) -> String {
    err.code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| format!("no SQLSTATE: {err}"))
}

/// psql, when it is installed (`KALAM_REQUIRE_PSQL=1` makes its absence a failure).
fn psql() -> Option<&'static str> {
    let found = Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("KALAM_REQUIRE_PSQL").is_err(),
            "psql is required (KALAM_REQUIRE_PSQL) but not installed: apt-get install postgresql-client"
        );
        return None;
    }
    Some("psql")
}

fn run_psql(server: &Server, user: &str, password: &str, args: &[&str]) -> (String, String, bool) {
    let port = server.pg_port.expect("pgwire port").to_string();
    let out = Command::new("psql")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            user,
            "-d",
            "kalam",
        ])
        .args(args)
        .output()
        .expect("run psql");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[tokio::test]
async fn psql_sessions_print_what_postgresql_prints() {
    if psql().is_none() {
        return;
    }
    let server = start(&[]).await;
    let (out, err, ok) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &[
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "CREATE NAMESPACE app",
            "-c",
            "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT, done BOOLEAN)",
            "-c",
            "INSERT INTO app.notes (id, body, done) VALUES (1, 'milk', true), (2, NULL, false)",
            "-c",
            "UPDATE app.notes SET body = 'eggs' WHERE id = 2",
            "-c",
            "SELECT id, body, done FROM app.notes ORDER BY id",
            "-c",
            "DELETE FROM app.notes WHERE id = 1",
        ],
    );
    assert!(ok, "psql failed: {err}");
    assert_eq!(
        out,
        "CREATE SCHEMA\nCREATE TABLE\nINSERT 0 2\nUPDATE 1\n id | body | done \n----+------+------\n  1 | milk | t\n  2 | eggs | f\n(2 rows)\n\nDELETE 1\n"
    );

    // -f: a script file, statement by statement, with SET search_path choosing the namespace.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.sql");
    std::fs::write(
        &script,
        "SET search_path TO app;\nINSERT INTO notes (id, body, done) VALUES (3, 'tea', NULL);\nSELECT count(*) AS n FROM notes;\n",
    )
    .unwrap();
    let (out, err, ok) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &[
            "-v",
            "ON_ERROR_STOP=1",
            "-A",
            "-f",
            script.to_str().unwrap(),
        ],
    );
    assert!(ok, "psql -f failed: {err}");
    assert_eq!(out, "SET\nINSERT 0 1\nn\n2\n(1 row)\n");

    // Errors come back as PostgreSQL's, with the position of a syntax error.
    let (_, err, ok) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &["-c", "SELECT * FROM app.missing"],
    );
    assert!(!ok);
    assert!(
        err.contains("ERROR:  relation \"app.missing\" does not exist"),
        "{err}"
    );
    let (_, err, _) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &["-v", "VERBOSITY=verbose", "-c", "SELECT 1 FORM app.notes"],
    );
    assert!(
        err.contains("ERROR:  42601: syntax error at or near"),
        "{err}"
    );
    assert!(err.contains("LINE 1: SELECT 1 FORM app.notes"), "{err}");

    // KalamDB's own statements work through psql; their messages arrive as notices.
    let (out, err, ok) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &["-c", "STORAGE FLUSH TABLE app.notes"],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("NOTICE:  Storage flush started for table 'app.notes'. Job ID: "),
        "{err}"
    );
    assert_eq!(out.trim(), "OK");
    let (out, _, ok) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &["-A", "-t", "-c", "SHOW TABLES IN app"],
    );
    assert!(ok);
    assert!(out.contains("notes"), "{out}");

    // psql's catalog commands read pg_catalog.
    let (out, err, ok) = run_psql(
        &server,
        "root",
        ROOT_PASSWORD,
        &["-c", "\\dt app.*", "-c", "\\d app.notes"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        concat!(
            "         List of relations\n",
            " Schema | Name  | Type  |  Owner   \n",
            "--------+-------+-------+----------\n",
            " app    | notes | table | postgres\n",
            "(1 row)\n",
            "\n",
            "                 Table \"app.notes\"\n",
            " Column |  Type   | Collation | Nullable | Default \n",
            "--------+---------+-----------+----------+---------\n",
            " id     | bigint  |           | not null | \n",
            " body   | text    |           |          | \n",
            " done   | boolean |           |          | \n",
            " _seq   | bigint  |           | not null | \n",
            "\n",
        )
    );

    // A wrong password is refused with PostgreSQL's message.
    let (_, err, ok) = run_psql(&server, "root", "wrong", &["-c", "SELECT 1"]);
    assert!(!ok);
    assert!(
        err.contains("password authentication failed for user \"root\""),
        "{err}"
    );
}

#[tokio::test]
async fn every_type_round_trips_through_prepared_statements() {
    let server = start(&[]).await;
    let root = root_client(&server).await;
    root.batch_execute(
        "CREATE NAMESPACE t; CREATE SHARED TABLE t.all_types (id BIGINT PRIMARY KEY, b BOOLEAN, s SMALLINT, i INT, f FLOAT, d DOUBLE, n DECIMAL(10,2), txt TEXT, raw BYTES, day DATE, tod TIME, at TIMESTAMP, doc JSON, u UUID)",
    )
    .await
    .expect("create");

    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
    let tod = chrono::NaiveTime::from_hms_micro_opt(13, 14, 15, 123_456).unwrap();
    let at = day.and_time(tod);
    let doc = serde_json::json!({"kind": "note", "tags": ["a", "b"]});
    let u = uuid::Uuid::parse_str("0190b4a2-7c3e-7d3a-9c1e-123456789abc").unwrap();
    let n = rust_decimal::Decimal::new(12345, 2);
    let insert = root
        .prepare("INSERT INTO t.all_types (id, b, s, i, f, d, n, txt, raw, day, tod, at, doc, u) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
        .await
        .expect("prepare insert");
    let inserted = root
        .execute(
            &insert,
            &[
                &1i64,
                &true,
                &7i16,
                &-42i32,
                &1.5f32,
                &-2.25f64,
                &n,
                &"héllo 'x'",
                &vec![0u8, 255, 10],
                &day,
                &tod,
                &at,
                &doc,
                &u,
            ],
        )
        .await
        .expect("insert");
    assert_eq!(inserted, 1);
    // NULL in every nullable column.
    let nulls: [Option<bool>; 1] = [None];
    root.execute(
        "INSERT INTO t.all_types (id, b) VALUES ($1, $2)",
        &[&2i64, &nulls[0]],
    )
    .await
    .expect("insert nulls");

    let select = root
        .prepare("SELECT b, s, i, f, d, n, txt, raw, day, tod, at, doc, u FROM t.all_types WHERE id = $1")
        .await
        .expect("prepare select");
    let types: Vec<String> = select
        .columns()
        .iter()
        .map(|c| c.type_().name().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "bool",
            "int2",
            "int4",
            "float4",
            "float8",
            "numeric",
            "text",
            "bytea",
            "date",
            "time",
            "timestamp",
            "json",
            "uuid"
        ]
    );
    let row = root.query_one(&select, &[&1i64]).await.expect("select");
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i16>(1), 7);
    assert_eq!(row.get::<_, i32>(2), -42);
    assert_eq!(row.get::<_, f32>(3), 1.5);
    assert_eq!(row.get::<_, f64>(4), -2.25);
    assert_eq!(row.get::<_, rust_decimal::Decimal>(5), n);
    assert_eq!(row.get::<_, &str>(6), "héllo 'x'");
    assert_eq!(row.get::<_, Vec<u8>>(7), vec![0u8, 255, 10]);
    assert_eq!(row.get::<_, chrono::NaiveDate>(8), day);
    assert_eq!(row.get::<_, chrono::NaiveTime>(9), tod);
    assert_eq!(row.get::<_, chrono::NaiveDateTime>(10), at);
    assert_eq!(row.get::<_, serde_json::Value>(11), doc);
    assert_eq!(row.get::<_, uuid::Uuid>(12), u);

    let row = root
        .query_one(&select, &[&2i64])
        .await
        .expect("select nulls");
    assert_eq!(row.get::<_, Option<bool>>(0), None);
    assert_eq!(row.get::<_, Option<i32>>(2), None);
    assert_eq!(row.get::<_, Option<&str>>(6), None);
    assert_eq!(row.get::<_, Option<serde_json::Value>>(11), None);

    // The simple protocol sends text.
    let messages = root
        .simple_query("SELECT id, txt FROM t.all_types ORDER BY id")
        .await
        .expect("simple query");
    let rows: Vec<(String, Option<String>)> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((r.get(0).unwrap().to_string(), r.get(1).map(str::to_string)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("1".to_string(), Some("héllo 'x'".to_string())),
            ("2".to_string(), None)
        ]
    );
    assert!(matches!(
        messages.last(),
        Some(SimpleQueryMessage::CommandComplete(2))
    ));

    // UPDATE and DELETE parameters take their columns' types.
    let updated = root
        .execute(
            "UPDATE t.all_types SET i = $1 WHERE id = $2",
            &[&5i32, &2i64],
        )
        .await
        .expect("update");
    assert_eq!(updated, 1);
    let deleted = root
        .execute(
            "DELETE FROM t.all_types WHERE id IN ($1, $2)",
            &[&1i64, &99i64],
        )
        .await
        .expect("delete");
    assert_eq!(deleted, 1);
}

#[tokio::test]
async fn errors_carry_postgresql_sqlstates() {
    let server = start(&[]).await;
    let root = root_client(&server).await;
    root.batch_execute(
        "CREATE NAMESPACE e; CREATE SHARED TABLE e.items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .await
    .unwrap();
    root.execute("INSERT INTO e.items (id, name) VALUES (1, 'a')", &[])
        .await
        .unwrap();

    let cases = [
        (
            "INSERT INTO e.items (id, name) VALUES (1, 'again')",
            "23505",
        ),
        ("INSERT INTO e.items (id, name) VALUES (2, NULL)", "23502"),
        ("SELECT * FROM e.nothing", "42P01"),
        ("SELEC 1", "42601"),
        ("SELECT nope FROM e.items", "42703"),
    ];
    for (sql, code) in cases {
        let err = root.simple_query(sql).await.expect_err(sql);
        assert_eq!(sqlstate(&err), code, "{sql}: {err:?}");
        // The extended protocol reports the same.
        let err = root.query(sql, &[]).await.expect_err(sql);
        assert_eq!(sqlstate(&err), code, "{sql} (extended): {err:?}");
    }
    let dup = root
        .execute("INSERT INTO e.items (id, name) VALUES (1, 'x')", &[])
        .await
        .unwrap_err();
    let db = dup.as_db_error().expect("db error");
    assert_eq!(
        db.message(),
        "duplicate key value violates unique constraint \"e_items_pkey\""
    );
    assert_eq!(db.detail(), Some("Key (id)=(1) already exists."));

    // The connection survives errors, and a multi-statement query stops at the first.
    let err = root
        .batch_execute("INSERT INTO e.items (id, name) VALUES (5, 'five'); SELEC; INSERT INTO e.items (id, name) VALUES (6, 'six')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42601");
    let ids: Vec<i64> = root
        .query("SELECT id FROM e.items ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1, 5]);

    // A plain user may not create namespaces.
    let token = server.root().await;
    server.user(&token, "pat", "user").await;
    let pat = connect(&server, "pat", "pw-pat")
        .await
        .expect("pat connects");
    let err = pat.simple_query("CREATE NAMESPACE nope").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42501");

    // Writes inside a transaction block are refused, not silently auto-committed.
    root.batch_execute("BEGIN").await.unwrap();
    let rows = root.query("SELECT id FROM e.items", &[]).await.unwrap();
    assert_eq!(rows.len(), 2);
    let err = root
        .execute("INSERT INTO e.items (id, name) VALUES (7, 'seven')", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "0A000");
    root.batch_execute("ROLLBACK").await.unwrap();
    root.execute("INSERT INTO e.items (id, name) VALUES (7, 'seven')", &[])
        .await
        .expect("outside a block the insert runs");
}

async fn bodies(c: &Client) -> Vec<String> {
    c.query("SELECT body FROM chat.messages", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

#[tokio::test]
async fn user_tables_are_scoped_to_the_pg_login() {
    let server = start(&[]).await;
    let token = server.root().await;
    server.ok(&token, "CREATE NAMESPACE chat").await;
    server
        .ok(
            &token,
            "CREATE USER TABLE chat.messages (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    server.user(&token, "alice", "user").await;
    server.user(&token, "bob", "user").await;
    let alice = connect(&server, "alice", "pw-alice").await.expect("alice");
    let bob = connect(&server, "bob", "pw-bob").await.expect("bob");
    alice
        .execute(
            "INSERT INTO chat.messages (id, body) VALUES ($1, $2)",
            &[&1i64, &"alice's secret"],
        )
        .await
        .unwrap();
    bob.execute(
        "INSERT INTO chat.messages (id, body) VALUES ($1, $2)",
        &[&1i64, &"bob's note"],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&alice).await, ["alice's secret"]);
    assert_eq!(bodies(&bob).await, ["bob's note"]);
    // Over HTTP alice sees the same rows she wrote over pgwire.
    let alice_token = server.login("alice", "pw-alice").await;
    let rows = server
        .rows(&alice_token, "SELECT body FROM chat.messages")
        .await;
    assert_eq!(rows, vec![vec![serde_json::json!("alice's secret")]]);
    // A wrong password for an existing user and an unknown user fail alike.
    let e1 = connect(&server, "alice", "nope")
        .await
        .err()
        .expect("refused");
    let e2 = connect(&server, "mallory", "nope")
        .await
        .err()
        .expect("refused");
    assert_eq!(sqlstate(&e1), "28P01");
    assert_eq!(sqlstate(&e2), "28P01");
}

#[tokio::test]
async fn connection_parameters_drivers_send_are_answered() {
    let server = start(&[]).await;
    let root = root_client(&server).await;
    root.batch_execute(
        "SET extra_float_digits = 3; SET application_name = 'test'; SET client_encoding TO 'UTF8'",
    )
    .await
    .unwrap();
    let show = |name: &'static str| {
        let root = &root;
        async move {
            let messages = root.simple_query(&format!("SHOW {name}")).await.unwrap();
            match messages
                .iter()
                .find(|m| matches!(m, SimpleQueryMessage::Row(_)))
            {
                Some(SimpleQueryMessage::Row(r)) => r.get(0).unwrap().to_string(),
                _ => panic!("SHOW {name}: {messages:?}"),
            }
        }
    };
    assert_eq!(show("application_name").await, "test");
    assert_eq!(show("transaction_isolation").await, "read committed");
    let err = root.simple_query("SHOW no_such_setting").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    let err = root
        .simple_query("SET search_path TO nowhere")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "3F000");
}

/// The authentication request the server answers a startup message with
/// (3: cleartext password, 10: SASL).
async fn auth_request(server: &Server) -> i32 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = server.pg_port.expect("pgwire port");
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut body = 196_608i32.to_be_bytes().to_vec(); // protocol 3.0
    for (k, v) in [("user", "root"), ("database", "kalam")] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend_from_slice(&body);
    socket.write_all(&message).await.expect("startup");
    let mut head = [0u8; 9];
    socket.read_exact(&mut head).await.expect("answer");
    assert_eq!(head[0], b'R', "an Authentication message");
    i32::from_be_bytes([head[5], head[6], head[7], head[8]])
}

#[tokio::test]
async fn scram_is_what_the_server_asks_for_by_default() {
    let server = start(&[]).await;
    assert_eq!(auth_request(&server).await, 10);
}

#[tokio::test]
async fn cleartext_login_only_when_configured() {
    let server = start(&[("KALAMDB_PGWIRE_AUTH", "cleartext")]).await;
    assert_eq!(
        auth_request(&server).await,
        3,
        "the server asks for a cleartext password"
    );
    let root = root_client(&server).await;
    let rows = root.query("SELECT 1 + 1", &[]).await.unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 2);
    assert!(connect(&server, "root", "wrong").await.is_err());
}

/// pg8000 (a pure-Python driver from PyPI, installed by scripts/install-test-deps.sh).
const PG8000_SCRIPT: &str = r#"
import os, sys, datetime, decimal
import pg8000.native as pg
c = pg.Connection(user=os.environ["PGUSER"], password=os.environ["PGPASSWORD"],
                  host="127.0.0.1", port=int(os.environ["PGPORT"]), database="kalam")
c.run("CREATE NAMESPACE py")
c.run("CREATE SHARED TABLE py.events (id BIGINT PRIMARY KEY, name TEXT, at TIMESTAMP, amount DECIMAL(8,2), ok BOOLEAN)")
at = datetime.datetime(2026, 12, 8, 9, 30, 0)
c.run("INSERT INTO py.events (id, name, at, amount, ok) VALUES (:id, :name, :at, :amount, :ok)",
      id=1, name="launch", at=at, amount=decimal.Decimal("12.50"), ok=True)
rows = c.run("SELECT id, name, at, amount, ok FROM py.events WHERE id = :id", id=1)
assert rows == [[1, "launch", at, decimal.Decimal("12.50"), True]], rows
try:
    c.run("INSERT INTO py.events (id, name) VALUES (1, 'again')")
    sys.exit("duplicate key was accepted")
except pg.DatabaseError as e:
    assert e.args[0]["C"] == "23505", e.args
print("pg8000 ok")
"#;

#[tokio::test]
async fn a_python_driver_works() {
    let have = Command::new("python3")
        .args(["-c", "import pg8000"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var("KALAM_REQUIRE_PG8000").is_err(),
            "pg8000 is required (KALAM_REQUIRE_PG8000) but cannot be imported: run scripts/install-test-deps.sh"
        );
        return;
    }
    let server = start(&[]).await;
    let out = Command::new("python3")
        .args(["-c", PG8000_SCRIPT])
        .env("PGUSER", "root")
        .env("PGPASSWORD", ROOT_PASSWORD)
        .env("PGPORT", server.pg_port.expect("pgwire port").to_string())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "pg8000 script failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "pg8000 ok");
}

#[tokio::test]
async fn a_cancel_request_stops_the_running_statement() {
    let server = start(&[]).await;
    let root = root_client(&server).await;
    let cancel = root.cancel_token();
    let slow = tokio::spawn(async move {
        let result = root
            .simple_query("SELECT count(*) FROM generate_series(1, 50000000000)")
            .await;
        (root, result)
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    cancel
        .cancel_query(NoTls)
        .await
        .expect("cancel request sent");
    // A guard against a hang, not a speed check: the statement would run for minutes.
    let (root, result) = tokio::time::timeout(std::time::Duration::from_secs(60), slow)
        .await
        .expect("the statement stopped")
        .expect("task");
    let err = result.expect_err("the statement was cancelled");
    assert_eq!(sqlstate(&err), "57014", "{err:?}");
    // The connection is still usable.
    let rows = root
        .query("SELECT 41 + 1", &[])
        .await
        .expect("next statement");
    assert_eq!(rows[0].get::<_, i64>(0), 42);
}

#[tokio::test]
async fn one_user_cannot_take_every_connection() {
    let server = start(&[("KALAMDB_PGWIRE_MAX_CONNECTIONS_PER_USER", "2")]).await;
    let token = server.root().await;
    server.user(&token, "greedy", "user").await;
    let a = connect(&server, "greedy", "pw-greedy")
        .await
        .expect("first");
    let b = connect(&server, "greedy", "pw-greedy")
        .await
        .expect("second");
    let err = connect(&server, "greedy", "pw-greedy")
        .await
        .err()
        .expect("third refused");
    assert_eq!(sqlstate(&err), "53300");
    assert_eq!(
        err.as_db_error().map(|d| d.message()),
        Some("too many connections for role \"greedy\"")
    );
    // Others still get in, and a closed connection frees its slot.
    let root = root_client(&server).await;
    drop(a);
    drop(b);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(c) = connect(&server, "greedy", "pw-greedy").await {
            again = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let again = again.expect("a slot was freed");
    assert_eq!(again.query("SELECT 1", &[]).await.unwrap().len(), 1);
    assert_eq!(root.query("SELECT 1", &[]).await.unwrap().len(), 1);
}
