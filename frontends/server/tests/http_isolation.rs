//! USER tables: the same SQL from two users sees two partitions.

mod common;
use common::Server;
use serde_json::json;

#[tokio::test]
async fn two_users_see_only_their_own_rows() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.messages (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;

    server
        .ok(
            &alice,
            "INSERT INTO app.messages VALUES (1, 'alice one'), (2, 'alice two')",
        )
        .await;
    // Bob may use the same primary key: partitions are separate.
    server
        .ok(&bob, "INSERT INTO app.messages VALUES (1, 'bob one')")
        .await;

    let sql = "SELECT id, body FROM app.messages ORDER BY id";
    assert_eq!(
        server.rows(&alice, sql).await,
        vec![
            vec![json!("1"), json!("alice one")],
            vec![json!("2"), json!("alice two")]
        ]
    );
    assert_eq!(
        server.rows(&bob, sql).await,
        vec![vec![json!("1"), json!("bob one")]]
    );

    // Bob cannot change or delete Alice's row 2 by its key: it is not in his partition.
    let r = server
        .ok(&bob, "UPDATE app.messages SET body = 'hacked' WHERE id = 2")
        .await;
    assert_eq!(r["row_count"], 0);
    let r = server
        .ok(&bob, "DELETE FROM app.messages WHERE id = 2")
        .await;
    assert_eq!(r["row_count"], 0);
    // Updating "his" row 1 leaves Alice's row 1 alone.
    server
        .ok(
            &bob,
            "UPDATE app.messages SET body = 'bob edited' WHERE id = 1",
        )
        .await;
    assert_eq!(
        server.rows(&alice, sql).await,
        vec![
            vec![json!("1"), json!("alice one")],
            vec![json!("2"), json!("alice two")]
        ]
    );
    assert_eq!(
        server
            .rows(&alice, "SELECT COUNT(*) FROM app.messages WHERE id = 2")
            .await,
        vec![vec![json!("1")]]
    );
    // Joins and aggregates stay inside the partition too.
    assert_eq!(
        server
            .rows(
                &bob,
                "SELECT COUNT(*) FROM app.messages a JOIN app.messages b ON a.id = b.id"
            )
            .await,
        vec![vec![json!("1")]]
    );
    // Users cannot create namespaces or shared tables.
    let (status, code, _) = server.err(&alice, "CREATE NAMESPACE mine").await;
    assert_eq!((status, code.as_str()), (403, "PERMISSION_DENIED"));
    let (status, _, _) = server
        .err(&alice, "CREATE SHARED TABLE app.s (id INT PRIMARY KEY)")
        .await;
    assert_eq!(status, 403);
    // But may create their own USER tables.
    server
        .ok(
            &alice,
            "CREATE USER TABLE app.drafts (id INT PRIMARY KEY, t TEXT)",
        )
        .await;
}

#[tokio::test]
async fn stream_tables_are_per_user_and_append_only() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE STREAM TABLE app.typing (who TEXT DEFAULT CURRENT_USER(), state TEXT) WITH (TTL_SECONDS = 3600)")
        .await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    server
        .ok(
            &alice,
            "INSERT INTO app.typing (state) VALUES ('typing'), ('idle')",
        )
        .await;
    server
        .ok(&bob, "INSERT INTO app.typing (state) VALUES ('typing')")
        .await;
    assert_eq!(
        server
            .rows(&alice, "SELECT who, state FROM app.typing ORDER BY _seq")
            .await,
        vec![
            vec![json!("alice"), json!("typing")],
            vec![json!("alice"), json!("idle")]
        ]
    );
    assert_eq!(
        server.rows(&bob, "SELECT who FROM app.typing").await,
        vec![vec![json!("bob")]]
    );
    let (_, _, msg) = server.err(&alice, "DELETE FROM app.typing").await;
    assert!(msg.contains("append-only"), "{msg}");
}
