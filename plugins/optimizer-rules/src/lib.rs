//! The bundled advisor rules: checks of a table design and workload that the background
//! advisor runs over the statistics. Each is a pure function of a snapshot and its settings
//! (`[advisor.rules.<name>]` in the server's configuration); each can be turned off by name
//! (`advisor.disabled_rules`).
//!
//! | rule | fires when | settings (default) |
//! |---|---|---|
//! | `shared_table_per_user` | a SHARED table has many rows and most flushed rows carry a user-id-like column | `rows` (1,000,000), `share` (0.8) |
//! | `hot_user_partition` | one user's partition is far larger than the table's median partition | `factor` (10), `min_rows` (10,000), `min_partitions` (3) |
//! | `many_small_files` | a folder holds many small Parquet files | `max_small_files` (10) |
//! | `unflushed_hot_growth` | a table without a flush policy keeps growing in the hot store | `hot_rows` (100,000), `min_writes_per_minute` (1) |
//! | `scan_heavy_query` | a query shape reads far more rows than it returns | `ratio` (100), `min_calls` (5), `min_rows_per_call` (1,000) |
//! | `excess_column_families` | RocksDB has more column families than shards × tables need | — |

mod column_families;
mod hot_user;
mod scan_heavy;
mod shared_table;
mod small_files;
mod unflushed;

pub use column_families::ExcessColumnFamilies;
pub use hot_user::HotUserPartition;
pub use scan_heavy::ScanHeavyQuery;
pub use shared_table::SharedTablePerUser;
pub use small_files::ManySmallFiles;
pub use unflushed::UnflushedHotGrowth;

use kalamdb_plugin_api::{Registry, Result};
use std::sync::Arc;

/// Registers every rule of this crate.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_advisor_rule(Arc::new(SharedTablePerUser))?;
    registry.register_advisor_rule(Arc::new(HotUserPartition))?;
    registry.register_advisor_rule(Arc::new(ManySmallFiles))?;
    registry.register_advisor_rule(Arc::new(UnflushedHotGrowth))?;
    registry.register_advisor_rule(Arc::new(ScanHeavyQuery))?;
    registry.register_advisor_rule(Arc::new(ExcessColumnFamilies))
}

kalamdb_plugin_api::submit_plugin!("optimizer-rules", register);

/// A table's name for messages.
pub(crate) fn table_name(table: &Option<kalamdb_types::TableId>) -> Option<String> {
    table.as_ref().map(|t| t.to_string())
}

/// `n` with thousands separators, for messages.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
