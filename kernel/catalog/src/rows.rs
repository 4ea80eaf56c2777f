//! Stored rows to Arrow record batches, and Arrow cells back to values.

use crate::TableEntry;
use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder,
    Float64Builder, Int16Builder, Int32Builder, Int64Builder, RecordBatch, RecordBatchOptions,
    StringBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::common::ScalarValue;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_plugin_api::value::{StoredRow, Value};
use kalamdb_types::KalamDataType;
use std::sync::Arc;

/// Builds a batch of `rows` with the table's columns picked by `projection` (indexes into the
/// table schema; the last index is `_seq`).
pub fn rows_to_batch(
    entry: &TableEntry,
    rows: &[StoredRow],
    projection: Option<&Vec<usize>>,
) -> Result<RecordBatch> {
    let all: Vec<usize> = (0..entry.schema.fields().len()).collect();
    let indexes = projection.unwrap_or(&all);
    let schema: SchemaRef = Arc::new(entry.schema.project(indexes)?);
    let arrays = rows_to_columns(entry, rows, indexes)?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    Ok(RecordBatch::try_new_with_options(schema, arrays, &options)?)
}

/// The arrays of [`rows_to_batch`] without a schema: a segment writer stores tombstones,
/// whose cells are null even in NOT NULL columns.
pub fn rows_to_columns(
    entry: &TableEntry,
    rows: &[StoredRow],
    indexes: &[usize],
) -> Result<Vec<ArrayRef>> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(indexes.len());
    for &i in indexes {
        match entry.def.columns.get(i) {
            Some(col) => arrays.push(column_array(&col.data_type, col.id, rows)?),
            None => {
                let mut b = Int64Builder::with_capacity(rows.len());
                for r in rows {
                    b.append_value(r.seq);
                }
                arrays.push(Arc::new(b.finish()));
            }
        }
    }
    Ok(arrays)
}

