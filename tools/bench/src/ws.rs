//! A small WebSocket client for `/v1/ws` (API.md), enough for the live-query scenarios:
//! authenticate, subscribe and read the snapshot pages, and a listener task that timestamps
//! every change event the moment its frame is read. JSON text frames only (compression `none`).

use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use kalamdb_types::ws::{
    BatchStatus, ChangeType, ClientMessage, Protocol, ServerMessage, SubscriptionOptions,
    SubscriptionRequest,
};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for any single server message during setup and snapshots.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// An authenticated `/v1/ws` connection.
pub struct WsConn {
    sink: SplitSink<Socket, Message>,
    stream: SplitStream<Socket>,
}

/// `http://host:port` → `ws://host:port/v1/ws`.
pub fn ws_url(http_url: &str) -> String {
    let base = http_url.trim_end_matches('/');
    let base = base
        .strip_prefix("https://")
        .map(|rest| format!("wss://{rest}"))
        .or_else(|| {
            base.strip_prefix("http://")
                .map(|rest| format!("ws://{rest}"))
        })
        .unwrap_or_else(|| base.to_string());
    format!("{base}/v1/ws")
}

impl WsConn {
    /// Connects and authenticates with an access token.
    pub async fn connect(http_url: &str, token: &str) -> Result<Self, String> {
        let url = ws_url(http_url);
        // TCP_NODELAY: small frames must not wait for the peer's delayed ACK (Nagle).
        let (socket, _) = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true)
            .await
            .map_err(|e| format!("WebSocket connect to {url}: {e}"))?;
        let (sink, stream) = socket.split();
        let mut conn = Self { sink, stream };
        conn.send(&ClientMessage::Authenticate {
            method: Some("jwt".into()),
            token: Some(token.to_string()),
            protocol: Some(Protocol {
                serialization: "json".into(),
                compression: "none".into(),
            }),
        })
        .await?;
        match conn.recv().await? {
            ServerMessage::AuthSuccess { .. } => Ok(conn),
            ServerMessage::AuthError { message } => Err(format!("auth_error: {message}")),
            other => Err(format!("expected auth_success, got {other:?}")),
        }
    }

    pub async fn send(&mut self, message: &ClientMessage) -> Result<(), String> {
        let text = serde_json::to_string(message).map_err(|e| e.to_string())?;
        self.sink
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| format!("WebSocket send: {e}"))
    }

    /// The next protocol message (control frames are skipped).
    pub async fn recv(&mut self) -> Result<ServerMessage, String> {
        loop {
            let frame = tokio::time::timeout(READ_TIMEOUT, self.stream.next())
                .await
                .map_err(|_| format!("no WebSocket message within {READ_TIMEOUT:?}"))?;
            if let Some(message) = decode(frame)? {
                return Ok(message);
            }
        }
    }

    /// Subscribes with `sql` and reads the whole snapshot (pulling pages with `next_batch`).
    /// Returns the number of snapshot rows.
    pub async fn subscribe(
        &mut self,
        id: &str,
        sql: &str,
        batch_size: usize,
    ) -> Result<usize, String> {
        self.send(&ClientMessage::Subscribe {
            subscription: SubscriptionRequest {
                id: id.to_string(),
                sql: sql.to_string(),
                options: SubscriptionOptions {
                    batch_size: Some(batch_size),
                    ..Default::default()
                },
            },
        })
        .await?;
        let mut rows = 0;
        loop {
            match self.recv().await? {
                ServerMessage::SubscriptionAck { .. } => {}
                ServerMessage::InitialDataBatch {
                    subscription_id,
                    rows: page,
                    batch_control,
                } if subscription_id == id => {
                    rows += page.len();
                    if batch_control.status == BatchStatus::Ready && !batch_control.has_more {
                        return Ok(rows);
                    }
                    if batch_control.has_more {
                        self.send(&ClientMessage::NextBatch {
                            subscription_id: id.to_string(),
                            last_seq_id: batch_control.last_seq_id,
                        })
                        .await?;
                    }
                }
                ServerMessage::Error { code, message, .. } => {
                    return Err(format!("subscribe {id}: {code}: {message}"));
                }
                // Changes of other subscriptions on this connection, pongs.
                _ => {}
            }
        }
    }

    pub async fn unsubscribe(&mut self, id: &str) -> Result<(), String> {
        self.send(&ClientMessage::Unsubscribe {
            subscription_id: id.to_string(),
        })
        .await
    }

    /// Hands the connection to a task that reports every inserted row's `id` with the instant its
    /// frame was read. The task ends when the connection closes or the receiver is dropped.
    pub fn listen(self, subscriber: usize, events: mpsc::UnboundedSender<Event>) -> Listener {
        let Self { sink, mut stream } = self;
        let task = tokio::spawn(async move {
            // Kept so the socket stays open; tungstenite answers pings while we read.
            let _sink = sink;
            while let Some(frame) = stream.next().await {
                let at = Instant::now();
                let message = match decode(Some(frame)) {
                    Ok(Some(m)) => m,
                    Ok(None) => continue,
                    Err(e) => {
                        let _ = events.send(Event::closed(subscriber, e));
                        return;
                    }
                };
                if let ServerMessage::Change {
                    change_type: ChangeType::Insert,
                    rows: Some(rows),
                    ..
                } = message
                {
                    for row in rows {
                        let id = row.get("id").and_then(as_i64);
                        if events
                            .send(Event {
                                subscriber,
                                id,
                                at,
                                error: None,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
            let _ = events.send(Event::closed(subscriber, "connection closed".into()));
        });
        Listener { task }
    }
}

/// A change seen by a listener, or its connection ending (`error`).
#[derive(Debug)]
pub struct Event {
    pub subscriber: usize,
    pub id: Option<i64>,
    pub at: Instant,
    pub error: Option<String>,
}

impl Event {
    fn closed(subscriber: usize, error: String) -> Self {
        Self {
            subscriber,
            id: None,
            at: Instant::now(),
            error: Some(error),
        }
    }
}

/// A running listener task; aborted on drop, which closes its connection.
pub struct Listener {
    task: JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// A protocol message from a frame; `None` for control frames.
fn decode(
    frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<Option<ServerMessage>, String> {
    let text = match frame {
        None => return Err("WebSocket closed".into()),
        Some(Err(e)) => return Err(format!("WebSocket read: {e}")),
        Some(Ok(Message::Text(t))) => t.to_string(),
        Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
        Some(Ok(Message::Close(c))) => return Err(format!("WebSocket closed by server: {c:?}")),
        Some(Ok(_)) => return Ok(None),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("unexpected WebSocket message ({e}): {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_urls() {
        assert_eq!(
            ws_url("http://127.0.0.1:8080/"),
            "ws://127.0.0.1:8080/v1/ws"
        );
        assert_eq!(ws_url("https://db.example"), "wss://db.example/v1/ws");
    }
}
