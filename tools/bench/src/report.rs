//! The JSON report (schema version 1, documented in `docs/benchmarks.md`) and the table printed
//! on stdout. Field names are a contract: add fields, never rename or remove them.

use crate::machine::Machine;
use crate::stats::Summary;
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// The whole run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub tool_version: String,
    /// RFC 3339 start time of the run.
    pub started_at: String,
    pub machine: Machine,
    pub target: Target,
    pub settings: Settings,
    /// The raw limits of this machine (`empty_http`, `rocksdb_put`) and the kernel-level
    /// measurements of `kalamdb-store-bench` (`insert_statistics`, `advisor_pass`).
    pub limits: Vec<ScenarioReport>,
    pub scenarios: Vec<ScenarioReport>,
}

/// The server measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Target {
    pub url: String,
    /// `version` of `/health`, `unknown` when not readable.
    pub server_version: String,
    /// The PostgreSQL baseline's `SHOW server_version`, when one was given.
    pub postgresql_version: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub scale: String,
    pub concurrency: usize,
    pub iterations: u64,
    pub warmup: u64,
    pub filter: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

/// One scenario: our figure, the PostgreSQL baseline, and their ratio.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    pub description: String,
    pub status: Status,
    /// Why the scenario failed or was skipped.
    pub error: Option<String>,
    /// Sizes the scenario ran with (rows, files, users, subscribers ...).
    pub params: serde_json::Value,
    /// The KalamDB figure (or the limit's figure for `limits`).
    pub result: Option<Summary>,
    pub baseline: Option<Baseline>,
    /// `result.mean_us / baseline.result.mean_us`; below 1 means KalamDB is faster.
    pub ratio: Option<f64>,
    /// `result.mean_us` divided by the empty HTTP handler's mean (HTTP scenarios only).
    pub ratio_to_empty_http: Option<f64>,
    pub notes: Vec<String>,
}

/// The equivalent statements against another system in the same run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Baseline {
    /// `postgresql`.
    pub system: String,
    /// What ran, e.g. the SQL.
    pub statement: String,
    pub status: Status,
    pub error: Option<String>,
    pub result: Option<Summary>,
}

impl ScenarioReport {
    pub fn new(name: &str, description: &str) -> Self {
        Self {
            name: name.to_string(),
            description: description.to_string(),
            status: Status::Skipped,
            error: None,
            params: serde_json::Value::Object(Default::default()),
            result: None,
            baseline: None,
            ratio: None,
            ratio_to_empty_http: None,
            notes: Vec::new(),
        }
    }

    /// Records the outcome of the KalamDB measurement.
    pub fn set_result(&mut self, outcome: Result<Summary, String>) {
        match outcome {
            Ok(summary) => {
                self.status = Status::Ok;
                self.result = Some(summary);
            }
            Err(error) => {
                self.status = Status::Failed;
                self.error = Some(error);
                self.result = None;
            }
        }
        self.update_ratio();
    }

    pub fn set_baseline(&mut self, statement: &str, outcome: Result<Summary, String>) {
        let (status, error, result) = match outcome {
            Ok(s) => (Status::Ok, None, Some(s)),
            Err(e) => (Status::Failed, Some(e), None),
        };
        self.baseline = Some(Baseline {
            system: "postgresql".into(),
            statement: statement.to_string(),
            status,
            error,
            result,
        });
        self.update_ratio();
    }

    pub fn skip(&mut self, why: impl Into<String>) {
        self.status = Status::Skipped;
        self.error = Some(why.into());
    }

    pub fn param(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        if let serde_json::Value::Object(map) = &mut self.params {
            map.insert(key.to_string(), value.into());
        }
    }

    fn update_ratio(&mut self) {
        let base = self.baseline.as_ref().and_then(|b| b.result.as_ref());
        self.ratio = match (&self.result, base) {
            (Some(ours), Some(theirs)) if theirs.mean_us > 0.0 => {
                Some(round2(ours.mean_us / theirs.mean_us))
            }
            _ => None,
        };
    }

