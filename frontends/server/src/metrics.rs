//! `/metrics`: Prometheus text format. HTTP requests and latencies are counted by a middleware
//! per known route (unknown paths count as `other`, so labels stay bounded); rows, jobs, live
//! subscriptions, caches and RocksDB figures are read from the engine at scrape time.

use crate::http::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Routes with their own labels.
const ROUTES: &[&str] = &[
    "/v1/api/sql",
    "/v1/ws",
    "/v1/api/auth/login",
    "/v1/api/auth/refresh",
    "/v1/api/auth/logout",
    "/v1/api/auth/me",
    "/v1/api/auth/status",
    "/v1/api/auth/setup",
    "/v1/api/healthcheck",
    "/health",
    "/metrics",
];

/// Latency histogram bounds, in seconds.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

#[derive(Default)]
struct RouteLatency {
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, RouteLatency>>,
}

impl Metrics {
    fn record(&self, route: &'static str, status: u16, seconds: f64) {
        *self.requests.lock().entry((route, status)).or_insert(0) += 1;
        let mut latency = self.latency.lock();
        let entry = latency.entry(route).or_insert_with(|| RouteLatency {
            buckets: vec![0; BUCKETS.len()],
            ..RouteLatency::default()
        });
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                entry.buckets[i] += 1;
            }
        }
        entry.count += 1;
        entry.sum += seconds;
    }
}

/// Middleware: counts every request by route and status, with its latency.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let route = ROUTES
        .iter()
        .copied()
        .find(|r| *r == path)
        .unwrap_or("other");
    let start = Instant::now();
    let response = next.run(request).await;
    state.metrics.record(
        route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn single(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    family(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// Renders every metric.
pub fn render(state: &AppState) -> String {
    let mut out = String::new();
    let m = &state.metrics;
    family(
        &mut out,
        "kalamdb_http_requests_total",
        "counter",
        "HTTP requests by route and status.",
    );
    for ((route, status), n) in m.requests.lock().iter() {
        let _ = writeln!(
            out,
            "kalamdb_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    family(
        &mut out,
        "kalamdb_http_request_duration_seconds",
        "histogram",
        "HTTP request latency by route.",
    );
    for (route, l) in m.latency.lock().iter() {
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "kalamdb_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                l.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "kalamdb_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
            l.count
        );
        let _ = writeln!(
            out,
            "kalamdb_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
            l.sum
        );
        let _ = writeln!(
            out,
            "kalamdb_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            l.count
        );
    }
    let engine = &state.engine;
    single(
        &mut out,
        "kalamdb_rows_written_total",
        "counter",
        "Rows inserted, updated or deleted.",
        engine.stats.rows_written.load(Ordering::Relaxed) as f64,
    );
    single(
        &mut out,
        "kalamdb_rows_read_total",
        "counter",
        "Rows returned by queries.",
        engine.stats.rows_read.load(Ordering::Relaxed) as f64,
    );
    single(
        &mut out,
        "kalamdb_live_subscriptions",
        "gauge",
        "Live query subscriptions open now.",
        engine.live.all().len() as f64,
    );
    single(
        &mut out,
        "kalamdb_uptime_seconds",
        "gauge",
        "Seconds since the server started.",
        state.started.elapsed().as_secs_f64(),
    );
    family(
        &mut out,
        "kalamdb_jobs",
        "gauge",
        "Jobs in system.jobs by type and status.",
    );
    let mut jobs: BTreeMap<(String, String), u64> = BTreeMap::new();
    for job in engine.jobs.records().unwrap_or_default() {
        *jobs
            .entry((job.kind.as_str().into(), job.status.as_str().into()))
            .or_insert(0) += 1;
    }
    for ((kind, status), n) in jobs {
        let _ = writeln!(
            out,
            "kalamdb_jobs{{type=\"{kind}\",status=\"{status}\"}} {n}"
        );
    }
    family(
        &mut out,
        "kalamdb_cache_entries",
        "gauge",
        "Entries held by each registered cache.",
    );
    for cache in engine.registry.caches() {
        let _ = writeln!(
            out,
            "kalamdb_cache_entries{{cache=\"{}\"}} {}",
            cache.name(),
            cache.entries()
        );
    }
    single(
        &mut out,
        "kalamdb_plan_cache_hits_total",
        "counter",
        "Reads that reused a cached plan.",
        kalamdb_core::plugin::Cache::stats(engine.plan_cache.as_ref()).hits as f64,
    );
    single(
        &mut out,
        "kalamdb_plan_cache_misses_total",
        "counter",
        "Reads planned anew.",
        kalamdb_core::plugin::Cache::stats(engine.plan_cache.as_ref()).misses as f64,
    );
    if let Ok(stats) = engine.store.stats() {
        for (name, help, value) in [
            (
                "kalamdb_rocksdb_column_families",
                "Column families.",
                stats.column_families,
            ),
            (
                "kalamdb_rocksdb_estimated_keys",
                "Estimated keys over all column families.",
                stats.estimated_keys,
            ),
            (
                "kalamdb_rocksdb_sst_bytes",
                "Bytes in SST files.",
                stats.sst_bytes,
            ),
            (
                "kalamdb_rocksdb_memtable_bytes",
                "Bytes in memtables.",
                stats.memtable_bytes,
            ),
            (
                "kalamdb_rocksdb_background_errors",
                "RocksDB background errors.",
                stats.background_errors,
            ),
        ] {
            single(&mut out, name, "gauge", help, value as f64);
        }
    }
    out
}

/// `GET /metrics`: loopback only unless `server.health_allow_remote`.
pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Response {
    if !state.config.server.health_allow_remote && !addr.ip().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "metrics answer loopback clients only\n",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render(&state),
    )
        .into_response()
}
