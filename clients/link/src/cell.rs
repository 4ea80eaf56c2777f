//! Reading result cells as Rust values, following API.md's cell encoding: BIGINT arrives as a
//! JSON string (no precision loss), TIMESTAMP as integer microseconds since the epoch, DATE and
//! TIME as text, NULL as `null`. Every reader returns `Ok(None)` for NULL.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// Decodes the cell of `column` (`None`: the row has no such column), naming the column in
/// the error.
pub(crate) fn decode_named<'a, T>(
    value: Option<&'a serde_json::Value>,
    column: &str,
    decode: impl FnOnce(&'a serde_json::Value) -> Result<Option<T>, CellError>,
) -> crate::error::Result<Option<T>> {
    let value = value.ok_or_else(|| crate::error::KalamLinkError::NoSuchColumn(column.into()))?;
    decode(value).map_err(|e| crate::error::KalamLinkError::Cell {
        column: column.into(),
        expected: e.expected,
        found: e.found,
    })
}

/// A cell that does not hold the type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    pub expected: &'static str,
    /// The cell as JSON, shortened.
    pub found: String,
}

fn mismatch(expected: &'static str, value: &Value) -> CellError {
    CellError {
        expected,
        found: shortened(value),
    }
}

/// A cell as JSON text, cut to 40 bytes (at a character boundary) for error messages.
pub(crate) fn shortened(value: &Value) -> String {
    let mut found = value.to_string();
    if found.len() > 40 {
        let cut = (0..=40)
            .rev()
            .find(|i| found.is_char_boundary(*i))
            .unwrap_or(0);
        found.truncate(cut);
        found.push_str("...");
    }
    found
}

/// A BIGINT/INT/SMALLINT cell: a JSON string of digits or a JSON integer.
pub fn as_i64(value: &Value) -> Result<Option<i64>, CellError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| mismatch("an integer", value)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| mismatch("an integer", value)),
        _ => Err(mismatch("an integer", value)),
    }
}

/// An unsigned BIGINT cell.
pub fn as_u64(value: &Value) -> Result<Option<u64>, CellError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| mismatch("an unsigned integer", value)),
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| mismatch("an unsigned integer", value)),
        _ => Err(mismatch("an unsigned integer", value)),
    }
}

/// A FLOAT/DOUBLE cell (integers are accepted too).
pub fn as_f64(value: &Value) -> Result<Option<f64>, CellError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| mismatch("a number", value)),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| mismatch("a number", value)),
        _ => Err(mismatch("a number", value)),
    }
}

/// A BOOLEAN cell.
pub fn as_bool(value: &Value) -> Result<Option<bool>, CellError> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        _ => Err(mismatch("a boolean", value)),
    }
}

/// A TEXT (or DATE, TIME, UUID ...) cell.
pub fn as_str(value: &Value) -> Result<Option<&str>, CellError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(mismatch("text", value)),
    }
}

/// A TIMESTAMP cell: integer microseconds since the Unix epoch (a string of digits and an
/// RFC 3339 text are accepted too).
pub fn as_timestamp(value: &Value) -> Result<Option<DateTime<Utc>>, CellError> {
    const EXPECTED: &str = "a timestamp (microseconds since the epoch)";
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .and_then(DateTime::from_timestamp_micros)
            .map(Some)
            .ok_or_else(|| mismatch(EXPECTED, value)),
        Value::String(s) => {
            if let Ok(micros) = s.trim().parse::<i64>() {
                return DateTime::from_timestamp_micros(micros)
                    .map(Some)
                    .ok_or_else(|| mismatch(EXPECTED, value));
            }
            DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| mismatch(EXPECTED, value))
        }
        _ => Err(mismatch(EXPECTED, value)),
    }
}

/// ISO 8601 / RFC 3339 text of a timestamp in UTC, with as many fractional digits as needed
/// (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.250Z`, `...00.000001Z`).
pub fn format_timestamp(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bigint_cells_arrive_as_strings() {
        assert_eq!(
            as_i64(&json!("9007199254740993")),
            Ok(Some(9_007_199_254_740_993))
        );
        assert_eq!(as_i64(&json!("-42")), Ok(Some(-42)));
        assert_eq!(as_i64(&json!(7)), Ok(Some(7)));
        assert_eq!(as_i64(&Value::Null), Ok(None));
        assert_eq!(as_u64(&json!("18446744073709551615")), Ok(Some(u64::MAX)));
        let err = as_i64(&json!("forty-two")).err();
        assert_eq!(err.map(|e| e.expected), Some("an integer"));
        assert!(as_i64(&json!(1.5)).is_err());
        assert!(as_i64(&json!(true)).is_err());
    }

    #[test]
    fn timestamp_cells_are_microseconds() {
        let ts = as_timestamp(&json!(1_714_564_800_250_000_i64))
            .ok()
            .flatten();
        assert_eq!(
            ts.map(|t| format_timestamp(&t)).as_deref(),
            Some("2024-05-01T12:00:00.250Z")
        );
        let whole = as_timestamp(&json!(1_714_564_800_000_000_i64))
            .ok()
            .flatten();
        assert_eq!(
            whole.map(|t| format_timestamp(&t)).as_deref(),
            Some("2024-05-01T12:00:00Z")
        );
        let micro = as_timestamp(&json!("1714564800000001")).ok().flatten();
        assert_eq!(
            micro.map(|t| format_timestamp(&t)).as_deref(),
            Some("2024-05-01T12:00:00.000001Z")
        );
        assert_eq!(as_timestamp(&Value::Null), Ok(None));
        assert!(as_timestamp(&json!("yesterday")).is_err());
        assert!(as_timestamp(&json!(i64::MAX)).is_err());
    }

    #[test]
    fn other_cells() {
        assert_eq!(as_bool(&json!(true)), Ok(Some(true)));
        assert_eq!(as_f64(&json!(2.5)), Ok(Some(2.5)));
        assert_eq!(as_str(&json!("hi")), Ok(Some("hi")));
        assert!(as_str(&json!(1)).is_err());
        let long = "x".repeat(100);
        let found = as_bool(&json!(long)).err().map(|e| e.found.len());
        assert_eq!(found, Some(43));
    }
}
