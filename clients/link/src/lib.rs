//! `kalam-link`: the Rust client SDK of KalamDB, for native targets and `wasm32`. It speaks
//! the v1 protocol of API.md: SQL over HTTP, live subscriptions over `/v1/ws` that reconnect
//! and resume after the last `_seq`, login with user and password (renewing tokens before
//! they expire) or a given JWT. Results are the wire's typed [`QueryResult`]s with helpers to
//! read cells as Rust values. It depends on `kalamdb-types` only, never on the server's engine.
//!
//! ```no_run
//! # async fn demo() -> kalam_link::Result<()> {
//! use kalam_link::{Auth, KalamClient, QueryResultExt};
//! let client = KalamClient::builder("http://127.0.0.1:8080")
//!     .auth(Auth::basic("root", "secret"))
//!     .build()?;
//! let response = client.query("SELECT id, body FROM app.messages").await?;
//! for row in response.results[0].row_views() {
//!     println!("{:?} {:?}", row.get_i64("id")?, row.get_str("body")?);
//! }
//! # Ok(()) }
//! ```
//!
//! Modules:
//! - [`client`]: [`KalamClient`] and its builder: `query`, `query_with`, `prepare`,
//!   `subscribe`, `health`, `login`, `refresh`, `setup_status`, `setup`.
//! - [`prepared`]: [`PreparedStatement`], one SQL text executed with many parameter sets.
//! - [`live`]: [`LiveSubscription`], [`LiveEvent`], [`LiveRows`], [`LiveRowExt`]:
//!   subscriptions with resume, and typed reads of their rows.
//! - [`files`]: [`FileInfo`] and [`ExportInfo`]: upload, list, download and delete the
//!   caller's files; start, poll and download an export of everything they own.
//! - [`auth`]: [`Auth`] credentials and the kept token pair.
//! - [`health`]: [`HealthStatus`], the three outcomes a CLI reports.
//! - [`response`]: [`QueryResponse`] and the mapping of HTTP answers to results or errors.
//! - [`row`]: [`Row`] and [`QueryResultExt`], cells by column name.
//! - [`de`]: rows into user types with serde (`query_as::<T>()`, [`Row::decode`]).
//! - [`cell`]: decoders for the wire's cell encoding (BIGINT as text, TIMESTAMP as microseconds).
//! - [`error`]: the [`KalamLinkError`] enum and its classes (connection, auth).
//! - `transport`: HTTP, WebSocket, spawn and timers per target (reqwest and tokio-tungstenite
//!   natively; `fetch` and `WebSocket` on wasm32, where futures are `!Send`).

pub mod auth;
pub mod cell;
pub mod client;
pub mod de;
pub mod error;
pub mod files;
pub mod health;
pub mod live;
pub mod prepared;
pub mod response;
pub mod row;
mod transport;

pub use auth::Auth;
pub use client::{KalamClient, KalamClientBuilder};
pub use de::DecodeError;
pub use error::{KalamLinkError, Result};
pub use files::{ExportInfo, FileInfo};
pub use health::HealthStatus;
pub use live::{
    LiveEvent, LiveRowExt, LiveRows, LiveSubscription, ReconnectPolicy, StopHandle,
    SubscribeOptions,
};
pub use prepared::PreparedStatement;
pub use response::QueryResponse;
pub use row::{QueryResultExt, Row};

/// The wire models and types this crate's API is made of.
pub use kalamdb_types::wire::{
    LoginResponse, QueryResult, SchemaField, SetupRequest, SetupStatus, SqlResponse,
};
pub use kalamdb_types::ws::RowObject;
pub use kalamdb_types::{ErrorCode, KalamDataType};

/// The `chrono` version timestamps are returned in.
pub use chrono;
