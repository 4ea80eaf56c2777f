//! The soak program runs a few seconds against the real server and reports samples; no
//! thresholds beyond what the program itself checks, so the command cannot rot.

use std::path::PathBuf;
use std::process::Command;

/// `$KALAMDB_SERVER_BIN`, else the server beside this test's target directory.
fn server_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KALAMDB_SERVER_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("kalamdb-server");
    candidate.is_file().then_some(candidate)
}

#[test]
fn a_short_soak_runs_clean_and_reports_samples() {
    let Some(server) = server_binary() else {
        assert!(
            std::env::var_os("KALAM_REQUIRE_SERVER").is_none(),
            "kalamdb-server is not built"
        );
        eprintln!("SKIPPED: build kalamdb-server first");
        return;
    };
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let status = Command::new(env!("CARGO_BIN_EXE_kalam-soak"))
        .args([
            "--seconds",
            "4",
            "--sample-every",
            "1",
            "--concurrency",
            "4",
        ])
        .arg("--server-bin")
        .arg(&server)
        .arg("--json")
        .arg(out.path())
        .status()
        .expect("run kalam-soak");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path()).expect("report")).expect("JSON");
    assert!(status.success(), "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert!(report["requests"].as_u64().unwrap_or(0) > 50, "{report}");
    let samples = report["samples"].as_array().cloned().unwrap_or_default();
    assert!(samples.len() >= 3, "{report}");
    assert!(
        samples
            .iter()
            .all(|s| s["rss_kib"].as_u64().unwrap_or(0) > 0),
        "{report}"
    );
}
