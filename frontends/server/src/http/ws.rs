//! `GET /v1/ws`: live queries (API.md). Authentication by a Bearer header on the upgrade or an
//! `authenticate` message within 3 seconds; then subscribe / next_batch / unsubscribe / ping.
//! A writer task owns the socket's sending half and drains the connection's bounded queue, so
//! a slow client only ever fills its own queue; on overflow it gets an error and is closed.

use super::AppState;
use super::bearer::{Credential, credential};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use kalamdb_core::auth::TokenKind;
use kalamdb_core::catalog::model::UserRecord;
use kalamdb_core::live::LiveConnection;
use kalamdb_types::ws::{ClientMessage, Protocol, ServerMessage, ws_codes};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const AUTH_TIMEOUT: Duration = Duration::from_secs(3);
pub const PING_EVERY: Duration = Duration::from_secs(5);
pub const SILENCE_LIMIT: Duration = Duration::from_secs(10);
/// Outgoing messages queued per connection before it counts as too slow.
pub const QUEUE_CAPACITY: usize = 4096;
/// Largest message a client may send.
pub const MAX_CLIENT_MESSAGE: usize = 1024 * 1024;

enum Control {
    Ping,
    Close(Option<ServerMessage>),
}

pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let pre_auth = match credential(&headers) {
        Credential::Bearer(t) => state
            .engine
            .auth
            .authenticate_until(&t, TokenKind::Access)
            .ok(),
        _ => None,
    };
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| handle(state, socket, pre_auth))
}

fn text(message: &ServerMessage) -> Message {
    Message::Text(serde_json::to_string(message).unwrap_or_default().into())
}

/// Messages larger than this are gzip-compressed when the client negotiated gzip.
pub const GZIP_THRESHOLD: usize = 1024;

/// How messages go out on one connection, from the negotiated protocol.
#[derive(Clone, Copy)]
struct Encoding {
    msgpack: bool,
    gzip: bool,
}

impl Encoding {
    fn negotiate(requested: &Protocol) -> (Self, Protocol) {
        let msgpack = requested.serialization.eq_ignore_ascii_case("msgpack");
        let gzip = requested.compression.eq_ignore_ascii_case("gzip");
        (
            Self { msgpack, gzip },
            Protocol {
                serialization: if msgpack { "msgpack" } else { "json" }.into(),
                compression: if gzip { "gzip" } else { "none" }.into(),
            },
        )
    }

    fn frame(self, message: &ServerMessage) -> Message {
        let bytes = if self.msgpack {
            let mut out = Vec::new();
            let mut ser = rmp_serde::Serializer::new(&mut out).with_struct_map();
            if serde::Serialize::serialize(message, &mut ser).is_err() {
                return text(message);
            }
            out
        } else {
            serde_json::to_vec(message).unwrap_or_default()
        };
        if self.gzip && bytes.len() > GZIP_THRESHOLD {
            use std::io::Write;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if encoder.write_all(&bytes).is_ok()
                && let Ok(compressed) = encoder.finish()
            {
                return Message::Binary(compressed.into());
            }
        }
        if self.msgpack {
            Message::Binary(bytes.into())
        } else {
            Message::Text(String::from_utf8_lossy(&bytes).into_owned().into())
        }
    }
}

/// Who the connection is, until when (the token's expiry, Unix seconds), and the protocol
/// asked for.
type Authenticated = (UserRecord, i64, Protocol);

async fn authenticate(state: &AppState, socket: &mut WebSocket) -> Result<Authenticated, String> {
    let deadline = tokio::time::sleep(AUTH_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => {
                return Err("Authentication timeout: send an authenticate message within 3 seconds".into());
            }
            frame = socket.recv() => {
                let Some(Ok(frame)) = frame else {
                    return Err("connection closed before authentication".into());
                };
                let body = match frame {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Close(_) => return Err("connection closed before authentication".into()),
                };
                return match serde_json::from_str::<ClientMessage>(&body) {
                    Ok(ClientMessage::Authenticate { token: Some(token), protocol, .. }) => {
                        match state.engine.auth.authenticate_until(&token, TokenKind::Access) {
                            Ok((user, until)) => Ok((user, until, protocol.unwrap_or_default())),
                            Err(e) => Err(format!("Authentication failed: {}", e.message())),
                        }
                    }
                    Ok(ClientMessage::Authenticate { .. }) => Err("Authentication failed: token missing".into()),
                    _ => Err("Authentication required: the first message must be {\"type\":\"authenticate\",...}".into()),
                };
            }
        }
    }
}

