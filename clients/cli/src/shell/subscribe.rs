//! `\subscribe <select>` (or the SQL form `SUBSCRIBE TO ns.t [WHERE ...] [OPTIONS (...)]`): a
//! live query over the WebSocket of API.md. The initial rows are
//! printed as one table once loaded (pulling further pages with `next_batch`), then each change
//! as a line (`INSERT`, `UPDATE`, `DELETE` with the row's columns) until Ctrl-C, which
//! unsubscribes. It runs on kalam-link's subscription, so a dropped connection is reported,
//! retried with backoff and resumed after the last `_seq` shown: the rows changed meanwhile
//! print as `CHANGED` lines, and nothing is shown twice.

use crate::output::Printer;
use crate::render::{cell, table};
use kalam_link::{KalamClient, LiveEvent, QueryResult, RowObject, SchemaField, SubscribeOptions};
use serde_json::Value;
use tokio::runtime::Runtime;

/// Runs the subscription until Ctrl-C or the server ends it; problems are printed.
pub fn run(
    runtime: &Runtime,
    client: &KalamClient,
    printer: &mut Printer,
    sql: &str,
    options: SubscribeOptions,
) {
    if let Err(message) = runtime.block_on(listen(client, printer, sql, options)) {
        printer.error_text(&format!("ERROR: {message}"));
    }
}

/// The SELECT and options of a `SUBSCRIBE TO ns.t [WHERE ...] [OPTIONS (k=v, ...)]`
/// statement; a bare table name is qualified with `namespace`. `None` for other statements;
/// `Err` for options it cannot read.
pub fn from_subscribe_to(
    statement: &str,
    namespace: Option<&str>,
) -> Option<Result<(String, SubscribeOptions), String>> {
    let text = statement.trim().trim_end_matches(';').trim();
    let mut words = text.splitn(3, char::is_whitespace);
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return None;
    };
    if !first.eq_ignore_ascii_case("subscribe") || !second.eq_ignore_ascii_case("to") {
        return None;
    }
    let rest = words.next().unwrap_or_default().trim();
    let lower = rest.to_ascii_lowercase();
    let (target, options) = match lower.rfind("options") {
        Some(at) if rest[at + 7..].trim_start().starts_with('(') => {
            (rest[..at].trim(), Some(rest[at + 7..].trim()))
        }
        _ => (rest, None),
    };
    if target.is_empty() {
        return Some(Err(
            "SUBSCRIBE TO needs a table: SUBSCRIBE TO ns.table".into()
        ));
    }
    let (table, filter) = match target.split_once(char::is_whitespace) {
        Some((table, filter)) => (table, format!(" {}", filter.trim())),
        None => (target, String::new()),
    };
    let table = match (namespace, table.contains('.')) {
        (Some(ns), false) => format!("{ns}.{table}"),
        _ => table.to_string(),
    };
    let parsed = match options {
        Some(list) => parse_options(list),
        None => Ok(SubscribeOptions::default()),
    };
    Some(parsed.map(|o| (format!("SELECT * FROM {table}{filter}"), o)))
}

/// `(last_rows=20, batch_size=100, from_seq_id=123)`.
fn parse_options(list: &str) -> Result<SubscribeOptions, String> {
    let inner = list
        .strip_prefix('(')
        .and_then(|l| l.strip_suffix(')'))
        .ok_or_else(|| format!("OPTIONS must be a list in parentheses: {list}"))?;
    let mut options = SubscribeOptions::default();
    for pair in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()))
            .ok_or_else(|| format!("option '{pair}' needs a value: name=value"))?;
        let bad = || format!("option {key} needs a number, not '{value}'");
        match key.as_str() {
            "last_rows" => options.last_rows = Some(value.parse().map_err(|_| bad())?),
            "batch_size" => options.batch_size = Some(value.parse().map_err(|_| bad())?),
            "from_seq_id" => options.from_seq_id = Some(value.parse().map_err(|_| bad())?),
            _ => {
                return Err(format!(
                    "unknown option {key}: use last_rows, batch_size or from_seq_id"
                ));
            }
        }
    }
    Ok(options)
}

