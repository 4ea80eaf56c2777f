//! Token hygiene, EXECUTE AS USER, the audit log and abuse limits against the real server.

mod common;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Options, Server};
use kalamdb_core::auth::jwt::{Claims, ISSUER, TokenKind, sign};
use serde_json::{Value, json};

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

fn claims(sub: &str, role: &str, kind: TokenKind, exp_offset: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: sub.into(),
        iss: ISSUER.into(),
        exp: now + exp_offset,
        iat: now,
        role: role.into(),
        token_type: kind,
        // As a token of a version before tokens named their account.
        account: 0,
        generation: 0,
        session: None,
        rotation: 0,
    }
}

fn secret_options() -> Options {
    Options {
        extra_env: vec![("KALAMDB_JWT_SECRET".into(), SECRET.into())],
        ..Options::default()
    }
}

async fn status_of(server: &Server, token: &str) -> (u16, Value) {
    server.sql(token, "SELECT 1").await
}

#[tokio::test]
async fn forged_expired_and_misused_tokens_are_401() {
    let server = Server::start_with(secret_options()).await;
    let root = server.root().await;
    let good = sign(
        &claims("root", "system", TokenKind::Access, 3600),
        SECRET.as_bytes(),
    );
    assert_eq!(
        status_of(&server, &good).await.0,
        200,
        "a correctly signed token works"
    );

    // alg: none, with and without a signature part.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&claims("root", "system", TokenKind::Access, 3600)).unwrap_or_default(),
    );
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        let (status, body) = status_of(&server, &token).await;
        assert_eq!(status, 401, "alg none: {body}");
    }
    // Signed with another secret.
    let wrong = sign(
        &claims("root", "system", TokenKind::Access, 3600),
        b"another-secret-another-secret-another",
    );
    assert_eq!(status_of(&server, &wrong).await.0, 401);
    // A valid token with its payload swapped (role escalation attempt).
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&claims("root", "system", TokenKind::Access, 99_999))
            .unwrap_or_default(),
    );
    assert_eq!(status_of(&server, &parts.join(".")).await.0, 401);
    // Expired.
    let expired = sign(
        &claims("root", "system", TokenKind::Access, -10),
        SECRET.as_bytes(),
    );
    let (status, body) = status_of(&server, &expired).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "TOKEN_EXPIRED");
    // A refresh token where an access token is needed.
    let refresh = sign(
        &claims("root", "system", TokenKind::Refresh, 3600),
        SECRET.as_bytes(),
    );
    assert_eq!(status_of(&server, &refresh).await.0, 401);
    // A deleted user's token stops working at once.
    let gone = server.user(&root, "gone", "user").await;
    assert_eq!(status_of(&server, &gone).await.0, 200);
    server.ok(&root, "DROP USER 'gone'").await;
    assert_eq!(status_of(&server, &gone).await.0, 401);
    let (status, _) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "gone", "password": "pw-gone"}),
        )
        .await;
    assert_eq!(status, 401, "a deleted user cannot log in");
    // Tokens carry no password material.
    for part in root.split('.').take(2) {
        let decoded = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded).to_lowercase();
        assert!(!text.contains("password") && !text.contains("$2"), "{text}");
        assert!(!text.contains(&common::ROOT_PASSWORD.to_lowercase()));
    }
}

