//! Command-line handling that needs no server: help, version, argument errors, and the
//! message and exit status when no server answers.

mod common;
use common::{kalam, run, server};

#[test]
fn help_describes_the_terminal_and_its_options() {
    let out = run(kalam().arg("--help"));
    assert_eq!(out.code, Some(0));
    for text in [
        "Interactive SQL terminal",
        "--url",
        "--host",
        "--port",
        "--user",
        "--password",
        "--token",
        "--command",
        "--file",
        "--set",
        "ON_ERROR_STOP",
        "--format",
        "--json",
        "--csv",
        "--no-color",
        "--no-spinner",
        "--config",
        "--save-credentials",
        "--version",
    ] {
        assert!(
            out.stdout.contains(text),
            "help lacks {text}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = run(kalam().arg("--version"));
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.stdout.trim(),
        format!("kalam {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn conflicting_arguments_are_refused() {
    let out = run(kalam().args(["-c", "SELECT 1", "-f", "x.sql"]));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
    let out = run(kalam().args(["--json", "--csv", "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2));
    let out = run(kalam().args(["--format", "xml", "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2));
}

#[test]
fn a_stopped_server_is_a_connection_failure() {
    let url = server::closed_url();
    let out = run(kalam().args(["--url", &url, "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    let expected = format!("could not connect to server at {url}: ");
    assert!(out.stderr.starts_with(&expected), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn host_and_port_build_the_url() {
    let url = server::closed_url();
    let port = url.rsplit(':').next().unwrap_or_default();
    let out = run(kalam().args(["-H", "127.0.0.1", "-p", port, "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains(&format!(
            "could not connect to server at http://127.0.0.1:{port}"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_url_that_is_not_http_is_refused() {
    let out = run(kalam().args(["--url", "127.0.0.1:8080", "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("invalid server URL"), "{}", out.stderr);
}
