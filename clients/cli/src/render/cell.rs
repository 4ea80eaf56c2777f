//! One cell as text. TIMESTAMP cells (integer microseconds on the wire) become ISO 8601 UTC;
//! BIGINT cells arrive as text and are shown as is; JSON cells are shown compact.

use kalam_link::cell::{as_timestamp, format_timestamp};
use kalam_link::{KalamDataType, SchemaField};
use serde_json::Value;

/// Text of a non-null cell; `None` for NULL (each format prints NULL its own way).
pub fn text(field: Option<&SchemaField>, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    if field.is_some_and(|f| f.data_type == KalamDataType::Timestamp)
        && let Ok(Some(ts)) = as_timestamp(value)
    {
        return Some(format_timestamp(&ts));
    }
    Some(match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    })
}

/// Columns whose cells are right-aligned in tables.
pub fn is_numeric(data_type: &KalamDataType) -> bool {
    matches!(
        data_type,
        KalamDataType::SmallInt
            | KalamDataType::Int
            | KalamDataType::BigInt
            | KalamDataType::Float
            | KalamDataType::Double
            | KalamDataType::Decimal { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(data_type: KalamDataType) -> SchemaField {
        SchemaField {
            name: "c".into(),
            data_type,
            index: 0,
            flags: Vec::new(),
        }
    }

    #[test]
    fn cells_as_text() {
        let ts = field(KalamDataType::Timestamp);
        assert_eq!(
            text(Some(&ts), &json!(1_714_564_800_123_456_i64)).as_deref(),
            Some("2024-05-01T12:00:00.123456Z")
        );
        assert_eq!(text(Some(&ts), &Value::Null), None);
        let big = field(KalamDataType::BigInt);
        assert_eq!(
            text(Some(&big), &json!("9007199254740993")).as_deref(),
            Some("9007199254740993")
        );
        assert_eq!(text(None, &json!(1.5)).as_deref(), Some("1.5"));
        assert_eq!(text(None, &json!(false)).as_deref(), Some("false"));
        assert_eq!(
            text(None, &json!({"a": [1, 2]})).as_deref(),
            Some(r#"{"a":[1,2]}"#)
        );
        assert!(is_numeric(&KalamDataType::Decimal {
            precision: 10,
            scale: 2
        }));
        assert!(!is_numeric(&KalamDataType::Text));
    }
}
