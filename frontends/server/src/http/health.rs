//! `/health` and `/v1/api/healthcheck`: loopback only unless `server.health_allow_remote`.

use super::AppState;
use super::bearer::is_local;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kalamdb_types::wire::HealthResponse;
use std::net::SocketAddr;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn health(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Response {
    if !state.config.server.health_allow_remote && !is_local(&addr) {
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({"error":"forbidden","message":"health endpoints answer loopback clients only"})),
        )
            .into_response();
    }
    // Only the error count: `stats()` lists every column family from disk, too much for a
    // probe that runs every few seconds.
    let store = &state.engine.store;
    let (mut status, mut rocksdb) = match store.background_errors() {
        Ok(0) => ("healthy", "ok".to_string()),
        Ok(n) => ("degraded", format!("{n} background error(s)")),
        Err(e) => ("degraded", e.to_string()),
    };
    let stopped = store.stopped_writers();
    if stopped > 0 {
        status = "degraded";
        rocksdb = format!("{rocksdb}; {stopped} shard writer(s) stopped");
    }
    let panics = store.writer_panics();
    if panics > 0 {
        rocksdb = format!("{rocksdb}; shard writers recovered from {panics} panic(s)");
    }
    let code = if status == "healthy" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(HealthResponse {
            status: status.into(),
            version: VERSION.into(),
            api_version: "v1".into(),
            build_date: option_env!("KALAMDB_BUILD_DATE")
                .unwrap_or("unknown")
                .into(),
            uptime_seconds: Some(state.started.elapsed().as_secs()),
            rocksdb: Some(rocksdb),
        }),
    )
        .into_response()
}
