//! The one catalogue of status codes. Every error in every crate maps to one of these; front
//! ends map a code to an HTTP status (here), a WebSocket error code and CLI output.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidInput,
    EmptySql,
    ParamsWithBatch,
    BatchParseError,
    InvalidParameter,
    InvalidSql,
    SqlExecutionError,
    PermissionDenied,
    MissingAuthorization,
    InvalidCredentials,
    TokenExpired,
    RateLimitExceeded,
    NotLeader,
    InternalError,
}

impl ErrorCode {
    /// The wire spelling, e.g. `SQL_EXECUTION_ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::EmptySql => "EMPTY_SQL",
            ErrorCode::ParamsWithBatch => "PARAMS_WITH_BATCH",
            ErrorCode::BatchParseError => "BATCH_PARSE_ERROR",
            ErrorCode::InvalidParameter => "INVALID_PARAMETER",
            ErrorCode::InvalidSql => "INVALID_SQL",
            ErrorCode::SqlExecutionError => "SQL_EXECUTION_ERROR",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::MissingAuthorization => "MISSING_AUTHORIZATION",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            ErrorCode::NotLeader => "NOT_LEADER",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }

    /// The HTTP status a front end answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput
            | ErrorCode::EmptySql
            | ErrorCode::ParamsWithBatch
            | ErrorCode::BatchParseError
            | ErrorCode::InvalidParameter
            | ErrorCode::InvalidSql
            | ErrorCode::SqlExecutionError => 400,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::MissingAuthorization
            | ErrorCode::InvalidCredentials
            | ErrorCode::TokenExpired => 401,
            ErrorCode::RateLimitExceeded => 429,
            ErrorCode::NotLeader => 503,
            ErrorCode::InternalError => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
