//! The one error type of `kalam-link`. Server errors keep the server's wire code, message and
//! HTTP status unchanged, so a caller (or the CLI) can print them exactly as the server meant.

use kalamdb_types::ErrorCode;

/// Boxed cause of a transport failure; the native transport puts a `reqwest::Error` here.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias of this crate.
pub type Result<T, E = KalamLinkError> = std::result::Result<T, E>;

/// New variants may be added: match with a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KalamLinkError {
    /// The server answered with an error body (`{"status":"error","error":{...}}`).
    #[error("{code}: {message}")]
    Server {
        /// Wire code, e.g. `SQL_EXECUTION_ERROR`; see [`KalamLinkError::error_code`].
        code: String,
        message: String,
        /// Extra detail the server shows to admins only.
        details: Option<String>,
        /// HTTP status of the response.
        status: u16,
    },

    /// No connection could be made (refused, DNS, TLS handshake, connect timeout).
    #[error("server unreachable at {url}: {reason}")]
    Unreachable {
        url: String,
        /// Root cause in words, e.g. `Connection refused (os error 111)`.
        reason: String,
        #[source]
        source: BoxError,
    },

    /// The request was sent but no complete answer arrived in time.
    #[error("request to {url} timed out")]
    Timeout { url: String },

    /// The connection broke after it was made.
    #[error("request to {url} failed: {reason}")]
    Transport {
        url: String,
        reason: String,
        #[source]
        source: BoxError,
    },

    /// Login or refresh was refused (`{"error":"unauthorized","message":"Invalid credentials"}`).
    #[error("authentication failed: {message}")]
    Auth {
        /// The server's error kind: `unauthorized`, `account_locked`, `setup_required`, `rate_limited` ...
        kind: String,
        message: String,
        status: u16,
    },

    /// The server refused or ended a live subscription (`{"type":"error",...}` on `/v1/ws`), or
    /// refused the WebSocket login (`auth_error`, reported as `INVALID_CREDENTIALS`).
    #[error("{code}: {message}")]
    Subscription {
        /// WebSocket code: `INVALID_SQL`, `NOT_FOUND`, `UNAUTHORIZED`, `UNSUPPORTED` ...
        code: String,
        message: String,
    },

    /// The server answered with something that is not the v1 protocol.
    #[error("unexpected HTTP {status} from {url}: {body}")]
    UnexpectedResponse {
        url: String,
        status: u16,
        body: String,
    },

    /// The URL given to the builder is not an `http://` or `https://` URL.
    #[error("invalid server URL '{0}': expected http://host:port")]
    InvalidUrl(String),

    /// A result cell does not hold the type asked for.
    #[error("column '{column}': expected {expected}, found {found}")]
    Cell {
        column: String,
        expected: &'static str,
        found: String,
    },

    /// A result has no column of that name.
    #[error("no column named '{0}' in the result")]
    NoSuchColumn(String),

    /// A result row could not become the requested type ([`query_as`](crate::KalamClient::query_as)).
    #[error("row {row}: {message}")]
    Decode {
        /// 0-based row number in the result.
        row: usize,
        /// What did not fit, naming the column.
        message: String,
    },

    /// The parameters given to [`query_params`](crate::KalamClient::query_params) do not
    /// serialize to a JSON array (a tuple, array, `Vec` or `()`).
    #[error("invalid query parameters: {0}")]
    Params(String),
}

impl KalamLinkError {
    /// The typed code of a [`KalamLinkError::Server`] error, if the server sent a known one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            KalamLinkError::Server { code, .. } => {
                serde_json::from_value(serde_json::Value::String(code.clone())).ok()
            }
            _ => None,
        }
    }

    /// The HTTP status the server answered with, when there was an answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            KalamLinkError::Server { status, .. }
            | KalamLinkError::Auth { status, .. }
            | KalamLinkError::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when no answer came back from the server at all.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            KalamLinkError::Unreachable { .. }
                | KalamLinkError::Timeout { .. }
                | KalamLinkError::Transport { .. }
        )
    }

    /// True for refused logins and 401 answers (`MISSING_AUTHORIZATION`, `INVALID_CREDENTIALS`,
    /// `TOKEN_EXPIRED`): the credentials, not the SQL, are at fault.
    pub fn is_auth_error(&self) -> bool {
        match self {
            KalamLinkError::Auth { .. } => true,
            KalamLinkError::Server { status, .. } => *status == 401,
            _ => false,
        }
    }
}

/// The innermost cause of an error chain, e.g. `Connection refused (os error 111)` rather than
/// `error sending request for url (...)`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: &str, status: u16) -> KalamLinkError {
        KalamLinkError::Server {
            code: code.into(),
            message: "m".into(),
            details: None,
            status,
        }
    }

    #[test]
    fn server_codes_map_to_the_shared_catalogue() {
        assert_eq!(
            server("SQL_EXECUTION_ERROR", 400).error_code(),
            Some(ErrorCode::SqlExecutionError)
        );
        assert_eq!(
            server("INVALID_SQL", 400).error_code(),
            Some(ErrorCode::InvalidSql)
        );
        assert_eq!(server("SOMETHING_NEW", 400).error_code(), None);
        assert_eq!(server("INVALID_SQL", 400).http_status(), Some(400));
    }

    #[test]
    fn display_keeps_code_and_message() {
        let err = KalamLinkError::Server {
            code: "INVALID_SQL".into(),
            message: "syntax error at or near \"SELEKT\"".into(),
            details: None,
            status: 400,
        };
        assert_eq!(
            err.to_string(),
            "INVALID_SQL: syntax error at or near \"SELEKT\""
        );
    }

    #[test]
    fn auth_and_connection_classes() {
        assert!(server("TOKEN_EXPIRED", 401).is_auth_error());
        assert!(!server("SQL_EXECUTION_ERROR", 400).is_auth_error());
        let unreachable = KalamLinkError::Unreachable {
            url: "http://127.0.0.1:1".into(),
            reason: "Connection refused".into(),
            source: "Connection refused".into(),
        };
        assert!(unreachable.is_connection_error());
        assert!(!unreachable.is_auth_error());
        assert_eq!(
            unreachable.to_string(),
            "server unreachable at http://127.0.0.1:1: Connection refused"
        );
        let login = KalamLinkError::Auth {
            kind: "unauthorized".into(),
            message: "Invalid credentials".into(),
            status: 401,
        };
        assert!(login.is_auth_error());
        assert_eq!(
            login.to_string(),
            "authentication failed: Invalid credentials"
        );
    }
}
