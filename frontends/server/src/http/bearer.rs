//! Tokens from the `Authorization` header or the auth cookies.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};

/// What the request carried.
pub enum Credential {
    Bearer(String),
    Basic,
    None,
}

pub fn credential(headers: &HeaderMap) -> Credential {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Credential::None;
    };
    let value = value.trim();
    if let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        return Credential::Bearer(token.trim().to_string());
    }
    if value.len() >= 6 && value[..6].eq_ignore_ascii_case("basic ") {
        return Credential::Basic;
    }
    Credential::None
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    for header in headers.get_all(COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == name
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// True for loopback peers.
pub fn is_local(addr: &std::net::SocketAddr) -> bool {
    addr.ip().is_loopback()
}
