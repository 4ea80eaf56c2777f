//! [`KalamClient`]: SQL over `POST /v1/api/sql`, with login and token renewal for basic
//! credentials, prepared statements and live subscriptions. The same code runs on native
//! targets and on `wasm32`; only the transport underneath differs.

use crate::auth::{Auth, TokenPair};
use crate::error::{KalamLinkError, Result};
use crate::health::HealthStatus;
use crate::live::{LiveSubscription, SubscribeOptions};
use crate::prepared::PreparedStatement;
use crate::response::{QueryResponse, parse_auth_reply, parse_health_reply, parse_sql_reply};
use crate::transport::{HttpTransport, TransportOptions};
use chrono::Utc;
use kalamdb_types::wire::{
    LoginRequest, LoginResponse, MeResponse, SetupRequest, SetupStatus, SqlRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Version reported by [`KalamClient::health`] when `/health` answers 403 (remote clients).
const UNKNOWN_VERSION: &str = "unknown";

/// Builds a [`KalamClient`].
#[derive(Debug)]
pub struct KalamClientBuilder {
    url: String,
    auth: Auth,
    timeout: Duration,
    connect_timeout: Duration,
}

impl KalamClientBuilder {
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Limit for a whole request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub fn build(self) -> Result<KalamClient> {
        let base_url = normalize_url(&self.url)?;
        let transport = HttpTransport::new(&TransportOptions {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
        })?;
        Ok(KalamClient {
            inner: Arc::new(Inner {
                base_url,
                auth: self.auth,
                transport,
                tokens: Mutex::new(None),
            }),
        })
    }
}

/// `http://host:port` without a trailing slash; refuses anything that is not http(s).
fn normalize_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_string())
        }
        _ => Err(KalamLinkError::InvalidUrl(url.to_string())),
    }
}

/// A connection to one KalamDB server. Cloning is cheap and clones share the login; requests
/// may run concurrently.
#[derive(Clone)]
pub struct KalamClient {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    auth: Auth,
    transport: HttpTransport,
    /// Tokens of the last login (basic auth only).
    tokens: Mutex<Option<TokenPair>>,
}

