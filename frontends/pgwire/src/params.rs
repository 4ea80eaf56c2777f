//! Bind parameters → KalamDB values, in the text or binary format the client sent each one.
//! Text values of types KalamDB coerces itself (timestamps, dates, UUIDs) stay text and are
//! coerced where they are used, as the HTTP API's JSON strings are.

use crate::error::error;
use kalamdb_core::exec::coerce::decode_hex;
use kalamdb_core::value::Value;
use pgwire::api::Type;
use pgwire::error::PgWireResult;
use postgres_types::FromSql;

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from the Unix epoch to PostgreSQL's.
const PG_EPOCH_DAYS: i32 = 10_957;

fn bad(n: usize, ty: &Type, why: impl std::fmt::Display) -> pgwire::error::PgWireError {
    error(
        "22P02",
        format!(
            "invalid value for parameter ${n} of type {}: {why}",
            ty.name()
        ),
    )
}

/// Parameter `n` (1-based), `bytes` in `binary` or text format, declared as `ty`.
pub(crate) fn decode(
    n: usize,
    ty: &Type,
    bytes: Option<&[u8]>,
    binary: bool,
) -> PgWireResult<Value> {
    let Some(b) = bytes else {
        return Ok(Value::Null);
    };
    if binary {
        binary_value(n, ty, b)
    } else {
        let s = std::str::from_utf8(b).map_err(|e| bad(n, ty, e))?;
        text_value(n, ty, s)
    }
}

fn text_value(n: usize, ty: &Type, s: &str) -> PgWireResult<Value> {
    Ok(match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => {
            Value::Int(s.trim().parse().map_err(|e| bad(n, ty, e))?)
        }
        Type::FLOAT4 | Type::FLOAT8 => Value::Float(match s.trim().to_ascii_lowercase().as_str() {
            "nan" => f64::NAN,
            "infinity" | "inf" => f64::INFINITY,
            "-infinity" | "-inf" => f64::NEG_INFINITY,
            t => t.parse().map_err(|e| bad(n, ty, e))?,
        }),
        Type::BOOL => Value::Bool(match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => true,
            "f" | "false" | "n" | "no" | "off" | "0" => false,
            other => return Err(bad(n, ty, format!("\"{other}\" is not a boolean"))),
        }),
        Type::NUMERIC => Value::Decimal(s.trim().to_string()),
        Type::BYTEA => match s.strip_prefix("\\x") {
            Some(hex) => Value::Bytes(decode_hex(hex).ok_or_else(|| bad(n, ty, "not hex"))?),
            None => Value::Bytes(s.as_bytes().to_vec()),
        },
        _ => Value::Text(s.to_string()),
    })
}

fn from_sql<'a, T: FromSql<'a>>(n: usize, ty: &Type, b: &'a [u8]) -> PgWireResult<T> {
    T::from_sql(ty, b).map_err(|e| bad(n, ty, e))
}

fn binary_value(n: usize, ty: &Type, b: &[u8]) -> PgWireResult<Value> {
    Ok(match *ty {
        Type::INT2 => Value::Int(i64::from(from_sql::<i16>(n, ty, b)?)),
        Type::INT4 => Value::Int(i64::from(from_sql::<i32>(n, ty, b)?)),
        Type::INT8 => Value::Int(from_sql::<i64>(n, ty, b)?),
        Type::OID => Value::Int(i64::from(from_sql::<u32>(n, ty, b)?)),
        Type::FLOAT4 => Value::Float(f64::from(from_sql::<f32>(n, ty, b)?)),
        Type::FLOAT8 => Value::Float(from_sql::<f64>(n, ty, b)?),
        Type::BOOL => Value::Bool(from_sql::<bool>(n, ty, b)?),
        Type::BYTEA => Value::Bytes(b.to_vec()),
        Type::NUMERIC => Value::Decimal(from_sql::<rust_decimal::Decimal>(n, ty, b)?.to_string()),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            let micros = i64::from_be_bytes(b.try_into().map_err(|_| bad(n, ty, "not 8 bytes"))?);
            Value::Timestamp(micros.saturating_add(PG_EPOCH_MICROS))
        }
        Type::DATE => {
            let days = i32::from_be_bytes(b.try_into().map_err(|_| bad(n, ty, "not 4 bytes"))?);
            Value::Date(days.saturating_add(PG_EPOCH_DAYS))
        }
        Type::TIME => Value::Time(i64::from_be_bytes(
            b.try_into().map_err(|_| bad(n, ty, "not 8 bytes"))?,
        )),
        Type::UUID => {
            let bytes: [u8; 16] = b.try_into().map_err(|_| bad(n, ty, "not 16 bytes"))?;
            let hex: String = bytes.iter().map(|x| format!("{x:02x}")).collect();
            Value::Text(format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            ))
        }
        Type::JSONB => match b.split_first() {
            Some((1, rest)) => Value::Text(String::from_utf8_lossy(rest).into_owned()),
            _ => return Err(bad(n, ty, "unknown jsonb version")),
        },
        _ => Value::Text(
            std::str::from_utf8(b)
                .map_err(|e| bad(n, ty, e))?
                .to_string(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_timestamps_move_to_the_unix_epoch() {
        let v = decode(1, &Type::TIMESTAMP, Some(&0i64.to_be_bytes()), true).unwrap();
        assert_eq!(v, Value::Timestamp(PG_EPOCH_MICROS));
        let v = decode(1, &Type::DATE, Some(&(-PG_EPOCH_DAYS).to_be_bytes()), true).unwrap();
        assert_eq!(v, Value::Date(0));
    }

    #[test]
    fn text_values_by_type() {
        assert_eq!(
            decode(1, &Type::INT8, Some(b"42"), false).unwrap(),
            Value::Int(42)
        );
        assert_eq!(
            decode(1, &Type::BOOL, Some(b"t"), false).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            decode(1, &Type::BYTEA, Some(b"\\x0aff"), false).unwrap(),
            Value::Bytes(vec![10, 255])
        );
        assert_eq!(decode(1, &Type::TEXT, None, false).unwrap(), Value::Null);
        assert!(decode(2, &Type::INT4, Some(b"x"), false).is_err());
    }
}
