//! Starts the real `kalamdb-server` binary for client tests, on 127.0.0.1 with port 0 and a
//! temporary data directory, and stops it on drop. Shared by the `kalam-link` and `kalam-cli`
//! test suites (the CLI includes this file by path).
//!
//! The binary is `$KALAMDB_SERVER_BIN`, else `kalamdb-server` beside the test's own target
//! directory (`$CARGO_TARGET_DIR/debug`). Build it with
//! `cargo build -p kalamdb-server --bin kalamdb-server`. When it is missing, [`start`] prints a
//! note and returns `None` so the test skips, unless `KALAM_REQUIRE_SERVER=1` makes that a
//! failure (CI sets it once the server builds).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const ROOT_PASSWORD: &str = "client-test-root-pw";
const READY_PREFIX: &str = "KalamDB server listening on http://";
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct TestServer {
    child: Option<Child>,
    pub url: String,
    pub port: u16,
    binary: PathBuf,
    data: tempfile::TempDir,
    root_password: Option<&'static str>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl TestServer {
    /// Kills the server process (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server and starts it again on the same port with the same data directory.
    pub fn restart(&mut self) {
        self.stop();
        let (child, port) = spawn(
            &self.binary,
            self.data.path(),
            self.port,
            self.root_password,
        );
        assert_eq!(port, self.port, "restarted server moved to another port");
        self.child = Some(child);
    }
}

/// The server binary, if it has been built.
pub fn server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KALAMDB_SERVER_BIN") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let mut candidates = Vec::new();
    // Test executables live in <target>/debug/deps; the server binary in <target>/debug.
    if let Ok(exe) = std::env::current_exe()
        && let Some(debug_dir) = exe.parent().and_then(|deps| deps.parent())
    {
        candidates.push(debug_dir.join("kalamdb-server"));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(target).join("debug").join("kalamdb-server"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// Starts a server, or returns `None` (after printing why) when the binary is not built.
pub fn start() -> Option<TestServer> {
    start_with_root_password(Some(ROOT_PASSWORD))
}

/// Starts a server whose root has no password yet, so it needs the first-run setup.
pub fn start_needing_setup() -> Option<TestServer> {
    start_with_root_password(None)
}

fn start_with_root_password(root_password: Option<&'static str>) -> Option<TestServer> {
    let Some(binary) = server_binary() else {
        let note = "kalamdb-server binary not found (build it with \
                    `cargo build -p kalamdb-server --bin kalamdb-server` or set KALAMDB_SERVER_BIN)";
        if std::env::var("KALAM_REQUIRE_SERVER").is_ok_and(|v| v == "1") {
            panic!("{note}");
        }
        eprintln!("SKIPPED: {note}");
        return None;
    };
    let data = tempfile::tempdir().expect("temporary data directory");
    let (child, port) = spawn(&binary, data.path(), 0, root_password);
    Some(TestServer {
        child: Some(child),
        url: format!("http://127.0.0.1:{port}"),
        port,
        binary,
        data,
        root_password,
    })
}

/// Starts the binary on `port` (0: any) over `dir`; returns the process and its port.
fn spawn(binary: &Path, dir: &Path, port: u16, root_password: Option<&str>) -> (Child, u16) {
    let log_path = dir.join("server.stderr.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .expect("server log file");
    let mut command = Command::new(binary);
    match root_password {
        Some(password) => command.env("KALAMDB_ROOT_PASSWORD", password),
        None => command.env_remove("KALAMDB_ROOT_PASSWORD"),
    };
    let mut child = command
        .env("KALAMDB_SERVER_HOST", "127.0.0.1")
        .env("KALAMDB_SERVER_PORT", port.to_string())
        .env("KALAMDB_DATA_DIR", dir.join("data"))
        // Client tests log in and query far more often than the default limits allow one
        // address; the limits themselves are tested in the server's own tests.
        .env("KALAMDB_LOGINS_PER_MINUTE", "0")
        .env("KALAMDB_QUERIES_PER_SECOND", "0")
        .env("KALAMDB_BCRYPT_COST", "4")
        .env("KALAMDB_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
    let stdout = child.stdout.take().expect("server stdout");
    let (tx, rx) = mpsc::channel();
    // Keep draining stdout for the server's whole life so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.trim().strip_prefix(READY_PREFIX)
                && let Some(sender) = tx.take()
            {
                let port = rest.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                let _ = sender.send(port);
            }
        }
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(Some(port)) => (child, port),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("kalamdb-server did not report its port; its stderr:\n{log}");
        }
    }
}

/// A URL nobody listens on: a port that was just bound and released.
pub fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
