//! Crash loop: no acknowledged write is lost, nothing deleted or dropped comes back.
//!
//! Each cycle three `user`-role users write a USER table and root a public SHARED table (random
//! INSERT / UPDATE / DELETE) while a task keeps requesting `STORAGE FLUSH TABLE` and `STORAGE
//! COMPACT TABLE` (`KALAMDB_COMPACTION_THRESHOLD=2`: flushes start compactions too); every second
//! cycle root drops and re-creates the SHARED table. Then the server is SIGKILLed mid-request and
//! restarted on the same data directory. The model keeps every write answered with success; one
//! whose answer was lost may or may not have happened; a refused one did not. After each restart
//! every caller's view of both tables must match the model (no lost value, no deleted or dropped
//! row back, no phantom or duplicate id), writes must work, no job may stay running or queued,
//! and each `manifest.json` may list only existing files. Any HTTP 5xx fails the test.
//!
//! Default 5 cycles. Long mode: `KALAM_TORTURE_CYCLES=100 cargo nextest run -p kalamdb-server
//! --test torture_crash`; `KALAM_TORTURE_SEED=<printed seed>` replays a run's random choices.

mod common;
use common::cold::assert_manifests_consistent;
use common::{Options, Server};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

/// USER table: each caller writes its own partition.
const ITEMS: &str = "torture.items";
/// SHARED table, public: root writes it, everyone reads it.
const BOARD: &str = "torture.board";
const CREATE_ITEMS: &str = "CREATE USER TABLE torture.items \
    (id BIGINT PRIMARY KEY, v TEXT NOT NULL, d DOUBLE NOT NULL)";
const CREATE_BOARD: &str = "CREATE SHARED TABLE torture.board \
    (id BIGINT PRIMARY KEY, v TEXT NOT NULL, d DOUBLE NOT NULL) WITH (ACCESS_LEVEL = 'public')";

fn options() -> Options {
    Options {
        extra_env: vec![("KALAMDB_COMPACTION_THRESHOLD".into(), "2".into())],
        ..Options::default()
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

/// xorshift64: small and seedable (the state must not be 0).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A row's (v, d).
type Val = (String, f64);

/// The expected rows of one table as one caller sees it: each id maps to the states it may be
/// in (one, or two when its last write's answer was lost); an id not in the map must not exist.
#[derive(Default)]
struct Part {
    rows: BTreeMap<i64, Vec<Option<Val>>>,
    next_id: i64,
    writes: u64,
}

impl Part {
    /// Ids are never reused, values never repeat: an old row that comes back is recognisable.
    fn new_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn fresh(&mut self, tag: &str) -> Val {
        self.writes += 1;
        (format!("{tag}-{}", self.writes), self.writes as f64 / 4.0)
    }
}

fn insert_sql(table: &str, id: i64, (v, d): &Val) -> String {
    format!("INSERT INTO {table} (id, v, d) VALUES ({id}, '{v}', {d:.2})")
}

/// What became of one request: a success (its first result), an error answer (it did not
/// happen), or no answer (killed server, broken connection: it may or may not have happened).
enum Answer {
    Acked(Value),
    Refused(u16, String),
    Lost,
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(server: &Server) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: format!("{}/v1/api/sql", server.url),
        }
    }

    async fn sql(&self, token: &str, sql: &str) -> Answer {
        let (url, body) = (self.url.as_str(), json!({ "sql": sql }));
        let request = self.http.post(url).bearer_auth(token).json(&body);
        let Ok(response) = request.send().await else {
            return Answer::Lost;
        };
        let status = response.status().as_u16();
        let Ok(body) = response.json::<Value>().await else {
            return Answer::Lost;
        };
        if status == 200 && body["status"] == "success" {
            return Answer::Acked(body["results"][0].clone());
        }
        let message = body["error"]["message"].as_str().unwrap_or_default();
        Answer::Refused(status, message.to_string())
    }
}

#[derive(Debug, Default)]
struct Stats {
    acked: u64,
    uncertain: u64,
    refused: u64,
    jobs: u64,
    drops: u64,
    /// 5xx answers and broken promises: each fails the test.
    failures: Vec<String>,
}

