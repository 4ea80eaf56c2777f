//! Assignment coercion: a value written into a column becomes the column's type, or fails with
//! PostgreSQL's wording (`invalid input syntax for type bigint: "abc"`). Nothing is truncated.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use kalamdb_base::error::{KalamError, Result};
use kalamdb_plugin_api::value::Value;
use kalamdb_types::KalamDataType;

fn pg_type(ty: &KalamDataType) -> String {
    match ty {
        KalamDataType::Boolean => "boolean".into(),
        KalamDataType::SmallInt => "smallint".into(),
        KalamDataType::Int => "integer".into(),
        KalamDataType::BigInt => "bigint".into(),
        KalamDataType::Float => "real".into(),
        KalamDataType::Double => "double precision".into(),
        KalamDataType::Decimal { .. } => "numeric".into(),
        KalamDataType::Text => "text".into(),
        KalamDataType::Bytes => "bytea".into(),
        KalamDataType::Date => "date".into(),
        KalamDataType::Time => "time".into(),
        KalamDataType::Timestamp => "timestamp".into(),
        KalamDataType::Json => "json".into(),
        KalamDataType::Uuid => "uuid".into(),
        KalamDataType::File => "file".into(),
    }
}

fn invalid(ty: &KalamDataType, value: &Value) -> KalamError {
    KalamError::InvalidValue(format!(
        "invalid input syntax for type {}: \"{}\"",
        pg_type(ty),
        value.display()
    ))
}

fn mismatch(ty: &KalamDataType, column: &str, value: &Value) -> KalamError {
    KalamError::InvalidValue(format!(
        "column \"{column}\" is of type {} but the value {} is not",
        pg_type(ty),
        value.display()
    ))
}

/// Converts `value` for a column of type `ty` named `column`.
pub fn coerce(value: Value, ty: &KalamDataType, column: &str) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        KalamDataType::Boolean => match &value {
            Value::Bool(_) => Ok(value),
            Value::Int(0) => Ok(Value::Bool(false)),
            Value::Int(1) => Ok(Value::Bool(true)),
            Value::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "yes" | "y" | "on" | "1" => Ok(Value::Bool(true)),
                "f" | "false" | "no" | "n" | "off" | "0" => Ok(Value::Bool(false)),
                _ => Err(invalid(ty, &value)),
            },
            _ => Err(mismatch(ty, column, &value)),
        },
        KalamDataType::SmallInt | KalamDataType::Int | KalamDataType::BigInt => {
            let i = match &value {
                Value::Int(i) => *i,
                Value::Float(f) if f.is_finite() => f.round() as i64,
                Value::Decimal(d) => d
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f.round() as i64)
                    .ok_or_else(|| invalid(ty, &value))?,
                Value::Text(s) => s.trim().parse::<i64>().map_err(|_| invalid(ty, &value))?,
                _ => return Err(mismatch(ty, column, &value)),
            };
            let (min, max, name) = match ty {
                KalamDataType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX), "smallint"),
                KalamDataType::Int => (i64::from(i32::MIN), i64::from(i32::MAX), "integer"),
                _ => (i64::MIN, i64::MAX, "bigint"),
            };
            if i < min || i > max {
                return Err(KalamError::InvalidValue(format!("{name} out of range")));
            }
            Ok(Value::Int(i))
        }
        KalamDataType::Float | KalamDataType::Double => match &value {
            Value::Float(_) => Ok(value),
            Value::Int(i) => Ok(Value::Float(*i as f64)),
            Value::Decimal(d) | Value::Text(d) => d
                .trim()
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| invalid(ty, &value)),
            _ => Err(mismatch(ty, column, &value)),
        },
        KalamDataType::Decimal { precision, scale } => {
            let text = match &value {
                Value::Int(i) => i.to_string(),
                Value::Float(f) => format!("{f}"),
                Value::Decimal(d) | Value::Text(d) => d.trim().to_string(),
                _ => return Err(mismatch(ty, column, &value)),
            };
            let unscaled = decimal_unscaled(&text, *scale).ok_or_else(|| invalid(ty, &value))?;
            let digits = unscaled.unsigned_abs().to_string().len() as u8;
            if digits > *precision {
                return Err(KalamError::InvalidValue(format!(
                    "numeric field overflow\nDETAIL: A field with precision {precision}, scale {scale} must round to an absolute value less than 10^{}.",
                    i32::from(*precision) - i32::from(*scale)
                )));
            }
            Ok(Value::Decimal(format_decimal(unscaled, *scale)))
        }
        KalamDataType::Text => Ok(Value::Text(match value {
            Value::Text(s) => s,
            other => other.display(),
        })),
        KalamDataType::Json => {
            let text = match value {
                Value::Text(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Decimal(d) => d,
                other => return Err(mismatch(ty, column, &other)),
            };
            serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                KalamError::InvalidValue(format!("invalid input syntax for type json: {e}"))
            })?;
            Ok(Value::Text(text))
        }
        KalamDataType::File => match value {
            Value::Text(s) => Ok(Value::Text(s)),
            other => Err(mismatch(ty, column, &other)),
        },
        KalamDataType::Uuid => match &value {
            Value::Text(s) => {
                let parsed = uuid::Uuid::parse_str(s.trim()).map_err(|_| invalid(ty, &value))?;
                Ok(Value::Text(parsed.hyphenated().to_string()))
            }
            Value::Bytes(b) => uuid::Uuid::from_slice(b)
                .map(|u| Value::Text(u.hyphenated().to_string()))
                .map_err(|_| invalid(ty, &value)),
            _ => Err(mismatch(ty, column, &value)),
        },
        KalamDataType::Bytes => match value {
            Value::Bytes(_) => Ok(value),
            Value::Text(s) => match s.strip_prefix("\\x") {
                Some(hex) => decode_hex(hex)
                    .map(Value::Bytes)
                    .ok_or_else(|| invalid(ty, &Value::Text(s.clone()))),
                None => Ok(Value::Bytes(s.into_bytes())),
            },
            other => Err(mismatch(ty, column, &other)),
        },
        KalamDataType::Timestamp => match &value {
            Value::Timestamp(_) => Ok(value),
            Value::Int(micros) => Ok(Value::Timestamp(*micros)),
            Value::Date(d) => Ok(Value::Timestamp(i64::from(*d) * 86_400_000_000)),
            Value::Text(s) => parse_timestamp(s.trim())
                .map(Value::Timestamp)
                .ok_or_else(|| invalid(ty, &value)),
            _ => Err(mismatch(ty, column, &value)),
        },
        KalamDataType::Date => match &value {
            Value::Date(_) => Ok(value),
            Value::Timestamp(t) => Ok(Value::Date(t.div_euclid(86_400_000_000) as i32)),
            Value::Text(s) => {
                let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| invalid(ty, &value))?;
                Ok(Value::Date(days_from_epoch(date)))
            }
            _ => Err(mismatch(ty, column, &value)),
        },
        KalamDataType::Time => match &value {
            Value::Time(_) => Ok(value),
            Value::Text(s) => {
                let t = NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f")
                    .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M"))
                    .map_err(|_| invalid(ty, &value))?;
                Ok(Value::Time(
                    i64::from(t.num_seconds_from_midnight()) * 1_000_000
                        + i64::from(t.nanosecond() / 1000),
                ))
            }
            _ => Err(mismatch(ty, column, &value)),
        },
    }
}

