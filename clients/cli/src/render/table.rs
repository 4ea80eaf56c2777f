//! Table output, the default: each result as a box table in the server's column order with
//! `NULL` for nulls and numbers right-aligned, then `(N rows)`; DDL/DML results as the server's
//! message and `Query OK, N rows affected`; finally `Took: X.XXX ms` (server time) when timing
//! is on. Tables wider than the terminal wrap their cells to fit it, or switch to the expanded
//! layout when `\x auto` is set.

use super::{Display, Expanded, cell, expanded, has_rows};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use kalam_link::{QueryResponse, QueryResult};

/// Box lines without separators between data rows:
/// borders `│ │ ─ ─`, header `├ ─ ┼ ┤`, inner `│`, corners `┬ ┴ ┌ ┐ └ ┘`.
const BOX_PRESET: &str = "││──├─┼┤│    ┬┴┌┐└┘";

pub fn render_response(display: &Display, response: &QueryResponse) -> String {
    // Results are separated by an empty line; the timing follows the last one directly.
    let mut text = response
        .results
        .iter()
        .map(|r| render_result_with(display, r))
        .collect::<Vec<_>>()
        .join("\n");
    if display.timing {
        text.push_str(&took(response.took));
    }
    text
}

/// `Took: 3.217 ms`.
pub fn took(ms: f64) -> String {
    format!("Took: {ms:.3} ms")
}

/// A result as a plain table (no width limit).
pub fn render_result(result: &QueryResult) -> String {
    render_result_with(&Display::default(), result)
}

fn render_result_with(display: &Display, result: &QueryResult) -> String {
    if !has_rows(result) {
        let mut text = String::new();
        if let Some(message) = &result.message {
            text.push_str(message);
            text.push('\n');
        }
        text.push_str(&format!(
            "Query OK, {} {} affected\n",
            result.row_count,
            plural(result.row_count)
        ));
        return text;
    }
    let rows = result.rows.as_deref().unwrap_or_default();
    if display.expanded == Expanded::On {
        return expanded::render_with_null(result, &display.null);
    }
    let mut text = String::new();
    if !result.schema.is_empty() {
        let natural = table(result, &display.null).to_string();
        let too_wide = display
            .width
            .is_some_and(|w| natural.lines().any(|l| l.chars().count() > w));
        if too_wide && display.expanded == Expanded::Auto && !rows.is_empty() {
            return expanded::render_with_null(result, &display.null);
        }
        match display.width.and_then(|w| u16::try_from(w).ok()) {
            Some(width) if too_wide => {
                let mut fitted = table(result, &display.null);
                fitted
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(width);
                text.push_str(&fitted.to_string());
            }
            _ => text.push_str(&natural),
        }
        text.push('\n');
    }
    text.push_str(&format!("({} {})\n", rows.len(), plural(rows.len())));
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "row" } else { "rows" }
}

fn table(result: &QueryResult, null: &str) -> Table {
    let mut table = Table::new();
    table.load_preset(BOX_PRESET);
    // Headers stay left-aligned even over right-aligned numeric columns.
    table.set_header(
        result
            .schema
            .iter()
            .map(|f| Cell::new(&f.name).set_alignment(CellAlignment::Left)),
    );
    for row in result.rows.iter().flatten() {
        table.add_row(row.iter().enumerate().map(|(i, value)| {
            Cell::new(cell::text(result.schema.get(i), value).unwrap_or_else(|| null.into()))
        }));
    }
    for (i, field) in result.schema.iter().enumerate() {
        if cell::is_numeric(&field.data_type)
            && let Some(column) = table.column_mut(i)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(value: serde_json::Value) -> QueryResult {
        serde_json::from_value(value).unwrap_or_default()
    }

    fn messages() -> QueryResult {
        result(json!({
            "schema": [
                {"name":"id","data_type":"BigInt","index":0,"flags":["pk","nn"]},
                {"name":"body","data_type":"Text","index":1},
                {"name":"score","data_type":"Double","index":2},
                {"name":"created_at","data_type":"Timestamp","index":3}
            ],
            "rows": [
                ["42","hello",1.5,1714564800000000_i64],
                ["1000",null,null,1714564800250000_i64]
            ],
            "row_count": 2,
            "as_user": "root"
        }))
    }

    #[test]
    fn rows_render_as_a_box_table() {
        let text = render_response(
            &Display::default(),
            &QueryResponse {
                results: vec![messages()],
                took: 3.2171,
            },
        );
        let expected = "\
┌──────┬───────┬───────┬──────────────────────────┐
│ id   │ body  │ score │ created_at               │
├──────┼───────┼───────┼──────────────────────────┤
│   42 │ hello │   1.5 │ 2024-05-01T12:00:00Z     │
│ 1000 │ NULL  │  NULL │ 2024-05-01T12:00:00.250Z │
└──────┴───────┴───────┴──────────────────────────┘
(2 rows)
Took: 3.217 ms";
        assert_eq!(text, expected);
    }

    #[test]
    fn one_row_and_no_rows() {
        let one = result(json!({
            "schema": [{"name":"x","data_type":"Int","index":0}],
            "rows": [[1]], "row_count": 1
        }));
        assert!(render_result(&one).ends_with("\n(1 row)\n"));
        let none = result(json!({
            "schema": [{"name":"x","data_type":"Int","index":0}],
            "rows": [], "row_count": 0
        }));
        let text = render_result(&none);
        assert!(text.contains("│ x │"), "{text}");
        assert!(text.ends_with("\n(0 rows)\n"));
    }

    #[test]
    fn ddl_and_dml_print_message_and_count() {
        let created =
            result(json!({"message":"Namespace 'app' created successfully","row_count":0}));
        assert_eq!(
            render_result(&created),
            "Namespace 'app' created successfully\nQuery OK, 0 rows affected\n"
        );
        let inserted = result(json!({"message":"Inserted 1 row(s)","row_count":1}));
        assert_eq!(
            render_result(&inserted),
            "Inserted 1 row(s)\nQuery OK, 1 row affected\n"
        );
        let text = render_response(
            &Display::default(),
            &QueryResponse {
                results: vec![created, inserted],
                took: 0.25,
            },
        );
        assert!(text.ends_with("successfully\nQuery OK, 0 rows affected\n\nInserted 1 row(s)\nQuery OK, 1 row affected\nTook: 0.250 ms"), "{text}");
    }

    #[test]
    fn wide_tables_fit_the_width_or_turn_expanded() {
        let long = "word ".repeat(30);
        let wide = result(json!({
            "schema": [
                {"name":"id","data_type":"Int","index":0},
                {"name":"body","data_type":"Text","index":1}
            ],
            "rows": [[1, long]], "row_count": 1
        }));
        let response = QueryResponse {
            results: vec![wide],
            took: 1.0,
        };
        let fitted = render_response(
            &Display {
                width: Some(60),
                ..Display::default()
            },
            &response,
        );
        assert!(fitted.lines().all(|l| l.chars().count() <= 60), "{fitted}");
        assert!(fitted.contains("(1 row)"), "{fitted}");
        let auto = render_response(
            &Display {
                width: Some(60),
                expanded: Expanded::Auto,
                timing: false,
                ..Display::default()
            },
            &response,
        );
        assert!(auto.starts_with("-[ RECORD 1 ]"), "{auto}");
        let untimed = render_response(
            &Display {
                timing: false,
                ..Display::default()
            },
            &response,
        );
        assert!(!untimed.contains("Took:"), "{untimed}");
    }
}
