//! `EXPORT USER DATA` with the real server: the ZIP's Parquet and CSV hold exactly the user's
//! rows (hot and cold) and none of another user's, its files are the user's files, the
//! download is for the user and admins only, and one export runs per user at a time.

mod common;

use common::cold::{Cold, flush};
use common::{Options, Server};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::io::Read;
use std::time::Duration;

async fn upload(server: &Server, token: &str, name: &str, bytes: &[u8]) {
    let boundary = "export-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let status = reqwest::Client::new()
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
        .status();
    assert_eq!(status.as_u16(), 200);
}

/// Waits for the caller's export `job` to finish; its SHOW EXPORT row as JSON.
async fn finished(server: &Server, token: &str, job: &str) -> Value {
    for _ in 0..200 {
        let shown = server.ok(token, "SHOW EXPORT").await;
        let rows = shown["rows"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = common::columns(&shown);
        if let Some(row) = rows.iter().find(|r| r[0] == job) {
            let obj: serde_json::Map<String, Value> = names
                .iter()
                .cloned()
                .zip(row.as_array().unwrap().iter().cloned())
                .collect();
            if obj["status"] != "queued" && obj["status"] != "running" {
                return Value::Object(obj);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("export {job} did not finish");
}

async fn get(server: &Server, token: &str, path: &str) -> (u16, Vec<u8>) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap_or_default().to_vec())
}

fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_end(&mut out)
        .expect("read entry");
    out
}

fn parquet_ids(bytes: Vec<u8>) -> Vec<i64> {
    let tmp = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(tmp.path(), bytes).expect("write");
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(tmp.path()).unwrap())
        .expect("parquet")
        .build()
        .expect("reader");
    let mut ids = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let col = batch
            .column_by_name("id")
            .expect("id")
            .as_primitive::<Int64Type>();
        ids.extend((0..batch.num_rows()).map(|i| col.value(i)));
    }
    ids.sort();
    ids
}

fn slow_exports() -> Options {
    Options {
        // Each export waits 300 ms before it starts writing: long enough to ask for a second.
        extra_env: vec![("KALAMDB_FAILPOINT".into(), "export.slow".into())],
        ..Options::default()
    }
}

#[tokio::test]
async fn an_export_holds_exactly_the_users_data_and_only_they_and_admins_download_it() {
    let server = Server::start_with(slow_exports()).await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    export_round_trip(&server, &root, ("alice", &alice), ("bob", &bob), "").await;
}

#[tokio::test]
async fn an_export_of_users_kept_on_s3_holds_their_s3_rows_and_files() {
    let server = Server::start_with(slow_exports()).await;
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
    export_round_trip(
        &server,
        &root,
        ("carol", &carol),
        ("dave", &dave),
        " WITH (USE_USER_STORAGE = TRUE)",
    )
    .await;
    assert!(
        common::cold::parquet_files(&s3.base) > 0,
        "the flushed rows are not on S3"
    );
}

