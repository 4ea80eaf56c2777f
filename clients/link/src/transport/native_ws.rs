//! Native WebSocket connection over tokio-tungstenite (rustls for `wss://`).

use crate::error::{KalamLinkError, Result, root_cause};
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Limit for the TCP connect and the upgrade handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct WsConnection {
    url: String,
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsConnection {
    pub async fn connect(url: &str) -> Result<Self> {
        let attempt = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url));
        match attempt.await {
            Err(_) => Err(KalamLinkError::Timeout { url: url.into() }),
            Ok(Err(e)) => Err(KalamLinkError::Unreachable {
                url: url.into(),
                reason: root_cause(&e),
                source: Box::new(e),
            }),
            Ok(Ok((stream, _response))) => Ok(Self {
                url: url.into(),
                stream,
            }),
        }
    }

    /// Sends one text frame.
    pub async fn send(&mut self, text: String) -> Result<()> {
        self.stream
            .send(Message::text(text))
            .await
            .map_err(|e| KalamLinkError::Transport {
                url: self.url.clone(),
                reason: root_cause(&e),
                source: Box::new(e),
            })
    }

    /// The next text message; `None` once the connection is closed or broken. Ping frames are
    /// answered by tungstenite itself. Cancel-safe.
    pub async fn recv(&mut self) -> Option<String> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(text)) => return Some(text.to_string()),
                Ok(Message::Binary(bytes)) => {
                    return Some(String::from_utf8_lossy(&bytes).into_owned());
                }
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Ok(Message::Close(_)) | Err(_) => return None,
            }
        }
    }

    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }
}
