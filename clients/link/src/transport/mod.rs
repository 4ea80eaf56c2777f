//! Transports: the only code that differs between native targets and `wasm32`.
//!
//! Each target provides the same four pieces under the same names, so the client and the
//! live-subscription logic above them are written once:
//! - `HttpTransport` with `get`, `post_json` and `request` (any method, bytes in and out)
//!   (native: reqwest, which also streams uploads and downloads; wasm32: the global `fetch`),
//! - `WsConnection` with `connect`, `send`, `recv` and `close` (native: tokio-tungstenite;
//!   wasm32: the global `WebSocket`, i.e. the browser's or, in Node, the `ws` package's),
//! - `spawn` for a background task (native: `tokio::spawn`, so the future must be `Send`;
//!   wasm32: `spawn_local`, where futures are `!Send`),
//! - `sleep` (native: tokio's timer; wasm32: `setTimeout`).

use std::time::Duration;

/// A complete HTTP answer: status and body text.
#[derive(Clone, Debug)]
pub(crate) struct HttpReply {
    pub status: u16,
    pub body: String,
}

impl HttpReply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A complete HTTP answer with a binary body (file and export downloads).
#[derive(Clone, Debug)]
pub(crate) struct BytesReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Settings every transport honours.
#[derive(Clone, Debug)]
pub(crate) struct TransportOptions {
    /// Whole-request limit.
    pub timeout: Duration,
    /// Limit for establishing a connection (native only: `fetch` does not expose the connect).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub connect_timeout: Duration,
}

/// The WebSocket URL (`ws://` or `wss://`) of an `http(s)://` base URL.
pub(crate) fn ws_url(base_url: &str, path: &str) -> String {
    let rest = base_url
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| {
            base_url
                .strip_prefix("http://")
                .map(|r| format!("ws://{r}"))
        })
        .unwrap_or_else(|| base_url.to_string());
    format!("{rest}{path}")
}

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
mod native_ws;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{HttpTransport, now_ms, sleep, spawn};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native_ws::WsConnection;

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
mod wasm_ws;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::{HttpTransport, now_ms, sleep, spawn};
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm_ws::WsConnection;

#[cfg(test)]
mod tests {
    use super::ws_url;

    #[test]
    fn websocket_urls_follow_the_http_scheme() {
        assert_eq!(
            ws_url("http://127.0.0.1:8080", "/v1/ws"),
            "ws://127.0.0.1:8080/v1/ws"
        );
        assert_eq!(
            ws_url("https://db.example.com", "/v1/ws"),
            "wss://db.example.com/v1/ws"
        );
    }
}
