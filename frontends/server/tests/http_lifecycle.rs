//! Restart keeps data and catalog; a busy port and a locked data directory are refused.

mod common;
use common::{Options, Server};
use serde_json::json;

#[tokio::test]
async fn restart_keeps_data_and_catalog() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.m (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    server
        .ok(&root, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
        .await;
    let alice = server.login("alice", "pw").await;
    server
        .ok(&alice, "INSERT INTO app.m VALUES (1, 'kept')")
        .await;
    server
        .ok(&alice, "UPDATE app.m SET body = 'kept twice' WHERE id = 1")
        .await;
    // A crash (SIGKILL) right after acknowledged writes loses nothing.
    server.kill();

    let data_dir = server.data_dir.clone();
    let mut again = Server::start_in(&data_dir, Options::default()).await;
    let alice = again.login("alice", "pw").await;
    assert_eq!(
        again.rows(&alice, "SELECT id, body FROM app.m").await,
        vec![vec![json!("1"), json!("kept twice")]]
    );
    let root = again.root().await;
    let tables = again
        .rows(&root, "SELECT table_id, table_type FROM system.tables")
        .await;
    assert_eq!(tables, vec![vec![json!("app.m"), json!("USER")]]);
    // A clean stop and start too.
    again.stop();
    let again = Server::start_in(&data_dir, Options::default()).await;
    let alice = again.login("alice", "pw").await;
    assert_eq!(
        again.rows(&alice, "SELECT COUNT(*) FROM app.m").await,
        vec![vec![json!("1")]]
    );
    drop(tmp);
}

#[tokio::test]
async fn busy_port_is_refused_before_opening_the_data_dir() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("second");
    let (mut child, port) = common::spawn(
        &data_dir,
        &Options {
            port: server.port,
            ..Options::default()
        },
    );
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let log = port.err().unwrap_or_default();
    assert!(log.contains("already in use"), "{log}");
    assert!(
        !data_dir.join("rocksdb").exists(),
        "RocksDB must not be opened"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let server = Server::start().await;
    let (mut child, port) = common::spawn(&server.data_dir, &Options::default());
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let log = port.err().unwrap_or_default();
    assert!(
        log.contains("data directory") && log.contains("in use"),
        "{log}"
    );
    // The first server is unaffected.
    let root = server.root().await;
    server.ok(&root, "SELECT 1").await;
}

#[tokio::test]
async fn rows_can_be_stored_as_msgpack() {
    let options = || Options {
        extra_env: vec![("KALAMDB_CODEC".into(), "msgpack".into())],
        ..Options::default()
    };
    let mut server = Server::start_with(options()).await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.m (id BIGINT PRIMARY KEY, body TEXT, at TIMESTAMP, n DECIMAL(10,2))")
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.m VALUES (1, 'héllo', '2024-01-01T00:00:00Z', 12.5)",
        )
        .await;
    server.stop();
    let again = Server::start_in(&server.data_dir, options()).await;
    let root = again.root().await;
    assert_eq!(
        again.rows(&root, "SELECT id, body, at, n FROM app.m").await,
        vec![vec![
            json!("1"),
            json!("héllo"),
            json!(1_704_067_200_000_000i64),
            json!(12.5)
        ]]
    );
    drop(tmp);
}
