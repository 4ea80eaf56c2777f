//! Operations: `/metrics` in the Prometheus format, the health report, the rotated server log
//! with its slow-query lines, and RocksDB's own LOG retention.

mod common;
use common::{Options, Server};
use std::time::Duration;

async fn text(server: &Server, path: &str) -> (u16, String) {
    let resp = reqwest::get(format!("{}{path}", server.url))
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

fn sample<'a>(
    scrape: &'a prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a prometheus_parse::Sample> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

fn value(sample: Option<&prometheus_parse::Sample>) -> f64 {
    match sample.map(|s| &s.value) {
        Some(prometheus_parse::Value::Counter(v)) | Some(prometheus_parse::Value::Gauge(v)) => *v,
        Some(prometheus_parse::Value::Untyped(v)) => *v,
        _ => -1.0,
    }
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_what_happened() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.t (id INT PRIMARY KEY)")
        .await;
    server
        .ok(&root, "INSERT INTO app.t VALUES (1), (2), (3)")
        .await;
    for _ in 0..3 {
        server
            .rows(&root, "SELECT id FROM app.t WHERE id = 2")
            .await;
    }
    let (status, body) = text(&server, "/metrics").await;
    assert_eq!(status, 200);
    let lines = body.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text");
    assert!(
        value(sample(
            &scrape,
            "kalamdb_http_requests_total",
            &[("route", "/v1/api/sql"), ("status", "200")]
        )) >= 6.0
    );
    assert!(value(sample(&scrape, "kalamdb_rows_written_total", &[])) >= 3.0);
    assert!(value(sample(&scrape, "kalamdb_rows_read_total", &[])) >= 3.0);
    assert!(
        value(sample(&scrape, "kalamdb_plan_cache_hits_total", &[])) >= 2.0,
        "the repeated lookup reused its plan"
    );
    assert!(value(sample(&scrape, "kalamdb_rocksdb_column_families", &[])) > 0.0);
    assert!(
        value(sample(
            &scrape,
            "kalamdb_cache_entries",
            &[("cache", "plan")]
        )) >= 1.0
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "kalamdb_http_request_duration_seconds"),
        "latency histogram present"
    );
    // Health reports the version, uptime and the hot store.
    let (status, body) = server.get("/v1/api/healthcheck", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["rocksdb"], "ok");
    assert!(body["uptime_seconds"].is_u64());
}

