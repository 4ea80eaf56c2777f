//! What the store's tests share: a store with one user shard and the JSON codec.

use kalamdb_store::feed::ChangeFeed;
use kalamdb_store::{HotStore, StoreOptions};
use std::sync::Arc;

pub fn open(dir: &std::path::Path) -> Arc<HotStore> {
    let (feed, _rx) = ChangeFeed::new();
    let options = StoreOptions {
        user_shards: 1,
        ..StoreOptions::default()
    };
    let store = HotStore::open(
        dir,
        Arc::new(kalamdb_serde_json::JsonCodec),
        options,
        Arc::new(feed),
    );
    Arc::new(store.unwrap_or_else(|e| panic!("open: {e}")))
}
