//! A request's SQL: split into statements, parse each, run them in order and stop at the
//! first error. Successful INSERT/UPDATE/DELETE results of a multi-statement request are
//! merged into one result per kind, appended at the end (API.md).

use super::result::message_result;
use crate::engine::{Engine, Session};
use crate::error::KalamError;
use crate::sql::{Statement, parse_statement, split_statements};
use crate::value::Value;
use kalamdb_types::ErrorCode;
use kalamdb_types::wire::QueryResult;

/// Why a request failed: a request-level problem or statement `index` (1-based) failing.
#[derive(Debug)]
pub enum BatchError {
    Request { code: ErrorCode, message: String },
    Statement { index: usize, error: KalamError },
}

/// Longest SQL text a request may carry.
pub const MAX_SQL_BYTES: usize = 1024 * 1024;

impl Engine {
    pub async fn execute_sql(
        &self,
        session: &mut Session,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<QueryResult>, BatchError> {
        if sql.len() > MAX_SQL_BYTES {
            return Err(BatchError::Request {
                code: ErrorCode::InvalidSql,
                message: format!(
                    "SQL text is {} bytes; the limit is {MAX_SQL_BYTES} bytes",
                    sql.len()
                ),
            });
        }
        let pieces = split_statements(sql);
        if pieces.is_empty() {
            return Err(BatchError::Request {
                code: ErrorCode::EmptySql,
                message: "SQL query cannot be empty".into(),
            });
        }
        let most = self.config.limits.max_statements_per_request;
        if pieces.len() > most {
            return Err(BatchError::Request {
                code: ErrorCode::InvalidSql,
                message: format!(
                    "the request has {} statements; the limit is {most}: send them in several requests",
                    pieces.len()
                ),
            });
        }
        if pieces.len() > 1 && !params.is_empty() {
            return Err(BatchError::Request {
                code: ErrorCode::ParamsWithBatch,
                message: "Parameters are only allowed with a single statement".into(),
            });
        }
        let multi = pieces.len() > 1;
        let mut results = Vec::new();
        let mut merged: Vec<(&'static str, usize)> = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let statement = parse_statement(piece).map_err(|error| {
                let error = KalamError::from(error);
                if multi {
                    BatchError::Statement {
                        index: i + 1,
                        error,
                    }
                } else {
                    BatchError::Statement { index: 1, error }
                }
            })?;
            let dml_kind = dml_word(&statement);
            let result = self
                .execute(session, statement, &params)
                .await
                .map_err(|error| BatchError::Statement {
                    index: i + 1,
                    error,
                })?;
            match dml_kind {
                Some(word) if multi && result.rows.is_none() => {
                    match merged.iter_mut().find(|(w, _)| *w == word) {
                        Some((_, n)) => *n += result.row_count,
                        None => merged.push((word, result.row_count)),
                    }
                }
                _ => results.push(result),
            }
        }
        for (word, n) in merged {
            results.push(message_result(format!("{word} {n} row(s)"), n));
        }
        Ok(results)
    }
}

fn dml_word(statement: &Statement) -> Option<&'static str> {
    match statement {
        Statement::Insert(_) => Some("Inserted"),
        Statement::Update(_) => Some("Updated"),
        Statement::Delete(_) => Some("Deleted"),
        _ => None,
    }
}
