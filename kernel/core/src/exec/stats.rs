//! Statistics and the advisor at the engine: the snapshot the advisor rules read (built from
//! the writers' hot counters, the cold store's per-folder counts, the catalog and the query
//! shapes — nothing is scanned), `system.stats` / `SHOW STATS`, `system.advice` /
//! `SHOW ADVICE` and `RUN ADVISOR`.
//!
//! Who sees what: `system.stats` and `system.advice` are admin tables like every `system.*`
//! one. `SHOW STATS` and `SHOW ADVICE` are open to every role and show a non-admin only
//! their own partitions, their own query shapes and the findings about them.

use super::system_tables::{SystemSources, ViewBuilder};
use super::{access, result};
use crate::engine::{Engine, Session};
use crate::error::Result;
use crate::sql::statement::TableRef;
use datafusion::arrow::array::RecordBatch;
use kalamdb_plugin_api::{PartitionStats, QueryShapeStats, StatsSnapshot, TableStats};
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{TableId, TableType, UserId};
use std::collections::{BTreeMap, HashMap};

/// The statistics of every table, partition and query shape, as the advisor rules read them.
pub fn snapshot(sources: &SystemSources) -> StatsSnapshot {
    snapshot_for(sources, None)
}

/// [`snapshot`], or with `viewer` only that user's partitions and shapes (what `SHOW STATS`
/// shows a non-admin: nothing of anyone else is collected).
fn snapshot_for(sources: &SystemSources, viewer: Option<&UserId>) -> StatsSnapshot {
    let theirs = |user: &Option<UserId>| viewer.is_none_or(|v| user.as_ref() == Some(v));
    let now_secs = chrono::Utc::now().timestamp();
    let tables = sources.catalog.tables();
    let mut cf_table: HashMap<String, TableId> = HashMap::new();
    for t in &tables {
        for cf in sources.store.table_cfs(&t.def.id, t.def.table_type) {
            cf_table.insert(cf, t.def.id.clone());
        }
    }
    let mut parts: Partitions = BTreeMap::new();
    let mut filled: HashMap<TableId, BTreeMap<String, u64>> = HashMap::new();
    for (key, count) in sources.store.counters().all() {
        let Some(table) = cf_table.get(&key.cf) else {
            continue;
        };
        if !theirs(&key.user) {
            continue;
        }
        if count.rows < 0 || count.bytes < 0 {
            tracing::error!(
                "statistics of {} / {:?} went below zero ({} rows, {} bytes): a counting bug",
                key.cf,
                key.user,
                count.rows,
                count.bytes
            );
        }
        let p = part(&mut parts, table, key.user);
        p.rows_hot += count.rows.max(0) as u64;
        p.bytes_hot += count.bytes.max(0) as u64;
        p.writes_per_minute += count.writes_per_minute(now_secs);
    }
    for ((table, user), count) in sources.cold.folder_stats() {
        if !theirs(&user) {
            continue;
        }
        // Counts of a dropped table of the same name (or of no table) are not this table's.
        let current = sources.catalog.table(&table);
        if current.is_none_or(|t| t.def.created_at != count.incarnation) {
            continue;
        }
        let sums = filled.entry(table.clone()).or_default();
        for (column, n) in &count.filled {
            *sums.entry(column.clone()).or_default() += n;
        }
        let p = part(&mut parts, &table, user);
        p.rows_cold += count.rows;
        p.bytes_cold += count.bytes;
        p.parquet_files += count.files;
        p.small_files += count.small_files;
        p.last_flush_micros = count.last_flush_micros;
    }
    // A user with nothing in a table (a folder read but empty) is no partition of it.
    parts
        .retain(|_, p| p.rows_hot + p.rows_cold + p.bytes_hot + p.bytes_cold + p.parquet_files > 0);
    let mut table_stats = Vec::with_capacity(tables.len());
    for t in &tables {
        let id = &t.def.id;
        let mut s = TableStats {
            table: Some(id.clone()),
            table_type: Some(t.def.table_type),
            has_flush_policy: t.def.options.flush_policy.is_some() || sources.flush_by_default,
            columns: t.def.columns.iter().map(|c| c.name.clone()).collect(),
            filled: filled.remove(id).unwrap_or_default(),
            ..TableStats::default()
        };
        for ((table, user), p) in parts.range((id.clone(), None)..) {
            if table != id {
                break;
            }
            s.rows_hot += p.rows_hot;
            s.rows_cold += p.rows_cold;
            s.bytes_hot += p.bytes_hot;
            s.bytes_cold += p.bytes_cold;
            s.parquet_files += p.parquet_files;
            s.writes_per_minute += p.writes_per_minute;
            s.partitions += u64::from(user.is_some());
            if let Some(at) = p.last_flush_micros {
                s.last_flush_micros = Some(s.last_flush_micros.map_or(at, |m| m.max(at)));
            }
        }
        table_stats.push(s);
    }
    let shapes = sources
        .shapes
        .all(viewer)
        .into_iter()
        .map(|(user, shape, st)| QueryShapeStats {
            shape,
            user: Some(user),
            count: st.count,
            mean_micros: st.mean_micros(),
            p95_micros: st.p95_micros(),
            rows_scanned: st.rows_scanned,
            rows_returned: st.rows_returned,
        })
        .collect();
    StatsSnapshot {
        taken_at_micros: kalamdb_base::now_micros(),
        user_shards: sources.store.user_shards(),
        // Read from RocksDB's MANIFEST: only for the advisor and admins.
        column_families: match viewer {
            None => sources
                .store
                .column_family_names()
                .map(|n| n.len() as u64)
                .unwrap_or(0),
            Some(_) => 0,
        },
        // The store's own families, and RocksDB's `default`.
        system_column_families: crate::store::keys::SYSTEM_CFS.len() as u64 + 1,
        tables: table_stats,
        partitions: parts.into_values().collect(),
        shapes,
    }
}

