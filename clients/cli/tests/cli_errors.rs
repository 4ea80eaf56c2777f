//! Failures against the real server: SQL errors exit 1 with `ERROR <CODE>: <message>`,
//! refused credentials exit 2.

mod common;
use common::{as_root, kalam, run, server};

#[test]
fn execution_errors_exit_1_with_the_code() {
    let Some(server) = server::start() else {
        return;
    };
    let out = as_root(&server.url, &["-c", "SELECT * FROM app.nope"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.starts_with("ERROR SQL_EXECUTION_ERROR: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn syntax_errors_exit_1_with_invalid_sql() {
    let Some(server) = server::start() else {
        return;
    };
    let out = as_root(&server.url, &["-c", "SELEKT 1"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.starts_with("ERROR INVALID_SQL: "),
        "{}",
        out.stderr
    );
    // psql's LINE n: caret under the token the server names.
    assert!(
        out.stderr.ends_with("\nLINE 1: SELEKT 1\n        ^\n"),
        "{}",
        out.stderr
    );
    let out = as_root(&server.url, &["--json", "-c", "SELEKT 1"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.starts_with("ERROR INVALID_SQL: "),
        "{}",
        out.stderr
    );
}

#[test]
fn a_wrong_password_exits_2() {
    let Some(server) = server::start() else {
        return;
    };
    let out = run(kalam().args([
        "--url",
        &server.url,
        "--user",
        "root",
        "--password",
        "wrong",
        "-c",
        "SELECT 1",
    ]));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("authentication failed for user 'root'")
            && out.stderr.contains("Invalid credentials"),
        "{}",
        out.stderr
    );
    let out = run(kalam().args([
        "--url",
        &server.url,
        "--token",
        "not.a.jwt",
        "-c",
        "SELECT 1",
    ]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("authentication failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_password_can_come_from_the_environment() {
    let Some(server) = server::start() else {
        return;
    };
    let out = run(kalam().env("KALAM_PASSWORD", server::ROOT_PASSWORD).args([
        "--url",
        &server.url,
        "--csv",
        "-c",
        "SELECT 1 AS one",
    ]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "one\n1\n");
}

#[test]
fn a_missing_file_exits_1() {
    let Some(server) = server::start() else {
        return;
    };
    let out = as_root(&server.url, &["-f", "/nonexistent/kalam-test.sql"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .starts_with("could not read /nonexistent/kalam-test.sql"),
        "{}",
        out.stderr
    );
}

#[test]
fn ctrl_c_stops_a_command_with_exit_1_and_no_spinner_off_a_terminal() {
    let Some(server) = server::start() else {
        return;
    };
    let child = kalam()
        .args([
            "--url",
            &server.url,
            "--user",
            "root",
            "--password",
            server::ROOT_PASSWORD,
        ])
        .args(["-c", "SELECT count(*) FROM range(3000000000)"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kalam");
    // Long enough for the login and for the query to be running.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(killed.success());
    let out: common::Run = child.wait_with_output().expect("kalam output").into();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        out.stderr, "Query cancelled (the server may still finish it).\n",
        "stderr is not a terminal: no spinner"
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}
