//! Subscriptions indexed by table and partition owner, and the dispatcher that delivers
//! change events to them. The registry is generic over what a subscription is: execution
//! (above this crate) parses and plans one, and implements [`Subscriber`] for it.

use crate::LiveConnection;
use kalamdb_catalog::{Catalog, TableEntry};
use kalamdb_store::feed::{ChangeEvent, ChangeFeed};
use kalamdb_types::ws::{ServerMessage, ws_codes};
use kalamdb_types::{TableId, UserId};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

type Key = (TableId, Option<UserId>);

/// What the registry needs of a subscription: where it listens, whom it belongs to, and how
/// to offer it an event.
pub trait Subscriber: Send + Sync + 'static {
    /// The server-wide id (`system.live`).
    fn live_id(&self) -> &str;
    /// The id the client chose, unique per connection.
    fn subscription_id(&self) -> &str;
    fn connection(&self) -> &LiveConnection;
    fn table(&self) -> &TableId;
    /// Partition owner (USER/STREAM) or `None` (SHARED).
    fn owner(&self) -> Option<&UserId>;
    /// Why the subscriber may no longer read the table, if it may not.
    fn authority_lost(&self, entry: &TableEntry, catalog: &Catalog, stamp: u64) -> Option<String>;
    /// Offers one committed change; the subscription filters and queues it.
    fn offer(&self, event: &ChangeEvent, entry: &TableEntry);
}

/// Live subscriptions indexed by (table, partition owner), so one event is matched without
/// scanning every subscription.
pub struct LiveManager<S: Subscriber> {
    pub feed: Arc<ChangeFeed>,
    index: RwLock<HashMap<Key, Vec<Arc<S>>>>,
    by_live_id: RwLock<HashMap<String, Arc<S>>>,
    pub max_per_connection: usize,
    pub max_per_user: usize,
}

impl<S: Subscriber> LiveManager<S> {
    pub fn new(feed: Arc<ChangeFeed>) -> Self {
        Self {
            feed,
            index: RwLock::new(HashMap::new()),
            by_live_id: RwLock::new(HashMap::new()),
            max_per_connection: 1000,
            max_per_user: 10_000,
        }
    }

    pub fn count_for_connection(&self, connection_id: &str) -> usize {
        self.by_live_id
            .read()
            .values()
            .filter(|s| s.connection().id == connection_id)
            .count()
    }

    pub fn count_for_user(&self, user: &UserId) -> usize {
        self.by_live_id
            .read()
            .values()
            .filter(|s| &s.connection().user == user)
            .count()
    }

    pub fn find(&self, connection_id: &str, subscription_id: &str) -> Option<Arc<S>> {
        self.by_live_id
            .read()
            .values()
            .find(|s| s.connection().id == connection_id && s.subscription_id() == subscription_id)
            .cloned()
    }

    pub fn register(&self, sub: Arc<S>) {
        self.feed.add_subscriber();
        self.index
            .write()
            .entry((sub.table().clone(), sub.owner().cloned()))
            .or_default()
            .push(sub.clone());
        self.by_live_id
            .write()
            .insert(sub.live_id().to_string(), sub);
    }

    pub fn remove(&self, live_id: &str) -> Option<Arc<S>> {
        let sub = self.by_live_id.write().remove(live_id)?;
        let key = (sub.table().clone(), sub.owner().cloned());
        let mut index = self.index.write();
        if let Some(list) = index.get_mut(&key) {
            list.retain(|s| s.live_id() != live_id);
            if list.is_empty() {
                index.remove(&key);
            }
        }
        self.feed.remove_subscriber();
        Some(sub)
    }

    /// Ends every subscription of a connection.
    pub fn remove_connection(&self, connection_id: &str) {
        let ids: Vec<String> = self
            .by_live_id
            .read()
            .values()
            .filter(|s| s.connection().id == connection_id)
            .map(|s| s.live_id().to_string())
            .collect();
        for id in ids {
            self.remove(&id);
        }
    }

    /// Ends a subscription whose subscriber lost the right to read it, telling the client why.
    fn revoke(&self, sub: &Arc<S>, reason: String) {
        if self.remove(sub.live_id()).is_none() {
            return;
        }
        sub.connection().push(ServerMessage::Error {
            subscription_id: Some(sub.subscription_id().to_string()),
            code: ws_codes::UNAUTHORIZED.into(),
            message: format!("subscription ended: {reason}"),
        });
    }

    /// Every live subscription, for `system.live`.
    pub fn all(&self) -> Vec<Arc<S>> {
        let mut all: Vec<_> = self.by_live_id.read().values().cloned().collect();
        all.sort_by(|a, b| a.live_id().cmp(b.live_id()));
        all
    }

    /// Delivers one batch of events (one writer group, in commit order).
    pub fn dispatch(&self, events: &[ChangeEvent], catalog: &Catalog) {
        for event in events {
            let key = (event.table.clone(), event.user.clone());
            let subs = match self.index.read().get(&key) {
                Some(list) => list.clone(),
                None => continue,
            };
            let Some(entry) = catalog.table(&event.table) else {
                continue;
            };
            let stamp = catalog.authority_stamp();
            for sub in subs {
                match sub.authority_lost(&entry, catalog, stamp) {
                    None => sub.offer(event, &entry),
                    Some(reason) => self.revoke(&sub, reason),
                }
            }
        }
    }
}

/// Runs until the feed closes: drains events and dispatches them.
pub async fn run_dispatcher<S: Subscriber>(
    manager: Arc<LiveManager<S>>,
    catalog: Arc<Catalog>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Vec<ChangeEvent>>,
) {
    while let Some(events) = rx.recv().await {
        manager.dispatch(&events, &catalog);
    }
}