#[tokio::test]
async fn execute_as_user_follows_the_targeting_matrix() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.inbox (id INT PRIMARY KEY, t TEXT)",
        )
        .await;
    server
        .ok(&root, "CREATE SHARED TABLE app.shared (id INT PRIMARY KEY)")
        .await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    let svc = server.user(&root, "svc", "service").await;
    let svc2 = server.user(&root, "svc2", "service").await;
    let dba = server.user(&root, "dba1", "dba").await;
    let _ = (&svc2, &bob);

    // A service writes into alice's partition; alice sees it, bob does not.
    let (status, body) = server
        .sql(
            &svc,
            "EXECUTE AS USER 'alice' (INSERT INTO app.inbox VALUES (1, 'from svc'))",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["as_user"], "alice");
    assert_eq!(
        server.rows(&alice, "SELECT t FROM app.inbox").await,
        vec![vec![json!("from svc")]]
    );
    assert!(
        server
            .rows(&bob, "SELECT t FROM app.inbox")
            .await
            .is_empty()
    );
    let (status, body) = server
        .sql(&svc, "EXECUTE AS USER 'alice' (SELECT t FROM app.inbox)")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["rows"], json!([["from svc"]]));

    // The matrix: (actor, target, allowed).
    let cases = [
        (&root, "dba1", true),
        (&dba, "svc", true),
        (&dba, "alice", true),
        (&dba, "root", false),
        (&svc, "svc2", true),
        (&svc, "dba1", false),
        (&alice, "alice", true),
        (&alice, "bob", false),
    ];
    for (i, (actor, target, allowed)) in cases.into_iter().enumerate() {
        let sql = format!(
            "EXECUTE AS USER '{target}' (INSERT INTO app.inbox VALUES ({}, 'x'))",
            100 + i
        );
        let (status, body) = server.sql(actor, &sql).await;
        if allowed {
            assert_eq!(status, 200, "{sql}: {body}");
        } else {
            assert_eq!(status, 403, "{sql}: {body}");
            assert_eq!(body["error"]["code"], "PERMISSION_DENIED");
        }
    }
    // Refused attempts wrote nothing: bob's partition is still empty.
    assert!(
        server
            .rows(&bob, "SELECT * FROM app.inbox")
            .await
            .is_empty()
    );

    // USER and STREAM tables only.
    let (status, body) = server
        .sql(
            &root,
            "EXECUTE AS USER 'alice' (INSERT INTO app.shared VALUES (1))",
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        server
            .rows(&root, "SELECT * FROM app.shared")
            .await
            .is_empty(),
        "nothing written"
    );
    let (status, _) = server
        .sql(
            &root,
            "EXECUTE AS USER 'alice' (SELECT * FROM system.users)",
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = server
        .sql(&root, "EXECUTE AS USER 'alice' (CREATE NAMESPACE nope)")
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server
        .sql(&root, "EXECUTE AS USER 'nobody' (SELECT 1)")
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'nobody' does not exist")
    );
    let (status, _) = server.sql(&root, "EXECUTE AS USER 'alice' SELECT 1").await;
    assert_eq!(status, 400, "parentheses are required");

    // Every impersonation is audited.
    let audited = server
        .rows(
            &root,
            "SELECT actor, target, success FROM system.audit_log WHERE action = 'execute_as' AND actor = 'svc' ORDER BY audit_id LIMIT 1",
        )
        .await;
    assert_eq!(
        audited,
        vec![vec![json!("svc"), json!("alice"), json!(true)]]
    );
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_from_where() {
    let server = Server::start().await;
    let root = server.root().await;
    let (status, _) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "root", "password": "wrong"}),
        )
        .await;
    assert_eq!(status, 401);
    server
        .ok(
            &root,
            "CREATE USER 'carol' WITH PASSWORD 'carol-secret-pw' ROLE user",
        )
        .await;
    server
        .ok(&root, "ALTER USER 'carol' SET ROLE service")
        .await;
    server
        .ok(&root, "ALTER USER 'carol' SET PASSWORD 'carol-new-secret'")
        .await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.t (id INT PRIMARY KEY)")
        .await;
    server
        .ok(
            &root,
            "CREATE STORAGE arch TYPE filesystem PATH '/tmp/kalam-audit-arch'",
        )
        .await;
    server
        .ok(
            &root,
            r#"ALTER STORAGE arch SET CREDENTIALS '{"token":"storage-secret-value"}'"#,
        )
        .await;
    server.ok(&root, "DROP STORAGE arch").await;
    server.ok(&root, "DROP TABLE app.t").await;
    let carol = server.login("carol", "carol-new-secret").await;
    let (status, _) = server.sql(&carol, "CREATE NAMESPACE nope").await;
    assert_eq!(status, 403);

    let rows = server
        .rows(
            &root,
            "SELECT actor, action, target, details, ip_address, success FROM system.audit_log ORDER BY audit_id",
        )
        .await;
    let find = |action: &str, target: &str| -> Vec<Value> {
        rows.iter()
            .find(|r| r[1] == action && r[2] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no {action} on {target} in {rows:?}"))
    };
    assert_eq!(find("login_failed", "root")[5], json!(false));
    assert_eq!(find("login", "root")[5], json!(true));
    assert_eq!(find("login", "root")[4], json!("127.0.0.1"));
    assert_eq!(find("create_user", "carol")[0], json!("root"));
    assert_eq!(
        find("role_change", "carol")[3],
        json!("ALTER USER 'carol' SET ROLE service")
    );
    find("alter_user", "carol");
    find("create_namespace", "app");
    find("create_table", "app.t");
    find("drop_table", "app.t");
    find("create_storage", "arch");
    assert_eq!(
        find("alter_storage", "arch")[3],
        json!("ALTER STORAGE arch SET CREDENTIALS '***'")
    );
    find("drop_storage", "arch");
    let denied = find("permission_denied", "nope");
    assert_eq!(denied[0], json!("carol"));
    assert_eq!(denied[5], json!(false));
    // Passwords never reach the log.
    let text = serde_json::to_string(&rows).unwrap_or_default();
    for secret in [
        "carol-secret-pw",
        "carol-new-secret",
        "wrong",
        "storage-secret-value",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the audit log");
    }
}

