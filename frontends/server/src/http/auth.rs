//! `/v1/api/auth/*`: login, refresh, logout, me, status, setup. Errors are
//! `{"error":"<kind>","message":"..."}` as API.md lists them.

use super::AppState;
use super::bearer::{Credential, cookie, credential, is_local};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kalamdb_core::audit::{AuditAction, AuditEvent};
use kalamdb_core::auth::login::TokenPair;
use kalamdb_core::auth::{LoginError, SetupError, TokenKind};
use kalamdb_core::catalog::model::UserRecord;
use kalamdb_types::wire::{
    AuthErrorBody, LoginRequest, LoginResponse, MeResponse, SetupRequest, SetupStatus, UserInfo,
};
use std::net::SocketAddr;

pub const AUTH_COOKIE: &str = "kalamdb_auth";
pub const REFRESH_COOKIE: &str = "kalamdb_refresh";

fn auth_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(AuthErrorBody {
            error: kind.into(),
            message: message.into(),
        }),
    )
        .into_response()
}

fn rfc3339_micros(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn rfc3339_secs(secs: i64) -> String {
    rfc3339_micros(secs * 1_000_000)
}

pub fn user_info(user: &UserRecord) -> UserInfo {
    UserInfo {
        id: user.user_id.to_string(),
        role: user.role.to_string(),
        email: user.email.clone(),
        created_at: rfc3339_micros(user.created_at),
        updated_at: rfc3339_micros(user.updated_at),
    }
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; Path=/; SameSite=Strict; Max-Age={}",
        max_age.max(0)
    ))
    .ok()
}

fn token_response(user: &UserRecord, tokens: TokenPair) -> Response {
    let now = chrono::Utc::now().timestamp();
    let body = LoginResponse {
        user: user_info(user),
        admin_ui_access: user.role.is_admin(),
        expires_at: rfc3339_secs(tokens.expires_at),
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        refresh_expires_at: rfc3339_secs(tokens.refresh_expires_at),
    };
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    if let Some(v) = set_cookie(AUTH_COOKIE, &tokens.access_token, tokens.expires_at - now) {
        headers.append(SET_COOKIE, v);
    }
    if let Some(v) = set_cookie(
        REFRESH_COOKIE,
        &tokens.refresh_token,
        tokens.refresh_expires_at - now,
    ) {
        headers.append(SET_COOKIE, v);
    }
    response
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let ip = addr.ip().to_string();
    if !state.login_limiter.allow(&ip) {
        return auth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many login attempts from this address; wait a minute and try again",
        );
    }
    let request: LoginRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "Expected {\"user\": \"...\", \"password\": \"...\"}",
            );
        }
    };
    let outcome = state
        .engine
        .auth
        .login(&request.user, &request.password)
        .await;
    let (action, details) = match &outcome {
        Ok(_) => (AuditAction::Login, None),
        Err(LoginError::InvalidCredentials) => {
            (AuditAction::LoginFailed, Some("invalid credentials"))
        }
        Err(LoginError::Locked) => (AuditAction::LoginFailed, Some("account locked")),
        Err(LoginError::SetupRequired) => (AuditAction::LoginFailed, Some("setup required")),
        Err(LoginError::Internal(_)) => (AuditAction::LoginFailed, Some("internal error")),
    };
    state
        .engine
        .audit
        .record(AuditEvent {
            actor: request.user.clone(),
            actor_role: outcome.as_ref().ok().map(|(u, _)| u.role.to_string()),
            ip_address: Some(ip),
            action,
            target: Some(request.user.clone()),
            details: details.map(str::to_string),
            success: outcome.is_ok(),
        })
        .await;
    match outcome {
        Ok((user, tokens)) => token_response(&user, tokens),
        Err(LoginError::InvalidCredentials) => auth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Invalid credentials",
        ),
        Err(LoginError::Locked) => auth_error(
            StatusCode::UNAUTHORIZED,
            "account_locked",
            "Account is locked after too many failed login attempts; try again in 15 minutes",
        ),
        Err(LoginError::SetupRequired) => auth_error(
            StatusCode::PRECONDITION_REQUIRED,
            "setup_required",
            "Server setup required: set root's password with POST /v1/api/auth/setup",
        ),
        Err(LoginError::Internal(e)) => {
            tracing::error!("login failed: {e}");
            auth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
            )
        }
    }
}

pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = cookie(&headers, REFRESH_COOKIE).or(match credential(&headers) {
        Credential::Bearer(t) => Some(t),
        _ => None,
    });
    let Some(token) = token else {
        return auth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing refresh token",
        );
    };
    match state.engine.auth.refresh_session(&token).await {
        Ok((user, tokens)) => token_response(&user, tokens),
        Err(e) => auth_error(StatusCode::UNAUTHORIZED, "unauthorized", e.message()),
    }
}

/// Clears the cookies and ends the session of the token sent (Bearer or cookie), if any: its
/// access and refresh tokens stop working.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let sent = [
        match credential(&headers) {
            Credential::Bearer(t) => Some(t),
            _ => None,
        },
        cookie(&headers, REFRESH_COOKIE),
        cookie(&headers, AUTH_COOKIE),
    ];
    for token in sent.into_iter().flatten() {
        state.engine.auth.end_session(&token).await;
    }
    let mut response =
        Json(serde_json::json!({"message": "Logged out successfully"})).into_response();
    let headers = response.headers_mut();
    for name in [AUTH_COOKIE, REFRESH_COOKIE] {
        if let Some(v) = set_cookie(name, "", 0) {
            headers.append(SET_COOKIE, v);
        }
    }
    response
}

pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = match credential(&headers) {
        Credential::Bearer(t) => Some(t),
        _ => cookie(&headers, AUTH_COOKIE),
    };
    let Some(token) = token else {
        return auth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing Authorization header",
        );
    };
    match state.engine.auth.authenticate(&token, TokenKind::Access) {
        Ok(user) => Json(MeResponse {
            user: user_info(&user),
            admin_ui_access: user.role.is_admin(),
        })
        .into_response(),
        Err(e) => auth_error(StatusCode::UNAUTHORIZED, "unauthorized", e.message()),
    }
}

fn setup_allowed(state: &AppState, addr: &SocketAddr) -> bool {
    state.config.server.allow_remote_setup || is_local(addr)
}

pub async fn status(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Response {
    if !setup_allowed(&state, &addr) {
        return auth_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Setup status is only available from the server's own machine",
        );
    }
    let needs_setup = state.engine.auth.needs_setup();
    Json(SetupStatus {
        needs_setup,
        message: if needs_setup {
            "Server needs setup: POST /v1/api/auth/setup with user, password and root_password"
                .into()
        } else {
            "Server is configured".into()
        },
    })
    .into_response()
}

pub async fn setup(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if !setup_allowed(&state, &addr) {
        return auth_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Setup is only available from the server's own machine",
        );
    }
    let request: SetupRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return auth_error(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "Expected {\"user\", \"password\", \"root_password\", \"email\"?}",
            );
        }
    };
    match state
        .engine
        .auth
        .setup(
            &request.user,
            &request.password,
            &request.root_password,
            request.email,
        )
        .await
    {
        Ok(user) => Json(serde_json::json!({
            "message": format!("Server setup complete. Log in as '{}'.", user.user_id),
            "user": user_info(&user),
        }))
        .into_response(),
        Err(SetupError::AlreadyConfigured) => auth_error(
            StatusCode::CONFLICT,
            "already_configured",
            "Server is already configured",
        ),
        Err(SetupError::Invalid(msg)) => auth_error(StatusCode::BAD_REQUEST, "invalid_input", &msg),
        Err(SetupError::Internal(e)) => {
            tracing::error!("setup failed: {e}");
            auth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
            )
        }
    }
}
