//! `DROP USER ... WITH DATA`: nothing of the user's rows, cold files or files is left on disk,
//! in RocksDB or in S3, other users keep everything, and the name can be used again; a plain
//! `DROP USER` keeps the data and so keeps the name taken.

mod common;

use common::cold::{Cold, flush, walk};
use common::{Options, Server};
use serde_json::json;
use std::path::Path;

/// Keys in the store's table and file column families that belong to `user`'s partitions.
fn keys_of_user(rocksdb_dir: &Path, user: &str) -> Vec<String> {
    let mut prefix = (user.len() as u16).to_be_bytes().to_vec();
    prefix.extend_from_slice(user.as_bytes());
    let opts = rocksdb::Options::default();
    let names = rocksdb::DB::list_cf(&opts, rocksdb_dir).expect("list column families");
    let db = rocksdb::DB::open_cf_for_read_only(&opts, rocksdb_dir, &names, false)
        .expect("open read-only");
    let mut found = Vec::new();
    for name in names
        .iter()
        .filter(|n| n.starts_with("user.") || n.starts_with("stream.") || *n == "system.user_files")
    {
        let cf = db.cf_handle(name).expect("cf");
        for item in db.iterator_cf(&cf, rocksdb::IteratorMode::Start) {
            let (key, _) = item.expect("key");
            if key.starts_with(&prefix) {
                found.push(format!("{name}: {key:?}"));
            }
        }
    }
    found
}

fn paths_of(dir: &Path, user: &str) -> Vec<String> {
    walk(dir)
        .into_iter()
        .map(|p| p.display().to_string())
        .filter(|p| p.split('/').any(|part| part == user))
        .collect()
}

async fn upload(server: &Server, token: &str, name: &str, bytes: &[u8]) -> u16 {
    let boundary = "erase-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    reqwest::Client::new()
        .post(format!("{}/v1/files", server.url))
        .bearer_auth(token)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload")
        .status()
        .as_u16()
}

#[tokio::test]
async fn drop_user_with_data_leaves_nothing_of_the_user_and_frees_the_name() {
    let mut server = Server::start().await;
    let root = server.root().await;
    let s3 = Cold::s3(&server, &root).await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    let mut tables = vec![
        "CREATE NAMESPACE app".to_string(),
        "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)".to_string(),
        "CREATE STREAM TABLE app.ev (id BIGINT PRIMARY KEY, kind TEXT) WITH (TTL_SECONDS = 3600)"
            .to_string(),
    ];
    if s3.is_some() {
        tables.push(
            "CREATE USER TABLE app.remote (id BIGINT PRIMARY KEY) WITH (STORAGE_ID = 's3t')"
                .to_string(),
        );
    }
    for sql in &tables {
        server.ok(&root, sql).await;
    }
    for token in [&alice, &bob] {
        server
            .ok(
                token,
                "INSERT INTO app.notes VALUES (1, 'cold'), (2, 'cold')",
            )
            .await;
        server
            .ok(token, "INSERT INTO app.ev VALUES (1, 'click'), (2, 'view')")
            .await;
        if s3.is_some() {
            server
                .ok(token, "INSERT INTO app.remote VALUES (1), (2)")
                .await;
        }
        assert_eq!(upload(&server, token, "doc.txt", b"private").await, 200);
    }
    flush(&server, &root, "app.notes").await;
    if s3.is_some() {
        flush(&server, &root, "app.remote").await;
    }
    for token in [&alice, &bob] {
        server
            .ok(token, "INSERT INTO app.notes VALUES (3, 'hot')")
            .await;
    }
    let storage = server.data_dir.join("storage");
    assert!(!paths_of(&storage, "alice").is_empty());

    // A plain DROP keeps the data, so the name stays taken.
    let carol = server.user(&root, "carol", "user").await;
    server
        .ok(&carol, "INSERT INTO app.notes VALUES (1, 'kept')")
        .await;
    server.ok(&root, "DROP USER 'carol'").await;
    let (_, _, taken) = server
        .err(
            &root,
            "CREATE USER 'carol' WITH PASSWORD 'pw-carol2' ROLE user",
        )
        .await;
    assert!(taken.contains("WITH DATA erases them"), "{taken}");

    let r = server.ok(&root, "DROP USER 'alice' WITH DATA").await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    // Hot: note 3 and both events; cold: a segment and a manifest per flushed table.
    let (cold, tables_touched) = if s3.is_some() { (4, 3) } else { (2, 2) };
    assert_eq!(
        message,
        format!(
            "User 'alice' dropped with their data: 3 hot row(s) and {cold} cold file(s) in {tables_touched} table(s), 1 file(s) and 0 export(s) removed"
        )
    );
    // The data of a user dropped earlier can be erased too.
    let r = server.ok(&root, "DROP USER 'carol' WITH DATA").await;
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("dropped with their data"),
        "{r}"
    );
    // Bob keeps everything.
    assert_eq!(server.rows(&bob, "SELECT id FROM app.notes").await.len(), 3);
    assert_eq!(server.rows(&bob, "SELECT id FROM app.ev").await.len(), 2);
    assert_eq!(
        server
            .rows(&bob, "SELECT id FROM system.user_files")
            .await
            .len(),
        1
    );

    server.stop();
    assert_eq!(paths_of(&storage, "alice"), Vec::<String>::new());
    assert_eq!(paths_of(&storage, "carol"), Vec::<String>::new());
    assert!(!paths_of(&storage, "bob").is_empty());
    if let Some(s3) = &s3 {
        assert_eq!(paths_of(&s3.base, "alice"), Vec::<String>::new());
        assert!(!paths_of(&s3.base, "bob").is_empty());
    }
    let rocks = server.data_dir.join("rocksdb");
    assert_eq!(keys_of_user(&rocks, "alice"), Vec::<String>::new());
    assert_eq!(keys_of_user(&rocks, "carol"), Vec::<String>::new());
    assert!(!keys_of_user(&rocks, "bob").is_empty());

    // The name is free again, and the new account starts empty.
    let server = Server::start_in(&server.data_dir.clone(), Options::default()).await;
    let root = server.root().await;
    let users = server
        .rows(
            &root,
            "SELECT email, password_hash FROM system.users WHERE user_id = 'alice'",
        )
        .await;
    assert_eq!(users, vec![vec![json!(null), json!(null)]]);
    let alice = server.user(&root, "alice", "user").await;
    assert!(
        server
            .rows(&alice, "SELECT * FROM app.notes")
            .await
            .is_empty()
    );
    assert!(server.rows(&alice, "SELECT * FROM app.ev").await.is_empty());
    assert!(
        server
            .rows(&alice, "SELECT * FROM system.user_files")
            .await
            .is_empty()
    );
    // Only admins erase.
    server
        .assert_denied(&alice, "DROP USER 'bob' WITH DATA")
        .await;
}