type Partitions = BTreeMap<(TableId, Option<UserId>), PartitionStats>;

/// The partition's entry, made on first use.
fn part<'m>(
    parts: &'m mut Partitions,
    table: &TableId,
    user: Option<UserId>,
) -> &'m mut PartitionStats {
    parts
        .entry((table.clone(), user.clone()))
        .or_insert_with(|| PartitionStats {
            table: Some(table.clone()),
            user,
            ..PartitionStats::default()
        })
}

/// One row of `system.stats`.
struct StatRow {
    scope: &'static str,
    table: Option<TableId>,
    user: Option<UserId>,
    rows_hot: Option<u64>,
    rows_cold: Option<u64>,
    bytes_hot: Option<u64>,
    bytes_cold: Option<u64>,
    parquet_files: Option<u64>,
    last_flush: Option<i64>,
    writes_per_minute: Option<f64>,
    shape: Option<String>,
    calls: Option<u64>,
    mean_ms: Option<f64>,
    p95_ms: Option<f64>,
    rows_scanned: Option<u64>,
    rows_returned: Option<u64>,
}

impl StatRow {
    fn empty(scope: &'static str) -> Self {
        Self {
            scope,
            table: None,
            user: None,
            rows_hot: None,
            rows_cold: None,
            bytes_hot: None,
            bytes_cold: None,
            parquet_files: None,
            last_flush: None,
            writes_per_minute: None,
            shape: None,
            calls: None,
            mean_ms: None,
            p95_ms: None,
            rows_scanned: None,
            rows_returned: None,
        }
    }
}

