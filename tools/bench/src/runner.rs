//! Runs an operation `warmup + iterations` times with a fixed number in flight, timing each one.
//! Operations get a distinct index (warm-up first), so a scenario can derive unique keys from it.
//! The first failed operation ends the measurement with its error: a scenario reports it, it
//! never panics.

use crate::stats::Summary;
use futures::{StreamExt, stream};
use std::future::Future;
use std::time::{Duration, Instant};

/// How much to run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub warmup: u64,
    pub iterations: u64,
    pub concurrency: usize,
}

impl Plan {
    /// The same plan with at most `max` measured iterations (for heavy scenarios).
    pub fn capped(self, max: u64) -> Self {
        Self {
            iterations: self.iterations.min(max).max(1),
            warmup: self.warmup.min(max),
            ..self
        }
    }

    /// The same plan run one operation at a time.
    pub fn serial(self) -> Self {
        Self {
            concurrency: 1,
            ..self
        }
    }

    /// Operation indexes used by warm-up and measurement together.
    pub fn total(&self) -> u64 {
        self.warmup + self.iterations
    }
}

/// Runs `op(i)` for `i` in `0..warmup` (untimed), then `warmup..warmup+iterations` (timed).
pub async fn measure<F, Fut>(plan: Plan, op: F) -> Result<Summary, String>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let concurrency = plan.concurrency.max(1);
    phase(0, plan.warmup, concurrency, &op).await?;
    let started = Instant::now();
    let samples = phase(plan.warmup, plan.iterations, concurrency, &op).await?;
    Summary::from_samples(&samples, concurrency, started.elapsed())
        .ok_or_else(|| "no iterations were measured".to_string())
}

/// Runs operations whose latency is measured by the operation itself (e.g. delivery time of an
/// event), one at a time. `op` returns the latency of one sample.
pub async fn measure_reported<F, Fut>(plan: Plan, op: F) -> Result<Summary, String>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<Duration, String>>,
{
    for i in 0..plan.warmup {
        op(i).await?;
    }
    let started = Instant::now();
    let mut samples = Vec::with_capacity(plan.iterations as usize);
    for i in plan.warmup..plan.total() {
        samples.push(op(i).await?);
    }
    Summary::from_samples(&samples, 1, started.elapsed())
        .ok_or_else(|| "no iterations were measured".to_string())
}

async fn phase<F, Fut>(
    start: u64,
    count: u64,
    concurrency: usize,
    op: &F,
) -> Result<Vec<Duration>, String>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut samples = Vec::with_capacity(count as usize);
    let mut runs = stream::iter(start..start + count)
        .map(|i| async move {
            let t = Instant::now();
            op(i).await.map(|()| t.elapsed())
        })
        .buffer_unordered(concurrency);
    while let Some(sample) = runs.next().await {
        samples.push(sample?);
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn every_index_runs_once_and_errors_stop_the_run() {
        let seen = Mutex::new(Vec::new());
        let plan = Plan {
            warmup: 2,
            iterations: 5,
            concurrency: 3,
        };
        let summary = measure(plan, |i| {
            if let Ok(mut s) = seen.lock() {
                s.push(i);
            }
            async { Ok(()) }
        })
        .await;
        assert_eq!(summary.map(|s| s.iterations), Ok(5));
        let mut seen = seen.into_inner().unwrap_or_default();
        seen.sort();
        assert_eq!(seen, (0..7).collect::<Vec<_>>());

        let failed = measure(plan, |i| async move {
            if i == 4 {
                Err("boom".to_string())
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(failed, Err("boom".to_string()));
    }
}
