//! [`LiveRowExt`]: typed reads of live rows (objects of wire cells), with the same decoders as
//! query results: BIGINT text to `i64`, TIMESTAMP microseconds to `DateTime<Utc>`.

use super::state::row_seq;
use crate::cell::{self, CellError};
use crate::error::Result;
use chrono::{DateTime, Utc};
use kalamdb_types::ws::RowObject;
use serde_json::Value;

fn read<'a, T>(
    row: &'a RowObject,
    column: &str,
    decode: impl FnOnce(&'a Value) -> Result<Option<T>, CellError>,
) -> Result<Option<T>> {
    cell::decode_named(row.get(column), column, decode)
}

/// Typed cells of a live row; `Ok(None)` is SQL NULL, a missing column is an error.
pub trait LiveRowExt {
    fn get_i64(&self, column: &str) -> Result<Option<i64>>;
    fn get_f64(&self, column: &str) -> Result<Option<f64>>;
    fn get_bool(&self, column: &str) -> Result<Option<bool>>;
    fn get_str(&self, column: &str) -> Result<Option<&str>>;
    fn get_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>>;
    /// The row's `_seq`.
    fn seq(&self) -> Option<i64>;
}

impl LiveRowExt for RowObject {
    fn get_i64(&self, column: &str) -> Result<Option<i64>> {
        read(self, column, cell::as_i64)
    }

    fn get_f64(&self, column: &str) -> Result<Option<f64>> {
        read(self, column, cell::as_f64)
    }

    fn get_bool(&self, column: &str) -> Result<Option<bool>> {
        read(self, column, cell::as_bool)
    }

    fn get_str(&self, column: &str) -> Result<Option<&str>> {
        read(self, column, cell::as_str)
    }

    fn get_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        read(self, column, cell::as_timestamp)
    }

    fn seq(&self) -> Option<i64> {
        row_seq(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KalamLinkError;
    use serde_json::json;

    #[test]
    fn live_cells_decode_like_query_cells() {
        let row = json!({"id": "9007199254740993", "body": null, "at": 1_714_564_800_000_000_i64, "_seq": "77"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            row.get_i64("id").ok().flatten(),
            Some(9_007_199_254_740_993)
        );
        assert_eq!(row.get_str("body").ok().flatten(), None);
        let at = row.get_timestamp("at").ok().flatten();
        assert_eq!(at.map(|t| t.timestamp()), Some(1_714_564_800));
        assert_eq!(row.seq(), Some(77));
        assert!(matches!(
            row.get_i64("nope"),
            Err(KalamLinkError::NoSuchColumn(_))
        ));
        assert!(matches!(
            row.get_bool("id"),
            Err(KalamLinkError::Cell { .. })
        ));
    }
}
