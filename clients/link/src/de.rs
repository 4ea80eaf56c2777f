//! Rows into user types: a serde [`Deserializer`] over one result row, so
//! `client.query_as::<Message>(...)` gives `Vec<Message>` for any `#[derive(Deserialize)]`
//! struct (fields matched to columns by name), tuple (columns in order) or map.
//!
//! Each cell is read by what the field asks for, following the wire's cell encoding
//! ([`cell`](crate::cell)): a BIGINT's JSON string fills an `i64`/`u64`/`i32` field; a TIMESTAMP's
//! microseconds fill an integer field as they are and a `String` or `chrono::DateTime<Utc>`
//! field as RFC 3339 text; a BYTES cell (`"\x<hex>"`) fills a `Vec<u8>`; JSON columns fill any
//! serde type; NULL fills an `Option` with `None` and is an error for anything else. A failure
//! names the row and column.

use crate::cell;
use kalamdb_types::KalamDataType;
use kalamdb_types::wire::SchemaField;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;
use std::fmt;

/// Why a row could not become the requested type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError(msg.to_string())
    }
}

/// Deserializes one row (`cells` in `schema` order) into `T`.
pub fn row_into<T: de::DeserializeOwned>(
    schema: &[SchemaField],
    cells: &[Value],
) -> Result<T, DecodeError> {
    T::deserialize(RowDeserializer { schema, cells })
}

/// A row as a map of column name to cell, or as a sequence of cells.
struct RowDeserializer<'a> {
    schema: &'a [SchemaField],
    cells: &'a [Value],
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(Columns { row: self, next: 0 })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Cells { row: self, next: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        if len != self.cells.len() {
            return Err(DecodeError(format!(
                "the row has {} columns, the tuple {len}",
                self.cells.len()
            )));
        }
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_tuple(len, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct enum identifier ignored_any
    }
}

struct Columns<'a> {
    row: RowDeserializer<'a>,
    next: usize,
}

impl<'de> MapAccess<'de> for Columns<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.row.schema.get(self.next) {
            Some(field) if self.next < self.row.cells.len() => seed
                .deserialize(field.name.as_str().into_deserializer())
                .map(Some),
            _ => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let index = self.next;
        self.next += 1;
        cell_value(&self.row, index, seed)
    }
}

struct Cells<'a> {
    row: RowDeserializer<'a>,
    next: usize,
}

impl<'de> SeqAccess<'de> for Cells<'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.next >= self.row.cells.len() {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        cell_value(&self.row, index, seed).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.cells.len() - self.next)
    }
}

/// Column `index` through `seed`, the error prefixed with the column's name.
fn cell_value<'de, S: DeserializeSeed<'de>>(
    row: &RowDeserializer<'de>,
    index: usize,
    seed: S,
) -> Result<S::Value, DecodeError> {
    let field = row.schema.get(index);
    let name = field.map_or("?", |f| f.name.as_str());
    let cell = CellDeserializer {
        value: &row.cells[index],
        data_type: field.map(|f| &f.data_type),
    };
    seed.deserialize(cell)
        .map_err(|e| DecodeError(format!("column '{name}': {e}")))
}

/// One cell, read the way the requested type wants it.
struct CellDeserializer<'a> {
    value: &'a Value,
    data_type: Option<&'a KalamDataType>,
}

impl CellDeserializer<'_> {
    fn is(&self, data_type: &KalamDataType) -> bool {
        self.data_type == Some(data_type)
    }

    fn mismatch(&self, expected: &str) -> DecodeError {
        let found = match self.value {
            Value::Null => "NULL (use an Option field)".to_string(),
            other => cell::shortened(other),
        };
        DecodeError(format!("expected {expected}, found {found}"))
    }

    fn integer(&self) -> Result<i128, DecodeError> {
        if let Some(i) = cell::as_i64(self.value).ok().flatten() {
            return Ok(i128::from(i));
        }
        if let Some(u) = cell::as_u64(self.value).ok().flatten() {
            return Ok(i128::from(u));
        }
        Err(self.mismatch("an integer"))
    }

    fn bytes(&self) -> Option<Vec<u8>> {
        let hex = self.value.as_str()?.strip_prefix("\\x")?;
        if hex.len() % 2 != 0 {
            return None;
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect()
    }
}

