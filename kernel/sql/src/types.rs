//! SQL type names (PostgreSQL's and MySQL's spellings) to column types.

use crate::error::{Result, SqlError};
use kalamdb_types::KalamDataType;

/// A parsed type: the column type and whether it implies AUTO_INCREMENT (SERIAL).
pub struct ParsedType {
    pub data_type: KalamDataType,
    pub serial: bool,
}

/// Maps a type name (upper-cased words joined by one space) and its parameters.
pub fn map_type(name: &str, params: &[u64]) -> Result<ParsedType> {
    let plain = |data_type| {
        Ok(ParsedType {
            data_type,
            serial: false,
        })
    };
    match name {
        "BIGINT" | "INT8" | "LONG" => plain(KalamDataType::BigInt),
        "INT" | "INTEGER" | "INT4" | "MEDIUMINT" => plain(KalamDataType::Int),
        "SMALLINT" | "INT2" | "TINYINT" => plain(KalamDataType::SmallInt),
        "SERIAL" | "SERIAL4" => Ok(ParsedType {
            data_type: KalamDataType::Int,
            serial: true,
        }),
        "BIGSERIAL" | "SERIAL8" => Ok(ParsedType {
            data_type: KalamDataType::BigInt,
            serial: true,
        }),
        "SMALLSERIAL" | "SERIAL2" => Ok(ParsedType {
            data_type: KalamDataType::SmallInt,
            serial: true,
        }),
        "REAL" | "FLOAT4" => plain(KalamDataType::Float),
        "FLOAT" => match params.first() {
            Some(p) if *p > 24 => plain(KalamDataType::Double),
            _ => plain(KalamDataType::Float),
        },
        "DOUBLE" | "DOUBLE PRECISION" | "FLOAT8" => plain(KalamDataType::Double),
        "DECIMAL" | "NUMERIC" | "DEC" => {
            let precision = params.first().copied().unwrap_or(38);
            let scale = params
                .get(1)
                .copied()
                .unwrap_or(if params.is_empty() { 10 } else { 0 });
            if precision == 0 || precision > 38 {
                return Err(SqlError::InvalidDefinition(format!(
                    "NUMERIC precision {precision} must be between 1 and 38"
                )));
            }
            if scale > precision {
                return Err(SqlError::InvalidDefinition(format!(
                    "NUMERIC scale {scale} must be between 0 and precision {precision}"
                )));
            }
            plain(KalamDataType::Decimal {
                precision: precision as u8,
                scale: scale as i8,
            })
        }
        "TEXT" | "VARCHAR" | "CHAR" | "CHARACTER" | "CHARACTER VARYING" | "STRING" | "NVARCHAR"
        | "NCHAR" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" => plain(KalamDataType::Text),
        "BOOLEAN" | "BOOL" => plain(KalamDataType::Boolean),
        "BYTES" | "BYTEA" | "BLOB" | "BINARY" | "VARBINARY" | "LONGBLOB" => {
            plain(KalamDataType::Bytes)
        }
        "DATE" => plain(KalamDataType::Date),
        "TIME" | "TIME WITHOUT TIME ZONE" => plain(KalamDataType::Time),
        "TIMESTAMP"
        | "DATETIME"
        | "TIMESTAMPTZ"
        | "TIMESTAMP WITHOUT TIME ZONE"
        | "TIMESTAMP WITH TIME ZONE" => plain(KalamDataType::Timestamp),
        "JSON" | "JSONB" => plain(KalamDataType::Json),
        "UUID" => plain(KalamDataType::Uuid),
        "FILE" => plain(KalamDataType::File),
        other => Err(SqlError::InvalidDefinition(format!(
            "type \"{}\" does not exist",
            other.to_ascii_lowercase()
        ))),
    }
}
