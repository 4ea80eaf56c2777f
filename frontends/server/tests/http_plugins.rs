//! `SHOW PLUGINS` and `system.plugins` on the real server: every bundled plugin and the
//! kernel's caches, with version and origin; the listing is open to every role, the system
//! table to dba and up like every `system.*` table.

mod common;
use common::Server;
use serde_json::json;

fn expected() -> Vec<Vec<serde_json::Value>> {
    let v = env!("CARGO_PKG_VERSION");
    vec![
        vec![
            json!("filesystem"),
            json!("storage"),
            json!(v),
            json!("bundled"),
            json!("storage-fs"),
        ],
        vec![
            json!("s3"),
            json!("storage"),
            json!(v),
            json!("bundled"),
            json!("storage-s3"),
        ],
        vec![
            json!("json"),
            json!("codec"),
            json!(v),
            json!("bundled"),
            json!("serde-json"),
        ],
        vec![
            json!("msgpack"),
            json!("codec"),
            json!(v),
            json!("bundled"),
            json!("serde-msgpack"),
        ],
    ]
    .into_iter()
    .chain(["manifest", "plan", "session", "storage"].map(|cache| {
        vec![
            json!(cache),
            json!("cache"),
            json!(v),
            json!("kernel"),
            json!("kernel"),
        ]
    }))
    .chain(
        [
            "excess_column_families",
            "hot_user_partition",
            "many_small_files",
            "scan_heavy_query",
            "shared_table_per_user",
            "unflushed_hot_growth",
        ]
        .map(|rule| {
            vec![
                json!(rule),
                json!("advisor_rule"),
                json!(v),
                json!("bundled"),
                json!("optimizer-rules"),
            ]
        }),
    )
    .chain(
        ["backup", "cleanup", "compact", "replicate", "sql"].map(|action| {
            vec![
                json!(action),
                json!("flow_action"),
                json!(v),
                json!("bundled"),
                json!("flow-actions"),
            ]
        }),
    )
    .collect()
}

#[tokio::test]
async fn every_role_sees_the_plugins_and_only_admins_read_the_system_table() {
    let server = Server::start().await;
    let root = server.root().await;
    let user = server.user(&root, "u1", "user").await;

    let shown = server.ok(&user, "SHOW PLUGINS").await;
    let columns: Vec<&str> = shown["schema"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(columns, ["name", "kind", "version", "origin", "provider"]);
    let rows: Vec<Vec<serde_json::Value>> =
        serde_json::from_value(shown["rows"].clone()).unwrap_or_default();
    assert_eq!(rows, expected());

    let (status, code, message) = server.err(&user, "SELECT * FROM system.plugins").await;
    assert_eq!(
        (status, code.as_str()),
        (403, "PERMISSION_DENIED"),
        "{message}"
    );
    assert!(message.contains("reading system.plugins"), "{message}");

    let rows = server
        .rows(
            &root,
            "SELECT name, kind, version, origin, provider FROM system.plugins",
        )
        .await;
    assert_eq!(rows, expected());
    let counted = server
        .rows(
            &root,
            "SELECT COUNT(*) FROM system.plugins WHERE kind = 'storage'",
        )
        .await;
    assert_eq!(counted, vec![vec![json!("2")]]);
}
