//! `POST /v1/api/sql`: the success and error envelopes of API.md.

use super::AppState;
use super::bearer::{Credential, credential};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kalamdb_core::auth::{TokenError, TokenKind};
use kalamdb_core::exec::batch::BatchError;
use kalamdb_core::exec::coerce::json_param;
use kalamdb_types::wire::{ErrorDetail, SqlRequest, SqlResponse};
use kalamdb_types::{ErrorCode, NamespaceId};
use std::net::SocketAddr;
use std::time::Instant;

fn took(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
}

pub fn error_response(
    start: Instant,
    code: ErrorCode,
    message: String,
    details: Option<String>,
) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = SqlResponse {
        status: "error".into(),
        results: Vec::new(),
        took: took(start),
        error: Some(ErrorDetail {
            code: code.as_str().into(),
            message,
            details,
        }),
    };
    (status, Json(body)).into_response()
}

pub async fn sql(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let engine = &state.engine;
    let token = match credential(&headers) {
        Credential::Bearer(t) => t,
        Credential::Basic => {
            return error_response(
                start,
                ErrorCode::InvalidCredentials,
                "Basic authentication is not accepted here: log in at /v1/api/auth/login and send the token as 'Authorization: Bearer <token>'".into(),
                None,
            );
        }
        Credential::None => {
            return error_response(
                start,
                ErrorCode::MissingAuthorization,
                "Missing Authorization header: send 'Authorization: Bearer <token>'".into(),
                None,
            );
        }
    };
    let user = match engine.auth.authenticate(&token, TokenKind::Access) {
        Ok(u) => u,
        Err(TokenError::Expired) => {
            return error_response(start, ErrorCode::TokenExpired, "Token expired".into(), None);
        }
        Err(e) => {
            return error_response(
                start,
                ErrorCode::InvalidCredentials,
                e.message().into(),
                None,
            );
        }
    };
    if user.role != kalamdb_types::Role::System && !state.query_limiter.allow(user.user_id.as_str())
    {
        return error_response(
            start,
            ErrorCode::RateLimitExceeded,
            format!(
                "Too many queries from user '{}': the limit is {} per second; slow down and retry",
                user.user_id, state.config.limits.queries_per_second
            ),
            None,
        );
    }
    if kalamdb_core::failpoint::hit("http.sql.panic") {
        panic!("failpoint http.sql.panic");
    }
    let request: SqlRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                start,
                ErrorCode::InvalidInput,
                format!(
                    "Invalid request body: {e}. Expected {{\"sql\": \"...\", \"params\": [...]}}"
                ),
                None,
            );
        }
    };
    let mut session = engine.auth.session_for(&user);
    session.client_ip = Some(addr.ip().to_string());
    if let Some(ns) = request.namespace_id.as_deref().filter(|s| !s.is_empty()) {
        session.namespace = Some(NamespaceId::new(ns.to_ascii_lowercase()));
    }
    let params = request
        .params
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(json_param)
        .collect();
    let admin = user.role.is_admin();
    let outcome = engine.execute_sql(&mut session, &request.sql, params).await;
    let elapsed_ms = start.elapsed().as_millis() as u64;
    if elapsed_ms >= state.config.logging.slow_query_ms {
        // Passwords and storage credentials never reach the log.
        let redacted = kalamdb_core::sql::redact_secrets(&request.sql);
        let sql: String = redacted.chars().take(2000).collect();
        tracing::warn!(
            target: "kalamdb::slow_query",
            user = %user.user_id,
            took_ms = elapsed_ms,
            ok = outcome.is_ok(),
            "slow query: {sql}"
        );
    }
    match outcome {
        Ok(mut results) => {
            let as_user = session.user.to_string();
            for r in results.iter_mut().filter(|r| r.as_user.is_none()) {
                r.as_user = Some(as_user.clone());
            }
            Json(SqlResponse {
                status: "success".into(),
                results,
                took: took(start),
                error: None,
            })
            .into_response()
        }
        Err(BatchError::Request { code, message }) => error_response(start, code, message, None),
        Err(BatchError::Statement { index, error }) => {
            let code = error.code();
            let message = if code == ErrorCode::InternalError {
                tracing::error!(user = %user.user_id, "statement {index} failed: {error}");
                format!("Statement {index} failed: internal error; see the server log")
            } else {
                format!("Statement {index} failed: {error}")
            };
            let details = admin.then(|| request.sql.clone());
            error_response(start, code, message, details)
        }
    }
}
