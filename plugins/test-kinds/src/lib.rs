//! A plugin of every kind, written only against `kalamdb-plugin-api`, as a worked example and
//! as the proof that each kind plugs into the engine without a kernel change (see
//! `tests/in_engine.rs`). Not bundled into the server.
//!
//! | kind | name | what it does |
//! |---|---|---|
//! | storage | `memory` | cold files in process memory (object_store's `InMemory`), one store per `PATH` |
//! | codec | `tagged-json` | JSON behind a one-byte format tag |
//! | cache | `test-memo` | a bounded map of strings |
//! | advisor rule | `test_table_rows` | a table with more rows than `max_rows` (default 1000) |
//! | flow action | `test_sql` | runs the SQL in its `sql` argument as the flow's owner |

mod advisor;
mod cache;
mod codec;
mod flow;
mod storage;

pub use advisor::TableRowsRule;
pub use cache::MemoCache;
pub use codec::TaggedJson;
pub use flow::SqlAction;
pub use storage::MemoryFactory;

use kalamdb_plugin_api::{Registry, Result};
use std::sync::Arc;

/// Registers one plugin of every kind; `cache` is the memo cache to register (the caller keeps
/// a handle to fill it).
pub fn register_with(registry: &mut Registry, cache: Arc<MemoCache>) -> Result<()> {
    registry.register_storage(Arc::new(MemoryFactory::default()))?;
    registry.register_codec(Arc::new(TaggedJson))?;
    registry.register_cache(cache)?;
    registry.register_advisor_rule(Arc::new(TableRowsRule))?;
    registry.register_flow_action(Arc::new(SqlAction))
}

/// Registers one plugin of every kind with a fresh memo cache.
pub fn register(registry: &mut Registry) -> Result<()> {
    register_with(registry, Arc::new(MemoCache::new(64)))
}

kalamdb_plugin_api::submit_plugin!("test-kinds", register);
