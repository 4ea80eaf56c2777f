//! Latency samples to a [`Summary`]: mean, nearest-rank percentiles and throughput.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The figures every measurement reports. Times are microseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Measured operations (warm-up excluded).
    pub iterations: u64,
    /// Operations in flight at once while measuring.
    pub concurrency: usize,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub min_us: f64,
    pub max_us: f64,
    /// Measured operations divided by the wall time of the measured phase.
    pub ops_per_sec: f64,
}

impl Summary {
    /// Summarises `samples` taken by `concurrency` workers over `wall` time. `None` without samples.
    pub fn from_samples(samples: &[Duration], concurrency: usize, wall: Duration) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        us.sort_by(f64::total_cmp);
        let mean = us.iter().sum::<f64>() / us.len() as f64;
        let wall_s = wall.as_secs_f64();
        Some(Self {
            iterations: us.len() as u64,
            concurrency,
            mean_us: round(mean),
            p50_us: round(percentile(&us, 50.0)),
            p95_us: round(percentile(&us, 95.0)),
            p99_us: round(percentile(&us, 99.0)),
            min_us: round(us[0]),
            max_us: round(us[us.len() - 1]),
            ops_per_sec: if wall_s > 0.0 {
                round(us.len() as f64 / wall_s)
            } else {
                0.0
            },
        })
    }
}

/// Nearest-rank percentile of sorted, non-empty values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let s = Summary::from_samples(&samples, 4, Duration::from_secs(2));
        let s = s.as_ref();
        assert_eq!(s.map(|s| s.p50_us), Some(50.0));
        assert_eq!(s.map(|s| s.p95_us), Some(95.0));
        assert_eq!(s.map(|s| s.p99_us), Some(99.0));
        assert_eq!(s.map(|s| s.mean_us), Some(50.5));
        assert_eq!(s.map(|s| s.ops_per_sec), Some(50.0));
        assert_eq!(s.map(|s| s.max_us), Some(100.0));
    }

    #[test]
    fn one_sample_and_none() {
        let s = Summary::from_samples(&[Duration::from_micros(7)], 1, Duration::from_micros(7));
        assert_eq!(s.map(|s| s.p99_us), Some(7.0));
        assert!(Summary::from_samples(&[], 1, Duration::ZERO).is_none());
    }
}
