//! Live subscriptions over `/v1/ws` (API.md): [`KalamClient::subscribe`](crate::KalamClient::subscribe)
//! returns a [`LiveSubscription`], a stream of [`LiveEvent`]s that survives server restarts.
//!
//! Each subscription has its own WebSocket connection and background task. When the
//! connection drops, the task reconnects with backoff and subscribes again with
//! `from_seq_id` = the last `_seq` it delivered; the server then sends exactly the rows
//! changed since, so no row is missed or repeated. (Rows deleted while disconnected are not
//! re-sent: the server's resume covers rows that exist.)
//!
//! Modules:
//! - [`event`]: [`LiveEvent`], what a subscription delivers.
//! - [`cells`]: [`LiveRowExt`], typed reads of live rows.
//! - [`rows`]: [`LiveRows`], the current result kept up to date from events.
//! - `state`: the protocol state machine (resume point, paging, errors); pure and unit-tested.
//! - `session`: the reconnecting task over the target's WebSocket transport.

pub mod cells;
pub mod event;
pub mod rows;
mod session;
mod state;

pub use cells::LiveRowExt;
pub use event::LiveEvent;
pub use rows::LiveRows;
pub use state::row_seq;

use crate::client::KalamClient;
use crate::error::{KalamLinkError, Result};
use futures::Stream;
use futures::channel::{mpsc, oneshot};
use kalamdb_types::ws::SubscriptionOptions;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// When and how often a dropped subscription reconnects.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconnectPolicy {
    /// Reconnect at all (default true).
    pub enabled: bool,
    /// Give up after this many failed attempts in a row; `None` (default) never gives up.
    pub max_attempts: Option<u32>,
    /// Wait before the first attempt; doubles on each failure (default 200 ms).
    pub initial_delay: Duration,
    /// Longest wait between attempts (default 5 s).
    pub max_delay: Duration,
    /// Wait a random 50–100 % of the delay (default true), so the clients a server restart
    /// disconnected do not all come back in the same millisecond.
    pub jitter: bool,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: None,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            jitter: true,
        }
    }
}

impl ReconnectPolicy {
    /// Wait before attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }

    /// The wait before attempt `attempt` with the jitter applied: `unit` is a random number in
    /// `[0, 1)` and picks a point between half the delay and the whole delay.
    pub fn jittered_delay(&self, attempt: u32, unit: f64) -> Duration {
        let delay = self.delay(attempt);
        if !self.jitter {
            return delay;
        }
        delay.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// A pseudo-random number in `[0, 1)` for the reconnect jitter (splitmix64 over the clock
/// and a counter; no randomness source is needed on wasm32).
pub(crate) fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let stack_marker = 0u8;
    let seed = (crate::transport::now_ms() * 1000.0) as u64
        ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ (&stack_marker as *const u8 as u64);
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Options of [`KalamClient::subscribe`](crate::KalamClient::subscribe).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubscribeOptions {
    /// Rows per page of the initial load (server default 1000).
    pub batch_size: Option<usize>,
    /// Start with only the newest N rows.
    pub last_rows: Option<usize>,
    /// Start strictly after this `_seq` (no initial rows at or before it).
    pub from_seq_id: Option<i64>,
    pub reconnect: ReconnectPolicy,
}

impl SubscribeOptions {
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = Some(rows);
        self
    }

    pub fn last_rows(mut self, rows: usize) -> Self {
        self.last_rows = Some(rows);
        self
    }

    pub fn from_seq_id(mut self, seq: i64) -> Self {
        self.from_seq_id = Some(seq);
        self
    }

    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }

    fn wire(&self) -> SubscriptionOptions {
        SubscriptionOptions {
            batch_size: self.batch_size,
            last_rows: self.last_rows,
            from_seq_id: self.from_seq_id,
        }
    }
}

