//! Account changes are never undone by concurrent logins, and tokens stop working when their
//! account is dropped, re-created under the name, or has its password or role changed.

mod common;
use common::{Options, Server};
use serde_json::json;

/// bcrypt slow enough (cost 10: tens of milliseconds) that logins overlap the admin change.
fn slow_hashing() -> Options {
    Options {
        extra_env: vec![("KALAMDB_BCRYPT_COST".into(), "10".into())],
        ..Options::default()
    }
}

async fn failed_logins(server: &Server, user: &str, n: usize) {
    let attempts = (0..n).map(|_| {
        server.post(
            "/v1/api/auth/login",
            None,
            json!({"user": user, "password": "wrong"}),
        )
    });
    for (status, body) in futures::future::join_all(attempts).await {
        assert!(status == 401 || status == 429, "{status} {body}");
    }
}

#[tokio::test]
async fn concurrent_logins_never_undo_drop_user_role_changes_or_password_resets() {
    let server = Server::start_with(slow_hashing()).await;
    let root = server.root().await;
    for name in ["dropme", "promote", "reset"] {
        server.user(&root, name, "user").await;
    }
    let change = async {
        // Let the logins read the records and start hashing first.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        server.ok(&root, "DROP USER 'dropme'").await;
        server.ok(&root, "ALTER USER 'promote' SET ROLE dba").await;
        server
            .ok(&root, "ALTER USER 'reset' SET PASSWORD 'new-pw'")
            .await;
    };
    tokio::join!(
        change,
        failed_logins(&server, "dropme", 3),
        failed_logins(&server, "promote", 3),
        failed_logins(&server, "reset", 3),
    );
    let (status, _) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": "dropme", "password": "pw-dropme"}),
        )
        .await;
    assert_eq!(status, 401, "a dropped user came back");
    let rows = server
        .rows(
            &root,
            "SELECT role FROM system.users WHERE user_id = 'promote'",
        )
        .await;
    assert_eq!(rows, vec![vec![json!("dba")]]);
    server.login("reset", "new-pw").await;
}

#[tokio::test]
async fn tokens_are_revoked_by_role_changes_and_a_dropped_name_cannot_be_taken_over() {
    let server = Server::start().await;
    let root = server.root().await;
    let dora = server.user(&root, "dora", "dba").await;
    server.ok(&dora, "SELECT 1").await;
    server.ok(&root, "ALTER USER 'dora' SET ROLE user").await;
    let (status, body) = server.sql(&dora, "SELECT 1").await;
    assert_eq!(
        status, 401,
        "a demoted user's old token still works: {body}"
    );

    // A dropped user's rows are not handed to a new account under the same name.
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)",
        )
        .await;
    let eve = server.user(&root, "eve", "user").await;
    server
        .ok(&eve, "INSERT INTO app.notes VALUES (1, 'eve secret')")
        .await;
    server.ok(&root, "DROP USER 'eve'").await;
    let (status, _, message) = server
        .err(&root, "CREATE USER 'eve' WITH PASSWORD 'other' ROLE user")
        .await;
    assert_eq!(status, 400);
    assert!(message.contains("was dropped"), "{message}");
    let (status, _) = server.sql(&eve, "SELECT * FROM app.notes").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn concurrent_first_run_setups_let_exactly_one_through() {
    let server = Server::start_with(Options {
        root_password: None,
        ..slow_hashing()
    })
    .await;
    let attempts = (0..4).map(|i| {
        server.post(
            "/v1/api/auth/setup",
            None,
            json!({"user": format!("admin{i}"), "password": "pw", "root_password": format!("root-{i}")}),
        )
    });
    let answers = futures::future::join_all(attempts).await;
    let winners: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, (status, _))| *status == 200)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for (status, body) in &answers {
        assert!(*status == 200 || *status == 409, "{status} {body}");
    }
    // Root's password and the one administrator are the winner's.
    let i = winners[0];
    server.login("root", &format!("root-{i}")).await;
    server.login(&format!("admin{i}"), "pw").await;
    let root = server.login("root", &format!("root-{i}")).await;
    let admins = server
        .rows(
            &root,
            "SELECT COUNT(*) FROM system.users WHERE role = 'dba'",
        )
        .await;
    assert_eq!(admins, vec![vec![json!("1")]]);
}

