//! CREATE TABLE and ALTER TABLE, as written.

use super::TableRef;
use crate::model::{AccessLevel, DefaultExpr};
use kalamdb_types::{KalamDataType, StorageId, TableType};

/// `ALTER TABLE ns.t <change>`.
#[derive(Clone, Debug, PartialEq)]
pub enum TableChange {
    /// `SET ACCESS LEVEL public|private|restricted|dba` (SHARED tables only).
    AccessLevel(AccessLevel),
    /// `SET (FLUSH_POLICY = '...', DELETED_RETENTION_HOURS = N)`.
    Options {
        flush_policy: Option<String>,
        deleted_retention_hours: Option<u64>,
    },
}

impl std::fmt::Display for TableChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableChange::AccessLevel(level) => write!(f, "SET ACCESS LEVEL {}", level.as_str()),
            TableChange::Options {
                flush_policy,
                deleted_retention_hours,
            } => {
                let mut parts = Vec::new();
                if let Some(p) = flush_policy {
                    parts.push(format!("FLUSH_POLICY = '{p}'"));
                }
                if let Some(h) = deleted_retention_hours {
                    parts.push(format!("DELETED_RETENTION_HOURS = {h}"));
                }
                write!(f, "SET ({})", parts.join(", "))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub data_type: KalamDataType,
    pub nullable: bool,
    pub primary_key: bool,
    pub default: Option<DefaultExpr>,
}

/// `WITH (...)` options of CREATE TABLE, as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableOptionsSpec {
    pub table_type: Option<TableType>,
    pub storage_id: Option<StorageId>,
    pub use_user_storage: Option<bool>,
    pub flush_policy: Option<String>,
    pub deleted_retention_hours: Option<u64>,
    pub ttl_seconds: Option<u64>,
    pub access_level: Option<AccessLevel>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    /// From the `USER`/`SHARED`/`STREAM` prefix, if given.
    pub prefix_type: Option<TableType>,
    pub table: TableRef,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnSpec>,
    pub options: TableOptionsSpec,
}
