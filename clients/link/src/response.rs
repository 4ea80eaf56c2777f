//! Turning HTTP answers into results or errors. Pure functions over status and body text, so
//! the error mapping is tested without a server.

use crate::error::{KalamLinkError, Result};
use crate::transport::HttpReply;
use kalamdb_types::wire::{AuthErrorBody, HealthResponse, QueryResult, SqlResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The successful answer to one `/v1/api/sql` request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// One entry per statement, in order (merged DML results come last, as the server sends them).
    pub results: Vec<QueryResult>,
    /// Server time in milliseconds.
    pub took: f64,
}

impl QueryResponse {
    /// The first statement's result.
    pub fn first(&self) -> Option<&QueryResult> {
        self.results.first()
    }

    /// The wire form, as the server sent it (`{"status":"success",...}`).
    pub fn to_wire(&self) -> SqlResponse {
        SqlResponse {
            status: "success".into(),
            results: self.results.clone(),
            took: self.took,
            error: None,
        }
    }
}

const BODY_SNIPPET: usize = 200;

fn snippet(body: &str) -> String {
    let body = body.trim();
    if body.len() <= BODY_SNIPPET {
        return body.to_string();
    }
    let cut = (0..=BODY_SNIPPET)
        .rev()
        .find(|i| body.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}...", &body[..cut])
}

fn unexpected(url: &str, reply: &HttpReply) -> KalamLinkError {
    KalamLinkError::UnexpectedResponse {
        url: url.into(),
        status: reply.status,
        body: snippet(&reply.body),
    }
}

/// The answer of `POST /v1/api/sql`.
pub(crate) fn parse_sql_reply(url: &str, reply: &HttpReply) -> Result<QueryResponse> {
    if let Ok(body) = serde_json::from_str::<SqlResponse>(&reply.body) {
        if let Some(error) = body.error {
            return Err(KalamLinkError::Server {
                code: error.code,
                message: error.message,
                details: error.details,
                status: reply.status,
            });
        }
        if reply.is_success() && body.status == "success" {
            return Ok(QueryResponse {
                results: body.results,
                took: body.took,
            });
        }
    }
    // A 401 from an auth layer may use the auth endpoints' body shape.
    if let Ok(body) = serde_json::from_str::<AuthErrorBody>(&reply.body) {
        return Err(KalamLinkError::Auth {
            kind: body.error,
            message: body.message,
            status: reply.status,
        });
    }
    Err(unexpected(url, reply))
}

/// The answer of an auth endpoint: `POST /v1/api/auth/login` and `/refresh` ([`LoginResponse`]),
/// `GET /v1/api/auth/me` ([`MeResponse`](kalamdb_types::wire::MeResponse)).
pub(crate) fn parse_auth_reply<T: DeserializeOwned>(url: &str, reply: &HttpReply) -> Result<T> {
    if reply.is_success() {
        return serde_json::from_str::<T>(&reply.body).map_err(|_| unexpected(url, reply));
    }
    if let Ok(body) = serde_json::from_str::<AuthErrorBody>(&reply.body) {
        return Err(KalamLinkError::Auth {
            kind: body.error,
            message: body.message,
            status: reply.status,
        });
    }
    // Some front ends answer auth failures in the SQL error shape.
    if let Ok(SqlResponse {
        error: Some(error), ..
    }) = serde_json::from_str::<SqlResponse>(&reply.body)
    {
        return Err(KalamLinkError::Auth {
            kind: error.code.to_lowercase(),
            message: error.message,
            status: reply.status,
        });
    }
    Err(unexpected(url, reply))
}