    /// Sets [`Self::ratio_to_empty_http`] from the empty handler's mean.
    pub fn relate_to_empty_http(&mut self, empty_http_mean_us: Option<f64>) {
        self.ratio_to_empty_http = match (&self.result, empty_http_mean_us) {
            (Some(ours), Some(base)) if base > 0.0 => Some(round2(ours.mean_us / base)),
            _ => None,
        };
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn ms(us: f64) -> String {
    if us >= 100_000.0 {
        format!("{:.0}", us / 1000.0)
    } else {
        format!("{:.3}", us / 1000.0)
    }
}

/// The human-readable table: one line per scenario, times in milliseconds.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    out.push_str(&format!(
        "kalam-bench {} | {} | {} cores, {:.1} GiB | {} | server {} at {}\n",
        report.tool_version,
        m.os,
        m.cores,
        m.memory_bytes as f64 / (1u64 << 30) as f64,
        m.cpu_model,
        report.target.server_version,
        report.target.url,
    ));
    out.push_str(&format!(
        "scale {} | concurrency {} | iterations {} | warmup {}\n\n",
        report.settings.scale,
        report.settings.concurrency,
        report.settings.iterations,
        report.settings.warmup
    ));
    out.push_str(&format!(
        "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11} {:>7}  {}\n",
        "scenario",
        "n",
        "mean ms",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "ops/s",
        "server ms",
        "pg mean ms",
        "ratio",
        "note"
    ));
    for s in report.limits.iter().chain(&report.scenarios) {
        let base = s
            .baseline
            .as_ref()
            .and_then(|b| b.result.as_ref())
            .map_or("-".to_string(), |b| ms(b.mean_us));
        let ratio = s.ratio.map_or("-".to_string(), |r| format!("{r:.2}"));
        let note = match (s.status, &s.error) {
            (Status::Ok, _) => s
                .baseline
                .as_ref()
                .and_then(|b| b.error.clone())
                .map(|e| format!("baseline failed: {e}"))
                .unwrap_or_default(),
            (status, Some(e)) => format!("{}: {e}", format!("{status:?}").to_lowercase()),
            (status, None) => format!("{status:?}").to_lowercase(),
        };
        let note: String = note.chars().take(100).collect();
        let server = s
            .params
            .get("server_took_mean_us")
            .and_then(serde_json::Value::as_f64)
            .map_or("-".to_string(), ms);
        match &s.result {
            Some(r) => out.push_str(&format!(
                "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10.0} {:>10} {:>11} {:>7}  {}\n",
                s.name,
                r.iterations,
                ms(r.mean_us),
                ms(r.p50_us),
                ms(r.p95_us),
                ms(r.p99_us),
                r.ops_per_sec,
                server,
                base,
                ratio,
                note
            )),
            None => out.push_str(&format!("{:<34} {:>6} {:>87}  {}\n", s.name, "-", "", note)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(mean: f64) -> Summary {
        Summary {
            iterations: 1,
            concurrency: 1,
            mean_us: mean,
            p50_us: mean,
            p95_us: mean,
            p99_us: mean,
            min_us: mean,
            max_us: mean,
            ops_per_sec: 1.0,
        }
    }

    #[test]
    fn ratio_is_ours_over_baseline() {
        let mut s = ScenarioReport::new("x", "y");
        s.set_result(Ok(summary(300.0)));
        assert_eq!(s.ratio, None);
        s.set_baseline("SELECT 1", Ok(summary(200.0)));
        assert_eq!(s.ratio, Some(1.5));
        s.relate_to_empty_http(Some(100.0));
        assert_eq!(s.ratio_to_empty_http, Some(3.0));
        s.set_result(Err("down".into()));
        assert_eq!((s.status, s.ratio), (Status::Failed, None));
    }
}
