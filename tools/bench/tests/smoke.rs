//! Smoke test: every scenario runs with tiny sizes against a real `kalamdb-server` (and a
//! throwaway PostgreSQL cluster when its binaries are installed), and the JSON report has the
//! documented schema. No performance thresholds: only that each scenario ran and reported
//! well-formed figures, so the benchmark cannot rot.

#[path = "../../../clients/link/tests/common/server.rs"]
mod server;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const PG_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/pg-cluster.sh");

/// Every scenario name a full run reports; the user-scaling names carry the tiny user counts.
const SCENARIOS: &[&str] = &[
    "insert_single",
    "insert_batch_50",
    "select_filter_200",
    "point_lookup_10k",
    "group_by_10k",
    "update_by_pk",
    "delete_by_pk",
    "concurrent_insert_users",
    "insert_rate_1_users",
    "insert_rate_2_users",
    "cold_200k_filter",
    "cold_200k_group_by",
    "cold_200k_pk",
    "cold_200k_range_order_limit",
    "subscribe_snapshot_1k",
    "change_delivery",
    "fanout_1k",
    "user_lookup_3_users",
    "user_lookup_6_users",
    "user_lookup_12_users",
    "insert_without_trigger",
    "insert_with_trigger",
    "trigger_lag",
    "disk_copy_64kib",
    "upload_64kib",
    "download_64kib",
    "disk_copy_1mib",
    "upload_1mib",
    "download_1mib",
    "export_1k",
];
/// Scenarios without a PostgreSQL equivalent.
const NO_BASELINE: &[&str] = &[
    "fanout_1k",
    "trigger_lag",
    "disk_copy_64kib",
    "upload_64kib",
    "download_64kib",
    "disk_copy_1mib",
    "upload_1mib",
    "download_1mib",
    "export_1k",
];

/// A PostgreSQL cluster started by `pg-cluster.sh`, stopped on drop.
struct Pg {
    dir: tempfile::TempDir,
    url: String,
}

impl Pg {
    /// Starts one when PostgreSQL is installed (the bench script installs it; the test does not).
    fn start() -> Option<Pg> {
        let installed = std::fs::read_dir("/usr/lib/postgresql")
            .map(|dirs| {
                dirs.flatten()
                    .any(|d| d.path().join("bin/initdb").is_file())
            })
            .unwrap_or(false);
        if !installed {
            eprintln!("SKIPPED PostgreSQL part: no /usr/lib/postgresql/*/bin/initdb");
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = Command::new(PG_SCRIPT)
            .arg("start")
            .arg(dir.path().join("pg"))
            .output()
            .expect("run pg-cluster.sh");
        assert!(
            out.status.success(),
            "pg-cluster.sh start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Some(Pg { dir, url })
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = Command::new(PG_SCRIPT)
            .arg("stop")
            .arg(self.dir.path().join("pg"))
            .output();
    }
}

fn bench() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kalam-bench"));
    cmd.env_remove("KALAM_URL")
        .env_remove("KALAM_PASSWORD")
        .env_remove("KALAM_BENCH_PG_URL");
    cmd
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("'{key}' is not a number in {v}"))
}

/// The fields of a `Summary`, in order.
fn check_summary(s: &Value, iterations: u64, what: &str) {
    assert_eq!(s["iterations"].as_u64(), Some(iterations), "{what}: {s}");
    assert!(
        s["concurrency"].as_u64().is_some_and(|c| c >= 1),
        "{what}: {s}"
    );
    let (min, p50, p95, p99, max) = (
        num(s, "min_us"),
        num(s, "p50_us"),
        num(s, "p95_us"),
        num(s, "p99_us"),
        num(s, "max_us"),
    );
    assert!(
        0.0 <= min && min <= p50 && p50 <= p95 && p95 <= p99 && p99 <= max,
        "{what}: {s}"
    );
    let mean = num(s, "mean_us");
    assert!(min <= mean && mean <= max, "{what}: {s}");
    assert!(num(s, "ops_per_sec") > 0.0, "{what}: {s}");
}

fn read_report(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("JSON report written");
    serde_json::from_str(&text).expect("JSON report parses")
}

