//! What the server process uses, from `/proc/<pid>`, and the latency of the last interval.

use crate::load::Stats;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct Sample {
    pub at_seconds: u64,
    pub rss_kib: u64,
    pub open_files: u64,
    pub requests: u64,
    pub p99_ms: f64,
}

pub fn take(pid: u32, stats: &Stats, at_seconds: u64) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let open_files = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    let (requests, p99_ms) = stats.drain_window();
    Sample {
        at_seconds,
        rss_kib,
        open_files,
        requests,
        p99_ms,
    }
}

/// Average RSS of the last third of the samples over that of the middle third (1.0: flat).
pub fn rss_growth(samples: &[Sample]) -> f64 {
    let third = samples.len() / 3;
    if third == 0 {
        return 1.0;
    }
    let avg = |s: &[Sample]| s.iter().map(|x| x.rss_kib as f64).sum::<f64>() / s.len() as f64;
    let middle = avg(&samples[third..2 * third]);
    let last = avg(&samples[2 * third..]);
    if middle > 0.0 { last / middle } else { 1.0 }
}