impl std::fmt::Debug for KalamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KalamClient")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl KalamClient {
    /// Starts a builder for the server at `url` (e.g. `http://127.0.0.1:8080`).
    pub fn builder(url: impl Into<String>) -> KalamClientBuilder {
        KalamClientBuilder {
            url: url.into(),
            auth: Auth::None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The server URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.inner.base_url, path)
    }

    pub(crate) fn transport(&self) -> &HttpTransport {
        &self.inner.transport
    }

    fn token_slot(&self) -> MutexGuard<'_, Option<TokenPair>> {
        // A panic elsewhere while holding the lock leaves a usable (if stale) value.
        self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A statement to run many times with different parameters. The server caches the plan of
    /// each normalized SQL text, so repeated executions skip parsing and planning.
    pub fn prepare(&self, sql: impl Into<String>) -> PreparedStatement {
        PreparedStatement::new(self.clone(), sql.into())
    }

    /// Subscribes to a live query over `/v1/ws`. Resolves once the server acknowledged the
    /// subscription (or refused it: `INVALID_SQL`, `NOT_FOUND`, `UNAUTHORIZED` ... become
    /// [`KalamLinkError::Subscription`]); after that the subscription reconnects by itself
    /// and resumes after the last `_seq` it delivered. On native targets this must be called
    /// inside a tokio runtime.
    pub async fn subscribe(
        &self,
        sql: impl Into<String>,
        options: SubscribeOptions,
    ) -> Result<LiveSubscription> {
        crate::live::subscribe(self.clone(), sql.into(), options).await
    }

    /// The token for the WebSocket `authenticate` message, logging in first when needed.
    pub(crate) async fn access_token(&self) -> Result<Option<String>> {
        self.bearer().await
    }

    /// Forgets the kept tokens, so the next request logs in again (basic credentials).
    pub(crate) fn forget_tokens(&self) {
        *self.token_slot() = None;
    }

    /// Runs one or more `;`-separated statements.
    pub async fn query(&self, sql: &str) -> Result<QueryResponse> {
        self.send_sql(&SqlRequest {
            sql: sql.to_string(),
            params: None,
            namespace_id: None,
        })
        .await
    }

    /// Runs one statement with `$1, $2, ...` bound to `params`, resolving unqualified table
    /// names in `namespace` when given.
    pub async fn query_with(
        &self,
        sql: &str,
        params: Vec<serde_json::Value>,
        namespace: Option<&str>,
    ) -> Result<QueryResponse> {
        self.send_sql(&SqlRequest {
            sql: sql.to_string(),
            params: (!params.is_empty()).then_some(params),
            namespace_id: namespace.map(str::to_string),
        })
        .await
    }

    /// Runs one statement with `$1, $2, ...` bound to `params`: anything that serializes to a
    /// JSON array, such as a tuple `(42, "hi")`, an array, a `Vec`, or `()` for none.
    pub async fn query_params(&self, sql: &str, params: impl Serialize) -> Result<QueryResponse> {
        self.query_with(sql, params_of(params)?, None).await
    }

    /// Runs one statement and returns its rows as `T`: a `#[derive(Deserialize)]` struct
    /// with fields named like the columns, a tuple of the columns in order, or a map.
    /// `params` as for [`KalamClient::query_params`].
    ///
    /// ```no_run
    /// # async fn demo(client: kalam_link::KalamClient) -> kalam_link::Result<()> {
    /// #[derive(serde::Deserialize)]
    /// struct Message { id: i64, body: Option<String> }
    /// let recent: Vec<Message> = client
    ///     .query_as("SELECT id, body FROM app.messages WHERE id > $1", (100,))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn query_as<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: impl Serialize,
    ) -> Result<Vec<T>> {
        let response = self.query_params(sql, params).await?;
        rows_of(&response)
    }

    async fn send_sql(&self, request: &SqlRequest) -> Result<QueryResponse> {
        let url = self.endpoint("/v1/api/sql");
        let body = serde_json::to_string(request).map_err(|e| KalamLinkError::Transport {
            url: url.clone(),
            reason: e.to_string(),
            source: Box::new(e),
        })?;
        let bearer = self.bearer().await?;
        let reply = self
            .inner
            .transport
            .post_json(&url, body.clone(), bearer.as_deref())
            .await?;
        match parse_sql_reply(&url, &reply) {
            // The token was refused although it looked fresh (server restart with a new
            // secret, clock skew): log in again once and retry.
            Err(err) if err.is_auth_error() && matches!(self.inner.auth, Auth::Basic { .. }) => {
                *self.token_slot() = None;
                let bearer = self.bearer().await?;
                let reply = self
                    .inner
                    .transport
                    .post_json(&url, body, bearer.as_deref())
                    .await?;
                parse_sql_reply(&url, &reply)
            }
            other => other,
        }
    }

    /// The `Authorization: Bearer` token for the next request, logging in or refreshing first
    /// when needed.
    pub(crate) async fn bearer(&self) -> Result<Option<String>> {
        match &self.inner.auth {
            Auth::None => Ok(None),
            Auth::Jwt(token) => Ok(Some(token.clone())),
            Auth::Basic { .. } => {
                let now = Utc::now();
                let current = self.token_slot().clone();
                if let Some(tokens) = current {
                    if tokens.access_usable(now) {
                        return Ok(Some(tokens.access_token));
                    }
                    if tokens.refresh_usable(now)
                        && let Ok(login) = self.refresh(&tokens.refresh_token).await
                    {
                        return Ok(Some(login.access_token));
                    }
                }
                Ok(Some(self.login().await?.access_token))
            }
        }
    }

    /// Logs in with the basic credentials and keeps the tokens for later requests.
    /// With other credentials this is an [`KalamLinkError::Auth`] error.
    pub async fn login(&self) -> Result<LoginResponse> {
        let Auth::Basic { user, password } = &self.inner.auth else {
            return Err(KalamLinkError::Auth {
                kind: "unsupported".into(),
                message: "login needs user and password credentials".into(),
                status: 0,
            });
        };
        let url = self.endpoint("/v1/api/auth/login");
        let body = serde_json::to_string(&LoginRequest {
            user: user.clone(),
            password: password.clone(),
        })
        .map_err(|e| KalamLinkError::Transport {
            url: url.clone(),
            reason: e.to_string(),
            source: Box::new(e),
        })?;
        let reply = self.inner.transport.post_json(&url, body, None).await?;
        let login = parse_auth_reply::<LoginResponse>(&url, &reply)?;
        *self.token_slot() = Some(TokenPair::from_login(&login));
        Ok(login)
    }

    /// Trades a refresh token (e.g. one saved by a CLI) for a new token pair at
    /// `/v1/api/auth/refresh`. Like [`login`](Self::login), the new pair is kept for later
    /// requests of basic credentials; a caller holding JWT credentials uses the returned tokens.
    pub async fn refresh(&self, refresh_token: &str) -> Result<LoginResponse> {
        let url = self.endpoint("/v1/api/auth/refresh");
        let reply = self
            .inner
            .transport
            .post_json(&url, "{}".into(), Some(refresh_token))
            .await?;
        let login = parse_auth_reply::<LoginResponse>(&url, &reply)?;
        *self.token_slot() = Some(TokenPair::from_login(&login));
        Ok(login)
    }

    /// The user behind the credentials (`GET /v1/api/auth/me`).
    pub async fn me(&self) -> Result<MeResponse> {
        let url = self.endpoint("/v1/api/auth/me");
        let bearer = self.bearer().await?;
        let reply = self.inner.transport.get(&url, bearer.as_deref()).await?;
        parse_auth_reply::<MeResponse>(&url, &reply)
    }

    /// Checks that the server answers (`GET /health`) and, when credentials were given, that
    /// it accepts them (basic: a login whose tokens are kept; JWT: `GET /v1/api/auth/me`).
    /// Never fails: every outcome is a [`HealthStatus`].
    pub async fn health(&self) -> HealthStatus {
        let url = self.endpoint("/health");
        let version = match self.inner.transport.get(&url, None).await {
            Err(err) => return self.unreachable(&err),
            Ok(reply) if reply.status == 403 => UNKNOWN_VERSION.to_string(),
            Ok(reply) => match parse_health_reply(&url, &reply) {
                Ok(health) => health.version,
                Err(err) => {
                    return HealthStatus::ServerUnreachable {
                        url: self.inner.base_url.clone(),
                        reason: format!("not a KalamDB server ({err})"),
                    };
                }
            },
        };
        let checked = match self.inner.auth {
            Auth::None => Ok(()),
            Auth::Basic { .. } => self.login().await.map(|_| ()),
            Auth::Jwt(_) => self.me().await.map(|_| ()),
        };
        match checked {
            Ok(()) => HealthStatus::Ok(version),
            Err(err) if err.is_connection_error() => self.unreachable(&err),
            Err(KalamLinkError::Auth { message, .. }) => HealthStatus::AuthFailed(message),
            Err(err) => HealthStatus::AuthFailed(err.to_string()),
        }
    }

    /// Whether the server still needs its first-run setup (`GET /v1/api/auth/status`).
    pub async fn setup_status(&self) -> Result<SetupStatus> {
        let url = self.endpoint("/v1/api/auth/status");
        let reply = self.inner.transport.get(&url, None).await?;
        parse_auth_reply::<SetupStatus>(&url, &reply)
    }

    /// Runs the first-run setup (`POST /v1/api/auth/setup`): sets root's password and creates
    /// the DBA user of `request`. It does not log in. Returns the server's message.
    pub async fn setup(&self, request: &SetupRequest) -> Result<String> {
        let url = self.endpoint("/v1/api/auth/setup");
        let body = serde_json::to_string(request).map_err(|e| KalamLinkError::Transport {
            url: url.clone(),
            reason: e.to_string(),
            source: Box::new(e),
        })?;
        let reply = self.inner.transport.post_json(&url, body, None).await?;
        let answer = parse_auth_reply::<serde_json::Value>(&url, &reply)?;
        Ok(answer
            .get("message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("Setup complete")
            .to_string())
    }

    fn unreachable(&self, err: &KalamLinkError) -> HealthStatus {
        let reason = match err {
            KalamLinkError::Unreachable { reason, .. }
            | KalamLinkError::Transport { reason, .. } => reason.clone(),
            other => other.to_string(),
        };
        HealthStatus::ServerUnreachable {
            url: self.inner.base_url.clone(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url("http://127.0.0.1:8080/").ok().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            normalize_url(" https://db.example.com ").ok().as_deref(),
            Some("https://db.example.com")
        );
        assert!(normalize_url("127.0.0.1:8080").is_err());
        assert!(normalize_url("http://").is_err());
        assert!(normalize_url("ftp://x").is_err());
    }

    #[test]
    fn builder_refuses_bad_urls() {
        let err = KalamClient::builder("localhost:8080").build().err();
        assert!(matches!(err, Some(KalamLinkError::InvalidUrl(u)) if u == "localhost:8080"));
    }
}

/// `params` as the wire's parameter list.
pub(crate) fn params_of(params: impl Serialize) -> Result<Vec<serde_json::Value>> {
    match serde_json::to_value(params) {
        Ok(serde_json::Value::Array(values)) => Ok(values),
        Ok(serde_json::Value::Null) => Ok(Vec::new()),
        Ok(other) => Err(KalamLinkError::Params(format!(
            "expected a tuple, array or Vec of values, got {}",
            match other {
                serde_json::Value::Object(_) => "an object",
                serde_json::Value::String(_) => "a string",
                _ => "a single value",
            }
        ))),
        Err(e) => Err(KalamLinkError::Params(e.to_string())),
    }
}

/// The rows of the response's one result set as `T`.
pub(crate) fn rows_of<T: DeserializeOwned>(response: &QueryResponse) -> Result<Vec<T>> {
    match response.results.first() {
        Some(result) => crate::row::QueryResultExt::rows_as(result),
        None => Ok(Vec::new()),
    }
}
