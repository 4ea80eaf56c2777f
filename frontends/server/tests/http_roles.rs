//! Issue "Roles, access levels, impersonation": the table-driven isolation matrix (table type ×
//! role × operation × route HTTP/WS), the statement role matrix, ALTER TABLE SET ACCESS LEVEL,
//! and `system.*` in every SQL form.

mod common;
use common::Server;
use common::ws::Client;
use serde_json::json;

const ROLES: [&str; 4] = ["user", "service", "dba", "system"];

/// Tokens by role: `u1` (user), `svc` (service), `dba1` (dba), root (system).
async fn tokens(server: &Server, root: &str) -> Vec<(&'static str, String)> {
    vec![
        ("user", server.user(root, "u1", "user").await),
        ("service", server.user(root, "svc", "service").await),
        ("dba", server.user(root, "dba1", "dba").await),
        ("system", root.to_string()),
    ]
}

fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(0)
}

/// The minimum role for (read, write) on each table, from SQL.md.
fn rule(table: &str) -> (&'static str, &'static str) {
    match table {
        "app.sh_public" => ("user", "service"),
        "app.sh_private" | "app.sh_restricted" => ("service", "service"),
        "app.sh_dba" => ("dba", "dba"),
        _ => ("user", "user"), // USER and STREAM tables: everyone, own rows only
    }
}

#[tokio::test]
async fn isolation_matrix_over_http_and_ws() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.ut (id INT PRIMARY KEY, v TEXT)",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE STREAM TABLE app.st (id INT, v TEXT) WITH (TTL_SECONDS = 3600)",
        )
        .await;
    for level in ["public", "private", "restricted", "dba"] {
        server
            .ok(
                &root,
                &format!(
                    "CREATE SHARED TABLE app.sh_{level} (id INT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = '{level}')"
                ),
            )
            .await;
        server
            .ok(
                &root,
                &format!("INSERT INTO app.sh_{level} VALUES (1, 'seed')"),
            )
            .await;
    }
    let tokens = tokens(&server, &root).await;
    let tables = [
        "app.ut",
        "app.st",
        "app.sh_public",
        "app.sh_private",
        "app.sh_restricted",
        "app.sh_dba",
    ];
    let mut checked = 0;
    for (role, token) in &tokens {
        for table in tables {
            let (read_min, write_min) = rule(table);
            let may_read = rank(role) >= rank(read_min);
            let may_write = rank(role) >= rank(write_min);
            let shared = table.starts_with("app.sh_");
            let id = 100 + rank(role) as i64;
            let ops: Vec<(String, bool)> = {
                let mut ops = vec![
                    (format!("SELECT * FROM {table}"), may_read),
                    (format!("INSERT INTO {table} VALUES ({id}, 'x')"), may_write),
                ];
                if table != "app.st" {
                    ops.push((
                        format!("UPDATE {table} SET v = 'y' WHERE id = 1"),
                        may_write,
                    ));
                    ops.push((format!("DELETE FROM {table} WHERE id = 1"), may_write));
                }
                ops
            };
            for (sql, allowed) in ops {
                let before = if shared {
                    Some(
                        server
                            .rows(&root, &format!("SELECT id, v FROM {table} ORDER BY id"))
                            .await,
                    )
                } else {
                    None
                };
                let (status, body) = server.sql(token, &sql).await;
                if allowed {
                    assert_eq!(status, 200, "{role}: {sql} should be allowed: {body}");
                } else {
                    assert_eq!(status, 403, "{role}: {sql} should be denied: {body}");
                    assert_eq!(body["error"]["code"], "PERMISSION_DENIED");
                    let message = body["error"]["message"].as_str().unwrap_or_default();
                    assert!(message.contains("requires role"), "{message}");
                    if let Some(before) = before {
                        let after = server
                            .rows(&root, &format!("SELECT id, v FROM {table} ORDER BY id"))
                            .await;
                        assert_eq!(before, after, "{role}: denied {sql} changed rows");
                    }
                }
                checked += 1;
            }
            // The WebSocket route follows the same rule for reads.
            let mut ws = Client::authed(&server, token).await;
            ws.send(json!({"type": "subscribe", "subscription": {"id": "m", "sql": format!("SELECT * FROM {table}")}}))
                .await;
            let first = ws.recv().await;
            if may_read {
                assert_eq!(
                    first["type"], "subscription_ack",
                    "{role} on {table}: {first}"
                );
            } else {
                assert_eq!(first["type"], "error", "{role} on {table}: {first}");
            }
            checked += 1;
        }
    }
    assert!(checked > 90);
    // USER rows stay private: u1's rows are invisible to svc, dba1 and root sees only theirs.
    let user_token = &tokens[0].1;
    assert_eq!(
        server.rows(user_token, "SELECT id FROM app.ut").await,
        vec![vec![json!(100)]]
    );
}

