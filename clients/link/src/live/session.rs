//! The task behind one subscription: connect to `/v1/ws`, authenticate in-band, subscribe,
//! pump messages through [`SubscriptionState`], keep the connection alive with pings, and
//! on a drop reconnect with backoff and resume after the last delivered `_seq`.
//!
//! Written once for both targets over the transport's `WsConnection`, `sleep` and `now_ms`;
//! on native targets the task is `Send` (tokio), on wasm32 it runs with `spawn_local`.

use super::ReconnectPolicy;
use super::event::LiveEvent;
use super::state::{End, SubscriptionState};
use crate::auth::Auth;
use crate::client::KalamClient;
use crate::error::{KalamLinkError, Result};
use crate::transport::{WsConnection, now_ms, sleep, ws_url};
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt, pin_mut, select};
use kalamdb_types::ws::{ClientMessage, Protocol, ServerMessage};
use std::future::Future;
use std::time::Duration;

/// An application-level ping goes out this often, so the server (which drops clients silent
/// for 10 s) always hears from us, and a dead server is noticed.
const PING_EVERY_MS: f64 = 4_000.0;
/// No message at all for this long means the connection is dead.
const SILENCE_LIMIT_MS: f64 = 15_000.0;
/// Limit for the `auth_success` reply.
const AUTH_REPLY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Task {
    pub client: KalamClient,
    pub state: SubscriptionState,
    pub policy: ReconnectPolicy,
    pub events: mpsc::UnboundedSender<LiveEvent>,
    pub stop: oneshot::Receiver<()>,
    /// Answered once: `Ok` at the first ack, or the error that ended the first attempt.
    pub ready: Option<oneshot::Sender<Result<()>>>,
}

enum AttemptEnd {
    /// The caller unsubscribed or dropped the subscription.
    Stopped,
    /// The subscription cannot continue.
    Fatal(KalamLinkError),
    /// The connection was lost; a new one may resume.
    Dropped(KalamLinkError),
    /// Try again at once (a stale token was forgotten).
    Retry,
}

enum Wake {
    Frame(Option<String>),
    Tick,
    Stop,
}

/// The next frame, the end of `wait`, or `stop`, whichever comes first.
async fn next_wake(
    conn: &mut WsConnection,
    wait: Duration,
    stop: &mut oneshot::Receiver<()>,
) -> Wake {
    let recv = conn.recv().fuse();
    let timer = sleep(wait).fuse();
    pin_mut!(recv, timer);
    select! {
        frame = recv => Wake::Frame(frame),
        _ = timer => Wake::Tick,
        _ = &mut *stop => Wake::Stop,
    }
}

/// Runs `future` unless `stop` fires first (`None`).
async fn with_stop<F: Future>(future: F, stop: &mut oneshot::Receiver<()>) -> Option<F::Output> {
    let future = future.fuse();
    pin_mut!(future);
    select! {
        out = future => Some(out),
        _ = &mut *stop => None,
    }
}

fn closed(url: &str, reason: &str) -> KalamLinkError {
    KalamLinkError::Transport {
        url: url.into(),
        reason: reason.into(),
        source: reason.to_string().into(),
    }
}

fn encode(message: &ClientMessage) -> String {
    // These enums of strings and integers always serialize.
    serde_json::to_string(message).unwrap_or_default()
}

impl Task {
    pub async fn run(mut self) {
        let mut failures: u32 = 0;
        let mut forgot_token = false;
        loop {
            let end = self.attempt(&mut forgot_token).await;
            let err = match end {
                AttemptEnd::Stopped => return,
                AttemptEnd::Retry => continue,
                AttemptEnd::Fatal(err) => return self.fail(err),
                AttemptEnd::Dropped(err) => err,
            };
            if self.ready.is_some() {
                // Never acknowledged: the caller of `subscribe` gets the error.
                return self.fail(err);
            }
            if self.state.is_acked() {
                failures = 0;
            }
            failures += 1;
            let reason = match &err {
                KalamLinkError::Unreachable { reason, .. }
                | KalamLinkError::Transport { reason, .. } => reason.clone(),
                other => other.to_string(),
            };
            if !self.policy.enabled || self.policy.max_attempts.is_some_and(|max| failures > max) {
                return self.fail(KalamLinkError::Subscription {
                    code: "SUBSCRIPTION_FAILED".into(),
                    message: format!(
                        "connection lost and not resumed after {} attempt(s): {reason}",
                        failures - 1
                    ),
                });
            }
            let delay = self.policy.jittered_delay(failures, super::random_unit());
            let notice = LiveEvent::Disconnected {
                reason,
                attempt: failures,
                retry_in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            };
            if self.events.unbounded_send(notice).is_err()
                || with_stop(sleep(delay), &mut self.stop).await.is_none()
            {
                return;
            }
        }
    }