#[tokio::test]
async fn rate_limits_and_size_limits() {
    let server = Server::start_with(Options {
        extra_env: vec![
            ("KALAMDB_QUERIES_PER_SECOND".into(), "1".into()),
            ("KALAMDB_QUERY_BURST".into(), "5".into()),
            ("KALAMDB_LOGINS_PER_MINUTE".into(), "1".into()),
            ("KALAMDB_LOGIN_BURST".into(), "4".into()),
        ],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    let user = server.user(&root, "busy", "user").await;
    let mut codes = Vec::new();
    for _ in 0..8 {
        let (status, body) = server.sql(&user, "SELECT 1").await;
        codes.push((
            status,
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ));
    }
    assert!(codes[..4].iter().all(|(s, _)| *s == 200), "{codes:?}");
    assert!(
        codes.contains(&(429, "RATE_LIMIT_EXCEEDED".to_string())),
        "{codes:?}"
    );
    // root (system) is not limited.
    for _ in 0..10 {
        assert_eq!(server.sql(&root, "SELECT 1").await.0, 200);
    }
    // Logins per address: two used above, then the burst runs out.
    let mut login_statuses = Vec::new();
    for _ in 0..4 {
        let (status, body) = server
            .post(
                "/v1/api/auth/login",
                None,
                json!({"user": "busy", "password": "wrong"}),
            )
            .await;
        login_statuses.push((
            status,
            body["error"].as_str().unwrap_or_default().to_string(),
        ));
    }
    assert!(
        login_statuses.contains(&(429, "rate_limited".to_string())),
        "{login_statuses:?}"
    );
    // SQL over 1 MiB is refused, and so is a body over the request limit.
    let long = format!("SELECT '{}'", "x".repeat(1024 * 1024 + 10));
    let (status, body) = server.sql(&root, &long).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_SQL");
    let huge = "y".repeat(3 * 1024 * 1024);
    let (status, _) = server
        .post("/v1/api/sql", Some(&root), json!({"sql": huge}))
        .await;
    assert_eq!(status, 413);
    // A WebSocket message over 1 MiB ends the connection.
    let mut ws = common::ws::Client::authed(&server, &root).await;
    let big = json!({"type": "ping", "pad": "z".repeat(2 * 1024 * 1024)}).to_string();
    let _ = futures::SinkExt::send(
        &mut ws.ws,
        tokio_tungstenite::tungstenite::Message::Text(big.into()),
    )
    .await;
    assert!(
        ws.try_recv(std::time::Duration::from_secs(5))
            .await
            .is_none(),
        "the connection is closed"
    );
}

#[tokio::test]
async fn a_public_address_needs_a_long_jwt_secret() {
    for secret in [None, Some("short-secret")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = vec![("KALAMDB_SERVER_HOST".to_string(), "0.0.0.0".to_string())];
        if let Some(s) = secret {
            env.push(("KALAMDB_JWT_SECRET".into(), s.into()));
        }
        let (mut child, started) = common::spawn(
            &dir.path().join("data"),
            &Options {
                extra_env: env,
                ..Options::default()
            },
        );
        let _ = child.kill();
        let _ = child.wait();
        let log = started.expect_err("the server must refuse to start");
        assert!(log.contains("at least 32 characters"), "{log}");
    }
}

fn cors_options(origins: &str, credentials: bool) -> Options {
    Options {
        extra_env: vec![
            ("KALAMDB_SERVER_CORS_ALLOWED_ORIGINS".into(), origins.into()),
            (
                "KALAMDB_SERVER_CORS_ALLOW_CREDENTIALS".into(),
                credentials.to_string(),
            ),
        ],
        ..Options::default()
    }
}

async fn preflight(server: &Server, origin: &str, method: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/api/sql", server.url),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight")
}

async fn sql_from(server: &Server, origin: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/api/sql", server.url))
        .header("Origin", origin)
        .bearer_auth(token)
        .json(&json!({"sql": "SELECT 1 AS one"}))
        .send()
        .await
        .expect("sql")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn without_configured_origins_no_page_on_another_origin_can_read_answers() {
    let server = Server::start().await;
    let token = server.root().await;
    let pre = preflight(&server, "https://app.example.com", "POST").await;
    assert_eq!(pre.status(), 403);
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
    let answer = sql_from(&server, "https://app.example.com", &token).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn configured_origins_get_preflights_and_headers_and_others_do_not() {
    let server = Server::start_with(cors_options(
        "https://app.example.com,http://localhost:5173",
        true,
    ))
    .await;
    let token = server.root().await;

    let pre = preflight(&server, "http://localhost:5173", "POST").await;
    assert_eq!(pre.status(), 204);
    assert_eq!(
        header(&pre, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        header(&pre, "access-control-allow-credentials"),
        Some("true")
    );
    let methods = header(&pre, "access-control-allow-methods").unwrap_or_default();
    assert!(
        methods.contains("POST") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = header(&pre, "access-control-allow-headers").unwrap_or_default();
    assert!(
        headers.contains("Authorization") && headers.contains("Content-Type"),
        "{headers}"
    );
    assert!(header(&pre, "access-control-max-age").is_some());
    assert!(header(&pre, "vary").unwrap_or_default().contains("Origin"));

    let answer = sql_from(&server, "https://app.example.com", &token).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        header(&answer, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert!(
        header(&answer, "access-control-expose-headers")
            .unwrap_or_default()
            .contains("ETag")
    );
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["results"][0]["rows"][0][0], json!("1"), "{body}");

    // An unknown method is refused in the preflight.
    assert_eq!(
        preflight(&server, "https://app.example.com", "PUT")
            .await
            .status(),
        403
    );

    // Another origin: its preflight is refused and answers carry no CORS header.
    let pre = preflight(&server, "https://evil.example.net", "POST").await;
    assert_eq!(pre.status(), 403);
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
    let answer = sql_from(&server, "https://evil.example.net", &token).await;
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_wildcard_origin_works_only_without_credentials() {
    let server = Server::start_with(cors_options("*", false)).await;
    let pre = preflight(&server, "https://anywhere.example", "POST").await;
    assert_eq!(pre.status(), 204);
    assert_eq!(header(&pre, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&pre, "access-control-allow-credentials"), None);
    drop(server);

    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut child, started) = common::spawn(&tmp.path().join("data"), &cors_options("*", true));
    let log = started.expect_err("* with credentials must not start");
    assert!(!child.wait().expect("wait").success());
    assert!(log.contains("cannot be combined"), "{log}");
}
