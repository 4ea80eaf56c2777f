//! Query results in the wire encoding of API.md: BIGINT as strings, TIMESTAMP as integer
//! microseconds, JSON columns as JSON, NULL as null; schema in the query's column order.

use crate::catalog::schema::{META_FLAGS, META_TYPE};
use crate::error::Result;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Field, Float16Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, Schema, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::common::ScalarValue;
use kalamdb_types::KalamDataType;
use kalamdb_types::wire::{QueryResult, SchemaField};
use serde_json::Value as Json;

/// The wire type of an Arrow field.
pub fn wire_type(field: &Field) -> KalamDataType {
    if let Some(name) = field.metadata().get(META_TYPE)
        && let Some(ty) = KalamDataType::from_wire_name(name)
    {
        return ty;
    }
    match field.data_type() {
        DataType::Boolean => KalamDataType::Boolean,
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => KalamDataType::SmallInt,
        DataType::Int32 | DataType::UInt16 => KalamDataType::Int,
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KalamDataType::BigInt,
        DataType::Float16 | DataType::Float32 => KalamDataType::Float,
        DataType::Float64 => KalamDataType::Double,
        DataType::Decimal128(p, s) => KalamDataType::Decimal {
            precision: *p,
            scale: *s,
        },
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => KalamDataType::Bytes,
        DataType::Date32 | DataType::Date64 => KalamDataType::Date,
        DataType::Time32(_) | DataType::Time64(_) => KalamDataType::Time,
        DataType::Timestamp(_, _) => KalamDataType::Timestamp,
        _ => KalamDataType::Text,
    }
}

pub fn schema_fields(schema: &Schema) -> Vec<SchemaField> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, f)| SchemaField {
            name: f.name().clone(),
            data_type: wire_type(f),
            index,
            flags: f
                .metadata()
                .get(META_FLAGS)
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// A result with rows.
pub fn rows_result(schema: &Schema, batches: &[RecordBatch]) -> Result<QueryResult> {
    let fields = schema_fields(schema);
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut rows: Vec<Vec<Json>> = Vec::with_capacity(total);
    for batch in batches {
        let start = rows.len();
        for _ in 0..batch.num_rows() {
            rows.push(Vec::with_capacity(fields.len()));
        }
        for (col, field) in batch.columns().iter().zip(fields.iter()) {
            for (i, row) in rows[start..].iter_mut().enumerate() {
                row.push(cell_json(col, i, &field.data_type));
            }
        }
    }
    Ok(QueryResult {
        schema: fields,
        row_count: total,
        rows: Some(rows),
        message: None,
        as_user: None,
    })
}

/// A DDL/DML result with a message.
pub fn message_result(message: impl Into<String>, row_count: usize) -> QueryResult {
    QueryResult {
        schema: Vec::new(),
        rows: None,
        row_count,
        message: Some(message.into()),
        as_user: None,
    }
}

/// A float cell: a JSON number, or PostgreSQL's `NaN` / `Infinity` / `-Infinity` as text
/// (JSON has no spelling for them).
fn num(v: f64) -> Json {
    match crate::value::float_cell::non_finite_text(v) {
        Some(text) => Json::String(text.into()),
        None => serde_json::Number::from_f64(v)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(v.to_string())),
    }
}

