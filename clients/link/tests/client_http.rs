//! `kalam-link` against the real server: health, login, queries, typed cells, errors.

mod common;

use common::server::{self, ROOT_PASSWORD, TestServer};
use kalam_link::{Auth, HealthStatus, KalamClient, KalamLinkError, QueryResultExt};
use serde_json::json;

fn client(server: &TestServer, auth: Auth) -> KalamClient {
    KalamClient::builder(&server.url)
        .auth(auth)
        .build()
        .expect("client")
}

fn root(server: &TestServer) -> KalamClient {
    client(server, Auth::basic("root", ROOT_PASSWORD))
}

#[tokio::test]
async fn health_tells_up_down_and_refused_credentials_apart() {
    let down = KalamClient::builder(server::closed_url())
        .build()
        .expect("client");
    match down.health().await {
        HealthStatus::ServerUnreachable { url, reason } => {
            assert_eq!(url, down.url());
            assert!(!reason.is_empty());
        }
        other => panic!("expected unreachable, got {other:?}"),
    }

    let Some(server) = server::start() else {
        return;
    };
    let status = root(&server).health().await;
    assert!(
        matches!(&status, HealthStatus::Ok(v) if !v.is_empty()),
        "{status:?}"
    );
    let status = client(&server, Auth::None).health().await;
    assert!(status.is_ok(), "{status:?}");
    let wrong = client(&server, Auth::basic("root", "wrong-password"))
        .health()
        .await;
    assert_eq!(
        wrong,
        HealthStatus::AuthFailed("Invalid credentials".into())
    );
    let bad_jwt = client(&server, Auth::jwt("not.a.jwt")).health().await;
    assert!(
        matches!(bad_jwt, HealthStatus::AuthFailed(_)),
        "{bad_jwt:?}"
    );
}

#[tokio::test]
async fn queries_return_typed_rows_in_schema_order() {
    let Some(server) = server::start() else {
        return;
    };
    let root = root(&server);
    let created = root
        .query("CREATE NAMESPACE app")
        .await
        .expect("create namespace");
    assert_eq!(
        created.first().and_then(|r| r.message.as_deref()),
        Some("Namespace 'app' created successfully")
    );
    root.query(
        "CREATE SHARED TABLE app.items (id BIGINT PRIMARY KEY, name TEXT, price DOUBLE, created_at TIMESTAMP)",
    )
    .await
    .expect("create table");
    root.query(
        "INSERT INTO app.items (id, name, price, created_at) VALUES \
         (9007199254740993, 'big', 1.5, 1714564800000000), (2, NULL, NULL, NULL)",
    )
    .await
    .expect("insert");

    let response = root
        .query("SELECT id, name, price, created_at FROM app.items ORDER BY id")
        .await
        .expect("select");
    assert!(response.took >= 0.0);
    let result = response.first().expect("one result");
    assert_eq!(
        result.column_names(),
        vec!["id", "name", "price", "created_at"]
    );
    assert_eq!(result.row_count, 2);
    let rows = result.row_views();
    assert_eq!(rows[0].get_i64("id").expect("id"), Some(2));
    assert_eq!(rows[0].get_str("name").expect("name"), None);
    assert_eq!(
        rows[1].get_i64("id").expect("id"),
        Some(9_007_199_254_740_993)
    );
    assert_eq!(rows[1].get_f64("price").expect("price"), Some(1.5));
    let created_at = rows[1].get_timestamp("created_at").expect("timestamp");
    assert_eq!(created_at.map(|t| t.timestamp()), Some(1_714_564_800));
    assert_eq!(result.as_user.as_deref(), Some("root"));
}

#[tokio::test]
async fn parameters_and_namespace_are_sent() {
    let Some(server) = server::start() else {
        return;
    };
    let root = root(&server);
    root.query("CREATE NAMESPACE app; CREATE SHARED TABLE app.kv (k TEXT PRIMARY KEY, v BIGINT)")
        .await
        .expect("setup");
    root.query_with(
        "INSERT INTO kv (k, v) VALUES ($1, $2)",
        vec![json!("a"), json!(41)],
        Some("app"),
    )
    .await
    .expect("insert with params");
    let response = root
        .query_with(
            "SELECT v FROM kv WHERE k = $1",
            vec![json!("a")],
            Some("app"),
        )
        .await
        .expect("select with params");
    let row = response.first().and_then(|r| r.row(0)).expect("a row");
    assert_eq!(row.get_i64("v").expect("v"), Some(41));
}

#[tokio::test]
async fn errors_carry_the_server_code_and_status() {
    let Some(server) = server::start() else {
        return;
    };
    let root = root(&server);
    let err = root
        .query("SELECT * FROM app.nope")
        .await
        .expect_err("an error");
    match &err {
        KalamLinkError::Server {
            code,
            message,
            status,
            ..
        } => {
            assert_eq!(code, "SQL_EXECUTION_ERROR");
            assert!(message.contains("does not exist"), "{message}");
            assert_eq!(*status, 400);
        }
        other => panic!("expected a server error, got {other:?}"),
    }
    assert_eq!(
        err.error_code(),
        Some(kalam_link::ErrorCode::SqlExecutionError)
    );

    let err = root.query("SELEKT 1").await.expect_err("an error");
    assert!(
        matches!(&err, KalamLinkError::Server { code, .. } if code == "INVALID_SQL"),
        "{err:?}"
    );

    let anonymous = client(&server, Auth::None);
    let err = anonymous.query("SELECT 1").await.expect_err("an error");
    assert!(err.is_auth_error(), "{err:?}");
    assert_eq!(err.http_status(), Some(401));

    let login_err = client(&server, Auth::basic("root", "wrong"))
        .query("SELECT 1")
        .await
        .err();
    assert!(
        matches!(&login_err, Some(KalamLinkError::Auth { kind, status: 401, .. }) if kind == "unauthorized"),
        "{login_err:?}"
    );
}

#[tokio::test]
async fn a_jwt_from_login_is_accepted() {
    let Some(server) = server::start() else {
        return;
    };
    let login = root(&server).login().await.expect("login");
    let jwt = client(&server, Auth::jwt(login.access_token));
    assert!(jwt.health().await.is_ok());
    let response = jwt.query("SELECT 1 AS one").await.expect("query");
    let row = response.first().and_then(|r| r.row(0)).expect("a row");
    assert_eq!(row.get_i64("one").expect("one"), Some(1));
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    let client = KalamClient::builder(server::closed_url())
        .auth(Auth::basic("root", "pw"))
        .build()
        .expect("client");
    let err = client.query("SELECT 1").await.expect_err("an error");
    assert!(err.is_connection_error(), "{err:?}");
    assert!(matches!(err, KalamLinkError::Unreachable { .. }), "{err:?}");
}
