//! Live queries as execution sees them: the registry and connections are `kalamdb-live`'s
//! (below execution), the change feed is the hot store's; [`subscribe`] is what needs the
//! executor: parsing a subscription's SQL, the initial snapshot in pages, and the hand-over
//! from snapshot to live changes with nothing lost and nothing twice.

pub mod subscribe;

pub use feed::{ChangeEvent, ChangeFeed, ChangeKind, ChangeMeta};
pub use kalamdb_live::{LiveConnection, Subscriber, connection, registry, run_dispatcher};
pub use kalamdb_store::feed;

/// The registry of this engine's subscriptions.
pub type LiveManager = kalamdb_live::LiveManager<subscribe::Subscription>;