fn days_from_epoch(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (date - epoch).num_days() as i32
}

/// Parses RFC 3339 or `YYYY-MM-DD[ T]HH:MM:SS[.f]` (UTC) or a bare date, to microseconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_micros());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_micros());
        }
    }
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(dt.timestamp_micros());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_micros())
}

/// Hex digits (`0aff`) as bytes; `None` for an odd length or a non-hex digit.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A decimal's text as an unscaled integer at `scale`, rounding half away from zero.
pub fn decimal_unscaled(text: &str, scale: i8) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    // Scientific notation goes through f64 (rare in practice).
    if digits.contains(['e', 'E']) {
        let f: f64 = text.parse().ok()?;
        let scaled = (f * 10f64.powi(i32::from(scale))).round();
        return if scaled.is_finite() && scaled.abs() < 1e38 {
            Some(scaled as i128)
        } else {
            None
        };
    }
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let scale = scale.max(0) as usize;
    let mut value: i128 = 0;
    for c in int_part.chars() {
        value = value
            .checked_mul(10)?
            .checked_add(i128::from(c.to_digit(10)?))?;
    }
    let frac: Vec<u32> = frac_part.chars().filter_map(|c| c.to_digit(10)).collect();
    for i in 0..scale {
        let d = frac.get(i).copied().unwrap_or(0);
        value = value.checked_mul(10)?.checked_add(i128::from(d))?;
    }
    if frac.get(scale).copied().unwrap_or(0) >= 5 {
        value = value.checked_add(1)?;
    }
    Some(if negative { -value } else { value })
}

/// An unscaled decimal as text: `format_decimal(1234, 2)` = `12.34`.
pub fn format_decimal(unscaled: i128, scale: i8) -> String {
    if scale <= 0 {
        return unscaled.to_string();
    }
    let scale = scale as usize;
    let negative = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (int_part, frac_part) = padded.split_at(padded.len() - scale);
    format!("{}{int_part}.{frac_part}", if negative { "-" } else { "" })
}

/// A JSON request parameter as a value.
pub fn json_param(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip() {
        assert_eq!(decimal_unscaled("12.345", 2), Some(1235));
        assert_eq!(decimal_unscaled("-0.5", 0), Some(-1));
        assert_eq!(format_decimal(1235, 2), "12.35");
        assert_eq!(format_decimal(-5, 3), "-0.005");
        assert_eq!(decimal_unscaled("abc", 2), None);
    }

    #[test]
    fn integers_check_range_and_syntax() {
        let err = coerce(Value::Text("abc".into()), &KalamDataType::BigInt, "id")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid input syntax for type bigint: \"abc\"")
        );
        assert!(coerce(Value::Int(70_000), &KalamDataType::SmallInt, "n").is_err());
        assert_eq!(
            coerce(Value::Text("42".into()), &KalamDataType::BigInt, "id").ok(),
            Some(Value::Int(42))
        );
    }

    #[test]
    fn timestamps_parse() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400_000_000));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00.5"), Some(500_000));
    }
}
