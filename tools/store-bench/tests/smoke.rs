//! Both scenarios run with tiny sizes and print one well-formed JSON object (no thresholds).

use std::process::Command;

fn run(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kalamdb-store-bench"))
        .args(args)
        .output()
        .expect("run kalamdb-store-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn rocksdb_put_reports_a_rate() {
    let v = run(&["--ops", "200", "--concurrency", "4"]);
    assert_eq!(v["scenario"], "rocksdb_put");
    assert_eq!(v["ops"], 200);
    assert!(v["ops_per_sec"].as_f64().is_some_and(|r| r > 0.0), "{v}");
}

#[test]
fn plan_cache_reports_both_sides() {
    let v = run(&["--scenario", "plan-cache", "--ops", "50"]);
    assert_eq!(v["scenario"], "plan_cache");
    for key in ["with_cache_mean_us", "without_cache_mean_us", "speedup"] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key}: {v}");
    }
}

#[test]
fn an_unknown_scenario_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_kalamdb-store-bench"))
        .args(["--scenario", "nope"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario 'nope'"));
}