impl Stats {
    /// A refused statement did not happen; 5xx is a failure, 429 and other 4xx are fine.
    fn refusal(&mut self, status: u16, message: &str, sql: &str) {
        match status {
            500.. => self.failures.push(format!("{status} `{sql}`: {message}")),
            _ => self.refused += 1,
        }
    }

    fn merge(&mut self, other: Stats) {
        self.acked += other.acked;
        self.uncertain += other.uncertain;
        self.refused += other.refused;
        self.jobs += other.jobs;
        self.drops += other.drops;
        self.failures.extend(other.failures);
    }
}

/// One caller writing its table, one statement at a time, until the server goes away.
struct Worker {
    name: String,
    token: String,
    table: &'static str,
    part: Part,
    rng: Rng,
    client: Client,
    stats: Stats,
}

impl Worker {
    fn new(name: &str, token: String, server: &Server, rng: &mut Rng) -> Worker {
        Worker {
            name: name.to_string(),
            token,
            table: if name == "root" { BOARD } else { ITEMS },
            part: Part::default(),
            rng: Rng(rng.next_u64()),
            client: Client::new(server),
            stats: Stats::default(),
        }
    }

    /// A random write: (id, the value it leaves, SQL). Inserts dominate while the table is
    /// small, deletes once it has a few hundred rows, so long runs stay fast.
    fn next_write(&mut self) -> (i64, Option<Val>, String) {
        let live = self.part.rows.len() as u64;
        let insert = 70u64.saturating_sub(live / 8).max(20);
        let roll = if live == 0 { 0 } else { self.rng.below(100) };
        if roll < insert {
            let id = self.part.new_id();
            let val = self.part.fresh(&self.name);
            return (id, Some(val.clone()), insert_sql(self.table, id, &val));
        }
        let index = self.rng.below(live) as usize;
        let id = *self.part.rows.keys().nth(index).expect("a live id");
        let table = self.table;
        if roll < insert + (100 - insert) * 3 / 5 {
            let (v, d) = self.part.fresh(&self.name);
            let sql = format!("UPDATE {table} SET v = '{v}', d = {d:.2} WHERE id = {id}");
            (id, Some((v, d)), sql)
        } else {
            (id, None, format!("DELETE FROM {table} WHERE id = {id}"))
        }
    }

    /// Sends one write and updates the model from its answer; false once the server is gone.
    async fn step(&mut self) -> bool {
        let (id, new, sql) = self.next_write();
        let old = self.part.rows.get(&id).and_then(|c| c[0].clone());
        match self.client.sql(&self.token, &sql).await {
            Answer::Acked(result) => {
                self.stats.acked += 1;
                let count = &result["row_count"];
                if old.is_some() && count.as_u64() != Some(1) {
                    let failure = format!("acknowledged `{sql}` changed {count} rows, not 1");
                    self.stats.failures.push(failure);
                }
                match new {
                    Some(val) => self.part.rows.insert(id, vec![Some(val)]),
                    None => self.part.rows.remove(&id),
                };
                true
            }
            Answer::Refused(status, message) => {
                self.stats.refusal(status, &message, &sql);
                true
            }
            Answer::Lost => {
                self.stats.uncertain += 1;
                self.part.rows.insert(id, vec![old, new]);
                false
            }
        }
    }

    /// DROP TABLE and CREATE it again; the kill waits for both, so both must succeed. Once the
    /// DROP is acknowledged the model is empty: an old row seen later is a phantom.
    async fn recreate(&mut self) -> bool {
        let drop_table = format!("DROP TABLE {}", self.table);
        for sql in [drop_table, CREATE_BOARD.to_string()] {
            let problem = match self.client.sql(&self.token, &sql).await {
                Answer::Acked(_) => None,
                Answer::Refused(status, message) => Some(format!("{status} {message}")),
                Answer::Lost => Some("no answer before the kill".to_string()),
            };
            if let Some(problem) = problem {
                self.stats.failures.push(format!("`{sql}`: {problem}"));
                return false;
            }
            self.part.rows.clear();
        }
        self.stats.drops += 1;
        true
    }

