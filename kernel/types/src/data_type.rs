//! Column types of the SQL surface. The serde form is the wire name of API.md:
//! `"BigInt"`, or an object for a parameterised type: `{"Decimal":{"precision":10,"scale":2}}`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KalamDataType {
    Boolean,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal { precision: u8, scale: i8 },
    Text,
    Bytes,
    Date,
    Time,
    Timestamp,
    Json,
    Uuid,
    File,
}

impl KalamDataType {
    /// The SQL spelling, as `DESCRIBE TABLE` shows it.
    pub fn sql_name(&self) -> String {
        match self {
            KalamDataType::Boolean => "BOOLEAN".into(),
            KalamDataType::SmallInt => "SMALLINT".into(),
            KalamDataType::Int => "INT".into(),
            KalamDataType::BigInt => "BIGINT".into(),
            KalamDataType::Float => "FLOAT".into(),
            KalamDataType::Double => "DOUBLE".into(),
            KalamDataType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
            KalamDataType::Text => "TEXT".into(),
            KalamDataType::Bytes => "BYTES".into(),
            KalamDataType::Date => "DATE".into(),
            KalamDataType::Time => "TIME".into(),
            KalamDataType::Timestamp => "TIMESTAMP".into(),
            KalamDataType::Json => "JSON".into(),
            KalamDataType::Uuid => "UUID".into(),
            KalamDataType::File => "FILE".into(),
        }
    }

    /// The wire name without parameters (`Decimal` for `DECIMAL(10,2)`).
    pub fn wire_name(&self) -> &'static str {
        match self {
            KalamDataType::Boolean => "Boolean",
            KalamDataType::SmallInt => "SmallInt",
            KalamDataType::Int => "Int",
            KalamDataType::BigInt => "BigInt",
            KalamDataType::Float => "Float",
            KalamDataType::Double => "Double",
            KalamDataType::Decimal { .. } => "Decimal",
            KalamDataType::Text => "Text",
            KalamDataType::Bytes => "Bytes",
            KalamDataType::Date => "Date",
            KalamDataType::Time => "Time",
            KalamDataType::Timestamp => "Timestamp",
            KalamDataType::Json => "Json",
            KalamDataType::Uuid => "Uuid",
            KalamDataType::File => "File",
        }
    }

    /// Types that may be a primary key.
    pub fn can_be_primary_key(&self) -> bool {
        matches!(
            self,
            KalamDataType::SmallInt
                | KalamDataType::Int
                | KalamDataType::BigInt
                | KalamDataType::Text
                | KalamDataType::Uuid
        )
    }

    /// Parses a wire name without parameters (`"BigInt"`).
    pub fn from_wire_name(name: &str) -> Option<Self> {
        Some(match name {
            "Boolean" => KalamDataType::Boolean,
            "SmallInt" => KalamDataType::SmallInt,
            "Int" => KalamDataType::Int,
            "BigInt" => KalamDataType::BigInt,
            "Float" => KalamDataType::Float,
            "Double" => KalamDataType::Double,
            "Text" => KalamDataType::Text,
            "Bytes" => KalamDataType::Bytes,
            "Date" => KalamDataType::Date,
            "Time" => KalamDataType::Time,
            "Timestamp" => KalamDataType::Timestamp,
            "Json" => KalamDataType::Json,
            "Uuid" => KalamDataType::Uuid,
            "File" => KalamDataType::File,
            _ => return None,
        })
    }
}

impl fmt::Display for KalamDataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_the_contract() {
        assert_eq!(
            serde_json::to_string(&KalamDataType::BigInt).ok(),
            Some("\"BigInt\"".into())
        );
        assert_eq!(
            serde_json::to_string(&KalamDataType::Decimal {
                precision: 10,
                scale: 2
            })
            .ok(),
            Some(r#"{"Decimal":{"precision":10,"scale":2}}"#.into())
        );
    }
}
