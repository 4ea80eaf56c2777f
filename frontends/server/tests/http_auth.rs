//! Login, setup, tokens and 401s against the real server.

mod common;
use common::{Options, Server};
use serde_json::json;

#[tokio::test]
async fn login_returns_tokens_and_me_answers() {
    let server = Server::start().await;
    let (status, body) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"username": "root", "password": common::ROOT_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], "root");
    assert_eq!(body["user"]["role"], "system");
    assert_eq!(body["admin_ui_access"], true);
    for key in [
        "access_token",
        "refresh_token",
        "expires_at",
        "refresh_expires_at",
    ] {
        assert!(body[key].is_string(), "{key} missing: {body}");
    }
    let token = body["access_token"].as_str().unwrap_or_default();
    let (status, me) = server.get("/v1/api/auth/me", Some(token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["id"], "root");

    // The refresh token gives a new pair; it is refused where an access token is needed.
    let refresh = body["refresh_token"].as_str().unwrap_or_default();
    let (status, refreshed) = server
        .post("/v1/api/auth/refresh", Some(refresh), json!({}))
        .await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(refreshed["access_token"].is_string());
    let (status, body) = server.sql(refresh, "SELECT 1").await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn bad_credentials_get_the_same_answer() {
    let server = Server::start().await;
    let (s1, b1) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "root", "password": "wrong"}),
        )
        .await;
    let (s2, b2) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "nobody", "password": "x"}),
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1["error"], "unauthorized");
    assert_eq!(b1["message"], "Invalid credentials");
    assert_eq!(b1, b2);
}

#[tokio::test]
async fn sql_without_or_with_bad_tokens_is_401() {
    let server = Server::start().await;
    let (status, body) = server
        .post("/v1/api/sql", None, json!({"sql": "SELECT 1"}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "MISSING_AUTHORIZATION");
    let (status, body) = server.sql("not.a.token", "SELECT 1").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "INVALID_CREDENTIALS");
    // Basic auth is refused on the SQL endpoint.
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/api/sql", server.url))
        .header("Authorization", "Basic cm9vdDpyb290")
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn first_run_setup_flow() {
    let server = Server::start_with(Options {
        root_password: None,
        ..Options::default()
    })
    .await;
    let (status, body) = server.get("/v1/api/auth/status", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["needs_setup"], true);
    let (status, body) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "root", "password": ""}),
        )
        .await;
    assert_eq!(status, 428, "{body}");
    assert_eq!(body["error"], "setup_required");

    let (status, body) = server
        .post(
            "/v1/api/auth/setup",
            None,
            json!({"user": "admin", "password": "admin-pw", "root_password": "new-root-pw", "email": "a@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = server.get("/v1/api/auth/status", None).await;
    assert_eq!(body["needs_setup"], false);
    let (status, body) = server
        .post(
            "/v1/api/auth/setup",
            None,
            json!({"user": "admin2", "password": "x", "root_password": "y"}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "already_configured");

    let admin = server.login("admin", "admin-pw").await;
    let (status, me) = server.get("/v1/api/auth/me", Some(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["role"], "dba");
    server.login("root", "new-root-pw").await;
}

#[tokio::test]
async fn users_can_be_created_altered_and_dropped() {
    let server = Server::start().await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    // A user cannot manage users, but can change their own password.
    let (status, code, _) = server
        .err(&alice, "CREATE USER 'mallory' WITH PASSWORD 'x' ROLE dba")
        .await;
    assert_eq!((status, code.as_str()), (403, "PERMISSION_DENIED"));
    server
        .ok(&alice, "ALTER USER 'alice' SET PASSWORD 'changed'")
        .await;
    // A password change revokes the tokens issued before it.
    let (status, body) = server.sql(&alice, "SELECT 1").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["message"], "Token revoked");
    let alice = server.login("alice", "changed").await;
    let (status, _, _) = server
        .err(&alice, "ALTER USER 'root' SET PASSWORD 'x'")
        .await;
    assert_eq!(status, 403);
    // Users cannot read system tables.
    let (status, code, msg) = server.err(&alice, "SELECT * FROM system.users").await;
    assert_eq!((status, code.as_str()), (403, "PERMISSION_DENIED"), "{msg}");

    server.ok(&root, "DROP USER 'alice'").await;
    let (status, _) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "alice", "password": "changed"}),
        )
        .await;
    assert_eq!(status, 401);
    // Tokens of a dropped user stop working.
    let (status, _) = server.sql(&alice, "SELECT 1").await;
    assert_eq!(status, 401);
    let rows = server
        .rows(
            &root,
            "SELECT user_id, role, deleted_at IS NOT NULL FROM system.users ORDER BY user_id",
        )
        .await;
    assert_eq!(rows[0], vec![json!("alice"), json!("user"), json!(true)]);
}

#[tokio::test]
async fn five_failures_lock_the_account() {
    let server = Server::start().await;
    let root = server.root().await;
    server.user(&root, "carol", "user").await;
    for _ in 0..5 {
        let (status, body) = server
            .post(
                "/v1/api/auth/login",
                None,
                json!({"user": "carol", "password": "wrong"}),
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("unauthorized"))
        );
    }
    // Now even the right password is refused until the lock expires.
    let (status, body) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "carol", "password": "pw-carol"}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "account_locked");
    // An admin resetting the password lifts the lock.
    server
        .ok(&root, "ALTER USER 'carol' SET PASSWORD 'fresh'")
        .await;
    server.login("carol", "fresh").await;
}
