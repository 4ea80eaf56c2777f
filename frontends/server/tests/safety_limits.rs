//! One request never takes the server down: statements too complex to plan safely are refused
//! before planning (over HTTP and in WebSocket subscriptions), and a panicking handler is
//! answered as a 500 while the server goes on.

mod common;
use common::ws::Client;
use common::{Options, Server};
use serde_json::json;

/// The limits of `sql::guard`, and each shape at ten times its limit.
const OPERATORS: usize = 500;
const SET_OPERATIONS: usize = 200;
const CTES: usize = 100;

fn chain(term: &str, op: &str, terms: usize) -> String {
    vec![term; terms].join(op)
}

fn too_complex() -> Vec<(&'static str, String)> {
    let ctes: Vec<String> = (0..CTES * 10)
        .map(|i| format!("c{i} AS (SELECT {i})"))
        .collect();
    vec![
        (
            "plus",
            format!("SELECT {}", chain("1", "+", OPERATORS * 10)),
        ),
        (
            "and",
            format!("SELECT 1 WHERE {}", chain("1=1", " AND ", OPERATORS * 10)),
        ),
        (
            "or",
            format!("SELECT 1 WHERE {}", chain("1=1", " OR ", OPERATORS * 10)),
        ),
        (
            "concat",
            format!("SELECT {}", chain("'a'", " || ", OPERATORS * 10)),
        ),
        (
            "grouped",
            format!("SELECT {}", chain("(1+1)", "+", OPERATORS * 10)),
        ),
        ("flat 100k", format!("SELECT {}", chain("1", "+", 100_000))),
        (
            "union",
            chain("SELECT 1", " UNION ALL ", SET_OPERATIONS * 10),
        ),
        ("ctes", format!("WITH {} SELECT 1", ctes.join(", "))),
    ]
}

#[tokio::test]
async fn statements_past_the_shape_limits_are_refused_and_the_server_keeps_answering() {
    let server = Server::start().await;
    let root = server.root().await;
    for (shape, sql) in too_complex() {
        let (status, body) = server.sql(&root, &sql).await;
        assert_eq!(status, 400, "{shape}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_SQL", "{shape}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("statement is too complex"),
            "{shape}: {message}"
        );
        server.ok(&root, "SELECT 1").await;
    }
    // At the limit, the statements run.
    let at_limit = [
        format!("SELECT {}", chain("1", "+", OPERATORS + 1)),
        format!("SELECT 1 WHERE {}", chain("1=1", " AND ", OPERATORS / 2)),
        chain("SELECT 1", " UNION ALL ", SET_OPERATIONS + 1),
    ];
    for sql in at_limit {
        let (status, body) = server.sql(&root, &sql).await;
        assert_eq!(status, 200, "{}: {body}", &sql[..60]);
    }
    assert_eq!(
        server
            .rows(&root, &format!("SELECT {}", chain("1", "+", OPERATORS + 1)))
            .await,
        vec![vec![json!("501")]]
    );
}

#[tokio::test]
async fn subscriptions_past_the_shape_limits_are_refused() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE USER TABLE app.m (id INT PRIMARY KEY, v INT)")
        .await;
    let mut ws = Client::authed(&server, &root).await;
    let sql = format!(
        "SELECT * FROM app.m WHERE {}",
        chain("v = 1", " OR ", OPERATORS * 10)
    );
    ws.send(
        json!({"type": "subscribe", "subscription": {"id": "deep", "sql": sql, "options": {}}}),
    )
    .await;
    let answer = ws.recv().await;
    assert_eq!(answer["type"], "error", "{answer}");
    let text = answer.to_string();
    assert!(text.contains("statement is too complex"), "{text}");
    // The connection and the server both go on.
    let (_, batch) = ws.subscribe("ok", "SELECT * FROM app.m", json!({})).await;
    assert_eq!(batch["type"], "initial_data_batch");
    server.ok(&root, "SELECT 1").await;
}

