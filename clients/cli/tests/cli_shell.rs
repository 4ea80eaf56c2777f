//! The minimal interactive shell, fed from a pipe: statements spanning lines, `USE ns`
//! remembered between requests, errors that do not end the session, `\q`.

mod common;
use common::{kalam, server};
use std::io::Write;
use std::process::Stdio;

fn shell(url: &str, input: &str) -> common::Run {
    let mut child = kalam()
        .args([
            "--url",
            url,
            "--user",
            "root",
            "--password",
            server::ROOT_PASSWORD,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kalam");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write to kalam");
    }
    child.wait_with_output().expect("kalam output").into()
}

#[test]
fn statements_run_when_a_line_ends_them() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(
        &server.url,
        "CREATE NAMESPACE app;\nUSE app;\nCREATE SHARED TABLE notes (id INT PRIMARY KEY, body TEXT);\n\
         INSERT INTO notes (id, body)\n  VALUES (1, 'multi-line');\nSELEKT 1;\n\
         SELECT body\nFROM notes;\n\\q\nSELECT 'not reached';\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("Namespace 'app' created successfully"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("multi-line"), "{}", out.stdout);
    assert!(out.stdout.contains("(1 row)"), "{}", out.stdout);
    assert!(!out.stdout.contains("not reached"), "{}", out.stdout);
    assert!(out.stderr.contains("ERROR INVALID_SQL: "), "{}", out.stderr);
}

#[test]
fn end_of_input_leaves_the_shell() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(&server.url, "SELECT 1 AS one;\n");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("(1 row)"), "{}", out.stdout);
}