/// The answer of `GET /health`.
pub(crate) fn parse_health_reply(url: &str, reply: &HttpReply) -> Result<HealthResponse> {
    if reply.is_success() {
        return serde_json::from_str::<HealthResponse>(&reply.body)
            .map_err(|_| unexpected(url, reply));
    }
    Err(unexpected(url, reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalamdb_types::wire::LoginResponse;

    fn reply(status: u16, body: &str) -> HttpReply {
        HttpReply {
            status,
            body: body.into(),
        }
    }

    const URL: &str = "http://127.0.0.1:8080/v1/api/sql";

    #[test]
    fn success_bodies_become_results() {
        let body = r#"{"status":"success","results":[{"schema":[{"name":"id","data_type":"BigInt","index":0,"flags":["pk","nn"]}],"rows":[["42"]],"row_count":1,"as_user":"alice"}],"took":3.217}"#;
        let parsed = parse_sql_reply(URL, &reply(200, body));
        let response = parsed.ok();
        assert_eq!(response.as_ref().map(|r| r.took), Some(3.217));
        let first = response.as_ref().and_then(|r| r.first());
        assert_eq!(first.map(|r| r.row_count), Some(1));
        assert_eq!(first.and_then(|r| r.as_user.as_deref()), Some("alice"));
    }

    #[test]
    fn error_bodies_keep_code_message_and_status() {
        let body = r#"{"status":"error","results":[],"took":0.412,"error":{"code":"SQL_EXECUTION_ERROR","message":"relation \"app.x\" does not exist"}}"#;
        match parse_sql_reply(URL, &reply(400, body)) {
            Err(KalamLinkError::Server {
                code,
                message,
                status,
                details,
            }) => {
                assert_eq!(code, "SQL_EXECUTION_ERROR");
                assert_eq!(message, "relation \"app.x\" does not exist");
                assert_eq!(status, 400);
                assert_eq!(details, None);
            }
            other => panic!("unexpected {other:?}"),
        }
        let body = r#"{"status":"error","results":[],"took":0.0,"error":{"code":"TOKEN_EXPIRED","message":"Token expired"}}"#;
        let err = parse_sql_reply(URL, &reply(401, body)).err();
        assert!(err.as_ref().is_some_and(KalamLinkError::is_auth_error));
    }

    #[test]
    fn non_protocol_bodies_are_unexpected() {
        let err = parse_sql_reply(URL, &reply(502, "<html>Bad gateway</html>")).err();
        assert!(matches!(
            err,
            Some(KalamLinkError::UnexpectedResponse { status: 502, ref body, .. }) if body == "<html>Bad gateway</html>"
        ));
        let long = "x".repeat(1000);
        let err = parse_sql_reply(URL, &reply(500, &long)).err();
        assert!(matches!(
            err,
            Some(KalamLinkError::UnexpectedResponse { ref body, .. }) if body.len() == 203
        ));
    }

    #[test]
    fn login_errors_are_auth_errors() {
        let body = r#"{"error":"unauthorized","message":"Invalid credentials"}"#;
        let err = parse_auth_reply::<LoginResponse>(URL, &reply(401, body)).err();
        assert!(matches!(
            err,
            Some(KalamLinkError::Auth { ref kind, ref message, status: 401 })
                if kind == "unauthorized" && message == "Invalid credentials"
        ));
        let body = r#"{"error":"setup_required","message":"Server needs setup"}"#;
        let err = parse_auth_reply::<LoginResponse>(URL, &reply(428, body)).err();
        assert!(matches!(
            err,
            Some(KalamLinkError::Auth { status: 428, .. })
        ));
    }

    #[test]
    fn login_success_parses_the_token_pair() {
        let body = r#"{"user":{"id":"root","role":"system","email":null,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"},"admin_ui_access":true,"expires_at":"2030-01-01T00:00:00Z","access_token":"a.b.c","refresh_token":"d.e.f","refresh_expires_at":"2030-01-07T00:00:00Z"}"#;
        let login = parse_auth_reply::<LoginResponse>(URL, &reply(200, body)).ok();
        assert_eq!(login.map(|l| l.access_token), Some("a.b.c".to_string()));
    }

    #[test]
    fn health_bodies() {
        let body =
            r#"{"status":"healthy","version":"0.1.0","api_version":"v1","build_date":"unknown"}"#;
        let health = parse_health_reply(URL, &reply(200, body)).ok();
        assert_eq!(health.map(|h| h.version), Some("0.1.0".to_string()));
        assert!(parse_health_reply(URL, &reply(200, "ok")).is_err());
        assert!(parse_health_reply(URL, &reply(404, "")).is_err());
    }
}
