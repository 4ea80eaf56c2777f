//! A real S3-compatible server for tests: starts `s3s-fs` on 127.0.0.1 with a fresh root
//! folder, one bucket and fixed credentials, and stops it on drop.
//!
//! The binary is `$S3S_FS_BIN`, else `s3s-fs` on `PATH`, else `~/.cargo/bin/s3s-fs`
//! (`cargo install s3s-fs --version 0.14.1 --features binary --locked`, which `make test`
//! does). When it is missing, [`S3Server::start`] returns `None` so a test can skip, unless
//! `KALAM_REQUIRE_S3=1` (set by `make test`) makes that a failure.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "kalamtestaccess";
pub const SECRET_KEY: &str = "kalamtestsecretkey0123456789";
pub const BUCKET: &str = "kalam-test";

pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The folder s3s-fs serves; the bucket is its sub-folder [`BUCKET`].
    pub root: PathBuf,
}

fn find_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("S3S_FS_BIN") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("s3s-fs");
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let home = std::env::var_os("HOME")?;
    let candidate = Path::new(&home).join(".cargo/bin/s3s-fs");
    candidate.is_file().then_some(candidate)
}

impl S3Server {
    /// Starts a server whose files live under `root` (created when missing).
    pub fn start(root: &Path) -> Option<S3Server> {
        let Some(binary) = find_binary() else {
            let note = "s3s-fs not found (cargo install s3s-fs --version 0.14.1 --features binary --locked)";
            if std::env::var("KALAM_REQUIRE_S3").is_ok_and(|v| v == "1") {
                panic!("{note}");
            }
            eprintln!("skipping S3 test: {note}");
            return None;
        };
        std::fs::create_dir_all(root.join(BUCKET)).expect("create the S3 root and bucket");
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("pick a free port")
                .port();
            let mut child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(root)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn s3s-fs");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(S3Server {
                        child,
                        endpoint: format!("http://127.0.0.1:{port}"),
                        root: root.to_path_buf(),
                    });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // port taken between the probe and the spawn: try another one
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("s3s-fs did not start");
    }

    /// Stops the server (its files stay), as an outage would.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port and files, after [`Self::stop`].
    pub fn restart(&mut self) {
        self.stop();
        let binary = find_binary().expect("s3s-fs");
        let port = self
            .endpoint
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            self.child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(&self.root)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn s3s-fs");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(2) {
                if TcpStream::connect(format!("127.0.0.1:{port}")).is_ok() {
                    return;
                }
                if let Ok(Some(_)) = self.child.try_wait() {
                    break; // the port is not free yet: try again
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        panic!("s3s-fs did not start again on port {port}");
    }

    /// The folder holding the bucket's objects.
    pub fn bucket_dir(&self) -> PathBuf {
        self.root.join(BUCKET)
    }

    /// `CONFIG` JSON for a storage on this server.
    pub fn config_json(&self) -> String {
        format!(r#"{{"endpoint":"{}","region":"us-east-1"}}"#, self.endpoint)
    }

    /// `CREDENTIALS` JSON for a storage on this server.
    pub fn credentials_json(&self) -> String {
        format!(r#"{{"access_key_id":"{ACCESS_KEY}","secret_access_key":"{SECRET_KEY}"}}"#)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