async fn listen(
    client: &KalamClient,
    printer: &mut Printer,
    sql: &str,
    options: SubscribeOptions,
) -> Result<(), String> {
    let sql = sql.trim().trim_end_matches(';').to_string();
    let mut subscription = client
        .subscribe(sql, options)
        .await
        .map_err(|e| e.to_string())?;
    let mut schema: Vec<SchemaField> = Vec::new();
    let mut initial: Vec<RowObject> = Vec::new();
    // The first load prints as a table; after a reconnect the rows changed meanwhile print
    // as lines.
    let mut resumed = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let event = tokio::select! {
            event = subscription.next() => event,
            _ = &mut ctrl_c => {
                subscription.unsubscribe().await;
                eprintln!("Subscription ended.");
                return Ok(());
            }
        };
        let Some(event) = event else {
            return Err("the live query ended".into());
        };
        match event {
            LiveEvent::Ack {
                schema: fields,
                resumed_from,
                ..
            } => {
                schema = fields;
                if let Some(seq) = resumed_from {
                    resumed = true;
                    eprintln!("Reconnected; changes after _seq {seq} follow.");
                }
            }
            LiveEvent::InitialRows { rows, has_more, .. } => {
                initial.extend(rows);
                if has_more {
                    continue;
                }
                if resumed {
                    printer.text(&change_lines(&schema, "CHANGED", &initial));
                } else {
                    let result = as_result(&schema, &initial);
                    printer.text(&table::render_result(&result));
                    eprintln!("Listening for changes; press Ctrl-C to stop.");
                }
                initial.clear();
            }
            LiveEvent::Insert { rows } => printer.text(&change_lines(&schema, "INSERT", &rows)),
            LiveEvent::Update { rows, .. } => {
                printer.text(&change_lines(&schema, "UPDATE", &rows));
            }
            LiveEvent::Delete { old_values } => {
                printer.text(&change_lines(&schema, "DELETE", &old_values));
            }
            LiveEvent::Disconnected {
                reason,
                attempt,
                retry_in_ms,
            } => eprintln!(
                "Live-query connection lost ({reason}); reconnecting in {retry_in_ms} ms \
                 (attempt {attempt})."
            ),
            LiveEvent::Error { code, message } => return Err(format!("{code}: {message}")),
            _ => {}
        }
    }
}

/// Column order: the subscription's schema, else the row's own keys.
fn columns(schema: &[SchemaField], row: Option<&RowObject>) -> Vec<String> {
    if schema.is_empty() {
        row.map(|r| r.keys().cloned().collect()).unwrap_or_default()
    } else {
        schema.iter().map(|f| f.name.clone()).collect()
    }
}

fn as_result(schema: &[SchemaField], rows: &[RowObject]) -> QueryResult {
    let names = columns(schema, rows.first());
    let fields: Vec<SchemaField> = if schema.is_empty() {
        names
            .iter()
            .enumerate()
            .map(|(index, name)| SchemaField {
                name: name.clone(),
                data_type: kalam_link::KalamDataType::Text,
                index,
                flags: Vec::new(),
            })
            .collect()
    } else {
        schema.to_vec()
    };
    let cells: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| {
            names
                .iter()
                .map(|n| row.get(n).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    QueryResult {
        schema: fields,
        row_count: cells.len(),
        rows: Some(cells),
        ..QueryResult::default()
    }
}

/// `INSERT id=1, body=hello` per row, `label` first; updates show the new row, deletes the
/// old values (the key and `_seq`).
fn change_lines(schema: &[SchemaField], label: &str, rows: &[RowObject]) -> String {
    let mut text = String::new();
    for row in rows {
        let names = columns(schema, Some(row));
        let pairs: Vec<String> = names
            .iter()
            .filter(|n| row.contains_key(n.as_str()))
            .map(|n| {
                let field = schema.iter().find(|f| &f.name == n);
                let value = row.get(n).unwrap_or(&Value::Null);
                let shown = cell::text(field, value).unwrap_or_else(|| "NULL".into());
                format!("{n}={shown}")
            })
            .collect();
        text.push_str(&format!("{label} {}\n", pairs.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Vec<SchemaField> {
        serde_json::from_value(json!([
            {"name":"id","data_type":"BigInt","index":0},
            {"name":"at","data_type":"Timestamp","index":1}
        ]))
        .unwrap_or_default()
    }

    fn row(value: Value) -> RowObject {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn changes_print_one_line_per_row_in_schema_order() {
        let rows = vec![row(
            json!({"at": 1714564800000000_i64, "id": "7", "_seq": "9"}),
        )];
        assert_eq!(
            change_lines(&schema(), "INSERT", &rows),
            "INSERT id=7, at=2024-05-01T12:00:00Z\n"
        );
        let old = vec![row(json!({"id": "7", "_seq": "9"}))];
        assert_eq!(change_lines(&schema(), "DELETE", &old), "DELETE id=7\n");
    }

    #[test]
    fn subscribe_to_becomes_a_select_with_options() {
        let parsed = from_subscribe_to(
            "SUBSCRIBE TO app.notes WHERE id > 1 OPTIONS (last_rows=5, from_seq_id=9);",
            None,
        );
        let Some(Ok((sql, options))) = parsed else {
            panic!("not parsed: {parsed:?}");
        };
        assert_eq!(sql, "SELECT * FROM app.notes WHERE id > 1");
        assert_eq!((options.last_rows, options.from_seq_id), (Some(5), Some(9)));
        let bare = from_subscribe_to("subscribe to notes", Some("app"));
        assert!(matches!(bare, Some(Ok((ref s, _))) if s == "SELECT * FROM app.notes"));
        assert!(from_subscribe_to("SELECT 1", None).is_none());
        let bad = from_subscribe_to("SUBSCRIBE TO t OPTIONS (rows=1)", None);
        assert!(matches!(bad, Some(Err(ref m)) if m.contains("unknown option rows")));
    }

    #[test]
    fn initial_rows_become_a_table() {
        let result = as_result(&schema(), &[row(json!({"id": "1", "at": null}))]);
        assert_eq!(result.rows, Some(vec![vec![json!("1"), Value::Null]]));
    }
}