#[tokio::test]
async fn statement_role_matrix() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.shared (id INT PRIMARY KEY)")
        .await;
    let tokens = tokens(&server, &root).await;
    // (statement template, minimum role); {r} is the caller's role name, for unique names.
    let cases = [
        ("CREATE NAMESPACE ns_{r}", "dba"),
        (
            "CREATE USER 'x_{r}' WITH PASSWORD 'pw-x-123' ROLE user",
            "dba",
        ),
        (
            "CREATE STORAGE st_{r} TYPE filesystem PATH '/tmp/kalam-role-{r}'",
            "dba",
        ),
        ("KILL JOB 'FL-nope'", "dba"),
        ("CREATE USER TABLE app.u_{r} (id INT PRIMARY KEY)", "user"),
        (
            "CREATE STREAM TABLE app.s_{r} (id INT) WITH (TTL_SECONDS = 60)",
            "user",
        ),
        (
            "CREATE SHARED TABLE app.sh_{r} (id INT PRIMARY KEY)",
            "service",
        ),
        ("STORAGE FLUSH TABLE app.shared", "service"),
        ("STORAGE COMPACT TABLE app.shared", "service"),
        ("ALTER TABLE app.shared SET ACCESS LEVEL public", "dba"),
        ("DROP TABLE app.u_{r}", "dba"),
    ];
    for (role, token) in &tokens {
        for (template, min) in cases {
            let sql = template.replace("{r}", role);
            let (status, body) = server.sql(token, &sql).await;
            let code = body["error"]["code"].as_str().unwrap_or_default();
            if rank(role) >= rank(min) {
                assert_ne!(status, 403, "{role}: {sql}: {body}");
            } else {
                assert_eq!(
                    (status, code),
                    (403, "PERMISSION_DENIED"),
                    "{role}: {sql}: {body}"
                );
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(
                    message.contains(&format!("requires role {min}")),
                    "{message}"
                );
            }
        }
    }
    // Everyone may change their own password, nobody below dba anyone else's.
    let user = &tokens[0].1;
    server
        .ok(user, "ALTER USER 'u1' SET PASSWORD 'a-new-password-1'")
        .await;
    // The change revoked the old token: the user goes on with a new one.
    let user = server.login("u1", "a-new-password-1").await;
    let (status, _) = server
        .sql(&user, "ALTER USER 'svc' SET PASSWORD 'hijacked-password'")
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn alter_table_sets_the_access_level_of_shared_tables_only() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.news (id INT PRIMARY KEY, t TEXT)",
        )
        .await;
    server
        .ok(&root, "INSERT INTO app.news VALUES (1, 'hello')")
        .await;
    server
        .ok(&root, "CREATE USER TABLE app.mine (id INT PRIMARY KEY)")
        .await;
    let user = server.user(&root, "reader", "user").await;
    let (status, _) = server.sql(&user, "SELECT t FROM app.news").await;
    assert_eq!(status, 403, "private by default");
    let r = server
        .ok(&root, "ALTER TABLE app.news SET ACCESS LEVEL public")
        .await;
    assert_eq!(
        r["message"],
        "Table app.news altered: SET ACCESS LEVEL public"
    );
    assert_eq!(
        server.rows(&user, "SELECT t FROM app.news").await,
        vec![vec![json!("hello")]]
    );
    let (status, _) = server
        .sql(&user, "INSERT INTO app.news VALUES (2, 'spam')")
        .await;
    assert_eq!(status, 403, "public is read-only for users");
    assert_eq!(
        server
            .rows(
                &root,
                "SELECT access_level FROM system.tables WHERE table_name = 'news'"
            )
            .await,
        vec![vec![json!("public")]]
    );
    let (_, _, msg) = server
        .err(&root, "ALTER TABLE app.mine SET ACCESS LEVEL public")
        .await;
    assert!(msg.contains("SHARED tables only"), "{msg}");
    let (_, _, msg) = server
        .err(&root, "ALTER TABLE app.news SET ACCESS LEVEL everyone")
        .await;
    assert!(msg.contains("invalid access level 'everyone'"), "{msg}");
    server
        .ok(&root, "ALTER TABLE app.news SET (FLUSH_POLICY = 'rows:50')")
        .await;
    let (_, _, msg) = server
        .err(&root, "ALTER TABLE app.news SET (STORAGE_ID = 'local')")
        .await;
    assert!(msg.contains("cannot be changed"), "{msg}");
}

#[tokio::test]
async fn system_tables_are_unreachable_below_dba_in_every_form() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.notes (id INT PRIMARY KEY, t TEXT)",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.pub (id INT PRIMARY KEY) WITH (ACCESS_LEVEL = 'public')",
        )
        .await;
    let forms = [
        "SELECT * FROM system.users",
        "SELECT n.id FROM app.notes n JOIN system.users u ON u.user_id = n.t",
        "SELECT * FROM app.notes WHERE t IN (SELECT user_id FROM system.users)",
        "SELECT (SELECT COUNT(*) FROM system.users) AS c",
        "WITH u AS (SELECT user_id FROM system.users) SELECT * FROM u",
        "SELECT t FROM app.notes UNION SELECT user_id FROM system.users",
        "SELECT t FROM app.notes EXCEPT SELECT user_id FROM system.users",
        "SELECT t FROM app.notes INTERSECT SELECT user_id FROM system.users",
        "EXPLAIN SELECT * FROM system.users",
        "SELECT 1; SELECT * FROM system.storages",
        "INSERT INTO app.notes (id, t) SELECT 1, user_id FROM system.users",
        "SELECT * FROM system.audit_log",
        "SELECT * FROM system.jobs",
    ];
    for role in ["user", "service"] {
        let token = server.user(&root, &format!("r_{role}"), role).await;
        for sql in forms {
            let (status, body) = server.sql(&token, sql).await;
            assert_eq!(status, 403, "{role}: {sql}: {body}");
            assert_eq!(body["error"]["code"], "PERMISSION_DENIED", "{sql}");
        }
        assert!(
            server
                .rows(&token, "SELECT * FROM app.notes")
                .await
                .is_empty(),
            "the INSERT ... SELECT wrote nothing"
        );
    }
    let dba = server.user(&root, "boss", "dba").await;
    for sql in forms.iter().filter(|s| !s.starts_with("INSERT")) {
        let (status, body) = server.sql(&dba, sql).await;
        assert_eq!(status, 200, "dba: {sql}: {body}");
    }
}
