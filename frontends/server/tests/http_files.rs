//! `/v1/files` and `system.user_files` with the real server: upload and download round trips
//! (bytes, SHA-256, ranges, ETag), isolation between users over HTTP and SQL, limits, deletes
//! removing the bytes, a 100 MiB upload streamed in bounded memory, crashes mid-upload and
//! between bytes and record leaving nothing after a restart, and the same on S3.

mod common;

use common::cold::{Cold, walk};
use common::{Options, Server};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const BOUNDARY: &str = "kalam-test-boundary-7d1f";

/// One form part: (field, file name, content type, bytes).
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, file_name, mime, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{field}\"");
        if let Some(f) = file_name {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(format!("{disposition}\r\n").as_bytes());
        if let Some(m) = mime {
            body.extend_from_slice(format!("Content-Type: {m}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(server: &Server, token: &str, parts: &[Part<'_>]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/files", server.url))
        .bearer_auth(token)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(parts))
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn download(
    server: &Server,
    token: &str,
    id: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(format!("{}/v1/files/{id}", server.url))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("download")
}

async fn delete(server: &Server, token: &str, id: &str) -> u16 {
    reqwest::Client::new()
        .delete(format!("{}/v1/files/{id}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete")
        .status()
        .as_u16()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn bytes_of(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Every object below `dir/user_files` (finals, temporaries and staging files alike).
fn stored_files(dir: &Path) -> Vec<std::path::PathBuf> {
    walk(&dir.join("user_files"))
}

/// The round trip, isolation and deletes, with the files in `base` (the storage's folder).
async fn round_trip(server: &Server, alice: &str, bob: &str, base: &Path) {
    let one = bytes_of(100_000, 1);
    let two = b"hello, files".to_vec();
    let (status, body) = upload(
        server,
        alice,
        &[
            (
                "file",
                Some("data.bin"),
                Some("application/octet-stream"),
                &one,
            ),
            ("name", None, None, b"greeting.txt"),
            ("file", Some("ignored.txt"), Some("text/plain"), &two),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let files = body["files"].as_array().expect("files").clone();
    assert_eq!(files.len(), 2, "{body}");
    assert_eq!(files[0]["name"], "data.bin");
    assert_eq!(files[0]["size"], 100_000);
    assert_eq!(files[0]["sha256"], sha(&one));
    assert_eq!(files[1]["name"], "greeting.txt");
    assert_eq!(files[1]["mime"], "text/plain");
    assert_eq!(files[1]["sha256"], sha(&two));
    let (id1, id2) = (
        files[0]["id"].as_str().unwrap().to_string(),
        files[1]["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(stored_files(base).len(), 2);

    // Download: bytes, headers, a range, an unsatisfiable range, a conditional request.
    let resp = download(server, alice, &id1, &[]).await;
    assert_eq!(resp.status().as_u16(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["etag"], format!("\"{}\"", sha(&one)).as_str());
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .contains("data.bin")
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), one.as_slice());
    let resp = download(server, alice, &id1, &[("Range", "bytes=1000-1999")]).await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &one[1000..2000]);
    let resp = download(server, alice, &id1, &[("Range", "bytes=-10")]).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &one[99_990..]);
    let resp = download(server, alice, &id1, &[("Range", "bytes=100000-")]).await;
    assert_eq!(resp.status().as_u16(), 416);
    let etag = format!("\"{}\"", sha(&one));
    let resp = download(server, alice, &id1, &[("If-None-Match", &etag)]).await;
    assert_eq!(resp.status().as_u16(), 304);

    // Each user sees only their own files, over SQL and HTTP.
    let rows = server
        .rows(
            alice,
            "SELECT id, name, size, sha256 FROM system.user_files ORDER BY name",
        )
        .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][1], "data.bin");
    assert!(
        server
            .rows(bob, "SELECT * FROM system.user_files")
            .await
            .is_empty()
    );
    let root = server.root().await;
    assert!(
        server
            .rows(&root, "SELECT * FROM system.user_files")
            .await
            .is_empty()
    );
    assert_eq!(
        download(server, bob, &id1, &[]).await.status().as_u16(),
        404
    );
    assert_eq!(delete(server, bob, &id1).await, 404);
    let r = server
        .ok(
            bob,
            &format!("DELETE FROM system.user_files WHERE id = '{id1}'"),
        )
        .await;
    assert_eq!(r["message"], "Deleted 0 row(s)");
    assert_eq!(stored_files(base).len(), 2);
    let (status, _) = server
        .sql(
            bob,
            &format!("UPDATE system.user_files SET name = 'x' WHERE id = '{id1}'"),
        )
        .await;
    assert_ne!(status, 200);
    let anonymous = reqwest::get(format!("{}/v1/files/{id1}", server.url))
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    // Deletes remove the bytes: over HTTP, and over SQL.
    assert_eq!(delete(server, alice, &id1).await, 200);
    assert_eq!(
        download(server, alice, &id1, &[]).await.status().as_u16(),
        404
    );
    assert_eq!(stored_files(base).len(), 1);
    let r = server
        .ok(
            alice,
            &format!("DELETE FROM system.user_files WHERE id = '{id2}'"),
        )
        .await;
    assert_eq!(r["message"], "Deleted 1 row(s)");
    assert!(stored_files(base).is_empty(), "{:?}", stored_files(base));
    assert!(
        server
            .rows(alice, "SELECT * FROM system.user_files")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn files_round_trip_stay_private_and_leave_with_their_delete() {
    let server = Server::start().await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    let base = server.data_dir.join("storage");
    round_trip(&server, &alice, &bob, &base).await;
}

#[tokio::test]
async fn files_on_an_s3_storage_round_trip_too() {
    let server = Server::start().await;
    let root = server.root().await;
    let Some(s3) = Cold::s3(&server, &root).await else {
        eprintln!("s3s-fs is not installed: skipped (KALAM_REQUIRE_S3=1 makes this a failure)");
        return;
    };
    for name in ["carol", "dave"] {
        server
            .ok(
                &root,
                &format!(
                    "CREATE USER '{name}' WITH PASSWORD 'pw-{name}' ROLE user STORAGE_MODE region STORAGE_ID 's3t'"
                ),
            )
            .await;
    }
    let carol = server.login("carol", "pw-carol").await;
    let dave = server.login("dave", "pw-dave").await;
    round_trip(&server, &carol, &dave, &s3.base).await;
    assert!(stored_files(&server.data_dir.join("storage")).is_empty());
}

#[tokio::test]
async fn size_and_quota_limits_refuse_with_a_clear_answer_and_leave_nothing() {
    let server = Server::start_with(Options {
        extra_env: vec![
            ("KALAMDB_FILES_MAX_BYTES".into(), "1000".into()),
            ("KALAMDB_FILES_QUOTA_BYTES".into(), "1500".into()),
        ],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let base = server.data_dir.join("storage");
    let (status, body) = upload(
        &server,
        &alice,
        &[("file", Some("big"), None, &bytes_of(1001, 0))],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "file_too_large");
    assert!(
        body["message"].as_str().unwrap().contains("1000 bytes"),
        "{body}"
    );
    assert!(stored_files(&base).is_empty(), "{:?}", stored_files(&base));
    let (status, _) = upload(
        &server,
        &alice,
        &[("file", Some("a"), None, &bytes_of(800, 0))],
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = upload(
        &server,
        &alice,
        &[("file", Some("b"), None, &bytes_of(800, 0))],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "quota_exceeded");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("quota of 1500 bytes"),
        "{body}"
    );
    assert_eq!(stored_files(&base).len(), 1, "{:?}", stored_files(&base));
    let (status, body) = upload(&server, &alice, &[("other", None, None, b"x")]).await;
    assert_eq!(status, 400, "{body}");
    let rows = server
        .rows(&alice, "SELECT name FROM system.user_files")
        .await;
    assert_eq!(rows.len(), 1);
}

/// Peak resident memory of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_100_mib_upload_streams_through_in_bounded_memory() {
    let server = Server::start().await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let pid = server.pid().expect("pid");
    // Warm the allocator with a small upload first.
    upload(
        &server,
        &alice,
        &[("file", Some("warm"), None, &bytes_of(1 << 20, 3))],
    )
    .await;
    let before = peak_rss_kib(pid);
    let big = bytes_of(100 << 20, 7);
    let (status, body) = upload(&server, &alice, &[("file", Some("big.bin"), None, &big)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["files"][0]["sha256"], sha(&big));
    let growth_mib = peak_rss_kib(pid).saturating_sub(before) / 1024;
    assert!(
        growth_mib < 48,
        "the server's peak memory grew by {growth_mib} MiB for a 100 MiB upload"
    );
    let id = body["files"][0]["id"].as_str().unwrap().to_string();
    let got = download(&server, &alice, &id, &[])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha(&got), sha(&big));
}

#[tokio::test]
async fn a_crash_mid_upload_or_before_the_record_leaves_no_orphan() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let base = data.join("storage");
    // 1. kill -9 while the body is still arriving: parts are already in the storage.
    let mut server = Server::start_in(&data, Options::default()).await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\r\n"
    );
    let total = head.len() + (64 << 20);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {alice}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {total}\r\n\r\n{head}"
    )
    .unwrap();
    stream.write_all(&bytes_of(16 << 20, 9)).unwrap();
    let mut started = false;
    for _ in 0..100 {
        if !stored_files(&base).is_empty() {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started, "no part of the upload reached the storage");
    server.kill();
    drop(stream);
    let server = Server::start_in(&data, Options::default()).await;
    assert!(stored_files(&base).is_empty(), "{:?}", stored_files(&base));
    let alice = server.login("alice", "pw-alice").await;
    assert!(
        server
            .rows(&alice, "SELECT * FROM system.user_files")
            .await
            .is_empty()
    );
    drop(server);

    // 2. abort after the bytes are committed, before the record.
    let server = Server::start_in(
        &data,
        Options {
            extra_env: vec![("KALAMDB_FAILPOINT".into(), "files.after_bytes".into())],
            ..Options::default()
        },
    )
    .await;
    let alice = server.login("alice", "pw-alice").await;
    let body = form(&[("file", Some("lost.bin"), None, &bytes_of(4096, 1))]);
    let sent = reqwest::Client::new()
        .post(format!("{}/v1/files", server.url))
        .bearer_auth(&alice)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await;
    assert!(sent.is_err(), "the server should have aborted: {sent:?}");
    assert_eq!(
        stored_files(&base).len(),
        1,
        "the committed bytes are there before the restart"
    );
    drop(server);
    let server = Server::start_in(&data, Options::default()).await;
    assert!(stored_files(&base).is_empty(), "{:?}", stored_files(&base));
    let alice = server.login("alice", "pw-alice").await;
    assert!(
        server
            .rows(&alice, "SELECT * FROM system.user_files")
            .await
            .is_empty()
    );
    // The server takes uploads after it all.
    let (status, _) = upload(&server, &alice, &[("file", Some("ok"), None, b"fine")]).await;
    assert_eq!(status, 200);
}