#[tokio::test]
async fn listings_show_a_plain_user_only_what_it_may_read() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.secret (id INT PRIMARY KEY, salary INT) WITH (ACCESS_LEVEL = 'private')",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.board (id INT PRIMARY KEY) WITH (ACCESS_LEVEL = 'public')",
        )
        .await;
    server
        .ok(&root, "CREATE USER TABLE app.notes (id INT PRIMARY KEY)")
        .await;
    let alice = server.user(&root, "alice", "user").await;
    let names = |rows: Vec<Vec<serde_json::Value>>, col: usize| -> Vec<String> {
        let mut v: Vec<String> = rows
            .iter()
            .map(|r| r[col].as_str().unwrap_or_default().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names(server.rows(&alice, "SHOW TABLES IN app").await, 1),
        vec!["board", "notes"]
    );
    assert_eq!(
        names(
            server
                .rows(
                    &alice,
                    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('app', 'system')",
                )
                .await,
            1
        ),
        vec!["board", "notes"]
    );
    let columns = server
        .rows(
            &alice,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'secret'",
        )
        .await;
    assert!(columns.is_empty(), "{columns:?}");
    let (status, _, _) = server.err(&alice, "DESCRIBE app.secret").await;
    assert_eq!(status, 403);
    let storages = server.rows(&alice, "SHOW STORAGES").await;
    assert_eq!(storages[0][4], "***", "{storages:?}");
    // Root still sees everything.
    assert_eq!(
        names(server.rows(&root, "SHOW TABLES IN app").await, 1),
        vec!["board", "notes", "secret"]
    );
}

/// Logs in; (access, refresh).
async fn login_pair(server: &Server, user: &str, password: &str) -> (String, String) {
    let (status, body) = server
        .post(
            "/v1/api/auth/login",
            None,
            json!({"user": user, "password": password}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = |k: &str| body[k].as_str().unwrap_or_default().to_string();
    (token("access_token"), token("refresh_token"))
}

#[tokio::test]
async fn a_replayed_refresh_token_ends_its_session_and_logout_revokes_its_tokens() {
    let server = Server::start().await;
    let root = server.root().await;
    let other_session = server.user(&root, "rita", "user").await;
    let (access1, refresh1) = login_pair(&server, "rita", "pw-rita").await;
    server.ok(&access1, "SELECT 1").await;
    // Refresh rotates: the new pair works.
    let (status, body) = server
        .post("/v1/api/auth/refresh", Some(&refresh1), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let access2 = body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let refresh2 = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    server.ok(&access2, "SELECT 1").await;
    // The old refresh token again: reuse, the whole session ends.
    let (status, body) = server
        .post("/v1/api/auth/refresh", Some(&refresh1), json!({}))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("already used"), "{body}");
    assert_eq!(server.sql(&access2, "SELECT 1").await.0, 401);
    let (status, _) = server
        .post("/v1/api/auth/refresh", Some(&refresh2), json!({}))
        .await;
    assert_eq!(status, 401);
    // Other sessions of the account are not affected.
    server.ok(&other_session, "SELECT 1").await;
    // Logout ends the session of the token it is given, and only that one.
    let (access3, refresh3) = login_pair(&server, "rita", "pw-rita").await;
    let (status, body) = server
        .post("/v1/api/auth/logout", Some(&access3), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Logged out successfully");
    assert_eq!(server.sql(&access3, "SELECT 1").await.0, 401);
    let (status, _) = server
        .post("/v1/api/auth/refresh", Some(&refresh3), json!({}))
        .await;
    assert_eq!(status, 401);
    server.ok(&other_session, "SELECT 1").await;
}