/// One cell in the wire encoding.
pub fn cell_json(array: &ArrayRef, i: usize, wire: &KalamDataType) -> Json {
    // A NullArray (`SELECT NULL`) has no validity buffer, so `is_null` says false for it; its
    // cells would otherwise reach the fallback below and be sent as the text "NULL".
    if array.is_null(i) || array.data_type() == &DataType::Null {
        return Json::Null;
    }
    match array.data_type() {
        DataType::Boolean => Json::Bool(array.as_boolean().value(i)),
        DataType::Int8 => Json::from(array.as_primitive::<Int8Type>().value(i)),
        DataType::Int16 => Json::from(array.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => Json::from(array.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => Json::String(array.as_primitive::<Int64Type>().value(i).to_string()),
        DataType::UInt8 => Json::from(array.as_primitive::<UInt8Type>().value(i)),
        DataType::UInt16 => Json::from(array.as_primitive::<UInt16Type>().value(i)),
        DataType::UInt32 => Json::String(array.as_primitive::<UInt32Type>().value(i).to_string()),
        DataType::UInt64 => Json::String(array.as_primitive::<UInt64Type>().value(i).to_string()),
        DataType::Float16 => num(f64::from(array.as_primitive::<Float16Type>().value(i))),
        DataType::Float32 => num(f64::from(array.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => num(array.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal128(_, scale) => {
            let text = super::coerce::format_decimal(
                array.as_primitive::<Decimal128Type>().value(i),
                *scale,
            );
            text.parse::<f64>().map(num).unwrap_or(Json::String(text))
        }
        DataType::Utf8 => string_cell(array.as_string::<i32>().value(i), wire),
        DataType::LargeUtf8 => string_cell(array.as_string::<i64>().value(i), wire),
        DataType::Utf8View => string_cell(array.as_string_view().value(i), wire),
        DataType::Binary => Json::String(bytes_text(array.as_binary::<i32>().value(i))),
        DataType::LargeBinary => Json::String(bytes_text(array.as_binary::<i64>().value(i))),
        DataType::BinaryView => Json::String(bytes_text(array.as_binary_view().value(i))),
        DataType::Date32 => date_cell(i64::from(array.as_primitive::<Date32Type>().value(i))),
        DataType::Date64 => date_cell(array.as_primitive::<Date64Type>().value(i) / 86_400_000),
        DataType::Time32(TimeUnit::Second) => {
            time_cell(i64::from(array.as_primitive::<Time32SecondType>().value(i)) * 1_000_000)
        }
        DataType::Time32(_) => {
            time_cell(i64::from(array.as_primitive::<Time32MillisecondType>().value(i)) * 1000)
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            time_cell(array.as_primitive::<Time64MicrosecondType>().value(i))
        }
        DataType::Time64(_) => {
            time_cell(array.as_primitive::<Time64NanosecondType>().value(i) / 1000)
        }
        DataType::Timestamp(unit, _) => Json::from(match unit {
            TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(i) * 1_000_000,
            TimeUnit::Millisecond => {
                array.as_primitive::<TimestampMillisecondType>().value(i) * 1000
            }
            TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(i),
            TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(i) / 1000,
        }),
        _ => match ScalarValue::try_from_array(array, i) {
            Ok(v) => Json::String(v.to_string()),
            Err(_) => Json::Null,
        },
    }
}

fn string_cell(s: &str, wire: &KalamDataType) -> Json {
    if matches!(wire, KalamDataType::Json | KalamDataType::File)
        && let Ok(v) = serde_json::from_str::<Json>(s)
    {
        return v;
    }
    Json::String(s.to_string())
}

fn bytes_text(b: &[u8]) -> String {
    format!("\\x{}", crate::value::hex(b))
}

fn date_cell(days: i64) -> Json {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    match epoch.checked_add_signed(chrono::Duration::days(days)) {
        Some(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        None => Json::Null,
    }
}

/// Microseconds since midnight as `HH:MM:SS`, and the microseconds past that second.
pub fn clock(micros: i64) -> (String, i64) {
    let secs = micros.div_euclid(1_000_000);
    let base = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    (base, micros.rem_euclid(1_000_000))
}

fn time_cell(micros: i64) -> Json {
    let (base, frac) = clock(micros);
    Json::String(if frac == 0 {
        base
    } else {
        format!("{base}.{frac:06}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, NullArray, StringArray};
    use std::sync::Arc;

    #[test]
    fn null_cells_are_json_null_whatever_the_array() {
        let nulls: ArrayRef = Arc::new(NullArray::new(2));
        assert_eq!(cell_json(&nulls, 1, &KalamDataType::Text), Json::Null);
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("NULL"), None]));
        assert_eq!(
            cell_json(&text, 0, &KalamDataType::Text),
            Json::String("NULL".into())
        );
        assert_eq!(cell_json(&text, 1, &KalamDataType::Text), Json::Null);
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(7), None]));
        assert_eq!(
            cell_json(&ints, 0, &KalamDataType::BigInt),
            Json::String("7".into())
        );
        assert_eq!(cell_json(&ints, 1, &KalamDataType::BigInt), Json::Null);
    }
}
