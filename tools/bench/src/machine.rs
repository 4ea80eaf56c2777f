//! What the benchmark ran on: OS, kernel, CPU model, cores and memory, read from `/proc` and
//! `/etc/os-release` on Linux (fields stay empty elsewhere).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `PRETTY_NAME` of `/etc/os-release`, else the target OS name.
    pub os: String,
    /// Kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// Total memory in bytes (`MemTotal`), 0 when unknown.
    pub memory_bytes: u64,
    pub hostname: String,
}

impl Machine {
    pub fn detect() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let cpu_model = read("/proc/cpuinfo")
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        let memory_bytes = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024);
        Self {
            os,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_bytes,
            hostname: read("/proc/sys/kernel/hostname").trim().to_string(),
        }
    }
}
