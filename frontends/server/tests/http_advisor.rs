//! The advisor on the real server, with the bundled rules (`optimizer-rules`) and thresholds
//! lowered in the config file so a small workload can cross them: each rule fires on a crafted
//! workload and not on its healthy twin, a finding resolves when its cause goes away (kept,
//! never duplicated), a disabled rule stops reporting, an unknown rule name stops the server
//! from starting, and users see only the findings about them.

mod common;
use common::cold::{flush, job_id, wait_job};
use common::{Options, Server};
use serde_json::Value;

const CONFIG: &str = r#"
[storage]
compaction_threshold = 100

[advisor]
enabled = false
shared_table_rows = 50

[advisor.rules.hot_user_partition]
min_rows = 20
factor = 5

[advisor.rules.many_small_files]
max_small_files = 3

[advisor.rules.unflushed_hot_growth]
hot_rows = 30

[advisor.rules.scan_heavy_query]
min_calls = 3
min_rows_per_call = 20
ratio = 10
"#;

/// A server with [`CONFIG`] (its file in `dir`) and `disabled` rules turned off.
fn options(dir: &std::path::Path, disabled: &[&str]) -> Options {
    let path = dir.join("server.toml");
    let names: Vec<String> = disabled.iter().map(|r| format!("\"{r}\"")).collect();
    let text = CONFIG.replace(
        "[advisor]\n",
        &format!("[advisor]\ndisabled_rules = [{}]\n", names.join(", ")),
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    Options {
        config: Some(path),
        ..Options::default()
    }
}

/// `SHOW ADVICE` as (rule, object, open) triples, sorted.
async fn advice(server: &Server, token: &str) -> Vec<(String, String, bool)> {
    let shown = server.ok(token, "SHOW ADVICE").await;
    assert_eq!(
        common::columns(&shown),
        [
            "id",
            "rule",
            "severity",
            "object",
            "message",
            "suggestion",
            "user_id",
            "detected_at",
            "resolved_at"
        ]
    );
    let rows: Vec<Vec<Value>> = serde_json::from_value(shown["rows"].clone()).unwrap_or_default();
    let mut out: Vec<(String, String, bool)> = rows
        .iter()
        .map(|r| {
            (
                r[1].as_str().unwrap_or_default().to_string(),
                r[3].as_str().unwrap_or_default().to_string(),
                r[8].is_null(),
            )
        })
        .collect();
    out.sort();
    out
}

fn open(rule: &str, object: &str) -> (String, String, bool) {
    (rule.into(), object.into(), true)
}

fn resolved(rule: &str, object: &str) -> (String, String, bool) {
    (rule.into(), object.into(), false)
}

async fn run_advisor(server: &Server, root: &str) -> String {
    let r = server.ok(root, "RUN ADVISOR").await;
    let msg = r["message"].as_str().unwrap_or_default().to_string();
    assert!(msg.starts_with("Advisor ran "), "{msg}");
    msg
}

async fn insert_rows(server: &Server, token: &str, table: &str, from: i64, n: i64, extra: &str) {
    let values: Vec<String> = (from..from + n)
        .map(|i| format!("({i}, 'v{i}'{extra})"))
        .collect();
    server
        .ok(
            token,
            &format!("INSERT INTO {table} VALUES {}", values.join(", ")),
        )
        .await;
}

#[tokio::test]
async fn each_rule_fires_on_its_workload_resolves_and_respects_who_may_see_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut server = Server::start_with(options(dir.path(), &[])).await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;

    // shared_table_per_user: 60 flushed rows, every one with a user_id; its healthy twin has
    // no such column. Both have a flush policy (that rule is tested on app.log).
    for (table, extra_column, extra_value) in [
        ("app.events", ", user_id TEXT", ", 'someone'"),
        ("app.config", "", ""),
    ] {
        let create = format!(
            "CREATE SHARED TABLE {table} (id BIGINT PRIMARY KEY, body TEXT{extra_column}) WITH (FLUSH_POLICY = 'rows:100000')"
        );
        server.ok(&root, &create).await;
        insert_rows(&server, &root, table, 1, 60, extra_value).await;
        flush(&server, &root, table).await;
    }

    // unflushed_hot_growth: 40 hot rows and no flush policy.
    server
        .ok(
            &root,
            "CREATE USER TABLE app.log (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    let writer = server.user(&root, "writer", "user").await;
    insert_rows(&server, &writer, "app.log", 1, 40, "").await;

    // hot_user_partition and many_small_files: three small users and one big one whose folder
    // gets three files.
    server
        .ok(
            &root,
            "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT) WITH (FLUSH_POLICY = 'rows:100000')",
        )
        .await;
    for name in ["u1", "u2", "u3"] {
        let token = server.user(&root, name, "user").await;
        insert_rows(&server, &token, "app.notes", 1, 2, "").await;
    }
    let whale = server.user(&root, "whale", "user").await;
    for round in 0..3 {
        insert_rows(&server, &whale, "app.notes", round * 20 + 1, 20, "").await;
        flush(&server, &root, "app.notes").await;
    }

    // scan_heavy_query: a filter on a non-key column, three times; a key lookup is healthy.
    server
        .ok(
            &root,
            "CREATE USER TABLE app.big (id BIGINT PRIMARY KEY, body TEXT) WITH (FLUSH_POLICY = 'rows:100000')",
        )
        .await;
    let alice = server.user(&root, "alice", "user").await;
    insert_rows(&server, &alice, "app.big", 1, 100, "").await;
    for i in 1..=3 {
        server
            .ok(
                &alice,
                &format!("SELECT * FROM app.big WHERE body = 'v{i}'"),
            )
            .await;
        server
            .ok(&alice, &format!("SELECT * FROM app.big WHERE id = {i}"))
            .await;
    }

    run_advisor(&server, &root).await;
    let scan = "alice: SELECT * FROM app.big WHERE body = ?";
    assert_eq!(
        advice(&server, &root).await,
        vec![
            open("hot_user_partition", "app.notes/whale"),
            open("many_small_files", "app.notes/whale"),
            open("scan_heavy_query", scan),
            open("shared_table_per_user", "app.events"),
            open("unflushed_hot_growth", "app.log"),
        ]
    );

    // Another pass with nothing changed raises nothing new.
    let msg = run_advisor(&server, &root).await;
    assert!(
        msg.contains(": 0 new finding(s), 0 resolved, 5 open"),
        "{msg}"
    );

    // Who sees what: a user only the findings about them; system.advice is admin-only, and
    // so is RUN ADVISOR.
    assert_eq!(
        advice(&server, &whale).await,
        vec![
            open("hot_user_partition", "app.notes/whale"),
            open("many_small_files", "app.notes/whale"),
        ]
    );
    assert_eq!(
        advice(&server, &alice).await,
        vec![open("scan_heavy_query", scan)]
    );
    assert!(advice(&server, &writer).await.is_empty());
    server
        .assert_denied(&whale, "SELECT * FROM system.advice")
        .await;
    server.assert_denied(&whale, "RUN ADVISOR").await;
    let messages = server
        .rows(
            &root,
            "SELECT message, suggestion FROM system.advice WHERE rule = 'unflushed_hot_growth'",
        )
        .await;
    let text = messages[0][0].as_str().unwrap_or_default();
    assert!(
        text.contains("app.log has no flush policy and holds 40 rows"),
        "{text}"
    );
    let suggestion = messages[0][1].as_str().unwrap_or_default();
    assert!(
        suggestion.contains("ALTER TABLE app.log SET (FLUSH_POLICY"),
        "{suggestion}"
    );

    // Causes go away: compaction merges whale's files, a flush empties app.log's hot rows.
    let r = server.ok(&root, "STORAGE COMPACT TABLE app.notes").await;
    wait_job(
        &server,
        &root,
        &job_id(r["message"].as_str().unwrap_or_default()),
    )
    .await;
    flush(&server, &root, "app.log").await;
    let msg = run_advisor(&server, &root).await;
    assert!(
        msg.contains(": 0 new finding(s), 2 resolved, 3 open"),
        "{msg}"
    );
    assert_eq!(
        advice(&server, &root).await,
        vec![
            open("hot_user_partition", "app.notes/whale"),
            resolved("many_small_files", "app.notes/whale"),
            open("scan_heavy_query", scan),
            open("shared_table_per_user", "app.events"),
            resolved("unflushed_hot_growth", "app.log"),
        ]
    );

    // Findings survive a restart; a rule disabled by name resolves its findings and stops.
    server.stop();
    let data_dir = server.data_dir.clone();
    let again = Server::start_in(&data_dir, options(dir.path(), &["hot_user_partition"])).await;
    let root = again.root().await;
    assert_eq!(advice(&again, &root).await.len(), 5);
    run_advisor(&again, &root).await;
    let after = advice(&again, &root).await;
    assert!(
        after.contains(&resolved("hot_user_partition", "app.notes/whale")),
        "{after:?}"
    );
    assert_eq!(after.len(), 5, "{after:?}");
}

#[tokio::test]
async fn an_unknown_rule_name_in_the_config_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("server.toml");
    std::fs::write(&path, "[advisor]\ndisabled_rules = [\"hot_users\"]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        config: Some(path),
        ..Options::default()
    };
    let (mut child, started) = common::spawn(&dir.path().join("data"), &options);
    let _ = child.kill();
    let _ = child.wait();
    let log = match started {
        Ok(port) => panic!("the server started on port {port}"),
        Err(log) => log,
    };
    assert!(
        log.contains("advisor.disabled_rules names the advisor rule 'hot_users', which is not registered; the rules are: excess_column_families, hot_user_partition"),
        "{log}"
    );
}

