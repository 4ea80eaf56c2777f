//! HTTP transports. The client speaks to the server only through [`HttpTransport`]'s two calls
//! (`get`, `post_json`) and reads back a status and a body, so a `wasm32` transport over
//! `fetch` can be added beside the native one without touching the client logic.

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

/// Settings every transport honours.
#[derive(Clone, Debug)]
pub(crate) struct TransportOptions {
    /// Whole-request limit.
    pub timeout: Duration,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
}

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::HttpTransport;
