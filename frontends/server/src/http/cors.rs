//! Cross-origin requests from browsers, as the Fetch standard defines them.
//!
//! With `server.cors_allowed_origins` empty (the default) no CORS header is ever sent, so a
//! page on another origin cannot read any answer. An allowed origin gets
//! `Access-Control-Allow-Origin` on every answer, and its preflight (`OPTIONS` with
//! `Access-Control-Request-Method`) is answered here with 204 and the methods and headers the
//! API uses, before any route or authentication runs. A preflight from another origin gets 403
//! without CORS headers. `*` allows every origin, only without credentials: browsers refuse
//! `Access-Control-Allow-Origin: *` together with `Access-Control-Allow-Credentials`, and
//! echoing any origin with credentials would hand every site the user's cookies.
//!
//! WebSocket upgrades are not subject to CORS in browsers; `/v1/ws` authenticates with a token
//! (its first message, or a Bearer header outside browsers), never with cookies, so another
//! site's page gains nothing from opening it.

use crate::config::ServerSection;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Methods the API's routes answer.
const METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// Request headers a browser client sends.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Range, If-Range, If-None-Match";
/// Response headers a page may read beyond the CORS-safelisted ones.
const EXPOSED_HEADERS: &str =
    "ETag, Content-Disposition, Content-Length, Content-Range, Accept-Ranges";
/// Seconds a browser may cache a preflight answer.
const MAX_AGE: &str = "600";

/// The allowed origins, checked once at start.
#[derive(Debug, Default)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
    credentials: bool,
}

impl Cors {
    pub fn new(server: &ServerSection) -> Self {
        Self {
            any: server.cors_allowed_origins.iter().any(|o| o == "*"),
            origins: server
                .cors_allowed_origins
                .iter()
                .filter(|o| *o != "*")
                .map(|o| o.to_ascii_lowercase())
                .collect(),
            credentials: server.cors_allow_credentials,
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// The headers every answer to an allowed origin carries.
    fn add_headers(&self, origin: &str, headers: &mut HeaderMap) {
        let value = if self.any && !self.credentials {
            HeaderValue::from_static("*")
        } else {
            match HeaderValue::from_str(origin) {
                Ok(v) => v,
                Err(_) => return,
            }
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Refuses origins a browser would never send and `*` with credentials.
pub fn check_config(server: &ServerSection) -> Result<(), String> {
    for origin in &server.cors_allowed_origins {
        if origin == "*" {
            if server.cors_allow_credentials {
                return Err("server.cors_allowed_origins = \"*\" cannot be combined with server.cors_allow_credentials = true: list the origins that may send credentials".into());
            }
            continue;
        }
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| {
            !host.is_empty()
                && !host.contains('/')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if !valid {
            return Err(format!(
                "server.cors_allowed_origins: '{origin}' is not an origin: write it as a browser sends it, scheme://host[:port] without a path or trailing slash (e.g. https://app.example.com), or \"*\""
            ));
        }
    }
    Ok(())
}

pub async fn cors(State(cors): State<Arc<Cors>>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        return answer_preflight(&cors, &origin, request.headers());
    }
    let mut response = next.run(request).await;
    if cors.allows(&origin) {
        let headers = response.headers_mut();
        cors.add_headers(&origin, headers);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    response
}

fn answer_preflight(cors: &Cors, origin: &str, request: &HeaderMap) -> Response {
    if !cors.allows(origin) {
        return (
            StatusCode::FORBIDDEN,
            format!(
                "origin {origin} may not call this server from a browser: add it to server.cors_allowed_origins"
            ),
        )
            .into_response();
    }
    let method = request
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !METHODS.split(", ").any(|m| m == method) {
        return (
            StatusCode::FORBIDDEN,
            format!("method {method} is not used by this API (it uses {METHODS})"),
        )
            .into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    cors.add_headers(origin, headers);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    headers.append(
        header::VARY,
        HeaderValue::from_static("Access-Control-Request-Method, Access-Control-Request-Headers"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(origins: &[&str], credentials: bool) -> ServerSection {
        ServerSection {
            cors_allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            cors_allow_credentials: credentials,
            ..ServerSection::default()
        }
    }

    #[test]
    fn origins_are_checked_at_start() {
        assert!(
            check_config(&server(
                &["https://app.example.com", "http://localhost:5173"],
                true
            ))
            .is_ok()
        );
        assert!(check_config(&server(&["*"], false)).is_ok());
        let star = check_config(&server(&["*"], true)).unwrap_err();
        assert!(star.contains("cannot be combined"), "{star}");
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "https://a.com/path",
            "ftp://a.com",
        ] {
            let e = check_config(&server(&[bad], false)).unwrap_err();
            assert!(e.contains(bad) && e.contains("scheme://host"), "{e}");
        }
    }

    #[test]
    fn origins_match_exactly_ignoring_case() {
        let cors = Cors::new(&server(&["https://App.example.com"], false));
        assert!(cors.allows("https://app.example.com"));
        assert!(!cors.allows("https://app.example.com.evil.net"));
        assert!(!cors.allows("http://app.example.com"));
        assert!(!Cors::new(&server(&[], false)).allows("https://app.example.com"));
    }
}
