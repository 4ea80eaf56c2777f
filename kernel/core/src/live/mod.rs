//! Live queries: the change feed, subscriptions and their delivery.
//!
//! - [`feed`]: events published by the shard writers after commit (owned by `kalamdb-store`).
//! - [`manager`]: subscriptions indexed by (table, partition owner), so one event is matched
//!   without scanning every subscription; the dispatcher task.
//! - [`subscribe`]: parsing a subscription's SQL, the initial snapshot in pages, and the
//!   hand-over from snapshot to live changes with nothing lost and nothing twice.
//! - [`eviction`]: background deletion of expired STREAM rows.
//! - [`connection`]: one WebSocket connection's bounded outgoing queue.

pub mod connection;
pub mod eviction;
pub use kalamdb_store::feed;
pub mod manager;
pub mod subscribe;

pub use connection::LiveConnection;
pub use feed::{ChangeEvent, ChangeFeed, ChangeKind, ChangeMeta};
pub use manager::LiveManager;
