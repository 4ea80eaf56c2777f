//! The parts of the catalog model statements carry: column defaults, a SHARED table's access
//! level and a user's storage mode. Persisted inside catalog records, so their serde form is
//! part of the on-disk format: never rename a variant.

use kalamdb_plugin_api::Value;
use serde::{Deserialize, Serialize};

/// A column default, evaluated per inserted row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DefaultExpr {
    Literal(Value),
    Now,
    SnowflakeId,
    UuidV7,
    Ulid,
    CurrentUser,
    /// AUTO_INCREMENT / SERIAL: one more than the largest value in the table.
    AutoIncrement,
}

impl DefaultExpr {
    /// How `DESCRIBE TABLE` shows it.
    pub fn sql(&self) -> String {
        match self {
            DefaultExpr::Literal(Value::Text(s)) => format!("'{}'", s.replace('\'', "''")),
            DefaultExpr::Literal(v) => v.display(),
            DefaultExpr::Now => "NOW()".into(),
            DefaultExpr::SnowflakeId => "SNOWFLAKE_ID()".into(),
            DefaultExpr::UuidV7 => "UUID_V7()".into(),
            DefaultExpr::Ulid => "ULID()".into(),
            DefaultExpr::CurrentUser => "CURRENT_USER()".into(),
            DefaultExpr::AutoIncrement => "AUTO_INCREMENT".into(),
        }
    }
}

/// Access level of a SHARED table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    Public,
    Private,
    Restricted,
    Dba,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Public => "public",
            AccessLevel::Private => "private",
            AccessLevel::Restricted => "restricted",
            AccessLevel::Dba => "dba",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "public" => AccessLevel::Public,
            "private" => AccessLevel::Private,
            "restricted" => AccessLevel::Restricted,
            "dba" => AccessLevel::Dba,
            _ => return None,
        })
    }
}

/// Where a user's partitions of `USE_USER_STORAGE` tables are flushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageMode {
    Table,
    Region,
}

impl StorageMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMode::Table => "table",
            StorageMode::Region => "region",
        }
    }
}
