//! The v1 HTTP API (API.md): SQL, auth and health endpoints on axum.
//!
//! - [`sql`]: `POST /v1/api/sql`.
//! - [`auth`]: login, refresh, logout, me, status, setup.
//! - [`health`]: `/health`, `/v1/api/healthcheck`.
//! - [`ws`]: `GET /v1/ws`, live queries.
//! - [`files`]: `/v1/files`, the caller's user files.
//! - [`bearer`]: reading and checking tokens.
//! - [`panic`]: a panicking handler answered as a 500.
//! - [`cors`]: cross-origin requests from browsers (`server.cors_allowed_origins`).

pub mod auth;
pub mod bearer;
pub mod cors;
pub mod files;
pub mod health;
pub mod panic;
pub mod sql;
pub mod ws;

use crate::limits::RateLimiter;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use kalamdb_core::Engine;
use std::sync::Arc;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub config: Arc<crate::config::ServerConfig>,
    /// SQL requests per user.
    pub query_limiter: Arc<RateLimiter>,
    /// Login attempts per client address.
    pub login_limiter: Arc<RateLimiter>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub started: std::time::Instant,
    /// Open WebSocket connections per user.
    pub ws_slots: Arc<crate::limits::ConnectionSlots>,
}

impl AppState {
    pub fn new(engine: Arc<Engine>, config: crate::config::ServerConfig) -> Self {
        let limits = &config.limits;
        Self {
            engine,
            query_limiter: Arc::new(RateLimiter::new(
                limits.queries_per_second,
                limits.query_burst,
            )),
            login_limiter: Arc::new(RateLimiter::new(
                limits.logins_per_minute / 60.0,
                limits.login_burst,
            )),
            ws_slots: Arc::new(crate::limits::ConnectionSlots::new(
                limits.max_ws_connections_per_user,
            )),
            config: Arc::new(config),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            started: std::time::Instant::now(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.server.max_body_bytes;
    Router::new()
        .route("/health", get(health::health))
        .route("/v1/api/healthcheck", get(health::health))
        .route("/v1/api/sql", post(sql::sql))
        .route("/v1/ws", get(ws::ws))
        .route("/v1/api/auth/login", post(auth::login))
        .route("/v1/api/auth/refresh", post(auth::refresh))
        .route("/v1/api/auth/logout", post(auth::logout))
        .route("/v1/api/auth/me", get(auth::me))
        .route("/v1/api/auth/status", get(auth::status))
        .route("/v1/api/auth/setup", post(auth::setup))
        .route(
            "/v1/files",
            // Uploads are bounded by files.max_file_bytes and the quota while they stream.
            post(files::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/files/{id}", get(files::download).delete(files::delete))
        .route("/v1/exports/{user_id}/{export_id}", get(files::export))
        .route("/metrics", get(crate::metrics::metrics))
        .layer(axum::middleware::from_fn(panic::catch_panics))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(cors::Cors::new(&state.config.server)),
            cors::cors,
        ))
        .with_state(state)
}