/// The rows of `system.stats`: tables, then partitions, then query shapes. `viewer`: only
/// that user's partitions and shapes; `table`: only that table's rows (and no shapes).
fn stat_rows(
    snapshot: &StatsSnapshot,
    viewer: Option<&UserId>,
    table: Option<&TableId>,
) -> Vec<StatRow> {
    let wanted = |t: &Option<TableId>| table.is_none_or(|w| t.as_ref() == Some(w));
    let mut out = Vec::new();
    if viewer.is_none() {
        for t in snapshot.tables.iter().filter(|t| wanted(&t.table)) {
            out.push(StatRow {
                table: t.table.clone(),
                rows_hot: Some(t.rows_hot),
                rows_cold: Some(t.rows_cold),
                bytes_hot: Some(t.bytes_hot),
                bytes_cold: Some(t.bytes_cold),
                parquet_files: Some(t.parquet_files),
                last_flush: t.last_flush_micros,
                writes_per_minute: Some(t.writes_per_minute),
                ..StatRow::empty("table")
            });
        }
    }
    for p in &snapshot.partitions {
        // A SHARED table's one folder is the table row already.
        if p.user.is_none()
            || !wanted(&p.table)
            || viewer.is_some_and(|v| p.user.as_ref() != Some(v))
        {
            continue;
        }
        out.push(StatRow {
            table: p.table.clone(),
            user: p.user.clone(),
            rows_hot: Some(p.rows_hot),
            rows_cold: Some(p.rows_cold),
            bytes_hot: Some(p.bytes_hot),
            bytes_cold: Some(p.bytes_cold),
            parquet_files: Some(p.parquet_files),
            last_flush: p.last_flush_micros,
            writes_per_minute: Some(p.writes_per_minute),
            ..StatRow::empty("partition")
        });
    }
    if table.is_none() {
        for q in &snapshot.shapes {
            if viewer.is_some_and(|v| q.user.as_ref() != Some(v)) {
                continue;
            }
            out.push(StatRow {
                user: q.user.clone(),
                shape: Some(q.shape.clone()),
                calls: Some(q.count),
                mean_ms: Some(q.mean_micros / 1000.0),
                p95_ms: Some(q.p95_micros / 1000.0),
                rows_scanned: Some(q.rows_scanned),
                rows_returned: Some(q.rows_returned),
                ..StatRow::empty("query")
            });
        }
    }
    out
}