    fn fail(&mut self, err: KalamLinkError) {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(err));
            return;
        }
        let (code, message) = match err {
            KalamLinkError::Subscription { code, message } => (code, message),
            KalamLinkError::Auth { message, .. } => ("INVALID_CREDENTIALS".into(), message),
            other => ("SUBSCRIPTION_FAILED".into(), other.to_string()),
        };
        let _ = self
            .events
            .unbounded_send(LiveEvent::Error { code, message });
    }

    async fn attempt(&mut self, forgot_token: &mut bool) -> AttemptEnd {
        let Task {
            client,
            state,
            events,
            stop,
            ready,
            ..
        } = self;
        let token = match with_stop(client.access_token(), stop).await {
            None => return AttemptEnd::Stopped,
            Some(Err(e)) if e.is_connection_error() => return AttemptEnd::Dropped(e),
            Some(Err(e)) => return AttemptEnd::Fatal(e),
            Some(Ok(token)) => token,
        };
        let url = ws_url(client.url(), "/v1/ws");
        let mut conn = match with_stop(WsConnection::connect(&url), stop).await {
            None => return AttemptEnd::Stopped,
            Some(Err(e)) => return AttemptEnd::Dropped(e),
            Some(Ok(conn)) => conn,
        };
        let hello = ClientMessage::Authenticate {
            method: Some("jwt".into()),
            token,
            protocol: Some(Protocol {
                serialization: "json".into(),
                compression: "none".into(),
            }),
        };
        if let Err(e) = conn.send(encode(&hello)).await {
            return AttemptEnd::Dropped(e);
        }
        let deadline = now_ms() + AUTH_REPLY_TIMEOUT.as_secs_f64() * 1000.0;
        loop {
            let wait = Duration::from_secs_f64((deadline - now_ms()).max(0.0) / 1000.0);
            let frame = next_wake(&mut conn, wait, stop).await;
            let text = match frame {
                Wake::Stop => return AttemptEnd::Stopped,
                Wake::Tick => return AttemptEnd::Dropped(closed(&url, "no auth_success reply")),
                Wake::Frame(None) => {
                    return AttemptEnd::Dropped(closed(&url, "closed before auth_success"));
                }
                Wake::Frame(Some(text)) => text,
            };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(ServerMessage::AuthSuccess { .. }) => break,
                Ok(ServerMessage::AuthError { message }) => {
                    // A kept token can be stale (the server restarted with a new secret): log
                    // in again once before giving up.
                    if matches!(client.auth(), Auth::Basic { .. }) && !*forgot_token {
                        client.forget_tokens();
                        *forgot_token = true;
                        return AttemptEnd::Retry;
                    }
                    return AttemptEnd::Fatal(KalamLinkError::Auth {
                        kind: "unauthorized".into(),
                        message,
                        status: 401,
                    });
                }
                _ => continue,
            }
        }
        if let Err(e) = conn.send(encode(&state.subscribe_message())).await {
            return AttemptEnd::Dropped(e);
        }
        let mut last_heard = now_ms();
        let mut next_ping = last_heard + PING_EVERY_MS;
        loop {
            let wait = Duration::from_secs_f64((next_ping - now_ms()).max(0.0) / 1000.0);
            let wake = next_wake(&mut conn, wait, stop).await;
            let text = match wake {
                Wake::Stop => {
                    let bye = ClientMessage::Unsubscribe {
                        subscription_id: state.id().to_string(),
                    };
                    let _ = conn.send(encode(&bye)).await;
                    conn.close().await;
                    return AttemptEnd::Stopped;
                }
                Wake::Tick => {
                    if now_ms() - last_heard > SILENCE_LIMIT_MS {
                        conn.close().await;
                        return AttemptEnd::Dropped(closed(&url, "the server stopped answering"));
                    }
                    if let Err(e) = conn.send(encode(&ClientMessage::Ping)).await {
                        return AttemptEnd::Dropped(e);
                    }
                    next_ping = now_ms() + PING_EVERY_MS;
                    continue;
                }
                Wake::Frame(None) => {
                    return AttemptEnd::Dropped(closed(&url, "the server closed the connection"));
                }
                Wake::Frame(Some(text)) => text,
            };
            last_heard = now_ms();
            // Message types this client does not know are skipped, not fatal.
            let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
                continue;
            };
            let was_acked = state.is_acked();
            let outcome = state.on_message(message);
            for event in outcome.events {
                if events.unbounded_send(event).is_err() {
                    // Nobody listens any more: leave quietly.
                    conn.close().await;
                    return AttemptEnd::Stopped;
                }
            }
            if !was_acked && state.is_acked() {
                *forgot_token = false;
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Ok(()));
                }
            }
            for reply in outcome.replies {
                if let Err(e) = conn.send(encode(&reply)).await {
                    return AttemptEnd::Dropped(e);
                }
            }
            match outcome.end {
                None => {}
                Some(End::Fatal { code, message }) => {
                    conn.close().await;
                    return AttemptEnd::Fatal(KalamLinkError::Subscription { code, message });
                }
                Some(End::Reconnect(reason)) => {
                    conn.close().await;
                    return AttemptEnd::Dropped(closed(&url, &reason));
                }
            }
        }
    }
}
