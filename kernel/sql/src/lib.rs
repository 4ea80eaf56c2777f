//! The SQL front end: split a request into statements, parse each once into a typed
//! [`Statement`]. KalamDB's own statements are parsed here with sqlparser's parser primitives;
//! ordinary SQL (SELECT, INSERT, UPDATE, DELETE, EXPLAIN) is parsed by sqlparser and executed
//! by the engine on DataFusion. Nothing here executes: the engine (`kalamdb-core`) depends on
//! this crate, never the other way.
//!
//! - [`guard`]: limits on a statement's shape, checked before parsing.
//! - [`statement`]: the typed statements.
//! - [`parser`]: the KalamDB statement parser.
//! - [`model`]: the catalog values statements carry (defaults, access levels, storage modes).
//! - [`types`]: SQL type names to column types.
//! - [`syntax_error`]: sqlparser errors in PostgreSQL's words.
//! - [`redact`]: SQL text with passwords and credentials masked, for logs.
//! - [`bind`]: `NEW.col` / `OLD.col` of a flow bound as parameters.
//! - [`error`]: `SqlError`.

pub mod bind;
pub mod error;
pub mod guard;
pub mod model;
pub mod parser;
pub mod redact;
pub mod statement;
pub mod syntax_error;
pub mod types;

pub use error::{Result, SqlError};
pub use kalamdb_split::split_with_lines;
pub use parser::parse_statement;
pub use redact::redact_secrets;
pub use statement::Statement;

/// The statements of `sql`, trimmed, without empty ones and without the trailing `;`
/// (`kalamdb-split`, the splitter the `kalam` shell uses too).
pub fn split_statements(sql: &str) -> Vec<String> {
    kalamdb_split::split(sql)
        .into_iter()
        .map(str::to_string)
        .collect()
}