fn int(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// `system.stats` (or what `SHOW STATS` shows).
pub fn stats_view(
    sources: &SystemSources,
    viewer: Option<&UserId>,
    table: Option<&TableId>,
) -> Result<RecordBatch> {
    let rows = stat_rows(&snapshot_for(sources, viewer), viewer, table);
    ViewBuilder::default()
        .text(
            "scope",
            rows.iter().map(|r| Some(r.scope.to_string())).collect(),
        )
        .text(
            "namespace_id",
            rows.iter()
                .map(|r| r.table.as_ref().map(|t| t.namespace.to_string()))
                .collect(),
        )
        .text(
            "table_name",
            rows.iter()
                .map(|r| r.table.as_ref().map(|t| t.table.to_string()))
                .collect(),
        )
        .text(
            "user_id",
            rows.iter()
                .map(|r| r.user.as_ref().map(|u| u.to_string()))
                .collect(),
        )
        .int("rows_hot", rows.iter().map(|r| int(r.rows_hot)).collect())
        .int("rows_cold", rows.iter().map(|r| int(r.rows_cold)).collect())
        .int("bytes_hot", rows.iter().map(|r| int(r.bytes_hot)).collect())
        .int(
            "bytes_cold",
            rows.iter().map(|r| int(r.bytes_cold)).collect(),
        )
        .int(
            "parquet_files",
            rows.iter().map(|r| int(r.parquet_files)).collect(),
        )
        .timestamp("last_flush", rows.iter().map(|r| r.last_flush).collect())
        .float(
            "writes_per_minute",
            rows.iter().map(|r| r.writes_per_minute).collect(),
        )
        .text("query", rows.iter().map(|r| r.shape.clone()).collect())
        .int("calls", rows.iter().map(|r| int(r.calls)).collect())
        .float("mean_ms", rows.iter().map(|r| r.mean_ms).collect())
        .float("p95_ms", rows.iter().map(|r| r.p95_ms).collect())
        .int(
            "rows_scanned",
            rows.iter().map(|r| int(r.rows_scanned)).collect(),
        )
        .int(
            "rows_returned",
            rows.iter().map(|r| int(r.rows_returned)).collect(),
        )
        .finish()
}

/// `system.advice` (or what `SHOW ADVICE` shows: `viewer`'s findings only).
pub fn advice_view(sources: &SystemSources, viewer: Option<&UserId>) -> Result<RecordBatch> {
    let all: Vec<_> = sources
        .advisor
        .all()
        .into_iter()
        .filter(|a| viewer.is_none_or(|v| a.user.as_ref() == Some(v)))
        .collect();
    ViewBuilder::default()
        .text("id", all.iter().map(|a| Some(a.id.clone())).collect())
        .text("rule", all.iter().map(|a| Some(a.rule.clone())).collect())
        .text(
            "severity",
            all.iter().map(|a| Some(a.severity.clone())).collect(),
        )
        .text(
            "object",
            all.iter().map(|a| Some(a.object.clone())).collect(),
        )
        .text(
            "message",
            all.iter().map(|a| Some(a.message.clone())).collect(),
        )
        .text(
            "suggestion",
            all.iter().map(|a| Some(a.suggestion.clone())).collect(),
        )
        .text(
            "user_id",
            all.iter()
                .map(|a| a.user.as_ref().map(|u| u.to_string()))
                .collect(),
        )
        .timestamp(
            "detected_at",
            all.iter().map(|a| Some(a.detected_at)).collect(),
        )
        .timestamp("resolved_at", all.iter().map(|a| a.resolved_at).collect())
        .finish()
}

impl Engine {
    /// The statistics snapshot the advisor reads.
    pub fn stats_snapshot(&self) -> StatsSnapshot {
        snapshot(&self.system_sources())
    }

    /// One advisor pass over the current statistics.
    pub async fn run_advisor(&self) -> Result<kalamdb_advisor::PassReport> {
        let snapshot = self.stats_snapshot();
        self.advisor.run(&self.registry, &snapshot).await
    }

    pub(crate) fn show_stats(
        &self,
        session: &Session,
        table: Option<TableRef>,
    ) -> Result<QueryResult> {
        let table = match table {
            Some(t) => {
                let id = self.resolve_table_id(session, &t)?;
                let entry = self.catalog.require_table(&id)?;
                if entry.def.table_type == TableType::System {
                    return Err(crate::error::KalamError::Execution(format!(
                        "{id} is a system table: it has no statistics"
                    )));
                }
                Some(id)
            }
            None => None,
        };
        let viewer = (!session.role.is_admin()).then_some(&session.user);
        let batch = stats_view(&self.system_sources(), viewer, table.as_ref())?;
        result::rows_result(&batch.schema(), &[batch])
    }

    pub(crate) fn show_advice(&self, session: &Session) -> Result<QueryResult> {
        let viewer = (!session.role.is_admin()).then_some(&session.user);
        let batch = advice_view(&self.system_sources(), viewer)?;
        result::rows_result(&batch.schema(), &[batch])
    }

    pub(crate) async fn run_advisor_statement(&self, session: &Session) -> Result<QueryResult> {
        access::require(session.role, kalamdb_types::Role::Dba, "RUN ADVISOR")?;
        let report = self.run_advisor().await?;
        let mut message = format!(
            "Advisor ran {} rule(s) in {} ms: {} new finding(s), {} resolved, {} open",
            report.rules,
            report.micros / 1000,
            report.raised,
            report.resolved,
            report.open
        );
        if !report.failed.is_empty() {
            message.push_str(&format!(
                "; rule(s) that failed and were skipped: {}",
                report.failed.join(", ")
            ));
        }
        Ok(result::message_result(message, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_sees_only_their_partitions_and_shapes() {
        let t = TableId::new("app", "notes");
        let snapshot = StatsSnapshot {
            tables: vec![TableStats {
                table: Some(t.clone()),
                ..TableStats::default()
            }],
            partitions: ["alice", "bob"]
                .iter()
                .map(|u| PartitionStats {
                    table: Some(t.clone()),
                    user: Some(UserId::new(*u)),
                    ..PartitionStats::default()
                })
                .collect(),
            shapes: ["alice", "bob"]
                .iter()
                .map(|u| QueryShapeStats {
                    shape: "SELECT ?".into(),
                    user: Some(UserId::new(*u)),
                    ..QueryShapeStats::default()
                })
                .collect(),
            ..StatsSnapshot::default()
        };
        let alice = UserId::new("alice");
        let rows = stat_rows(&snapshot, Some(&alice), None);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.user.as_ref() == Some(&alice)));
        assert_eq!(stat_rows(&snapshot, None, None).len(), 5);
        assert_eq!(stat_rows(&snapshot, None, Some(&t)).len(), 3);
    }
}
