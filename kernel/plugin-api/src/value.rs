//! Cell values and the stored row model. A [`StoredRow`] is what a [`crate::Codec`] encodes
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
    /// NaN and ±Infinity are kept (see [`float_cell`]).
    #[serde(with = "float_cell")]
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

/// Lower-case hex of bytes (how BYTEA cells read in messages).
pub fn hex(bytes: &[u8]) -> String {
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

/// FLOAT and DOUBLE cells in every codec. JSON has no NaN or Infinity: `serde_json` wrote them
/// as `null`, which then failed to decode and made the whole partition unreadable. Non-finite
/// values are written as the strings PostgreSQL uses (`NaN`, `Infinity`, `-Infinity`); finite
/// ones stay numbers. Reading accepts numbers, those strings, and `null` (what older versions
/// wrote for a NaN or an infinity: the sign is lost, so it reads back as NaN).
pub mod float_cell {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    /// The PostgreSQL spelling of a non-finite float.
    pub fn non_finite_text(v: f64) -> Option<&'static str> {
        if v.is_nan() {
            Some("NaN")
        } else if v == f64::INFINITY {
            Some("Infinity")
        } else if v == f64::NEG_INFINITY {
            Some("-Infinity")
        } else {
            None
        }
    }

    pub fn serialize<S: Serializer>(v: &f64, ser: S) -> Result<S::Ok, S::Error> {
        match non_finite_text(*v) {
            Some(text) => ser.serialize_str(text),
            None => ser.serialize_f64(*v),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<f64, D::Error> {
        de.deserialize_any(FloatVisitor)
    }

    struct FloatVisitor;

    impl<'de> Visitor<'de> for FloatVisitor {
        type Value = f64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, 'NaN', 'Infinity' or '-Infinity'")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_f32<E: de::Error>(self, v: f32) -> Result<f64, E> {
            Ok(f64::from(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
        fn visit_none<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
    }
}

#[cfg(test)]
mod float_tests {
    use super::*;

    fn round_trip_json(v: f64) -> f64 {
        let row = StoredRow {
            seq: 1,
            deleted: false,
            cells: vec![(1, Value::Float(v))],
        };
        let text = serde_json::to_string(&row).unwrap_or_default();
        let back: StoredRow = serde_json::from_str(&text).unwrap_or(StoredRow {
            seq: 0,
            deleted: false,
            cells: vec![],
        });
        match back.get(1) {
            Some(Value::Float(f)) => *f,
            other => panic!("{text} decoded as {other:?}"),
        }
    }

    #[test]
    fn non_finite_floats_survive_json() {
        assert!(round_trip_json(f64::NAN).is_nan());
        assert_eq!(round_trip_json(f64::INFINITY), f64::INFINITY);
        assert_eq!(round_trip_json(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(round_trip_json(-0.5), -0.5);
        assert_eq!(round_trip_json(1e300), 1e300);
    }

    #[test]
    fn rows_written_by_older_versions_with_null_floats_decode() {
        let old = r#"{"s":7,"c":[[1,{"Float":null}],[2,{"Int":3}]]}"#;
        let row: StoredRow = serde_json::from_str(old).unwrap_or(StoredRow {
            seq: 0,
            deleted: false,
            cells: vec![],
        });
        assert_eq!(row.seq, 7);
        assert!(matches!(row.get(1), Some(Value::Float(f)) if f.is_nan()));
    }
}