#[tokio::test]
async fn server_log_has_slow_queries_and_json_lines() {
    let server = Server::start_with(Options {
        extra_env: vec![
            ("KALAMDB_SLOW_QUERY_MS".into(), "0".into()),
            ("KALAMDB_LOG_FORMAT".into(), "json".into()),
        ],
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    server
        .ok(
            &root,
            "CREATE USER 'slowpw' WITH PASSWORD 'hunter2-marker' ROLE user",
        )
        .await;
    server.rows(&root, "SELECT 42 AS answer_marker").await;
    let log = server.data_dir.join("logs/server.log");
    let mut found = None;
    for _ in 0..100 {
        let content = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = content.lines().find(|l| l.contains("answer_marker")) {
            found = Some(line.to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = found.expect("the slow query reached server.log");
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(parsed["target"], "kalamdb::slow_query");
    assert_eq!(parsed["fields"]["user"], "root");
    // The CREATE USER before it was slow too: logged with its password masked.
    let content = std::fs::read_to_string(&log).unwrap_or_default();
    let create = content
        .lines()
        .find(|l| l.contains("CREATE USER 'slowpw'"))
        .expect("the CREATE USER reached the slow-query log");
    assert!(create.contains("PASSWORD '***'"), "{create}");
    assert!(
        !content.contains("hunter2-marker"),
        "a password reached server.log"
    );
}

#[tokio::test]
async fn rocksdb_keeps_the_configured_number_of_info_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        "[storage.rocksdb]\nkeep_log_file_num = 2\nlog_level = \"info\"\n",
    )
    .expect("config");
    for _ in 0..5 {
        let (mut child, started) = {
            let options = Options {
                config: Some(config.clone()),
                ..Options::default()
            };
            common::spawn(&data, &options)
        };
        assert!(started.is_ok(), "{started:?}");
        let _ = child.kill();
        let _ = child.wait();
    }
    let logs: Vec<String> = std::fs::read_dir(data.join("rocksdb"))
        .expect("rocksdb dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("LOG"))
        .collect();
    assert!(
        !logs.is_empty() && logs.len() <= 3,
        "current LOG plus at most 2 old ones: {logs:?}"
    );
}

/// An init directory with secrets from files, as a Docker deployment has them.
fn init_env(tmp: &std::path::Path) -> Vec<(String, String)> {
    let secrets = tmp.join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("root"), format!("{}\n", common::ROOT_PASSWORD)).unwrap();
    std::fs::write(
        secrets.join("jwt"),
        "a-jwt-secret-read-from-a-file-of-40-chars\n",
    )
    .unwrap();
    vec![
        (
            "KALAMDB_SERVER_INIT_DIR".into(),
            tmp.join("init").display().to_string(),
        ),
        (
            "KALAMDB_ROOT_PASSWORD_FILE".into(),
            secrets.join("root").display().to_string(),
        ),
        (
            "KALAMDB_JWT_SECRET_FILE".into(),
            secrets.join("jwt").display().to_string(),
        ),
    ]
}

#[tokio::test]
async fn init_scripts_run_once_at_the_first_start_with_secrets_from_files() {
    let tmp = tempfile::tempdir().unwrap();
    let init = tmp.path().join("init");
    std::fs::create_dir_all(&init).unwrap();
    std::fs::write(
        init.join("01-schema.sql"),
        "-- the schema\nCREATE NAMESPACE app;\nCREATE SHARED TABLE app.settings (k TEXT PRIMARY KEY, v TEXT);\n",
    )
    .unwrap();
    std::fs::write(
        init.join("02-data.sql"),
        "INSERT INTO app.settings VALUES ('a', '1'), ('b', '2');\nCREATE USER 'svc' WITH PASSWORD 'svc-password' ROLE service;\n",
    )
    .unwrap();
    std::fs::write(init.join("README.txt"), "not SQL").unwrap();
    let data = tmp.path().join("data");
    let options = || Options {
        root_password: None,
        extra_env: init_env(tmp.path()),
        ..Options::default()
    };

    let mut server = Server::start_in(&data, options()).await;
    let root = server.root().await;
    let rows = server
        .rows(&root, "SELECT k, v FROM app.settings ORDER BY k")
        .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    server.login("svc", "svc-password").await;
    assert!(data.join("init.done").exists());
    assert!(
        !data.join("jwt_secret").exists(),
        "the secret came from KALAMDB_JWT_SECRET_FILE, none is generated"
    );
    server.stop();

    // A restart does not run them again (CREATE NAMESPACE app would fail, the rows double).
    let mut server = Server::start_in(&data, options()).await;
    let root = server.root().await;
    let rows = server.rows(&root, "SELECT k FROM app.settings").await;
    assert_eq!(rows.len(), 2);
    server.stop();
}

#[tokio::test]
async fn a_failing_init_script_stops_the_server_and_its_database_is_not_served() {
    let tmp = tempfile::tempdir().unwrap();
    let init = tmp.path().join("init");
    std::fs::create_dir_all(&init).unwrap();
    std::fs::write(init.join("01-ok.sql"), "CREATE NAMESPACE app;\n").unwrap();
    std::fs::write(
        init.join("02-bad.sql"),
        "CREATE NAMESPACE more;\n\nSELEC oops;\nCREATE NAMESPACE never;\n",
    )
    .unwrap();
    let data = tmp.path().join("data");
    let options = Options {
        root_password: None,
        extra_env: init_env(tmp.path()),
        ..Options::default()
    };
    let (mut child, started) = common::spawn(&data, &options);
    let log = started.expect_err("the server must not start");
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(log.contains("init: 02-bad.sql line 3:"), "{log}");

    let (mut child, started) = common::spawn(&data, &options);
    let log = started.expect_err("a half-initialized database must not be served");
    assert!(!child.wait().unwrap().success());
    assert!(log.contains("did not all succeed"), "{log}");
    assert!(log.contains("02-bad.sql line 3"), "{log}");
}