#[tokio::test]
async fn a_panicking_handler_is_answered_as_a_500_and_the_server_goes_on() {
    let server = Server::start_with(Options {
        extra_env: vec![("KALAMDB_FAILPOINT".into(), "http.sql.panic".into())],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    for _ in 0..3 {
        let (status, body) = server.sql(&root, "SELECT 1").await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["status"], "error");
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
        assert!(
            !body.to_string().contains("failpoint"),
            "internals leak: {body}"
        );
    }
    let (status, _) = server.get("/health", None).await;
    assert_eq!(status, 200);
    server.root().await;
}

fn with_env(vars: &[(&str, &str)]) -> Options {
    Options {
        extra_env: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Options::default()
    }
}

#[tokio::test]
async fn results_past_the_row_limit_and_requests_past_the_statement_limit_are_refused() {
    let server = Server::start_with(with_env(&[("KALAMDB_MAX_RESULT_ROWS", "100")])).await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.r (id INT PRIMARY KEY)")
        .await;
    let values: Vec<String> = (0..150).map(|i| format!("({i})")).collect();
    server
        .ok(
            &root,
            &format!("INSERT INTO app.r VALUES {}", values.join(", ")),
        )
        .await;
    let (status, code, message) = server.err(&root, "SELECT * FROM app.r").await;
    assert_eq!(
        (status, code.as_str()),
        (400, "SQL_EXECUTION_ERROR"),
        "{message}"
    );
    assert!(message.contains("more than 100 rows"), "{message}");
    assert_eq!(
        server
            .rows(&root, "SELECT * FROM app.r LIMIT 100")
            .await
            .len(),
        100
    );
    assert_eq!(
        server.rows(&root, "SELECT COUNT(*) FROM app.r").await,
        vec![vec![json!("150")]]
    );
    let many = "SELECT 1;".repeat(1001);
    let (status, code, message) = server.err(&root, &many).await;
    assert_eq!((status, code.as_str()), (400, "INVALID_SQL"), "{message}");
    assert!(message.contains("the limit is 1000"), "{message}");
}

#[tokio::test]
async fn a_slow_read_is_cancelled_at_the_statement_timeout() {
    let server = Server::start_with(with_env(&[("KALAMDB_STATEMENT_TIMEOUT_SECS", "1")])).await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let started = std::time::Instant::now();
    let (status, code, message) = server
        .err(&alice, "SELECT COUNT(*) FROM range(1, 100000000000) a")
        .await;
    assert_eq!(
        (status, code.as_str()),
        (400, "SQL_EXECUTION_ERROR"),
        "{message}"
    );
    assert!(message.contains("statement timeout"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    server.ok(&alice, "SELECT 1").await;
}

#[tokio::test]
async fn one_user_cannot_hold_more_websocket_connections_than_the_limit() {
    let server =
        Server::start_with(with_env(&[("KALAMDB_MAX_WS_CONNECTIONS_PER_USER", "2")])).await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let first = Client::authed(&server, &alice).await;
    let _second = Client::authed(&server, &alice).await;
    let mut third = Client::connect(&server).await;
    third
        .send(json!({"type": "authenticate", "method": "jwt", "token": alice}))
        .await;
    let refused = third.recv().await;
    assert_eq!(refused["code"], "SUBSCRIPTION_LIMIT_EXCEEDED", "{refused}");
    // Another user is not affected, and a closed connection gives its slot back.
    let bob = server.user(&root, "bob", "user").await;
    Client::authed(&server, &bob).await;
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut c = Client::connect(&server).await;
        c.send(json!({"type": "authenticate", "method": "jwt", "token": alice}))
            .await;
        if c.recv().await["type"] == "auth_success" {
            again = Some(c);
            break;
        }
    }
    assert!(
        again.is_some(),
        "the closed connection's slot was never given back"
    );
}

#[tokio::test]
async fn audit_records_of_failed_logins_are_bounded_in_size() {
    let server = Server::start().await;
    let root = server.root().await;
    let huge = "m".repeat(100_000);
    let (status, _) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": huge, "password": "x"}),
        )
        .await;
    assert_eq!(status, 401);
    let rows = server
        .rows(
            &root,
            "SELECT length(actor) FROM system.audit_log WHERE action = 'login_failed'",
        )
        .await;
    assert_eq!(rows, vec![vec![json!(129)]]);
}