async fn handle(state: AppState, mut socket: WebSocket, pre_auth: Option<(UserRecord, i64)>) {
    let (user, until, requested) = match pre_auth {
        Some((user, until)) => (user, until, Protocol::default()),
        None => match authenticate(&state, &mut socket).await {
            Ok(pair) => pair,
            Err(message) => {
                let _ = socket
                    .send(text(&ServerMessage::AuthError { message }))
                    .await;
                let _ = socket.close().await;
                return;
            }
        },
    };
    let Some(_slot) = state.ws_slots.take(user.user_id.as_str()) else {
        let message = format!(
            "user '{}' already has {} WebSocket connections open; close one first",
            user.user_id,
            state.ws_slots.most()
        );
        let _ = socket
            .send(text(&ServerMessage::Error {
                subscription_id: None,
                code: ws_codes::SUBSCRIPTION_LIMIT_EXCEEDED.into(),
                message,
            }))
            .await;
        let _ = socket.close().await;
        return;
    };
    let (encoding, protocol) = Encoding::negotiate(&requested);
    let engine = state.engine.clone();
    let id = format!("ws-{}", kalamdb_core::exec::functions::snowflake_id());
    let (connection, mut queue) = LiveConnection::new(id, &user, QUEUE_CAPACITY);
    let connection = Arc::new(connection);
    let (mut sink, mut stream) = socket.split();
    let hello = ServerMessage::AuthSuccess {
        user: user.user_id.to_string(),
        role: user.role.to_string(),
        protocol,
    };
    if sink.send(text(&hello)).await.is_err() {
        return;
    }
    let (control_tx, mut control_rx) = mpsc::unbounded_channel::<Control>();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                message = queue.recv() => {
                    let Some(message) = message else { break };
                    if sink.send(encoding.frame(&message)).await.is_err() {
                        break;
                    }
                }
                control = control_rx.recv() => match control {
                    Some(Control::Ping) => {
                        if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Control::Close(last)) => {
                        if let Some(last) = last {
                            let _ = sink.send(encoding.frame(&last)).await;
                        }
                        let _ = sink.close().await;
                        break;
                    }
                    None => break,
                },
            }
        }
    });
    let mut last_seen = Instant::now();
    let mut ticker = tokio::time::interval(PING_EVERY);
    ticker.tick().await;
    let left = (until - chrono::Utc::now().timestamp()).max(0) as u64;
    let token_expiry = tokio::time::sleep(Duration::from_secs(left));
    tokio::pin!(token_expiry);
    loop {
        tokio::select! {
            _ = &mut token_expiry => {
                let _ = control_tx.send(Control::Close(Some(ServerMessage::Error {
                    subscription_id: None,
                    code: ws_codes::AUTH_REQUIRED.into(),
                    message: "Token expired: reconnect with a new access token".into(),
                })));
                break;
            }
            frame = stream.next() => {
                let Some(Ok(frame)) = frame else { break };
                last_seen = Instant::now();
                let body = match frame {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Close(_) => break,
                };
                let message = match serde_json::from_str::<ClientMessage>(&body) {
                    Ok(m) => m,
                    Err(e) => {
                        connection.send(ServerMessage::Error {
                            subscription_id: None,
                            code: ws_codes::PROTOCOL.into(),
                            message: format!("invalid message: {e}"),
                        }).await;
                        continue;
                    }
                };
                match message {
                    ClientMessage::Authenticate { .. } => {}
                    ClientMessage::Ping => {
                        connection.send(ServerMessage::Pong).await;
                    }
                    ClientMessage::Subscribe { subscription } => {
                        let sub_id = subscription.id.clone();
                        // The SQL rate limit counts subscriptions too (root is exempt).
                        if user.role != kalamdb_types::Role::System
                            && !state.query_limiter.allow(user.user_id.as_str())
                        {
                            connection.send(ServerMessage::Error {
                                subscription_id: Some(sub_id),
                                code: ws_codes::RATE_LIMIT_EXCEEDED.into(),
                                message: format!(
                                    "Too many queries from user '{}': the limit is {} per second; slow down and retry",
                                    user.user_id, state.config.limits.queries_per_second
                                ),
                            }).await;
                            continue;
                        }
                        if let Err(e) = engine.subscribe(&connection, subscription).await {
                            connection.send(ServerMessage::Error {
                                subscription_id: Some(sub_id),
                                code: e.code.into(),
                                message: e.message,
                            }).await;
                        }
                    }
                    ClientMessage::NextBatch { subscription_id, .. } => {
                        if let Err(e) = engine.next_batch(&connection, &subscription_id).await {
                            connection.send(ServerMessage::Error {
                                subscription_id: Some(subscription_id),
                                code: e.code.into(),
                                message: e.message,
                            }).await;
                        }
                    }
                    ClientMessage::Unsubscribe { subscription_id } => {
                        engine.unsubscribe(&connection, &subscription_id);
                    }
                }
            }
            _ = ticker.tick() => {
                if last_seen.elapsed() > SILENCE_LIMIT {
                    break;
                }
                let _ = control_tx.send(Control::Ping);
            }
            _ = connection.wake.notified() => {
                if connection.is_overflowed() {
                    let _ = control_tx.send(Control::Close(Some(ServerMessage::Error {
                        subscription_id: None,
                        code: ws_codes::SUBSCRIPTION_FAILED.into(),
                        message: format!(
                            "client too slow: more than {QUEUE_CAPACITY} messages queued; reconnect and resume with from_seq_id"
                        ),
                    })));
                    break;
                }
            }
        }
    }
    engine.live.remove_connection(&connection.id);
    let _ = control_tx.send(Control::Close(None));
    let _ = writer.await;
}