#[tokio::test]
async fn column_families_no_table_needs_are_reported() {
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    run_advisor(&server, &root).await;
    assert!(
        advice(&server, &root).await.is_empty(),
        "a healthy store needs every family"
    );
    server.stop();

    // What a DROP TABLE interrupted by a crash leaves: a family of no table.
    let path = server.data_dir.join("rocksdb");
    {
        let opts = rocksdb::Options::default();
        let names = rocksdb::DB::list_cf(&opts, &path).unwrap_or_default();
        let db = rocksdb::DB::open_cf(&opts, &path, &names).unwrap_or_else(|e| panic!("{e}"));
        db.create_cf("user.s00.app.gone", &opts)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let data_dir = server.data_dir.clone();
    let again = Server::start_in(&data_dir, Options::default()).await;
    let root = again.root().await;
    run_advisor(&again, &root).await;
    assert_eq!(
        advice(&again, &root).await,
        vec![open("excess_column_families", "rocksdb")]
    );
    let message = again.rows(&root, "SELECT message FROM system.advice").await;
    assert!(
        message[0][0]
            .as_str()
            .unwrap_or_default()
            .contains("belong to no table"),
        "{message:?}"
    );
    drop(tmp);
}

#[tokio::test]
async fn a_default_flush_policy_counts_as_a_flush_policy() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("server.toml");
    let text = CONFIG.replace(
        "[storage]\n",
        "[storage]\ndefault_flush_policy = \"rows:100000\"\n",
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start_with(Options {
        config: Some(path),
        ..Options::default()
    })
    .await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.log (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    let writer = server.user(&root, "writer", "user").await;
    insert_rows(&server, &writer, "app.log", 1, 40, "").await;
    run_advisor(&server, &root).await;
    assert!(advice(&server, &root).await.is_empty());
}
