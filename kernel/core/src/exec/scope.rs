//! Who a query runs for. The engine puts a [`QueryScope`] into each request's DataFusion
//! session config; table providers read it in `scan`, so a USER table is bounded to the
//! caller's partition before anything is read.

use kalamdb_types::{Role, UserId};

#[derive(Clone, Debug)]
pub struct QueryScope {
    pub user: UserId,
    pub role: Role,
}
