//! `kalam-link`'s files and exports against the real server: upload from memory and from a
//! path, list, download (whole and streamed), delete, another user's id refused, and an export
//! started, waited for and downloaded.

mod common;

use common::server::{self, ROOT_PASSWORD, TestServer};
use kalam_link::{Auth, KalamClient, KalamLinkError};
use std::time::Duration;

fn client(server: &TestServer, user: &str, password: &str) -> KalamClient {
    KalamClient::builder(&server.url)
        .auth(Auth::basic(user, password))
        .build()
        .expect("client")
}

async fn user(server: &TestServer, name: &str) -> KalamClient {
    let root = client(server, "root", ROOT_PASSWORD);
    root.query(&format!(
        "CREATE USER '{name}' WITH PASSWORD 'pw-{name}-123' ROLE user"
    ))
    .await
    .expect("create user");
    client(server, name, &format!("pw-{name}-123"))
}

#[tokio::test]
async fn files_upload_list_download_and_delete_for_their_owner_only() {
    let Some(server) = server::start() else {
        return;
    };
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;

    let small = alice
        .upload_file("notes.txt", Some("text/plain"), b"hello files")
        .await
        .expect("upload");
    assert_eq!((small.name.as_str(), small.size), ("notes.txt", 11));
    assert_eq!(small.mime, "text/plain");
    assert_eq!(small.sha256.len(), 64);

    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &big).expect("write");
    let streamed = alice
        .upload_path(&path, None, None)
        .await
        .expect("upload path");
    assert_eq!(
        (streamed.name.as_str(), streamed.size),
        ("big.bin", big.len() as u64)
    );

    let listed = alice.list_files().await.expect("list");
    assert_eq!(listed, vec![small.clone(), streamed.clone()]);
    assert_eq!(
        alice.download_file(&small.id).await.expect("download"),
        b"hello files"
    );
    let mut sink = Vec::new();
    let mut seen = (0, None);
    let n = alice
        .download_file_to(&streamed.id, &mut sink, &mut |done, total| {
            seen = (done, total)
        })
        .await
        .expect("download to");
    assert_eq!(n, big.len() as u64);
    assert_eq!(seen, (big.len() as u64, Some(big.len() as u64)));
    assert!(sink == big, "the streamed download differs from the upload");

    // Bob sees none of it and cannot reach it by id.
    assert!(bob.list_files().await.expect("bob list").is_empty());
    match bob.download_file(&small.id).await {
        Err(KalamLinkError::Server { status: 404, .. }) => {}
        other => panic!("bob downloaded alice's file: {other:?}"),
    }
    assert!(bob.delete_file(&small.id).await.is_err());

    alice.delete_file(&small.id).await.expect("delete");
    assert_eq!(alice.list_files().await.expect("list"), vec![streamed]);
    assert!(alice.download_file(&small.id).await.is_err());
}

#[tokio::test]
async fn an_export_is_started_waited_for_and_downloaded() {
    let Some(server) = server::start() else {
        return;
    };
    let root = client(&server, "root", ROOT_PASSWORD);
    let alice = user(&server, "alice").await;
    for sql in [
        "CREATE NAMESPACE app",
        "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)",
    ] {
        root.query(sql).await.expect(sql);
    }
    alice
        .query("INSERT INTO app.notes VALUES (1, 'one'), (2, 'two')")
        .await
        .expect("insert");
    alice
        .upload_file("a.txt", None, b"file body")
        .await
        .expect("upload");

    let job = alice.start_export(None).await.expect("export");
    assert!(job.starts_with("UE-"), "{job}");
    let done = alice
        .wait_for_export(&job, Duration::from_secs(60))
        .await
        .expect("wait");
    assert_eq!(done.status, "completed", "{done:?}");
    let url = done.download_url.clone().expect("download_url");
    let zip = alice.download_export(&url).await.expect("download");
    assert_eq!(Some(zip.len() as u64), done.size);
    assert_eq!(&zip[..2], b"PK", "not a ZIP");
    let mut streamed = Vec::new();
    alice
        .download_export_to(&url, &mut streamed, &mut |_, _| {})
        .await
        .expect("download to");
    assert!(streamed == zip);
    let listed = alice.exports().await.expect("exports");
    assert_eq!(
        listed.first().map(|e| e.job_id.as_str()),
        Some(job.as_str())
    );

    // Admins may export for someone; a plain user may not.
    assert!(alice.start_export(Some("root")).await.is_err());
    let other = root
        .start_export(Some("alice"))
        .await
        .expect("admin export");
    assert_ne!(other, job);
}
