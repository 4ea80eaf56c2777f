//! Test harness: starts the real `kalamdb-server` binary on 127.0.0.1:0 with a temporary data
//! directory and speaks HTTP to it.
#![allow(dead_code)]

pub mod cold;
pub mod ws;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ROOT_PASSWORD: &str = "root-test-password";

pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub port: u16,
    /// The pgwire port, when `KALAMDB_PGWIRE_ENABLED=true`.
    pub pg_port: Option<u16>,
    pub data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    pub stderr_log: PathBuf,
    http: reqwest::Client,
}

pub struct Options {
    pub root_password: Option<String>,
    pub port: u16,
    pub extra_env: Vec<(String, String)>,
    /// `--config` file.
    pub config: Option<PathBuf>,
    /// The server's working directory (a relative data directory resolves against it).
    pub cwd: Option<PathBuf>,
    /// More command-line arguments (e.g. `--restore-from <dir>`).
    pub args: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            root_password: Some(ROOT_PASSWORD.into()),
            port: 0,
            extra_env: Vec::new(),
            config: None,
            cwd: None,
            args: Vec::new(),
        }
    }
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_kalamdb-server")
}

/// Spawns the binary; returns the child and, when it started, the port it listens on.
pub fn spawn(data_dir: &Path, options: &Options) -> (Child, Result<u16, String>) {
    let (child, ports) = spawn_ports(data_dir, options);
    (child, ports.map(|(http, _)| http))
}

/// [`spawn`], with the pgwire port too (printed before the HTTP one, when enabled).
pub fn spawn_ports(
    data_dir: &Path,
    options: &Options,
) -> (Child, Result<(u16, Option<u16>), String>) {
    let log = match &options.cwd {
        Some(cwd) => cwd.join(data_dir),
        None => data_dir.to_path_buf(),
    }
    .with_extension("stderr.log");
    let stderr = std::fs::File::create(&log).expect("stderr log");
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KALAMDB_SERVER_HOST", "127.0.0.1")
        .env("KALAMDB_SERVER_PORT", options.port.to_string())
        .env("KALAMDB_DATA_DIR", data_dir)
        .env("KALAMDB_BCRYPT_COST", "4")
        .env("KALAMDB_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr);
    if let Some(pw) = &options.root_password {
        cmd.env("KALAMDB_ROOT_PASSWORD", pw);
    }
    for (k, v) in &options.extra_env {
        cmd.env(k, v);
    }
    if let Some(config) = &options.config {
        cmd.arg("--config").arg(config);
    }
    if let Some(cwd) = &options.cwd {
        cmd.current_dir(cwd);
    }
    cmd.args(&options.args);
    let mut child = cmd.spawn().expect("spawn kalamdb-server");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut pg_port = None;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(_) => {
                    let line = line.trim();
                    if let Some(rest) = line.strip_prefix("KalamDB pgwire listening on ") {
                        pg_port = rest.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                    }
                    if let Some(rest) = line.strip_prefix("KalamDB server listening on http://") {
                        let port = rest.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                        let _ = tx.send(port.map(|p| (p, pg_port)));
                    }
                }
            }
        }
    });
    let port = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(port)) => Ok(port),
        _ => Err(std::fs::read_to_string(&log).unwrap_or_default()),
    };
    (child, port)
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data_dir = tmp.path().join("data");
        let mut server = Self::start_in(&data_dir, options).await;
        server._tmp = Some(tmp);
        server
    }

    /// Starts on an existing data directory (restart tests).
    pub async fn start_in(data_dir: &Path, options: Options) -> Server {
        let (child, ports) = spawn_ports(data_dir, &options);
        let (port, pg_port) = match ports {
            Ok(p) => p,
            Err(log) => panic!("server did not start: {log}"),
        };
        Server {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            pg_port,
            port,
            data_dir: data_dir.to_path_buf(),
            _tmp: None,
            stderr_log: match &options.cwd {
                Some(cwd) => cwd.join(data_dir),
                None => data_dir.to_path_buf(),
            }
            .with_extension("stderr.log"),
            http: reqwest::Client::new(),
        }
    }

    /// Stops with SIGTERM and waits (a clean shutdown).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            for _ in 0..200 {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills with SIGKILL (a crash).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's process id (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Keeps the temporary directory alive past this server (for restarts).
    pub fn take_tmp(&mut self) -> Option<tempfile::TempDir> {
        self._tmp.take()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let json = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, json)
    }

    /// Runs SQL; `None` when the server closed the connection without an answer (a crash).
    pub async fn try_sql(&self, token: &str, sql: &str) -> Option<(u16, Value)> {
        let resp = self
            .http
            .post(format!("{}/v1/api/sql", self.url))
            .bearer_auth(token)
            .json(&serde_json::json!({ "sql": sql }))
            .send()
            .await
            .ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.json::<Value>().await.unwrap_or(Value::Null)))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let json = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, json)
    }

    pub async fn login(&self, user: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/v1/api/auth/login",
                None,
                json!({"user": user, "password": password}),
            )
            .await;
        assert_eq!(status, 200, "login {user}: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn root(&self) -> String {
        self.login("root", ROOT_PASSWORD).await
    }

    /// Creates a user with a role and returns their token.
    pub async fn user(&self, admin: &str, name: &str, role: &str) -> String {
        let (status, body) = self
            .sql(
                admin,
                &format!("CREATE USER '{name}' WITH PASSWORD 'pw-{name}' ROLE {role}"),
            )
            .await;
        assert_eq!(status, 200, "create user {name}: {body}");
        self.login(name, &format!("pw-{name}")).await
    }

    pub async fn sql(&self, token: &str, sql: &str) -> (u16, Value) {
        self.post("/v1/api/sql", Some(token), json!({"sql": sql}))
            .await
    }

    pub async fn sql_params(&self, token: &str, sql: &str, params: Value) -> (u16, Value) {
        self.post(
            "/v1/api/sql",
            Some(token),
            json!({"sql": sql, "params": params}),
        )
        .await
    }

    /// Runs SQL that must succeed; returns the first result.
    pub async fn ok(&self, token: &str, sql: &str) -> Value {
        let (status, body) = self.sql(token, sql).await;
        assert_eq!(status, 200, "{sql}: {body}");
        assert_eq!(body["status"], "success", "{sql}: {body}");
        body["results"][0].clone()
    }

    /// Runs SQL that must fail; returns (HTTP status, error code, message).
    pub async fn err(&self, token: &str, sql: &str) -> (u16, String, String) {
        let (status, body) = self.sql(token, sql).await;
        assert_ne!(status, 200, "{sql} should fail: {body}");
        assert_eq!(body["status"], "error", "{body}");
        (
            status,
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    }

    /// The rows of a query that must succeed.
    pub async fn rows(&self, token: &str, sql: &str) -> Vec<Vec<Value>> {
        let result = self.ok(token, sql).await;
        serde_json::from_value(result["rows"].clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The column names of a SQL result.
pub fn columns(result: &Value) -> Vec<String> {
    result["schema"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(String::from))
        .collect()
}

/// An integer cell of a SQL result (BIGINT values may come as JSON strings); -1 otherwise.
pub fn int(value: &Value) -> i64 {
    match value {
        Value::String(s) => s.parse().unwrap_or(-1),
        v => v.as_i64().unwrap_or(-1),
    }
}

impl Server {
    /// Asserts that `sql` is refused to `token`'s caller with 403 PERMISSION_DENIED.
    pub async fn assert_denied(&self, token: &str, sql: &str) {
        let (status, code, message) = self.err(token, sql).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "PERMISSION_DENIED"),
            "{sql}: {message}"
        );
    }
}
