//! Storages: CRUD, template validation, STORAGE CHECK and in-use protection.

mod common;
use common::Server;
use serde_json::json;

#[tokio::test]
async fn storage_lifecycle() {
    let server = Server::start().await;
    let root = server.root().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("archive");
    let rows = server.rows(&root, "SHOW STORAGES").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "local");
    assert_eq!(rows[0][3], "filesystem");

    let (_, _, msg) = server
        .err(&root, &format!("CREATE STORAGE bad TYPE filesystem PATH '{}' SHARED_TABLES_TEMPLATE '{{tableName}}/{{namespace}}'", path.display()))
        .await;
    assert!(msg.contains("SHARED_TABLES_TEMPLATE"), "{msg}");
    let (_, _, msg) = server
        .err(&root, &format!("CREATE STORAGE bad TYPE filesystem PATH '{}' USER_TABLES_TEMPLATE '{{namespace}}/{{tableName}}'", path.display()))
        .await;
    assert!(msg.contains("{userId}"), "{msg}");
    let (_, _, msg) = server
        .err(&root, "CREATE STORAGE bad TYPE floppy PATH '/tmp/x'")
        .await;
    assert!(
        msg.contains("floppy") && msg.contains("filesystem"),
        "{msg}"
    );

    let r = server
        .ok(
            &root,
            &format!(
                "CREATE STORAGE archive TYPE filesystem NAME 'Archive' DESCRIPTION 'cold' PATH '{}' \
                 SHARED_TABLES_TEMPLATE '{{namespace}}/shared/{{tableName}}' \
                 USER_TABLES_TEMPLATE '{{namespace}}/users/{{tableName}}/{{shard}}/{{userId}}' \
                 CREDENTIALS '{{\"access_key_id\":\"AK\"}}'",
                path.display()
            ),
        )
        .await;
    assert_eq!(r["message"], "Storage 'archive' created successfully");
    let rows = server.rows(&root, "SHOW STORAGES").await;
    assert_eq!(
        rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        vec![json!("local"), json!("archive")]
    );
    let check = server.rows(&root, "STORAGE CHECK archive").await;
    assert_eq!(
        check[0][1..5],
        [json!(true), json!(true), json!(true), json!(true)],
        "{check:?}"
    );
    assert_eq!(check[0][6], json!(null));

    // Non-admins see credentials masked (system.storages is admin-only; SHOW STORAGES masks).
    let svc = server.user(&root, "svc", "service").await;
    let rows = server.rows(&svc, "SHOW STORAGES").await;
    assert_eq!(rows[1][5], "***");
    let (status, _, _) = server.err(&svc, "DROP STORAGE archive").await;
    assert_eq!(status, 403);

    server
        .ok(&root, "ALTER STORAGE archive SET DESCRIPTION 'colder'")
        .await;
    let rows = server
        .rows(
            &root,
            "SELECT description FROM system.storages WHERE storage_id = 'archive'",
        )
        .await;
    assert_eq!(rows[0][0], "colder");

    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.t (id INT PRIMARY KEY) WITH (STORAGE_ID = 'archive')",
        )
        .await;
    let (_, _, msg) = server.err(&root, "DROP STORAGE archive").await;
    assert!(
        msg.contains("Cannot drop storage 'archive': 1 table(s) still using it"),
        "{msg}"
    );
    let (_, _, msg) = server
        .err(
            &root,
            "CREATE SHARED TABLE app.u (id INT PRIMARY KEY) WITH (STORAGE_ID = 'nowhere')",
        )
        .await;
    assert!(msg.contains("nowhere"), "{msg}");
    server.ok(&root, "DROP TABLE app.t").await;
    server.ok(&root, "DROP STORAGE archive").await;
    let (_, _, msg) = server.err(&root, "DROP STORAGE local").await;
    assert!(msg.contains("local"), "{msg}");
}
