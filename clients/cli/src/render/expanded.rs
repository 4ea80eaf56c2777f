//! Expanded display (`\x`), as psql prints it: one block per row, a `-[ RECORD n ]` header
//! line, then `column | value` lines with the column names padded to one width. Multi-line
//! values continue under the value column.

use super::cell;
use kalam_link::QueryResult;

/// The result in blocks, `null` shown for NULL cells (`NULL` unless `\pset null` changed it).
pub fn render_with_null(result: &QueryResult, null: &str) -> String {
    let rows = result.rows.as_deref().unwrap_or_default();
    if rows.is_empty() {
        return "(0 rows)\n".to_string();
    }
    let key_width = result
        .schema
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0);
    let records: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, v)| cell::text(result.schema.get(i), v).unwrap_or_else(|| null.into()))
                .collect()
        })
        .collect();
    // Like psql, every header uses the widths of the whole result.
    let value_width = records
        .iter()
        .flatten()
        .flat_map(|v| v.lines())
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (n, values) in records.iter().enumerate() {
        text.push_str(&header(n + 1, key_width, value_width));
        text.push('\n');
        for (field, value) in result.schema.iter().zip(values) {
            let mut lines = value.lines();
            let first = lines.next().unwrap_or("");
            text.push_str(&format!("{:<key_width$} | {first}", field.name));
            text.push('\n');
            for more in lines {
                text.push_str(&format!("{:<key_width$} | {more}\n", ""));
            }
        }
    }
    text
}

/// `-[ RECORD 1 ]-+------`: dashes up to the `|` of the rows, a `+` there, dashes over the values.
fn header(n: usize, key_width: usize, value_width: usize) -> String {
    let label = format!("-[ RECORD {n} ]");
    let label_width = label.chars().count();
    if label_width <= key_width + 1 {
        format!(
            "{label}{}+{}",
            "-".repeat(key_width + 1 - label_width),
            "-".repeat(value_width + 1)
        )
    } else {
        let total = key_width + 3 + value_width;
        format!("{label}{}", "-".repeat(total.saturating_sub(label_width)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_block_per_row() {
        let result: QueryResult = serde_json::from_value(json!({
            "schema": [
                {"name":"id","data_type":"BigInt","index":0},
                {"name":"description","data_type":"Text","index":1}
            ],
            "rows": [["1","apple"],["2",null]],
            "row_count": 2
        }))
        .unwrap_or_default();
        assert_eq!(
            render_with_null(&result, "NULL"),
            "\
-[ RECORD 1 ]------
id          | 1
description | apple
-[ RECORD 2 ]------
id          | 2
description | NULL
"
        );
    }

    #[test]
    fn long_names_put_the_plus_over_the_bar() {
        assert_eq!(header(1, 16, 3), "-[ RECORD 1 ]----+----");
        let empty: QueryResult = serde_json::from_value(json!({
            "schema": [{"name":"id","data_type":"Int","index":0}], "rows": [], "row_count": 0
        }))
        .unwrap_or_default();
        assert_eq!(render_with_null(&empty, "NULL"), "(0 rows)\n");
    }
}
