//! `kalam-link`: the Rust client SDK of KalamDB. It speaks the v1 HTTP protocol of API.md,
//! logs in with user and password (renewing tokens before they expire) or uses a given JWT,
//! and returns results as the wire's typed [`QueryResult`]s with helpers to read cells as
//! Rust values. It depends on `kalamdb-types` only, never on the server's engine.
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
//! - [`client`]: [`KalamClient`] and its builder: `query`, `query_with`, `health`, `login`,
//!   `refresh`, `setup_status`, `setup`.
//! - [`auth`]: [`Auth`] credentials and the kept token pair.
//! - [`health`]: [`HealthStatus`], the three outcomes a CLI reports.
//! - [`response`]: [`QueryResponse`] and the mapping of HTTP answers to results or errors.
//! - [`row`]: [`Row`] and [`QueryResultExt`], cells by column name.
//! - [`cell`]: decoders for the wire's cell encoding (BIGINT as text, TIMESTAMP as microseconds).
//! - [`error`]: the [`KalamLinkError`] enum and its classes (connection, auth).
//! - `transport`: the HTTP transport (reqwest on native targets; a `wasm32` one can sit beside it).

pub mod auth;
pub mod cell;
#[cfg(not(target_arch = "wasm32"))]
pub mod client;
pub mod error;
pub mod health;
pub mod response;
pub mod row;
mod transport;

pub use auth::Auth;
#[cfg(not(target_arch = "wasm32"))]
pub use client::{KalamClient, KalamClientBuilder};
pub use error::{KalamLinkError, Result};
pub use health::HealthStatus;
pub use response::QueryResponse;
pub use row::{QueryResultExt, Row};

/// The wire models and types this crate's API is made of.
pub use kalamdb_types::wire::{
    LoginResponse, QueryResult, SchemaField, SetupRequest, SetupStatus, SqlResponse,
};
pub use kalamdb_types::{ErrorCode, KalamDataType};

/// The `chrono` version timestamps are returned in.
pub use chrono;
