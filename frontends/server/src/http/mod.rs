//! The v1 HTTP API (API.md): SQL, auth and health endpoints on axum.
//!
//! - [`sql`]: `POST /v1/api/sql`.
//! - [`auth`]: login, refresh, logout, me, status, setup.
//! - [`health`]: `/health`, `/v1/api/healthcheck`.
//! - [`ws`]: `GET /v1/ws`, live queries.
//! - [`bearer`]: reading and checking tokens.

pub mod auth;
pub mod bearer;
pub mod health;
pub mod sql;
pub mod ws;

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
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
