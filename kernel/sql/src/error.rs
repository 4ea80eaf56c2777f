//! Why a statement could not be parsed. The engine maps each variant onto its own error of the
//! same name (and so onto the same status code); the messages are what a user reads.

use thiserror::Error;

pub type Result<T, E = SqlError> = std::result::Result<T, E>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SqlError {
    #[error("{0}")]
    Syntax(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "statement is too complex: {found} {what} (the limit is {limit}). Split it into smaller statements"
    )]
    TooComplex {
        what: &'static str,
        found: usize,
        limit: usize,
    },
    #[error("{0}")]
    InvalidDefinition(String),
}
