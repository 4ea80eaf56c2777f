//! One live connection: its user and a bounded queue of outgoing messages. A change that does
//! not fit marks the connection overflowed; the front end then sends an error and closes it,
//! and the client resumes with `from_seq_id`. Writers and other clients never wait for it.

use kalamdb_types::ws::ServerMessage;
use kalamdb_types::{Role, UserId};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Notify, mpsc};

pub struct LiveConnection {
    pub id: String,
    pub user: UserId,
    pub role: Role,
    /// The account the connection authenticated as (its creation time) and its token
    /// generation then: a dropped, re-created or re-credentialed account ends the
    /// connection's subscriptions.
    pub account_created_at: i64,
    pub token_generation: u32,
    tx: mpsc::Sender<ServerMessage>,
    overflowed: AtomicBool,
    /// Woken on overflow or when the server kills the connection's subscriptions.
    pub wake: Notify,
}

impl LiveConnection {
    /// A connection and the receiving end of its queue (`capacity` messages).
    pub fn new(
        id: String,
        account: &kalamdb_catalog::model::UserRecord,
        capacity: usize,
    ) -> (Self, mpsc::Receiver<ServerMessage>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (
            Self {
                id,
                user: account.user_id.clone(),
                role: account.role,
                account_created_at: account.created_at,
                token_generation: account.token_generation,
                tx,
                overflowed: AtomicBool::new(false),
                wake: Notify::new(),
            },
            rx,
        )
    }

    /// Queues a message without waiting; on a full queue marks the connection overflowed.
    pub fn push(&self, message: ServerMessage) -> bool {
        if self.overflowed.load(Ordering::Acquire) {
            return false;
        }
        match self.tx.try_send(message) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflowed.store(true, Ordering::Release);
                self.wake.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues a message, waiting for room (replies to the client's own requests).
    pub async fn send(&self, message: ServerMessage) -> bool {
        self.tx.send(message).await.is_ok()
    }

    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }
}
