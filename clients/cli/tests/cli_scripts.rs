//! Scripts as psql runs them: `-f FILE` and `\i FILE` send one statement at a time, print each
//! result, and stop at the first error naming its file and line (exit 3); `-v ON_ERROR_STOP=0`
//! goes on. `KALAM_URL` and `KALAM_USER` stand in for `--url` and `--user`.

mod common;
use common::{as_root, kalam, run, server, shell};

const THREE_LINES: &str = "SELECT 'first' AS a;\nSELECT 'second' AS b;\n\
                           SELECT * FROM app.missing_table;\nSELECT 'fourth' AS d;\n";

fn script(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("script.sql");
    std::fs::write(&path, text).expect("write the script");
    path.to_str().unwrap_or_default().to_string()
}

#[test]
fn a_script_stops_at_the_error_on_line_3_after_printing_results_1_and_2() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = script(&dir, THREE_LINES);
    let out = as_root(&server.url, &["--csv", "-f", &path]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let first = out.stdout.find("a\nfirst\n");
    let second = out.stdout.find("b\nsecond\n");
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("fourth"), "{}", out.stdout);
    assert!(
        out.stderr
            .starts_with(&format!("kalam:{path}:3: ERROR SQL_EXECUTION_ERROR: ")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("missing_table"), "{}", out.stderr);
}

#[test]
fn on_error_stop_off_runs_the_rest_and_ends_0() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = script(&dir, THREE_LINES);
    let out = as_root(
        &server.url,
        &["--csv", "-v", "ON_ERROR_STOP=0", "-f", &path],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("d\nfourth\n"), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!("kalam:{path}:3: ERROR")),
        "{}",
        out.stderr
    );
    let out = as_root(
        &server.url,
        &["-v", "ON_ERROR_STOP=perhaps", "-c", "SELECT 1"],
    );
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("ON_ERROR_STOP"), "{}", out.stderr);
}

#[test]
fn the_line_is_the_failing_statements_first_line_after_comments() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = script(
        &dir,
        "-- set-up\nSELECT 1 AS one;\n\n/* the broken one\n   spans lines */\nSELECT\n  nope_column\nFROM system.users;\n",
    );
    let out = as_root(&server.url, &["-f", &path]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.stderr.starts_with(&format!("kalam:{path}:6: ERROR ")),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("(1 row)"), "{}", out.stdout);
}

#[test]
fn include_in_the_shell_runs_one_statement_at_a_time() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = script(&dir, THREE_LINES);
    let out = shell(&server.url, &format!("\\i {path}\nSELECT 'after' AS e;\n"));
    // The session survives the failed script; the script stopped at line 3.
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("first") && out.stdout.contains("second"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("fourth"), "{}", out.stdout);
    assert!(out.stdout.contains("after"), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!("kalam:{path}:3: ERROR")),
        "{}",
        out.stderr
    );
}

#[test]
fn kalam_url_and_kalam_user_name_the_server_and_user() {
    let Some(server) = server::start() else {
        return;
    };
    let out = run(kalam()
        .env("KALAM_URL", &server.url)
        .env("KALAM_USER", "root")
        .env("KALAM_PASSWORD", server::ROOT_PASSWORD)
        .args([
            "--csv",
            "-c",
            "SELECT count(*) AS n FROM system.users WHERE username = 'root'",
        ]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "n\n1\n");
    // The user comes from KALAM_USER: a user that does not exist is refused by name.
    let out = run(kalam()
        .env("KALAM_URL", &server.url)
        .env("KALAM_USER", "nobody_here")
        .env("KALAM_PASSWORD", "whatever-it-is")
        .args(["-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("'nobody_here'"), "{}", out.stderr);
    // The command line wins over the environment.
    let out = run(kalam()
        .env("KALAM_URL", "http://127.0.0.1:1")
        .env("KALAM_PASSWORD", server::ROOT_PASSWORD)
        .args(["--url", &server.url, "--user", "root", "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
