//! Output formats against the real server: box tables in creation column order, JSON, CSV,
//! DDL/DML messages, timestamps as ISO 8601.

mod common;
use common::{as_root, server};
use serde_json::Value;

const SETUP: &str = "CREATE NAMESPACE app; \
    CREATE SHARED TABLE app.items (id BIGINT PRIMARY KEY, name TEXT, qty INT, created_at TIMESTAMP); \
    INSERT INTO app.items (id, name, qty, created_at) VALUES \
      (1, 'apple', 3, 1714564800000000), (2, NULL, 10, NULL)";

fn with_items() -> Option<server::TestServer> {
    let server = server::start()?;
    let out = as_root(&server.url, &["-c", SETUP]);
    assert_eq!(out.code, Some(0), "setup failed: {}", out.stderr);
    Some(server)
}

#[test]
fn select_prints_a_table_in_creation_order() {
    let Some(server) = with_items() else { return };
    let out = as_root(&server.url, &["-c", "SELECT * FROM app.items ORDER BY id"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let header = lines.get(1).copied().unwrap_or_default();
    let names: Vec<&str> = header
        .split('│')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        &names[..4],
        ["id", "name", "qty", "created_at"],
        "{}",
        out.stdout
    );
    assert!(out.stdout.starts_with('┌'), "{}", out.stdout);
    let apple = lines
        .iter()
        .find(|l| l.contains("apple"))
        .copied()
        .unwrap_or_default();
    assert!(apple.contains("2024-05-01T12:00:00Z"), "{apple}");
    assert!(
        apple.contains("│  1 │") || apple.contains("│ 1 │"),
        "{apple}"
    );
    let second = lines.get(4).copied().unwrap_or_default();
    assert!(second.contains("NULL"), "{second}");
    assert!(out.stdout.contains("\n(2 rows)\n"), "{}", out.stdout);
    let took = lines.last().copied().unwrap_or_default();
    assert!(
        took.starts_with("Took: ") && took.ends_with(" ms"),
        "{took}"
    );
    let ms = took.trim_start_matches("Took: ").trim_end_matches(" ms");
    assert_eq!(ms.split('.').nth(1).map(str::len), Some(3), "{took}");
}

#[test]
fn one_row_is_singular() {
    let Some(server) = with_items() else { return };
    let out = as_root(
        &server.url,
        &["-c", "SELECT name FROM app.items WHERE id = 1"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("\n(1 row)\n"), "{}", out.stdout);
}

#[test]
fn ddl_and_dml_print_the_message_and_count() {
    let Some(server) = server::start() else {
        return;
    };
    let out = as_root(&server.url, &["-c", "CREATE NAMESPACE shop"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("Namespace 'shop' created successfully\nQuery OK, 0 rows affected\n"),
        "{}",
        out.stdout
    );
    as_root(
        &server.url,
        &["-c", "CREATE SHARED TABLE shop.t (id INT PRIMARY KEY)"],
    );
    let out = as_root(
        &server.url,
        &["-c", "INSERT INTO shop.t (id) VALUES (1), (2)"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("Query OK, 2 rows affected"),
        "{}",
        out.stdout
    );
}

#[test]
fn json_prints_the_response() {
    let Some(server) = with_items() else { return };
    let out = as_root(
        &server.url,
        &["--json", "-c", "SELECT id, name FROM app.items ORDER BY id"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let body: Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert_eq!(body["status"], "success");
    assert_eq!(body["results"][0]["schema"][0]["name"], "id");
    assert_eq!(body["results"][0]["rows"][0][0], "1");
    assert_eq!(body["results"][0]["rows"][1][1], Value::Null);
    let same = as_root(
        &server.url,
        &["--format", "json", "-c", "SELECT id FROM app.items"],
    );
    assert!(
        serde_json::from_str::<Value>(&same.stdout).is_ok(),
        "{}",
        same.stdout
    );
}

#[test]
fn csv_prints_header_and_rows() {
    let Some(server) = with_items() else { return };
    let out = as_root(
        &server.url,
        &[
            "--csv",
            "-c",
            "SELECT id, name, qty, created_at FROM app.items ORDER BY id",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "id,name,qty,created_at\n1,apple,3,2024-05-01T12:00:00Z\n2,,10,\n"
    );
}

#[test]
fn a_file_runs_all_its_statements() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("setup.sql");
    std::fs::write(
        &path,
        format!("-- schema\n{SETUP};\nSELECT count(*) AS n FROM app.items;\n"),
    )
    .expect("write sql file");
    let out = as_root(
        &server.url,
        &["--csv", "-f", path.to_str().unwrap_or_default()],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.ends_with("n\n2\n"), "{}", out.stdout);
}
