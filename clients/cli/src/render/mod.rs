//! Turning results and errors into text. Pure functions of a [`QueryResponse`], so every
//! format is tested on fixed results without a server.
//!
//! - [`table`]: box tables, row counts, `Query OK` lines and timing (the default).
//! - [`expanded`]: `\x` display, one `-[ RECORD n ]` block per row.
//! - [`csv`]: header and rows.
//! - [`json`]: the server's response, pretty-printed.
//! - [`cell`]: one cell as text (NULL, ISO 8601 timestamps, JSON).
//! - [`position`]: the `LINE n:` caret under an error.

pub mod cell;
pub mod csv;
pub mod expanded;
pub mod json;
pub mod position;
pub mod table;

use crate::args::Format;
use kalam_link::{KalamLinkError, QueryResponse, QueryResult};

/// Expanded display (`\x`): off, on, or only for tables wider than the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expanded {
    Off,
    On,
    Auto,
}

/// How results are shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Display {
    pub format: Format,
    pub expanded: Expanded,
    /// Print `Took: X.XXX ms` (table format).
    pub timing: bool,
    /// Terminal width in columns; wider tables are fitted to it. `None`: no limit.
    pub width: Option<usize>,
    /// What a NULL cell shows in tables and expanded display (`\pset null`; default `NULL`).
    pub null: String,
}

impl Default for Display {
    fn default() -> Self {
        Self {
            format: Format::Table,
            expanded: Expanded::Off,
            timing: true,
            width: None,
            null: "NULL".into(),
        }
    }
}

/// Renders a successful response.
pub fn response(display: &Display, response: &QueryResponse) -> String {
    match display.format {
        Format::Table => table::render_response(display, response),
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

/// The error line, plus psql's `LINE n:` caret when the message points into `sql`.
pub fn error_with_sql(err: &KalamLinkError, sql: &str) -> String {
    let line = error(err);
    match err {
        KalamLinkError::Server { message, .. } => match position::caret(sql, message) {
            Some(caret) => format!("{line}\n{caret}"),
            None => line,
        },
        _ => line,
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