    /// Writes until the server is gone; re-creates the table before operation `drop_at`.
    async fn run(mut self, mut drop_at: Option<(u64, oneshot::Sender<()>)>) -> Worker {
        for ops in 0u64.. {
            let renew = drop_at.take_if(|(at, _)| *at == ops);
            let alive = renew.is_none() || self.recreate().await;
            drop(renew); // dropping the sender starts the kill timer
            if !alive || !self.step().await {
                break;
            }
        }
        self
    }
}

/// Requests flushes and compactions of both tables every 50–150 ms until the server is gone.
async fn flusher(client: Client, token: String, mut rng: Rng) -> Stats {
    let mut stats = Stats::default();
    loop {
        tokio::time::sleep(Duration::from_millis(50 + rng.below(100))).await;
        for table in [ITEMS, BOARD] {
            for verb in ["FLUSH", "COMPACT"] {
                let sql = format!("STORAGE {verb} TABLE {table}");
                match client.sql(&token, &sql).await {
                    Answer::Acked(_) => stats.jobs += 1,
                    Answer::Refused(status, message) => stats.refusal(status, &message, &sql),
                    Answer::Lost => return stats,
                }
            }
        }
    }
}

/// `SELECT id, v, d` rows as (id, (v, d)).
async fn read(server: &Server, token: &str, sql: &str) -> Vec<(i64, Val)> {
    let parse = |row: &Vec<Value>| -> Option<(i64, Val)> {
        let id = row.first()?; // BIGINT comes back as a string
        let id = id.as_i64().or_else(|| id.as_str()?.parse().ok())?;
        let val = (row.get(1)?.as_str()?.to_string(), row.get(2)?.as_f64()?);
        Some((id, val))
    };
    let rows = server.rows(token, sql).await;
    rows.iter()
        .map(|row| parse(row).unwrap_or_else(|| panic!("unexpected row from `{sql}`: {row:?}")))
        .collect()
}

/// Differences between a read (ordered by id) and the model (`None`: no row may exist).
fn compare(part: Option<&Part>, got: &[(i64, Val)]) -> Vec<String> {
    let mut problems = Vec::new();
    for pair in got.windows(2).filter(|pair| pair[0].0 >= pair[1].0) {
        problems.push(format!("id {} returned twice or out of order", pair[1].0));
    }
    let empty = BTreeMap::new();
    let model = part.map_or(&empty, |part| &part.rows);
    let seen: BTreeMap<i64, &Val> = got.iter().map(|(id, val)| (*id, val)).collect();
    let ids: BTreeSet<i64> = model.keys().chain(seen.keys()).copied().collect();
    for id in ids {
        let actual = seen.get(&id).map(|val| (*val).clone());
        // An id missing from the model must not exist: a phantom is "allowed [None]".
        let allowed = model.get(&id).cloned().unwrap_or_else(|| vec![None]);
        if !allowed.contains(&actual) {
            problems.push(format!("id {id}: got {actual:?}, allowed {allowed:?}"));
        }
    }
    problems.truncate(20);
    problems
}

