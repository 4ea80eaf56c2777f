//! A WebSocket client for tests: authenticate, subscribe, read JSON messages.

use super::Server;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Client {
    pub ws: Ws,
}

impl Client {
    pub async fn connect(server: &Server) -> Client {
        let url = format!("ws://127.0.0.1:{}/v1/ws", server.port);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        Client { ws }
    }

    pub async fn authed(server: &Server, token: &str) -> Client {
        let mut c = Self::connect(server).await;
        c.send(json!({"type": "authenticate", "method": "jwt", "token": token}))
            .await;
        let hello = c.recv().await;
        assert_eq!(hello["type"], "auth_success", "{hello}");
        c
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// The next JSON message (5 s at most).
    pub async fn recv(&mut self) -> Value {
        self.try_recv(Duration::from_secs(10))
            .await
            .expect("a message")
    }

    pub async fn try_recv(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).ok(),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                _ => return None,
            }
        }
    }

    pub async fn subscribe(&mut self, id: &str, sql: &str, options: Value) -> (Value, Value) {
        self.send(json!({"type": "subscribe", "subscription": {"id": id, "sql": sql, "options": options}}))
            .await;
        let ack = self.recv().await;
        assert_eq!(ack["type"], "subscription_ack", "{ack}");
        let batch = self.recv().await;
        assert_eq!(batch["type"], "initial_data_batch", "{batch}");
        (ack, batch)
    }
}