#[test]
fn every_scenario_runs_tiny_and_the_report_has_the_schema() {
    let Some(server) = server::start() else {
        return;
    };
    let pg = Pg::start();
    let out_dir = tempfile::tempdir().expect("temporary directory");
    let json: PathBuf = out_dir.path().join("out.json");
    let mut cmd = bench();
    cmd.args([
        "--url",
        &server.url,
        "--user",
        "root",
        "--password",
        server::ROOT_PASSWORD,
    ])
    .args([
        "--scale",
        "tiny",
        "--iterations",
        "2",
        "--warmup",
        "1",
        "--concurrency",
        "2",
    ])
    .arg("--json")
    .arg(&json);
    if let Some(pg) = &pg {
        cmd.args(["--pg-url", &pg.url]);
    }
    let out = cmd.output().expect("run kalam-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "kalam-bench failed:\n{stdout}\n{stderr}"
    );

    let report = read_report(&json);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"], "kalam-bench");
    assert!(
        report["started_at"]
            .as_str()
            .is_some_and(|t| t.contains('T'))
    );
    let machine = &report["machine"];
    assert!(
        machine["cores"].as_u64().is_some_and(|c| c >= 1),
        "{machine}"
    );
    assert!(
        machine["memory_bytes"].as_u64().is_some_and(|m| m > 0),
        "{machine}"
    );
    assert!(
        machine["os"].as_str().is_some_and(|o| !o.is_empty()),
        "{machine}"
    );
    assert_eq!(report["target"]["url"].as_str(), Some(server.url.as_str()));
    assert_eq!(report["settings"]["scale"], "tiny");
    assert_eq!(report["settings"]["iterations"], 2);

    let limits = report["limits"].as_array().expect("limits array");
    let names: Vec<&str> = limits.iter().filter_map(|l| l["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "empty_http",
            "rocksdb_put",
            "insert_statistics",
            "advisor_pass"
        ]
    );
    assert_eq!(limits[0]["status"], "ok", "{}", limits[0]);
    check_summary(&limits[0]["result"], 2, "empty_http");
    // Without kalamdb-store-bench the limit is skipped with a note, not failed.
    assert!(
        limits[1]["status"] == "ok" || limits[1]["status"] == "skipped",
        "{}",
        limits[1]
    );

    let scenarios = report["scenarios"].as_array().expect("scenarios array");
    let names: Vec<&str> = scenarios
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, SCENARIOS, "scenario names and order");
    for s in scenarios {
        let name = s["name"].as_str().unwrap_or_default();
        assert_eq!(s["status"], "ok", "{name}: {s}");
        assert!(
            s["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        assert!(s["params"].is_object(), "{name}");
        assert!(s["notes"].is_array(), "{name}");
        // The insert-rate steps run --iterations rows per writing user.
        let iterations = name
            .strip_prefix("insert_rate_")
            .and_then(|rest| rest.strip_suffix("_users"))
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(2, |users| 2 * users);
        check_summary(&s["result"], iterations, name);
        assert!(s["ratio_to_empty_http"].as_f64().is_some(), "{name}: {s}");
        if pg.is_some() && !NO_BASELINE.contains(&name) {
            let base = &s["baseline"];
            assert_eq!(base["system"], "postgresql", "{name}: {s}");
            assert_eq!(base["status"], "ok", "{name}: {base}");
            assert!(
                base["statement"].as_str().is_some_and(|t| !t.is_empty()),
                "{name}"
            );
            check_summary(&base["result"], iterations, &format!("{name} baseline"));
            assert!(s["ratio"].as_f64().is_some_and(|r| r > 0.0), "{name}: {s}");
        }
    }
    assert!(
        stdout.contains("scenario") && stdout.contains("insert_single"),
        "{stdout}"
    );
}

#[test]
fn an_unreachable_server_is_reported_not_a_panic() {
    let out_dir = tempfile::tempdir().expect("temporary directory");
    let json = out_dir.path().join("out.json");
    let out = bench()
        .args(["--url", &server::closed_url(), "--scale", "tiny", "--json"])
        .arg(&json)
        .output()
        .expect("run kalam-bench");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server not usable"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!json.exists());
}

#[test]
fn list_names_every_group() {
    let out = bench().arg("--list").output().expect("run kalam-bench");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for group in ["insert_single", "cold_200k", "fanout_1k", "user_lookup"] {
        assert!(text.contains(group), "{text}");
    }
}

#[test]
fn store_bench_output_becomes_the_rocksdb_limit() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let fake = dir.path().join("kalamdb-store-bench");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'opening store'\necho '{\"scenario\":\"rocksdb_put\",\"ops_per_sec\":250000.0,\"mean_us\":4.0}'\n",
    )
    .expect("write fake store bench");
    let chmod = Command::new("chmod").arg("+x").arg(&fake).status();
    assert!(chmod.is_ok_and(|s| s.success()));
    let missing = dir.path().join("missing-store-bench");
    for (binary, status) in [(&fake, "ok"), (&missing, "failed")] {
        let json = dir.path().join("out.json");
        let out = bench()
            .args(["--url", &server.url, "--password", server::ROOT_PASSWORD])
            .args(["--scale", "tiny", "--filter", "no_such_scenario", "--json"])
            .arg(&json)
            .arg("--store-bench")
            .arg(binary)
            .output()
            .expect("run kalam-bench");
        let report = read_report(&json);
        let limit = &report["limits"][1];
        assert_eq!(limit["name"], "rocksdb_put");
        assert_eq!(limit["status"], status, "{limit}");
        assert_eq!(report["scenarios"].as_array().map(Vec::len), Some(0));
        if status == "ok" {
            assert!(out.status.success());
            assert_eq!(limit["result"]["ops_per_sec"], 250000.0);
            assert_eq!(limit["result"]["mean_us"], 4.0);
            assert_eq!(limit["params"]["scenario"], "rocksdb_put");
        } else {
            assert_eq!(out.status.code(), Some(1));
            assert!(
                limit["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("could not run"))
            );
        }
    }
}
