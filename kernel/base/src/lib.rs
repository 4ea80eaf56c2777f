//! The bottom of the engine's components: what every one of them shares and nothing else.
//!
//! - [`error`]: `KalamError`, the one error type components return, with its status code, and
//!   the conversions from the contract's, the parser's and the hot store's errors.
//! - [`codec`]: the codec calls with the kernel's error type.
//! - [`ids`]: snowflake ids, ULIDs, UUIDv7 and the clock in microseconds.
//! - [`session`]: the caller of a statement.
//! - [`failpoint`]: named fault-injection points for crash tests.
//! - `df_error` (feature `datafusion`): DataFusion's errors in PostgreSQL's words.

pub mod codec;
#[cfg(feature = "datafusion")]
pub mod df_error;
pub mod error;
pub mod failpoint;
pub mod ids;
pub mod session;

pub use error::{KalamError, Result};
pub use ids::now_micros;
pub use session::{CommitSlot, Session};