/// `a` exports (with a flushed and a hot part, a delete and a file), `b` must not show up.
async fn export_round_trip(
    server: &Server,
    root: &str,
    a: (&str, &str),
    b: (&str, &str),
    notes_with: &str,
) {
    let (a_name, alice) = a;
    let (b_name, bob) = b;
    let notes =
        format!("CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT){notes_with}");
    for sql in [
        "CREATE NAMESPACE app",
        &notes,
        "CREATE STREAM TABLE app.ev (id BIGINT PRIMARY KEY, kind TEXT) WITH (TTL_SECONDS = 3600)",
        "CREATE SHARED TABLE app.cfg (id BIGINT PRIMARY KEY) WITH (ACCESS_LEVEL = 'public')",
    ] {
        server.ok(&root, sql).await;
    }
    for (token, who) in [(alice, a_name), (bob, b_name)] {
        let values: Vec<String> = (1..=50)
            .map(|i| format!("({i}, '{who} note {i}')"))
            .collect();
        server
            .ok(
                token,
                &format!("INSERT INTO app.notes VALUES {}", values.join(", ")),
            )
            .await;
        server
            .ok(
                token,
                &format!("INSERT INTO app.ev VALUES (1, '{who} click')"),
            )
            .await;
    }
    flush(&server, &root, "app.notes").await;
    server
        .ok(
            &alice,
            &format!("INSERT INTO app.notes VALUES (51, '{a_name} hot')"),
        )
        .await;
    server
        .ok(&alice, "DELETE FROM app.notes WHERE id = 1")
        .await;
    upload(
        &server,
        &alice,
        "doc.txt",
        format!("{a_name}'s document").as_bytes(),
    )
    .await;
    upload(
        &server,
        &bob,
        "doc.txt",
        format!("{b_name}'s document").as_bytes(),
    )
    .await;

    let r = server.ok(&alice, "EXPORT USER DATA").await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("User data export started. Job ID: UE-"),
        "{message}"
    );
    let job = message.rsplit(' ').next().unwrap().to_string();
    let (_, _, busy) = server.err(&alice, "EXPORT USER DATA").await;
    assert!(busy.contains("already running"), "{busy}");
    let row = finished(&server, &alice, &job).await;
    assert_eq!(row["status"], "completed", "{row}");
    let url = row["download_url"]
        .as_str()
        .expect("download_url")
        .to_string();
    assert_eq!(url, format!("/v1/exports/{a_name}/{job}"));

    let (status, bytes) = get(&server, &alice, &url).await;
    assert_eq!(status, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let schema: Value = serde_json::from_slice(&entry(&mut zip, "schema.json")).unwrap();
    let tables: Vec<String> = schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}.{}",
                t["namespace"].as_str().unwrap(),
                t["table"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        tables,
        vec!["app.ev", "app.notes"],
        "SHARED tables record no owner"
    );
    let expected: Vec<i64> = (2..=51).collect();
    assert_eq!(
        parquet_ids(entry(&mut zip, "tables/app.notes.parquet")),
        expected
    );
    let csv = String::from_utf8(entry(&mut zip, "tables/app.notes.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap().split(',').next(), Some("id"));
    let mut csv_ids: Vec<i64> = lines
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    csv_ids.sort();
    assert_eq!(csv_ids, expected);
    assert!(csv.contains(&format!("{a_name} hot")));
    assert!(!csv.contains(b_name), "another user's row is in the export");
    assert_eq!(
        parquet_ids(entry(&mut zip, "tables/app.ev.parquet")),
        vec![1]
    );
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("zip entry name").into_owned())
        .collect();
    let files: Vec<&String> = names.iter().filter(|n| n.starts_with("files/")).collect();
    assert_eq!(files.len(), 1, "{names:?}");
    let file = files[0].clone();
    assert_eq!(
        entry(&mut zip, &file),
        format!("{a_name}'s document").as_bytes()
    );
    for name in &names {
        let bytes = entry(&mut zip, name);
        assert!(
            !String::from_utf8_lossy(&bytes).contains(b_name),
            "{name} holds something of {b_name}'s"
        );
    }

    // Downloads: the user and admins; others are told it does not exist.
    assert_eq!(get(&server, &bob, &url).await.0, 404);
    assert_eq!(get(&server, &root, &url).await.0, 200);
    assert_eq!(
        get(&server, &alice, &format!("/v1/exports/{a_name}/UE-0"))
            .await
            .0,
        404
    );
    assert_eq!(
        get(&server, &alice, &format!("/v1/exports/{a_name}/.."))
            .await
            .0,
        404
    );
    assert!(
        server.ok(&bob, "SHOW EXPORT").await["rows"]
            .as_array()
            .is_none_or(|r| r.is_empty())
    );
    // Exports for someone else: admins only.
    server
        .assert_denied(&alice, &format!("EXPORT USER DATA FOR '{b_name}'"))
        .await;
    let r = server
        .ok(&root, &format!("EXPORT USER DATA FOR '{b_name}'"))
        .await;
    let b_job = r["message"]
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let row = finished(&server, &bob, &b_job).await;
    assert_eq!(row["status"], "completed", "{row}");
    assert!(
        row["message"]
            .as_str()
            .unwrap()
            .contains("51 row(s) in 2 table(s), 1 file(s)"),
        "{row}"
    );
}

#[tokio::test]
async fn an_export_older_than_the_retention_is_removed_and_shown_expired() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let mut server = Server::start_in(&data, Options::default()).await;
    let root = server.root().await;
    let alice = server.user(&root, "alice", "user").await;
    let r = server.ok(&alice, "EXPORT USER DATA").await;
    let job = r["message"]
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let row = finished(&server, &alice, &job).await;
    let url = row["download_url"]
        .as_str()
        .expect("download_url")
        .to_string();
    assert_eq!(get(&server, &alice, &url).await.0, 200);
    server.stop();

    // Retention 0: the ZIP is past it when the server starts.
    let server = Server::start_in(
        &data,
        Options {
            extra_env: vec![("KALAMDB_EXPORT_RETENTION_HOURS".into(), "0".into())],
            ..Options::default()
        },
    )
    .await;
    let alice = server.login("alice", "pw-alice").await;
    let row = finished(&server, &alice, &job).await;
    assert_eq!(row["status"], "expired", "{row}");
    assert!(row["download_url"].is_null(), "{row}");
    assert_eq!(get(&server, &alice, &url).await.0, 404);
    let zips = std::fs::read_dir(data.join("exports").join("alice"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(zips, 0, "the expired ZIP is still on disk");
}
