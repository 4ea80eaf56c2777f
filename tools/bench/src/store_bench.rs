//! The RocksDB put-rate limit: runs the separate `kalamdb-store-bench` binary (it links the
//! kernel's store, which this crate must not build) and reads the one JSON object it prints,
//! e.g. `{"scenario":"rocksdb_put","ops_per_sec":...,"mean_us":...}`.

use crate::stats::Summary;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BINARY: &str = "kalamdb-store-bench";

/// `--store-bench PATH`, else the binary beside this executable.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let beside = std::env::current_exe().ok()?.parent()?.join(BINARY);
    beside.is_file().then_some(beside)
}

/// Runs the binary with `args` and returns its summary and the raw JSON object.
pub fn run(path: &Path, args: &[&str]) -> Result<(Summary, Value), String> {
    let output = Command::new(path)
        .args(args)
        .output()
        .map_err(|e| format!("could not run {}: {e}", path.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "{} exited with {}: {}",
            path.display(),
            output.status,
            stderr.trim()
        ));
    }
    parse(&String::from_utf8_lossy(&output.stdout))
}

/// The last line of `stdout` that is a JSON object with `ops_per_sec`.
pub fn parse(stdout: &str) -> Result<(Summary, Value), String> {
    let value = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| v.get("ops_per_sec").is_some())
        .ok_or_else(|| {
            format!(
                "no JSON object with ops_per_sec in output: {}",
                stdout.trim()
            )
        })?;
    let num = |k: &str| value.get(k).and_then(Value::as_f64);
    let ops = num("ops_per_sec").unwrap_or(0.0);
    let mean = num("mean_us").unwrap_or(if ops > 0.0 { 1e6 / ops } else { 0.0 });
    let summary = Summary {
        iterations: value.get("iterations").and_then(Value::as_u64).unwrap_or(0),
        concurrency: value
            .get("concurrency")
            .and_then(Value::as_u64)
            .unwrap_or(1) as usize,
        mean_us: mean,
        p50_us: num("p50_us").unwrap_or(mean),
        p95_us: num("p95_us").unwrap_or(mean),
        p99_us: num("p99_us").unwrap_or(mean),
        min_us: num("min_us").unwrap_or(mean),
        max_us: num("max_us").unwrap_or(mean),
        ops_per_sec: ops,
    };
    Ok((summary, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_lead_s_format() {
        let out =
            "warming up\n{\"scenario\":\"rocksdb_put\",\"ops_per_sec\":250000.0,\"mean_us\":4.0}\n";
        let parsed = parse(out).map(|(s, _)| (s.ops_per_sec, s.mean_us, s.p99_us));
        assert_eq!(parsed, Ok((250000.0, 4.0, 4.0)));
        assert!(parse("nothing").is_err());
    }
}
