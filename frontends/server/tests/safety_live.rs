//! A live subscription ends, with an error naming why, as soon as its subscriber loses the
//! right to read: the table's access level rises above the role, the user is dropped or
//! demoted, or the table is dropped and created again under the name.

mod common;
use common::Server;
use common::ws::Client;
use serde_json::{Value, json};
use std::time::Duration;

/// The next message must end the subscription: no change may come first.
async fn expect_ended(ws: &mut Client, id: &str) -> Value {
    let message = ws
        .try_recv(Duration::from_secs(5))
        .await
        .expect("a message");
    assert_eq!(
        message["type"], "error",
        "a change was delivered: {message}"
    );
    assert_eq!(message["subscription_id"], id, "{message}");
    assert_eq!(message["code"], "UNAUTHORIZED", "{message}");
    message
}

async fn setup(server: &Server, root: &str) {
    server.ok(root, "CREATE NAMESPACE app").await;
    server
        .ok(
            root,
            "CREATE SHARED TABLE app.board (id INT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'public')",
        )
        .await;
}

#[tokio::test]
async fn raising_the_access_level_ends_a_users_subscription() {
    let server = Server::start().await;
    let root = server.root().await;
    setup(&server, &root).await;
    let alice = server.user(&root, "alice", "user").await;
    let mut ws = Client::authed(&server, &alice).await;
    ws.subscribe("b", "SELECT * FROM app.board", json!({}))
        .await;
    server
        .ok(&root, "INSERT INTO app.board VALUES (1, 'seen')")
        .await;
    let change = ws.try_recv(Duration::from_secs(5)).await.expect("change");
    assert_eq!(change["type"], "change", "{change}");
    server
        .ok(&root, "ALTER TABLE app.board SET ACCESS LEVEL private")
        .await;
    server
        .ok(&root, "INSERT INTO app.board VALUES (2, 'secret')")
        .await;
    let end = expect_ended(&mut ws, "b").await;
    assert!(end.to_string().contains("private"), "{end}");
}

#[tokio::test]
async fn dropping_or_demoting_the_subscriber_ends_its_subscriptions() {
    let server = Server::start().await;
    let root = server.root().await;
    setup(&server, &root).await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.vault (id INT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'private')",
        )
        .await;
    let bob = server.user(&root, "bob", "user").await;
    let svc = server.user(&root, "svc", "service").await;
    let mut bob_ws = Client::authed(&server, &bob).await;
    let mut svc_ws = Client::authed(&server, &svc).await;
    bob_ws
        .subscribe("b", "SELECT * FROM app.board", json!({}))
        .await;
    svc_ws
        .subscribe("v", "SELECT * FROM app.vault", json!({}))
        .await;
    server.ok(&root, "DROP USER 'bob'").await;
    server.ok(&root, "ALTER USER 'svc' SET ROLE user").await;
    server
        .ok(&root, "INSERT INTO app.board VALUES (1, 'x')")
        .await;
    server
        .ok(&root, "INSERT INTO app.vault VALUES (1, 'x')")
        .await;
    expect_ended(&mut bob_ws, "b").await;
    expect_ended(&mut svc_ws, "v").await;
}

#[tokio::test]
async fn a_table_dropped_and_created_again_ends_the_old_subscriptions() {
    let server = Server::start().await;
    let root = server.root().await;
    setup(&server, &root).await;
    let carol = server.user(&root, "carol", "user").await;
    let mut ws = Client::authed(&server, &carol).await;
    ws.subscribe("b", "SELECT * FROM app.board", json!({}))
        .await;
    server.ok(&root, "DROP TABLE app.board").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.board (id INT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'public')",
        )
        .await;
    server
        .ok(&root, "INSERT INTO app.board VALUES (1, 'new table')")
        .await;
    let end = expect_ended(&mut ws, "b").await;
    assert!(end.to_string().contains("dropped"), "{end}");
}