/// No job is left `running` or `queued` a few seconds after the restart.
async fn check_jobs(server: &Server, root: &str) {
    let sql = "SELECT job_id, status FROM system.jobs WHERE status IN ('running', 'queued')";
    for _ in 0..50 {
        if server.rows(root, sql).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stuck = server.rows(root, sql).await;
    panic!("jobs stuck after the restart: {stuck:?}");
}

struct Torture {
    server: Server,
    /// Root (on BOARD) first, then the users (on ITEMS).
    workers: Vec<Worker>,
    rng: Rng,
    seed: u64,
}

impl Torture {
    async fn setup(server: Server, seed: u64) -> Torture {
        let root = server.root().await;
        for sql in ["CREATE NAMESPACE torture", CREATE_ITEMS, CREATE_BOARD] {
            server.ok(&root, sql).await;
        }
        let mut rng = Rng(seed.max(1));
        let mut workers = vec![Worker::new("root", root.clone(), &server, &mut rng)];
        for name in ["tu1", "tu2", "tu3"] {
            let token = server.user(&root, name, "user").await;
            workers.push(Worker::new(name, token, &server, &mut rng));
        }
        Torture {
            server,
            workers,
            rng,
            seed,
        }
    }

    /// Runs the writers and the flusher for a random time, then SIGKILLs the server.
    async fn run_cycle(&mut self, renew_board: bool) -> Stats {
        let root = &self.workers[0];
        let rng = Rng(self.rng.next_u64());
        let flushing = flusher(root.client.clone(), root.token.clone(), rng);
        let (done_tx, done_rx) = oneshot::channel();
        let mut done_tx = Some(done_tx);
        let mut tasks = vec![];
        for worker in self.workers.drain(..) {
            let drop_at = done_tx.take_if(|_| renew_board && worker.table == BOARD);
            let drop_at = drop_at.map(|tx| (self.rng.below(60), tx));
            tasks.push(tokio::spawn(worker.run(drop_at)));
        }
        let flusher = tokio::spawn(flushing);
        if renew_board {
            // Kill only after the DROP/CREATE: the model then knows which incarnation is live.
            let _ = tokio::time::timeout(Duration::from_secs(10), done_rx).await;
        }
        tokio::time::sleep(Duration::from_millis(300 + self.rng.below(1200))).await;
        self.server.kill();
        let mut stats = Stats::default();
        for task in tasks {
            let mut worker = task.await.expect("worker task");
            stats.merge(std::mem::take(&mut worker.stats));
            self.workers.push(worker);
        }
        stats.merge(flusher.await.expect("flusher task"));
        stats
    }

    /// Starts the server again on the same data directory; everyone logs in again.
    async fn restart(&mut self) {
        let data_dir = self.server.data_dir.clone();
        self.server = Server::start_in(&data_dir, options()).await;
        for worker in &mut self.workers {
            worker.token = match worker.name.as_str() {
                "root" => self.server.root().await,
                name => self.server.login(name, &format!("pw-{name}")).await,
            };
            worker.client = Client::new(&self.server);
        }
    }

    /// Every caller's view of both tables against the model; uncertain keys are then resolved
    /// to what the server kept (so later views must agree). Returns the number of rows checked.
    async fn verify(&mut self, cycle: u64) -> usize {
        let mut checked = 0;
        for i in 0..self.workers.len() {
            let (name, token) = (self.workers[i].name.clone(), self.workers[i].token.clone());
            // The caller's USER partition (root never writes its own) and the SHARED table.
            for (table, owner) in [(ITEMS, i), (BOARD, 0)] {
                let sql = format!("SELECT id, v, d FROM {table} ORDER BY id");
                let got = read(&self.server, &token, &sql).await;
                checked += got.len();
                let owner = &mut self.workers[owner];
                let part = (owner.table == table).then_some(&mut owner.part);
                let problems = compare(part.as_deref(), &got).join("\n");
                let what = format!("cycle {cycle} seed {}: {table} as {name}", self.seed);
                assert!(problems.is_empty(), "{what}:\n{problems}");
                if let Some(part) = part {
                    part.rows = got.into_iter().map(|(id, v)| (id, vec![Some(v)])).collect();
                }
            }
        }
        checked
    }

    /// The statistics followed every crash (each group commit carries its counters): once
    /// everything is flushed no partition counts a hot row, and the Parquet files and rows the
    /// USER table's partitions count are exactly the segments its manifests list.
    async fn check_statistics(&mut self) {
        let root = self.workers[0].token.clone();
        for table in [ITEMS, BOARD] {
            common::cold::flush(&self.server, &root, table).await;
        }
        check_jobs(&self.server, &root).await;
        let rows = self
            .server
            .rows(
                &root,
                "SELECT table_name, user_id, rows_hot, rows_cold, parquet_files, bytes_hot FROM system.stats \
                 WHERE namespace_id = 'torture' AND scope <> 'query'",
            )
            .await;
        assert!(!rows.is_empty(), "no statistics for the torture tables");
        let num = common::int;
        for r in &rows {
            assert_eq!(num(&r[2]), 0, "hot rows counted after a full flush: {r:?}");
            assert_eq!(num(&r[5]), 0, "hot bytes counted after a full flush: {r:?}");
        }
        let (mut files, mut versions) = (0i64, 0i64);
        let items = self
            .server
            .data_dir
            .join("storage")
            .join("torture")
            .join("items");
        for path in common::cold::walk(&items) {
            if path.file_name().is_some_and(|n| n == "manifest.json") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let manifest: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                for segment in manifest["segments"].as_array().into_iter().flatten() {
                    files += 1;
                    versions += segment["rows"].as_i64().unwrap_or(0);
                }
            }
        }
        let (counted_files, counted_versions) = rows
            .iter()
            .filter(|r| r[0] == "items" && !r[1].is_null())
            .fold((0, 0), |(f, v), r| (f + num(&r[4]), v + num(&r[3])));
        assert_eq!(
            (counted_files, counted_versions),
            (files, versions),
            "statistics of torture.items against its manifests: {rows:?}"
        );
        // A counter that drifted below zero would read 0 above: three new rows must count 3.
        let (name, token) = (self.workers[1].name.clone(), self.workers[1].token.clone());
        self.server
            .ok(
                &token,
                "INSERT INTO torture.items VALUES (9000000001, 'p', 1.0), (9000000002, 'p', 1.0), (9000000003, 'p', 1.0)",
            )
            .await;
        let sql = format!(
            "SELECT rows_hot FROM system.stats WHERE namespace_id = 'torture' AND table_name = 'items' AND user_id = '{name}'"
        );
        let hot = self.server.rows(&root, &sql).await;
        assert_eq!(hot.first().map(|r| num(&r[0])), Some(3), "{hot:?}");
    }

    /// The restarted server takes writes: root on the SHARED table, a user on the USER table.
    async fn probe_writes(&mut self) {
        for worker in self.workers.iter_mut().take(2) {
            let (id, val) = (worker.part.new_id(), worker.part.fresh(&worker.name));
            let (table, token) = (worker.table, &worker.token);
            self.server.ok(token, &insert_sql(table, id, &val)).await;
            let sql = format!("SELECT id, v, d FROM {table} WHERE id = {id}");
            let got = read(&self.server, token, &sql).await;
            assert_eq!(got, [(id, val.clone())], "{table} after the restart");
            worker.part.rows.insert(id, vec![Some(val)]);
        }
    }
}

