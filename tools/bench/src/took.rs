//! The server's own time per request (`took` of `/v1/api/sql`), collected beside the client's
//! latency so a report shows how much of a request is server work and how much is transport,
//! HTTP and JSON. Warm-up operations are not counted.

use std::sync::Mutex;

pub struct TookLog {
    warmup: u64,
    millis: Mutex<Vec<f64>>,
}

impl TookLog {
    pub fn new(warmup: u64) -> Self {
        Self {
            warmup,
            millis: Mutex::new(Vec::new()),
        }
    }

    /// Records operation `i`'s `took` (milliseconds).
    pub fn record(&self, i: u64, took_ms: f64) {
        if i >= self.warmup
            && let Ok(mut v) = self.millis.lock()
        {
            v.push(took_ms);
        }
    }

    /// Mean in microseconds, `None` without measured operations.
    pub fn mean_us(&self) -> Option<f64> {
        let v = self.millis.lock().ok()?;
        (!v.is_empty())
            .then(|| (v.iter().sum::<f64>() / v.len() as f64 * 1000.0 * 10.0).round() / 10.0)
    }

    /// Adds `server_took_mean_us` to a report's params.
    pub fn annotate(&self, report: &mut crate::report::ScenarioReport) {
        if let Some(mean) = self.mean_us() {
            report.param("server_took_mean_us", mean);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_is_not_counted() {
        let log = TookLog::new(2);
        log.record(0, 100.0);
        log.record(1, 100.0);
        assert_eq!(log.mean_us(), None);
        log.record(2, 1.0);
        log.record(3, 2.0);
        assert_eq!(log.mean_us(), Some(1500.0));
    }
}
