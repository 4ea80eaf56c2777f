//! `AdvisorRule`: one check the background advisor runs over a statistics snapshot. A rule is
//! a pure function of the snapshot and its settings: it reads no table and holds no lock, so the
//! advisor can run every rule on every snapshot cheaply, and a test can feed it any snapshot.

use kalamdb_types::{TableId, TableType, UserId};
use std::collections::BTreeMap;

/// Statistics of one table, summed over its partitions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableStats {
    pub table: Option<TableId>,
    pub table_type: Option<TableType>,
    pub rows_hot: u64,
    pub rows_cold: u64,
    pub bytes_hot: u64,
    pub bytes_cold: u64,
    pub parquet_files: u64,
    /// Microseconds since the Unix epoch of the last completed flush.
    pub last_flush_micros: Option<i64>,
    pub writes_per_minute: f64,
    /// Whether the table has a `FLUSH_POLICY`.
    pub has_flush_policy: bool,
    /// The table's column names.
    pub columns: Vec<String>,
    /// Per column, the rows in Parquet holding a value in it (flushed rows only: the hot store
    /// does not count values by column).
    pub filled: BTreeMap<String, u64>,
    /// User partitions (USER and STREAM tables).
    pub partitions: u64,
}

/// Statistics of one partition: one user's rows of a USER or STREAM table, or (with no
/// `user`) the one folder of a SHARED table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartitionStats {
    pub table: Option<TableId>,
    pub user: Option<UserId>,
    pub rows_hot: u64,
    pub rows_cold: u64,
    pub bytes_hot: u64,
    pub bytes_cold: u64,
    pub parquet_files: u64,
    /// Parquet files smaller than the compaction target.
    pub small_files: u64,
    pub writes_per_minute: f64,
    /// Microseconds since the Unix epoch of the last flush into this partition's folder.
    pub last_flush_micros: Option<i64>,
}

/// Statistics of one normalized query shape (literals replaced by placeholders).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryShapeStats {
    pub shape: String,
    pub user: Option<UserId>,
    pub count: u64,
    pub mean_micros: f64,
    pub p95_micros: f64,
    pub rows_scanned: u64,
    pub rows_returned: u64,
}

/// What the advisor looks at: a point-in-time copy of the counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsSnapshot {
    pub taken_at_micros: i64,
    pub user_shards: u32,
    /// RocksDB column families that exist.
    pub column_families: u64,
    /// Of those, the ones every store has for its own records (not tables').
    pub system_column_families: u64,
    pub tables: Vec<TableStats>,
    pub partitions: Vec<PartitionStats>,
    pub shapes: Vec<QueryShapeStats>,
}

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One thing a rule noticed.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule's name.
    pub rule: String,
    pub severity: Severity,
    /// What it is about: `app.messages`, `app.messages/alice`, a query shape.
    pub object: String,
    /// What was seen, with the numbers.
    pub message: String,
    /// What to do about it.
    pub suggestion: String,
    /// When the partition it is about belongs to one user, that user (who may see it).
    pub user: Option<UserId>,
}

/// A rule's thresholds, from the configuration (`[advisor.rules.<name>]`), each read with the
/// default the rule documents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSettings {
    values: BTreeMap<String, f64>,
}

impl RuleSettings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, name: &str, value: f64) -> Self {
        self.values.insert(name.to_string(), value);
        self
    }

    pub fn set(&mut self, name: &str, value: f64) {
        self.values.insert(name.to_string(), value);
    }

    /// The setting, else `default`.
    pub fn get(&self, name: &str, default: f64) -> f64 {
        self.values.get(name).copied().unwrap_or(default)
    }

    /// The setting as a count, else `default`.
    pub fn count(&self, name: &str, default: u64) -> u64 {
        self.values
            .get(name)
            .map(|v| if *v <= 0.0 { 0 } else { *v as u64 })
            .unwrap_or(default)
    }
}

pub trait AdvisorRule: Send + Sync {
    /// The registered name, e.g. `shared_table_many_rows`: how it is configured and disabled.
    fn name(&self) -> &str;

    /// One line on what the rule checks.
    fn description(&self) -> &str;

    /// The findings for a snapshot. Must not panic on any snapshot (empty, zero counts, huge
    /// counts); the conformance suite feeds it such snapshots.
    fn evaluate(&self, snapshot: &StatsSnapshot, settings: &RuleSettings) -> Vec<Finding>;
}