/// The last lines of a server's log, to explain a failure.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_crash_loop() {
    let cycles = env_u64("KALAM_TORTURE_CYCLES").unwrap_or(5);
    let now = SystemTime::now().duration_since(UNIX_EPOCH);
    let seed = env_u64("KALAM_TORTURE_SEED").unwrap_or(now.map_or(1, |d| d.as_nanos() as u64));
    println!("torture_crash: {cycles} cycle(s), seed {seed} (replay: KALAM_TORTURE_SEED={seed})");
    let mut server = Server::start_with(options()).await;
    let tmp = server.take_tmp();
    let mut t = Torture::setup(server, seed).await;
    for cycle in 1..=cycles {
        let started = Instant::now();
        let stats = t.run_cycle(cycle % 2 == 0).await;
        let failures = stats.failures.join("\n");
        assert!(
            failures.is_empty(),
            "cycle {cycle}:\n{failures}\nserver log:\n{}",
            log_tail(&t.server.stderr_log)
        );
        t.restart().await;
        let rows = t.verify(cycle).await;
        check_jobs(&t.server, &t.workers[0].token).await;
        let manifests = assert_manifests_consistent(&t.server.data_dir.join("storage"));
        t.probe_writes().await;
        let secs = started.elapsed().as_secs_f64();
        println!("cycle {cycle} ({secs:.1}s): {stats:?}; {rows} rows, {manifests} manifests ok");
    }
    t.check_statistics().await;
    t.server.stop();
    drop(tmp);
}