/// Ends a subscription from anywhere (clonable; a no-op after the first call).
#[derive(Clone, Debug)]
pub struct StopHandle(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl StopHandle {
    pub fn stop(&self) {
        let sender = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
    }
}

/// A live subscription: a [`Stream`] of [`LiveEvent`]s, starting with
/// [`LiveEvent::Ack`]. It ends after [`LiveEvent::Error`], after
/// [`unsubscribe`](Self::unsubscribe), or when dropped (which unsubscribes too).
#[derive(Debug)]
pub struct LiveSubscription {
    id: String,
    events: mpsc::UnboundedReceiver<LiveEvent>,
    stop: StopHandle,
}

impl LiveSubscription {
    /// The subscription id sent to the server.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next event; `None` once the subscription has ended.
    pub async fn next(&mut self) -> Option<LiveEvent> {
        futures::StreamExt::next(&mut self.events).await
    }

    /// A handle that ends this subscription from elsewhere (e.g. while `next` is awaited).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Sends `unsubscribe`, closes the connection and waits until the task has finished.
    pub async fn unsubscribe(mut self) {
        self.stop.stop();
        while self.next().await.is_some() {}
    }
}

impl Stream for LiveSubscription {
    type Item = LiveEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<LiveEvent>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

impl Drop for LiveSubscription {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) async fn subscribe(
    client: KalamClient,
    sql: String,
    options: SubscribeOptions,
) -> Result<LiveSubscription> {
    let id = format!("kalam-link-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let (events_tx, events) = mpsc::unbounded();
    let (stop_tx, stop_rx) = oneshot::channel();
    let (ready_tx, ready_rx) = oneshot::channel();
    let task = session::Task {
        client,
        state: state::SubscriptionState::new(id.clone(), sql, options.wire()),
        policy: options.reconnect,
        events: events_tx,
        stop: stop_rx,
        ready: Some(ready_tx),
    };
    crate::transport::spawn(task.run())?;
    let subscription = LiveSubscription {
        id,
        events,
        stop: StopHandle(Arc::new(Mutex::new(Some(stop_tx)))),
    };
    match ready_rx.await {
        Ok(Ok(())) => Ok(subscription),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(KalamLinkError::Subscription {
            code: "SUBSCRIPTION_FAILED".into(),
            message: "the subscription task ended before the server answered".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let policy = ReconnectPolicy::default();
        assert_eq!(policy.delay(1), Duration::from_millis(200));
        assert_eq!(policy.delay(2), Duration::from_millis(400));
        assert_eq!(policy.delay(5), Duration::from_millis(3200));
        assert_eq!(policy.delay(6), Duration::from_secs(5));
        assert_eq!(policy.delay(1000), Duration::from_secs(5));
    }

    #[test]
    fn jitter_spreads_the_wait_between_half_and_all_of_it() {
        let policy = ReconnectPolicy::default();
        assert_eq!(policy.jittered_delay(2, 0.0), Duration::from_millis(200));
        assert_eq!(policy.jittered_delay(2, 0.5), Duration::from_millis(300));
        assert_eq!(policy.jittered_delay(2, 1.0), Duration::from_millis(400));
        let fixed = ReconnectPolicy {
            jitter: false,
            ..ReconnectPolicy::default()
        };
        assert_eq!(fixed.jittered_delay(2, 0.1), Duration::from_millis(400));
        // Drawn waits land in the range and are not all the same.
        let waits: Vec<Duration> = (0..64)
            .map(|_| policy.jittered_delay(3, random_unit()))
            .collect();
        assert!(
            waits
                .iter()
                .all(|w| *w >= Duration::from_millis(400) && *w <= Duration::from_millis(800))
        );
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 32, "{distinct:?}");
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn subscribing_outside_a_tokio_runtime_is_an_error_not_a_panic() {
        let client = KalamClient::builder("http://127.0.0.1:9")
            .build()
            .expect("client");
        let outcome = futures::executor::block_on(
            client.subscribe("SELECT * FROM app.t", SubscribeOptions::default()),
        );
        assert!(
            matches!(&outcome, Err(KalamLinkError::Subscription { code, message })
                if code == "SUBSCRIPTION_FAILED" && message.contains("tokio runtime")),
            "{outcome:?}"
        );
    }
}
