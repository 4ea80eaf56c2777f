//! Limits one statement or request may use, so no single user can stall the server: how long a
//! read runs (per role), how large a result may grow, how many statements one request holds,
//! and how much memory DataFusion's operators may take together (sorts, joins and aggregates
//! past it fail with a clear error instead of exhausting the machine).

use std::time::Duration;

/// Defaults are what a small server can afford for every user at once.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryLimits {
    /// Longest a read may run for the `user` and `service` roles (`None`: no limit).
    pub statement_timeout: Option<Duration>,
    /// Longest a read may run for `dba` and `system` (`None`: no limit).
    pub admin_statement_timeout: Option<Duration>,
    /// Rows one statement may return or read into an INSERT ... SELECT / UPDATE.
    pub max_result_rows: usize,
    /// Bytes (in Arrow memory) one statement's result may take.
    pub max_result_bytes: usize,
    /// Statements one request may carry.
    pub max_statements_per_request: usize,
    /// Memory DataFusion's operators may use, all queries together, in bytes (0: unbounded).
    pub query_memory_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            statement_timeout: Some(Duration::from_secs(60)),
            admin_statement_timeout: None,
            max_result_rows: 1_000_000,
            max_result_bytes: 256 * 1024 * 1024,
            max_statements_per_request: 1000,
            query_memory_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

impl QueryLimits {
    /// The statement timeout for a role.
    pub fn timeout_for(&self, role: kalamdb_types::Role) -> Option<Duration> {
        if role.is_admin() {
            self.admin_statement_timeout
        } else {
            self.statement_timeout
        }
    }
}
