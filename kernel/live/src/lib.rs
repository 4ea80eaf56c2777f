//! Live queries' registry (`kalamdb-live`), below execution: who listens to what, and the
//! delivery of committed changes to them. Parsing a subscription's SQL, its initial snapshot
//! and its filter are execution's (`kalamdb-core`'s `live::subscribe`), above this crate.
//!
//! - [`registry`]: subscriptions indexed by (table, partition owner); the dispatcher task.
//! - [`connection`]: one WebSocket connection's bounded outgoing queue.
//! - the change feed itself is the hot store's (`kalamdb_store::feed`).

pub mod connection;
pub mod registry;

pub use connection::LiveConnection;
pub use registry::{LiveManager, Subscriber, run_dispatcher};
