//! A table's Arrow schema: user columns in creation order, then `_seq`. Field metadata keeps
//! what Arrow types cannot say (JSON vs TEXT, UUID) and the column's flags (`pk`, `nn`), so
//! they survive projection into query results.

use crate::model::TableDef;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use kalamdb_types::KalamDataType;
use std::collections::HashMap;
use std::sync::Arc;

pub const SEQ_COLUMN: &str = "_seq";
pub const DELETED_COLUMN: &str = "_deleted";
/// Field metadata key holding the KalamDB wire type name.
pub const META_TYPE: &str = "kalam.type";
/// Field metadata key holding comma-separated flags (`pk`, `nn`).
pub const META_FLAGS: &str = "kalam.flags";

pub fn arrow_type(ty: &KalamDataType) -> DataType {
    match ty {
        KalamDataType::Boolean => DataType::Boolean,
        KalamDataType::SmallInt => DataType::Int16,
        KalamDataType::Int => DataType::Int32,
        KalamDataType::BigInt => DataType::Int64,
        KalamDataType::Float => DataType::Float32,
        KalamDataType::Double => DataType::Float64,
        KalamDataType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale),
        KalamDataType::Text | KalamDataType::Json | KalamDataType::Uuid | KalamDataType::File => {
            DataType::Utf8
        }
        KalamDataType::Bytes => DataType::Binary,
        KalamDataType::Date => DataType::Date32,
        KalamDataType::Time => DataType::Time64(TimeUnit::Microsecond),
        KalamDataType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

pub fn arrow_schema(def: &TableDef) -> SchemaRef {
    let mut fields: Vec<Field> = def
        .columns
        .iter()
        .map(|c| {
            let mut meta = HashMap::new();
            if matches!(
                c.data_type,
                KalamDataType::Json | KalamDataType::Uuid | KalamDataType::File
            ) {
                meta.insert(META_TYPE.to_string(), c.data_type.wire_name().to_string());
            }
            let mut flags = Vec::new();
            if c.primary_key {
                flags.push("pk");
            }
            if !c.nullable {
                flags.push("nn");
            }
            if !flags.is_empty() {
                meta.insert(META_FLAGS.to_string(), flags.join(","));
            }
            Field::new(&c.name, arrow_type(&c.data_type), c.nullable).with_metadata(meta)
        })
        .collect();
    fields.push(Field::new(SEQ_COLUMN, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}