fn column_array(ty: &KalamDataType, id: u32, rows: &[StoredRow]) -> Result<ArrayRef> {
    let n = rows.len();
    macro_rules! build {
        ($builder:expr, $pat:pat => $val:expr) => {{
            let mut b = $builder;
            for r in rows {
                match r.get(id) {
                    Some($pat) => b.append_value($val),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    Ok(match ty {
        KalamDataType::Boolean => build!(BooleanBuilder::with_capacity(n), Value::Bool(v) => *v),
        KalamDataType::SmallInt => {
            build!(Int16Builder::with_capacity(n), Value::Int(v) => *v as i16)
        }
        KalamDataType::Int => build!(Int32Builder::with_capacity(n), Value::Int(v) => *v as i32),
        KalamDataType::BigInt => build!(Int64Builder::with_capacity(n), Value::Int(v) => *v),
        KalamDataType::Float => {
            build!(Float32Builder::with_capacity(n), Value::Float(v) => *v as f32)
        }
        KalamDataType::Double => build!(Float64Builder::with_capacity(n), Value::Float(v) => *v),
        KalamDataType::Decimal { precision, scale } => {
            let mut b =
                Decimal128Builder::with_capacity(n).with_precision_and_scale(*precision, *scale)?;
            for r in rows {
                match r.get(id) {
                    Some(Value::Decimal(text)) => {
                        match super::coerce::decimal_unscaled(text, *scale) {
                            Some(v) => b.append_value(v),
                            None => b.append_null(),
                        }
                    }
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        KalamDataType::Text | KalamDataType::Json | KalamDataType::Uuid | KalamDataType::File => {
            let mut b = StringBuilder::with_capacity(n, n * 16);
            for r in rows {
                match r.get(id) {
                    Some(Value::Text(s)) => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        KalamDataType::Bytes => {
            let mut b = BinaryBuilder::with_capacity(n, n * 16);
            for r in rows {
                match r.get(id) {
                    Some(Value::Bytes(v)) => b.append_value(v),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        KalamDataType::Date => build!(Date32Builder::with_capacity(n), Value::Date(v) => *v),
        KalamDataType::Time => {
            build!(Time64MicrosecondBuilder::with_capacity(n), Value::Time(v) => *v)
        }
        KalamDataType::Timestamp => {
            build!(TimestampMicrosecondBuilder::with_capacity(n), Value::Timestamp(v) => *v)
        }
    })
}

/// An Arrow cell as a value (used for rows computed by DataFusion: UPDATE, INSERT ... SELECT).
pub fn cell_value(array: &ArrayRef, row: usize) -> Result<Value> {
    let scalar = ScalarValue::try_from_array(array, row)?;
    scalar_value(&scalar)
}

pub fn scalar_value(scalar: &ScalarValue) -> Result<Value> {
    if scalar.is_null() {
        return Ok(Value::Null);
    }
    Ok(match scalar {
        ScalarValue::Boolean(Some(v)) => Value::Bool(*v),
        ScalarValue::Int8(Some(v)) => Value::Int(i64::from(*v)),
        ScalarValue::Int16(Some(v)) => Value::Int(i64::from(*v)),
        ScalarValue::Int32(Some(v)) => Value::Int(i64::from(*v)),
        ScalarValue::Int64(Some(v)) => Value::Int(*v),
        ScalarValue::UInt8(Some(v)) => Value::Int(i64::from(*v)),
        ScalarValue::UInt16(Some(v)) => Value::Int(i64::from(*v)),
        ScalarValue::UInt32(Some(v)) => Value::Int(i64::from(*v)),
        ScalarValue::UInt64(Some(v)) => Value::Int(i64::try_from(*v).map_err(|_| {
            KalamError::InvalidValue(format!("value {v} is out of range for type bigint"))
        })?),
        ScalarValue::Float32(Some(v)) => Value::Float(f64::from(*v)),
        ScalarValue::Float64(Some(v)) => Value::Float(*v),
        ScalarValue::Decimal128(Some(v), _, scale) => {
            Value::Decimal(super::coerce::format_decimal(*v, *scale))
        }
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Value::Text(s.clone()),
        ScalarValue::Binary(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::BinaryView(Some(b))
        | ScalarValue::FixedSizeBinary(_, Some(b)) => Value::Bytes(b.clone()),
        ScalarValue::Date32(Some(d)) => Value::Date(*d),
        ScalarValue::Date64(Some(ms)) => Value::Date((*ms / 86_400_000) as i32),
        ScalarValue::Time64Microsecond(Some(t)) => Value::Time(*t),
        ScalarValue::Time64Nanosecond(Some(t)) => Value::Time(*t / 1000),
        ScalarValue::Time32Second(Some(t)) => Value::Time(i64::from(*t) * 1_000_000),
        ScalarValue::Time32Millisecond(Some(t)) => Value::Time(i64::from(*t) * 1000),
        ScalarValue::TimestampSecond(Some(t), _) => Value::Timestamp(t * 1_000_000),
        ScalarValue::TimestampMillisecond(Some(t), _) => Value::Timestamp(t * 1000),
        ScalarValue::TimestampMicrosecond(Some(t), _) => Value::Timestamp(*t),
        ScalarValue::TimestampNanosecond(Some(t), _) => Value::Timestamp(t / 1000),
        other => Value::Text(other.to_string()),
    })
}

/// A value as a DataFusion scalar (query parameters).
pub fn value_scalar(value: &Value) -> ScalarValue {
    match value {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
        Value::Int(i) => ScalarValue::Int64(Some(*i)),
        Value::Float(f) => ScalarValue::Float64(Some(*f)),
        Value::Decimal(d) => d
            .parse::<f64>()
            .map(|f| ScalarValue::Float64(Some(f)))
            .unwrap_or_else(|_| ScalarValue::Utf8(Some(d.clone()))),
        Value::Text(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Bytes(b) => ScalarValue::Binary(Some(b.clone())),
        Value::Timestamp(t) => ScalarValue::TimestampMicrosecond(Some(*t), None),
        Value::Date(d) => ScalarValue::Date32(Some(*d)),
        Value::Time(t) => ScalarValue::Time64Microsecond(Some(*t)),
    }
}

/// Casts a parameter to the type the planner inferred for its placeholder.
pub fn param_scalar(value: &Value, expected: Option<&DataType>) -> Result<ScalarValue> {
    let scalar = value_scalar(value);
    let Some(target) = expected else {
        return Ok(scalar);
    };
    if scalar.is_null() {
        return Ok(ScalarValue::try_from(target)?);
    }
    if &scalar.data_type() == target {
        return Ok(scalar);
    }
    // Timestamps given as text are parsed by our coercion rules, not Arrow's.
    if let (DataType::Timestamp(TimeUnit::Microsecond, None), Value::Text(_)) = (target, value) {
        if let Ok(Value::Timestamp(t)) =
            super::coerce::coerce(value.clone(), &KalamDataType::Timestamp, "$param")
        {
            return Ok(ScalarValue::TimestampMicrosecond(Some(t), None));
        }
    }
    scalar.cast_to(target).map_err(|_| {
        KalamError::InvalidParameter(format!(
            "parameter value {} cannot be used as {target}",
            value.display()
        ))
    })
}
