//! `\subscribe <select>`: a live query over the WebSocket of API.md. The initial rows are
//! printed as one table once loaded (pulling further pages with `next_batch`), then each change
//! as a line (`INSERT`, `UPDATE`, `DELETE` with the row's columns) until Ctrl-C, which
//! unsubscribes. kalam-link has no WebSocket client yet, so the CLI speaks the protocol itself
//! with the shared `kalamdb_types::ws` messages; it should move to kalam-link's subscriptions
//! once those exist.

use crate::output::Printer;
use crate::render::{cell, table};
use futures::{SinkExt, StreamExt};
use kalam_link::{Auth, KalamClient, QueryResult, SchemaField};
use kalamdb_types::ws::{
    ChangeType, ClientMessage, Protocol, RowObject, ServerMessage, SubscriptionOptions,
    SubscriptionRequest,
};
use serde_json::Value;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

const SUBSCRIPTION_ID: &str = "kalam-cli";
/// The server drops clients silent for 10 s.
const PING_EVERY: Duration = Duration::from_secs(4);

/// Runs the subscription until Ctrl-C or the server ends it; problems are printed.
pub fn run(runtime: &Runtime, client: &KalamClient, printer: &mut Printer, sql: &str) {
    if let Err(message) = runtime.block_on(listen(client, printer, sql)) {
        printer.error_text(&format!("ERROR: {message}"));
    }
}

/// `ws://host:port/v1/ws` for `http://host:port` (wss for https).
pub fn ws_url(http_url: &str) -> String {
    let rest = http_url
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| {
            http_url
                .strip_prefix("http://")
                .map(|r| format!("ws://{r}"))
        })
        .unwrap_or_else(|| http_url.to_string());
    format!("{rest}/v1/ws")
}

async fn token(client: &KalamClient) -> Result<String, String> {
    match client.auth() {
        Auth::Jwt(token) => Ok(token.clone()),
        Auth::Basic { .. } => client
            .login()
            .await
            .map(|login| login.access_token)
            .map_err(|e| e.to_string()),
        Auth::None => Err("live queries need a logged-in user".into()),
    }
}

fn encode(message: &ClientMessage) -> Result<Message, String> {
    serde_json::to_string(message)
        .map(Message::text)
        .map_err(|e| e.to_string())
}

async fn listen(client: &KalamClient, printer: &mut Printer, sql: &str) -> Result<(), String> {
    let token = token(client).await?;
    let url = ws_url(client.url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .map_err(|e| format!("could not open the live-query connection {url}: {e}"))?;
    let authenticate = ClientMessage::Authenticate {
        method: Some("jwt".into()),
        token: Some(token),
        protocol: Some(Protocol {
            serialization: "json".into(),
            compression: "none".into(),
        }),
    };
    ws.send(encode(&authenticate)?)
        .await
        .map_err(|e| e.to_string())?;
    let subscribe = ClientMessage::Subscribe {
        subscription: SubscriptionRequest {
            id: SUBSCRIPTION_ID.into(),
            sql: sql.trim().trim_end_matches(';').to_string(),
            options: SubscriptionOptions::default(),
        },
    };
    let mut schema: Vec<SchemaField> = Vec::new();
    let mut initial: Vec<RowObject> = Vec::new();
    let mut subscribed = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut pings = tokio::time::interval(PING_EVERY);
    loop {
        let frame = tokio::select! {
            frame = ws.next() => frame,
            _ = &mut ctrl_c => {
                let bye = ClientMessage::Unsubscribe { subscription_id: SUBSCRIPTION_ID.into() };
                let _ = ws.send(encode(&bye)?).await;
                let _ = ws.close(None).await;
                eprintln!("Subscription ended.");
                return Ok(());
            }
            _ = pings.tick() => {
                let _ = ws.send(encode(&ClientMessage::Ping)?).await;
                continue;
            }
        };
        let text = match frame {
            None | Some(Ok(Message::Close(_))) => {
                return Err("the server closed the live-query connection".into());
            }
            Some(Err(e)) => return Err(format!("live-query connection failed: {e}")),
            Some(Ok(Message::Text(text))) => text.as_str().to_string(),
            Some(Ok(_)) => continue,
        };
        let message: ServerMessage = serde_json::from_str(&text)
            .map_err(|e| format!("unexpected live-query message ({e}): {text}"))?;
        match message {
            ServerMessage::AuthSuccess { .. } if !subscribed => {
                subscribed = true;
                ws.send(encode(&subscribe)?)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            ServerMessage::AuthError { message } => {
                return Err(format!("live-query authentication failed: {message}"));
            }
            ServerMessage::SubscriptionAck {
                schema: fields,
                batch_control,
                ..
            } => {
                schema = fields;
                if batch_control.has_more {
                    request_more(&mut ws, batch_control.last_seq_id).await?;
                }
            }
            ServerMessage::InitialDataBatch {
                rows,
                batch_control,
                ..
            } => {
                initial.extend(rows);
                if batch_control.has_more {
                    request_more(&mut ws, batch_control.last_seq_id).await?;
                } else {
                    let result = as_result(&schema, &initial);
                    printer.text(&table::render_result(&result));
                    initial.clear();
                    eprintln!("Listening for changes; press Ctrl-C to stop.");
                }
            }
            ServerMessage::Change {
                change_type,
                rows,
                old_values,
                ..
            } => {
                let lines = change_lines(&schema, change_type, rows, old_values);
                printer.text(&lines);
            }
            ServerMessage::Error { code, message, .. } => {
                return Err(format!("{code}: {message}"));
            }
            ServerMessage::AuthSuccess { .. } | ServerMessage::Pong => {}
        }
    }
}

async fn request_more<S>(ws: &mut S, last_seq_id: Option<i64>) -> Result<(), String>
where
    S: SinkExt<Message> + Unpin,
    S::Error: std::fmt::Display,
{
    let next = ClientMessage::NextBatch {
        subscription_id: SUBSCRIPTION_ID.into(),
        last_seq_id,
    };
    ws.send(encode(&next)?).await.map_err(|e| e.to_string())
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

/// `INSERT id=1, body=hello` per row; updates show the new row, deletes the old values.
fn change_lines(
    schema: &[SchemaField],
    change: ChangeType,
    rows: Option<Vec<RowObject>>,
    old_values: Option<Vec<RowObject>>,
) -> String {
    let (label, rows) = match change {
        ChangeType::Insert => ("INSERT", rows.unwrap_or_default()),
        ChangeType::Update => ("UPDATE", rows.unwrap_or_default()),
        ChangeType::Delete => ("DELETE", old_values.unwrap_or_default()),
    };
    let mut text = String::new();
    for row in &rows {
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
            change_lines(&schema(), ChangeType::Insert, Some(rows), None),
            "INSERT id=7, at=2024-05-01T12:00:00Z\n"
        );
        let old = vec![row(json!({"id": "7", "_seq": "9"}))];
        assert_eq!(
            change_lines(&schema(), ChangeType::Delete, None, Some(old)),
            "DELETE id=7\n"
        );
    }

    #[test]
    fn initial_rows_become_a_table_and_urls_a_websocket() {
        let result = as_result(&schema(), &[row(json!({"id": "1", "at": null}))]);
        assert_eq!(result.rows, Some(vec![vec![json!("1"), Value::Null]]));
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/v1/ws");
        assert_eq!(
            ws_url("https://db.example.com"),
            "wss://db.example.com/v1/ws"
        );
    }
}
