//! Typed access to the rows of a [`QueryResult`]: look cells up by column name and read them
//! with the [`cell`](crate::cell) decoders.

use crate::cell::{self, CellError};
use crate::de::DecodeError;
use crate::error::{KalamLinkError, Result};
use chrono::{DateTime, Utc};
use kalamdb_types::wire::{QueryResult, SchemaField};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One row of a result, with its schema.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    schema: &'a [SchemaField],
    cells: &'a [Value],
}

impl<'a> Row<'a> {
    pub fn new(schema: &'a [SchemaField], cells: &'a [Value]) -> Self {
        Self { schema, cells }
    }

    /// The cells in schema order.
    pub fn cells(&self) -> &'a [Value] {
        self.cells
    }

    /// The raw cell of a column; `None` if the result has no such column.
    pub fn get(&self, column: &str) -> Option<&'a Value> {
        let index = self.schema.iter().position(|f| f.name == column)?;
        self.cells.get(index)
    }

    fn read<T>(
        &self,
        column: &str,
        decode: impl FnOnce(&'a Value) -> Result<Option<T>, CellError>,
    ) -> Result<Option<T>> {
        crate::cell::decode_named(self.get(column), column, decode)
    }

    /// A BIGINT (or other integer) cell.
    pub fn get_i64(&self, column: &str) -> Result<Option<i64>> {
        self.read(column, cell::as_i64)
    }

    pub fn get_f64(&self, column: &str) -> Result<Option<f64>> {
        self.read(column, cell::as_f64)
    }

    pub fn get_bool(&self, column: &str) -> Result<Option<bool>> {
        self.read(column, cell::as_bool)
    }

    pub fn get_str(&self, column: &str) -> Result<Option<&'a str>> {
        self.read(column, cell::as_str)
    }

    /// A TIMESTAMP cell as a UTC date-time.
    pub fn get_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        self.read(column, cell::as_timestamp)
    }

    /// The whole row as `T`: a struct with fields named like the columns, a tuple of the
    /// columns in order, or a map ([`de`](crate::de) tells how each cell is read).
    pub fn decode<T: DeserializeOwned>(&self) -> std::result::Result<T, DecodeError> {
        crate::de::row_into(self.schema, self.cells)
    }
}

/// Row access on the wire's [`QueryResult`].
pub trait QueryResultExt {
    /// Position of a column in the schema.
    fn column_index(&self, name: &str) -> Option<usize>;
    /// Column names in the server's order.
    fn column_names(&self) -> Vec<&str>;
    /// The rows (none for DDL/DML results).
    fn row_views(&self) -> Vec<Row<'_>>;
    /// Row `i`, if there is one.
    fn row(&self, i: usize) -> Option<Row<'_>>;
    /// Every row as `T` (see [`Row::decode`]); the error names the row and column.
    fn rows_as<T: DeserializeOwned>(&self) -> Result<Vec<T>>;
}

impl QueryResultExt for QueryResult {
    fn column_index(&self, name: &str) -> Option<usize> {
        self.schema.iter().position(|f| f.name == name)
    }

    fn column_names(&self) -> Vec<&str> {
        self.schema.iter().map(|f| f.name.as_str()).collect()
    }

    fn row_views(&self) -> Vec<Row<'_>> {
        self.rows
            .iter()
            .flatten()
            .map(|cells| Row::new(&self.schema, cells))
            .collect()
    }

    fn row(&self, i: usize) -> Option<Row<'_>> {
        let cells = self.rows.as_ref()?.get(i)?;
        Some(Row::new(&self.schema, cells))
    }

    fn rows_as<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.row_views()
            .iter()
            .enumerate()
            .map(|(row, view)| {
                view.decode()
                    .map_err(|e| KalamLinkError::Decode { row, message: e.0 })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalamdb_types::KalamDataType;
    use serde_json::json;

    fn result() -> QueryResult {
        serde_json::from_value(json!({
            "schema": [
                {"name":"id","data_type":"BigInt","index":0,"flags":["pk","nn"]},
                {"name":"body","data_type":"Text","index":1},
                {"name":"created_at","data_type":"Timestamp","index":2}
            ],
            "rows": [["42","hello",1714564800000000_i64], ["43",null,null]],
            "row_count": 2
        }))
        .unwrap_or_default()
    }

    #[test]
    fn rows_read_by_column_name() -> Result<()> {
        let r = result();
        assert_eq!(r.schema[0].data_type, KalamDataType::BigInt);
        assert_eq!(r.column_names(), vec!["id", "body", "created_at"]);
        assert_eq!(r.column_index("body"), Some(1));
        let rows = r.row_views();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get_i64("id")?, Some(42));
        assert_eq!(rows[0].get_str("body")?, Some("hello"));
        assert_eq!(
            rows[0].get_timestamp("created_at")?.map(|t| t.timestamp()),
            Some(1_714_564_800)
        );
        assert_eq!(rows[1].get_str("body")?, None);
        assert_eq!(rows[1].get_timestamp("created_at")?, None);
        Ok(())
    }

    #[test]
    fn wrong_column_or_type_is_an_error() {
        let r = result();
        let row = r.row(0);
        assert!(matches!(
            row.map(|row| row.get_i64("nope")),
            Some(Err(KalamLinkError::NoSuchColumn(c))) if c == "nope"
        ));
        assert!(matches!(
            row.map(|row| row.get_bool("body")),
            Some(Err(KalamLinkError::Cell { column, expected: "a boolean", .. })) if column == "body"
        ));
        assert!(r.row(5).is_none());
        assert!(QueryResult::default().row_views().is_empty());
    }
}