macro_rules! integers {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            let n = self.integer()?;
            let n = <$ty>::try_from(n)
                .map_err(|_| DecodeError(format!("{n} does not fit in {}", stringify!($ty))))?;
            visitor.$visit(n)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for CellDeserializer<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let integer_column = matches!(
            self.data_type,
            Some(KalamDataType::BigInt | KalamDataType::Int | KalamDataType::SmallInt)
        );
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::String(s) if integer_column => match s.parse::<i64>() {
                Ok(i) => visitor.visit_i64(i),
                Err(_) => match s.parse::<u64>() {
                    Ok(u) => visitor.visit_u64(u),
                    Err(_) => visitor.visit_str(s),
                },
            },
            Value::String(s) => visitor.visit_str(s),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => visitor.visit_i64(i),
                (None, Some(u), _) => visitor.visit_u64(u),
                (None, None, Some(f)) => visitor.visit_f64(f),
                _ => Err(self.mismatch("a number")),
            },
            other => de::Deserializer::deserialize_any(other, visitor)
                .map_err(|e| DecodeError(e.to_string())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.mismatch("a boolean")),
        }
    }

    integers! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match cell::as_f64(self.value) {
            Ok(Some(f)) => visitor.visit_f64(f),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Number(_) if self.is(&KalamDataType::Timestamp) => {
                match cell::as_timestamp(self.value) {
                    Ok(Some(ts)) => visitor.visit_string(cell::format_timestamp(&ts)),
                    _ => Err(self.mismatch("a timestamp")),
                }
            }
            Value::String(s) => visitor.visit_str(s),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            _ => Err(self.mismatch("text")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.bytes() {
            Some(bytes) => visitor.visit_byte_buf(bytes),
            None => Err(self.mismatch("bytes (\"\\x<hex>\")")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.is(&KalamDataType::Bytes) {
            return match self.bytes() {
                Some(bytes) => {
                    visitor.visit_seq(de::value::SeqDeserializer::new(bytes.into_iter()))
                }
                None => Err(self.mismatch("bytes (\"\\x<hex>\")")),
            };
        }
        de::Deserializer::deserialize_seq(self.value, visitor)
            .map_err(|e| DecodeError(e.to_string()))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.mismatch("NULL")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_enum(self.value, name, variants, visitor)
            .map_err(|e| DecodeError(e.to_string()))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        unit_struct tuple tuple_struct map struct identifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde::Deserialize;
    use serde_json::json;

    fn schema() -> Vec<SchemaField> {
        serde_json::from_value(json!([
            {"name":"id","data_type":"BigInt","index":0},
            {"name":"body","data_type":"Text","index":1},
            {"name":"created_at","data_type":"Timestamp","index":2},
            {"name":"blob","data_type":"Bytes","index":3},
            {"name":"meta","data_type":"Json","index":4},
            {"name":"score","data_type":"Double","index":5}
        ]))
        .unwrap_or_default()
    }

    fn cells() -> Vec<Value> {
        vec![
            json!("9007199254740993"),
            json!("hi"),
            json!(1_714_564_800_000_000_i64),
            json!("\\x00ff10"),
            json!({"tags":["a","b"]}),
            json!(2.5),
        ]
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Meta {
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Message {
        id: i64,
        body: Option<String>,
        created_at: DateTime<Utc>,
        blob: Vec<u8>,
        meta: Meta,
        score: f32,
    }

    #[test]
    fn a_row_fills_a_struct_by_column_name() {
        let row: Message = row_into(&schema(), &cells()).expect("decode");
        assert_eq!(row.id, 9_007_199_254_740_993);
        assert_eq!(row.body.as_deref(), Some("hi"));
        assert_eq!(row.created_at.timestamp(), 1_714_564_800);
        assert_eq!(row.blob, vec![0, 255, 16]);
        assert_eq!(row.meta.tags, vec!["a", "b"]);
        assert_eq!(row.score, 2.5);
    }

    #[test]
    fn tuples_take_columns_in_order_and_maps_take_them_all() {
        let schema = &schema()[..2];
        let cells = &cells()[..2];
        let (id, body): (u64, String) = row_into(schema, cells).expect("tuple");
        assert_eq!((id, body.as_str()), (9_007_199_254_740_993, "hi"));
        let map: std::collections::BTreeMap<String, Value> = row_into(schema, cells).expect("map");
        assert_eq!(map["id"], json!(9_007_199_254_740_993_i64));
        let err = row_into::<(i64,)>(schema, cells).expect_err("arity");
        assert!(err.0.contains("2 columns"), "{err}");
    }

    #[test]
    fn timestamps_fill_integers_and_strings_too() {
        #[derive(Deserialize)]
        struct Times {
            created_at: i64,
        }
        #[derive(Deserialize)]
        struct Text {
            created_at: String,
        }
        let schema = &schema()[2..3];
        let cells = &cells()[2..3];
        let t: Times = row_into(schema, cells).expect("micros");
        assert_eq!(t.created_at, 1_714_564_800_000_000);
        let t: Text = row_into(schema, cells).expect("text");
        assert!(
            t.created_at.starts_with("2024-05-01T12:00:00"),
            "{}",
            t.created_at
        );
    }

    #[test]
    fn errors_name_the_column_and_null_needs_an_option() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Strict {
            id: i32,
            body: String,
        }
        let schema = &schema()[..2];
        let err = row_into::<Strict>(schema, &[json!("1"), Value::Null]).expect_err("null");
        assert!(
            err.0.contains("column 'body'") && err.0.contains("Option"),
            "{err}"
        );
        let err = row_into::<Strict>(schema, &cells()[..2]).expect_err("overflow");
        assert!(
            err.0.contains("column 'id'") && err.0.contains("i32"),
            "{err}"
        );
        let err = row_into::<Strict>(schema, &[json!("x1"), json!("b")]).expect_err("text");
        assert!(err.0.contains("expected an integer"), "{err}");
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Missing {
            nope: i64,
        }
        let err = row_into::<Missing>(schema, &cells()[..2]).expect_err("missing");
        assert!(err.0.contains("nope"), "{err}");
    }
}
