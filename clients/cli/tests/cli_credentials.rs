//! Saved credentials and the config file: `--save-credentials` keeps only tokens in
//! `~/.kalam/credentials.toml` (mode 0600); later runs use them, refresh an expired access
//! token, and say what to do once both tokens expired. `~/.kalam/config.toml` sets defaults.

mod common;
use common::{kalam, run, server};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn in_home(home: &Path, args: &[&str]) -> common::Run {
    run(kalam().env("HOME", home).args(args))
}

fn save(home: &Path, url: &str) -> String {
    let out = in_home(
        home,
        &[
            "--url",
            url,
            "--user",
            "root",
            "--password",
            server::ROOT_PASSWORD,
            "--save-credentials",
            "-c",
            "SELECT 1",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("Saved the session's tokens"),
        "{}",
        out.stderr
    );
    std::fs::read_to_string(home.join(".kalam/credentials.toml")).expect("credentials file")
}

/// Replaces the value of `key` in the saved entry.
fn set_time(home: &Path, key: &str, value: &str) {
    let path = home.join(".kalam/credentials.toml");
    let text = std::fs::read_to_string(&path).expect("credentials file");
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{key} = ")) {
                format!("{key} = \"{value}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&path, edited.join("\n")).expect("write credentials");
}

#[test]
fn saved_tokens_replace_the_password() {
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let text = save(home.path(), &server.url);
    assert!(
        text.contains(&format!("[servers.\"{}\"]", server.url)),
        "{text}"
    );
    assert!(
        text.contains("access_token = ") && text.contains("refresh_token = "),
        "{text}"
    );
    assert!(!text.contains(server::ROOT_PASSWORD), "{text}");
    let path = home.path().join(".kalam/credentials.toml");
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let out = in_home(
        home.path(),
        &["--url", &server.url, "--csv", "-c", "SELECT 1 AS one"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "one\n1\n");

    // Another HOME has no saved login: root with an empty password is refused.
    let other = tempfile::tempdir().expect("home");
    let out = in_home(other.path(), &["--url", &server.url, "-c", "SELECT 1"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn an_expired_access_token_is_refreshed_and_saved() {
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    save(home.path(), &server.url);
    set_time(home.path(), "expires_at", "2020-01-01T00:00:00Z");
    let out = in_home(
        home.path(),
        &["--url", &server.url, "--csv", "-c", "SELECT 2 AS two"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "two\n2\n");
    let after = std::fs::read_to_string(home.path().join(".kalam/credentials.toml")).expect("file");
    // The refreshed pair was saved: the expired time is gone.
    assert!(!after.contains("2020-01-01"), "{after}");
    assert!(after.contains("expires_at = \"20"), "{after}");
}

#[test]
fn expired_credentials_say_how_to_log_in_again() {
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    save(home.path(), &server.url);
    set_time(home.path(), "expires_at", "2020-01-01T00:00:00Z");
    set_time(home.path(), "refresh_expires_at", "2020-01-01T00:00:00Z");
    let out = in_home(home.path(), &["--url", &server.url, "-c", "SELECT 1"]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("have expired"), "{}", out.stderr);
    assert!(out.stderr.contains("--save-credentials"), "{}", out.stderr);
    // Explicit credentials still work and need no saved ones.
    let out = in_home(
        home.path(),
        &[
            "--url",
            &server.url,
            "--user",
            "root",
            "--password",
            server::ROOT_PASSWORD,
            "-c",
            "SELECT 1",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn the_config_file_sets_defaults() {
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".kalam")).expect("mkdir");
    std::fs::write(
        home.path().join(".kalam/config.toml"),
        format!(
            "url = \"{}\"\nuser = \"root\"\nformat = \"csv\"\n",
            server.url
        ),
    )
    .expect("config");
    let out = run(kalam()
        .env("HOME", home.path())
        .env("KALAM_PASSWORD", server::ROOT_PASSWORD)
        .args(["-c", "SELECT 3 AS three"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "three\n3\n");

    let custom = home.path().join("expanded.toml");
    std::fs::write(&custom, "expanded = \"on\"\ntiming = false\n").expect("config");
    let out = run(kalam()
        .env("HOME", home.path())
        .env("KALAM_PASSWORD", server::ROOT_PASSWORD)
        .args([
            "--config",
            custom.to_str().unwrap_or_default(),
            "--url",
            &server.url,
        ])
        .args(["-c", "SELECT 1 AS id, 'apple' AS name"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "-[ RECORD 1 ]\nid   | 1\nname | apple\n");
}

#[test]
fn a_bad_config_file_is_refused() {
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("bad.toml");
    std::fs::write(&path, "colour = true\n").expect("config");
    let out = in_home(
        home.path(),
        &[
            "--config",
            path.to_str().unwrap_or_default(),
            "-c",
            "SELECT 1",
        ],
    );
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("colour"), "{}", out.stderr);
    let out = in_home(
        home.path(),
        &["--config", "/nonexistent/kalam.toml", "-c", "SELECT 1"],
    );
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("could not read /nonexistent/kalam.toml"),
        "{}",
        out.stderr
    );
}
