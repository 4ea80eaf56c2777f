//! Cell values and the stored row model. A [`StoredRow`] is what the `Codec` plugin encodes
//! into a RocksDB value: the row's version (`_seq`), its tombstone flag and its cells keyed by
//! the column's stable id, so renaming a column never rewrites data.

use serde::{Deserialize, Serialize};

/// One cell. The variant follows the column type: all integer types are `Int`, FLOAT and
/// DOUBLE are `Float`, DECIMAL keeps its unscaled integer as text (no precision loss in any
/// codec), TEXT/JSON/UUID/FILE are `Text`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(String),
    Text(String),
    Bytes(Vec<u8>),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// Days since the Unix epoch.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// How the value reads in an error message (`Key (id)=(42)`).
    pub fn display(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Decimal(d) => d.clone(),
            Value::Text(s) => s.clone(),
            Value::Bytes(b) => format!("\\x{}", hex(b)),
            Value::Timestamp(t) => t.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The persisted form of one row version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredRow {
    /// `_seq`: a time-ordered snowflake id assigned by the shard writer on every write.
    #[serde(rename = "s")]
    pub seq: i64,
    /// `_deleted`: a tombstone hides every older version of the key.
    #[serde(rename = "d", default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Non-null cells by column id.
    #[serde(rename = "c")]
    pub cells: Vec<(u32, Value)>,
}

impl StoredRow {
    pub fn get(&self, column_id: u32) -> Option<&Value> {
        self.cells
            .iter()
            .find(|(id, _)| *id == column_id)
            .map(|(_, v)| v)
    }
}
