//! The SQL front end: split a request into statements, parse each once into a typed
//! [`Statement`]. KalamDB's own statements are parsed here with sqlparser's parser primitives;
//! ordinary SQL (SELECT, INSERT, UPDATE, DELETE, EXPLAIN) is parsed by sqlparser and executed
//! on DataFusion.
//!
//! - [`guard`]: limits on a statement's shape, checked before parsing.
//! - [`split`]: splitting on `;` outside quotes and comments.
//! - [`statement`]: the typed statements.
//! - [`parser`]: the KalamDB statement parser.
//! - [`types`]: SQL type names to column types.
//! - [`syntax_error`]: sqlparser errors in PostgreSQL's words.

pub mod guard;
pub mod parser;
pub mod split;
pub mod statement;
pub mod syntax_error;
pub mod types;

pub use parser::parse_statement;
pub use split::split_statements;
pub use statement::Statement;
