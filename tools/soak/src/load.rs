//! The mixed load: each worker is a user writing and reading its own partition of a USER
//! table (INSERT, UPDATE, DELETE, point and range reads, an aggregate) and the public SHARED
//! table; one in sixteen requests is a flush (root). Inserts and deletes balance, so the data
//! stays the same size. Latencies go to the current sample window (flushes are counted, not
//! timed: they only start a job).

use crate::server::ROOT_PASSWORD;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A lock that a panicking holder does not poison for the others (the data is only counters).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
pub struct Stats {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    errors: AtomicU64,
    first_errors: Mutex<Vec<String>>,
    window: Mutex<Vec<f64>>,
}

impl Stats {
    fn record(&self, millis: Option<f64>, status: u16, body: &Value) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(ms) = millis {
            lock(&self.window).push(ms);
        }
        match status {
            200 => {}
            429 => {
                self.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                let mut first = lock(&self.first_errors);
                if first.len() < 20 {
                    first.push(format!("{status}: {body}"));
                }
            }
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
    pub fn first_errors(&self) -> Vec<String> {
        lock(&self.first_errors).clone()
    }

    /// Requests and p99 (ms) since the last call.
    pub fn drain_window(&self) -> (u64, f64) {
        let mut window = std::mem::take(&mut *lock(&self.window));
        if window.is_empty() {
            return (0, 0.0);
        }
        window.sort_by(f64::total_cmp);
        let i = ((window.len() as f64) * 0.99).ceil() as usize;
        (
            window.len() as u64,
            window[i.saturating_sub(1).min(window.len() - 1)],
        )
    }
}

/// Tokens and the server's address.
pub struct Setup {
    http: reqwest::Client,
    url: String,
    root: String,
    users: Vec<String>,
}

async fn post(http: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(e) => (599, json!(e.to_string())),
    }
}

async fn login(http: &reqwest::Client, base: &str, user: &str, pw: &str) -> Result<String, String> {
    let (status, body) = post(
        http,
        &format!("{base}/v1/api/auth/login"),
        None,
        json!({"user": user, "password": pw}),
    )
    .await;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("login {user}: {status} {body}"))
}

impl Setup {
    pub async fn create(base: &str, users: usize) -> Result<Setup, String> {
        let http = reqwest::Client::new();
        let root = login(&http, base, "root", ROOT_PASSWORD).await?;
        let url = format!("{base}/v1/api/sql");
        for sql in [
            "CREATE NAMESPACE soak".to_string(),
            "CREATE USER TABLE soak.notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL, n DOUBLE)"
                .to_string(),
            "CREATE SHARED TABLE soak.board (id BIGINT PRIMARY KEY, body TEXT) WITH (ACCESS_LEVEL = 'public')"
                .to_string(),
        ] {
            let (status, body) = post(&http, &url, Some(&root), json!({"sql": sql})).await;
            if status != 200 {
                return Err(format!("{sql}: {status} {body}"));
            }
        }
        let mut tokens = Vec::new();
        for i in 0..users.max(1) {
            let name = format!("soak{i}");
            let sql = format!("CREATE USER '{name}' WITH PASSWORD 'pw-{name}' ROLE service");
            let (status, body) = post(&http, &url, Some(&root), json!({"sql": sql})).await;
            if status != 200 {
                return Err(format!("{sql}: {status} {body}"));
            }
            tokens.push(login(&http, base, &name, &format!("pw-{name}")).await?);
        }
        Ok(Setup {
            http,
            url,
            root,
            users: tokens,
        })
    }
}

/// One worker per user until `deadline`.
pub fn spawn_workers(
    setup: Setup,
    stats: Arc<Stats>,
    deadline: Instant,
) -> Vec<tokio::task::JoinHandle<()>> {
    let setup = Arc::new(setup);
    (0..setup.users.len())
        .map(|w| {
            let (setup, stats) = (setup.clone(), stats.clone());
            tokio::spawn(async move { work(&setup, w, &stats, deadline).await })
        })
        .collect()
}

/// Rows each worker keeps in its partition once warmed up: inserts and deletes balance, so the
/// load at the end of a soak is the load after warm-up and growth means a leak.
const STEADY_ROWS: i64 = 300;

async fn work(setup: &Setup, worker: usize, stats: &Stats, deadline: Instant) {
    let token = &setup.users[worker];
    let mut next_id: i64 = 0;
    let mut step: i64 = 0;
    while Instant::now() < deadline {
        step += 1;
        // A recent row (it may have been deleted meanwhile: then nothing matches).
        let id = next_id - (step * 7919) % STEADY_ROWS.min(next_id.max(1));
        let board = |s: i64| ((worker as i64) << 40) | s;
        let sql = match step % 16 {
            0 => {
                let flush = "STORAGE FLUSH TABLE soak.notes";
                let (status, body) = post(
                    &setup.http,
                    &setup.url,
                    Some(&setup.root),
                    json!({"sql": flush}),
                )
                .await;
                stats.record(None, status, &body);
                continue;
            }
            1..=3 => {
                next_id += 1;
                format!("INSERT INTO soak.notes VALUES ({next_id}, 'note {step}', {step}.5)")
            }
            4 | 5 => format!("UPDATE soak.notes SET body = 'edited {step}' WHERE id = {id}"),
            6..=8 => format!(
                "DELETE FROM soak.notes WHERE id = {}",
                next_id - STEADY_ROWS
            ),
            9 | 10 => format!("SELECT * FROM soak.notes WHERE id = {id}"),
            11 | 12 => "SELECT id, body FROM soak.notes ORDER BY id DESC LIMIT 20".to_string(),
            13 => format!("INSERT INTO soak.board VALUES ({}, 'post')", board(step)),
            14 => format!(
                "DELETE FROM soak.board WHERE id = {}",
                board(step - 1 - 16 * STEADY_ROWS)
            ),
            _ => "SELECT COUNT(*), AVG(n) FROM soak.notes".to_string(),
        };
        let started = Instant::now();
        let (status, body) = post(&setup.http, &setup.url, Some(token), json!({"sql": sql})).await;
        stats.record(
            Some(started.elapsed().as_secs_f64() * 1000.0),
            status,
            &body,
        );
    }
}
