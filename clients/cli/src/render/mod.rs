//! Turning results and errors into text. Pure functions of a [`QueryResponse`], so every
//! format is tested on fixed results without a server.
//!
//! - [`table`]: box tables, row counts, `Query OK` lines and timing (the default).
//! - [`csv`]: header and rows.
//! - [`json`]: the server's response, pretty-printed.
//! - [`cell`]: one cell as text (NULL, ISO 8601 timestamps, JSON).

pub mod cell;
pub mod csv;
pub mod json;
pub mod table;

use crate::args::Format;
use kalam_link::{KalamLinkError, QueryResponse, QueryResult};

/// Renders a successful response in `format`.
pub fn response(format: Format, response: &QueryResponse) -> String {
    match format {
        Format::Table => table::render_response(response),
        Format::Json => json::render_response(response),
        Format::Csv => csv::render_response(response),
    }
}

/// True for results that carry rows (SELECT, SHOW ...) rather than a message (DDL/DML).
pub fn has_rows(result: &QueryResult) -> bool {
    result.rows.is_some() || !result.schema.is_empty()
}

/// The line printed for an error, e.g. `ERROR INVALID_SQL: syntax error at or near "SELEKT"`.
pub fn error(err: &KalamLinkError) -> String {
    match err {
        KalamLinkError::Server { code, message, .. } => format!("ERROR {code}: {message}"),
        other => format!("ERROR: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_print_code_and_message() {
        let err = KalamLinkError::Server {
            code: "SQL_EXECUTION_ERROR".into(),
            message: "relation \"app.nope\" does not exist".into(),
            details: None,
            status: 400,
        };
        assert_eq!(
            error(&err),
            "ERROR SQL_EXECUTION_ERROR: relation \"app.nope\" does not exist"
        );
        let err = KalamLinkError::UnexpectedResponse {
            url: "http://x/v1/api/sql".into(),
            status: 502,
            body: "bad gateway".into(),
        };
        assert_eq!(
            error(&err),
            "ERROR: unexpected HTTP 502 from http://x/v1/api/sql: bad gateway"
        );
    }
}
