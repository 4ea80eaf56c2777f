//! KFlows: named workflows fired by a table change or a schedule, whose action is a
//! `FlowAction` plugin run with the owner's rights.
//!
//! - [`model`]: the flow definition and run state, as stored.
//! - `runner`: the trigger loop (the durable queue of `kalamdb_store::flowq`), schedule ticks,
//!   retries, jobs.
//! - `ddl`: CREATE / ALTER / DROP / SHOW / RUN FLOW.
//! - [`builtin`]: the maintenance flows every data directory has (stream TTL eviction, job
//!   history cleanup).
//!
//! A change reaches a trigger flow through the hot store, never through memory: the shard
//! writer queues it in the same WriteBatch as the row (the [`FlowTap`]s come from here), and the
//! flow removes it in the same WriteBatch as its action's write. A crash between the two leaves
//! the change queued, and the action's write is never made twice.

pub mod builtin;
mod ddl;
pub use ddl::flows_view;
pub mod model;
mod runner;

use crate::catalog::Catalog;
use crate::error::Result;
use crate::store::RawOp;
use crate::store::flowq::FlowTap;
use crate::store::keys::CF_FLOWS;
use kalamdb_base::codec::{decode, encode};
use kalamdb_types::{Role, TableId};
use model::{FlowDef, FlowState, FlowTriggerDef, def_key, state_key};
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// How flows retry and give up.
#[derive(Clone, Debug)]
pub struct FlowSettings {
    /// A flow failing this many times in a row is disabled.
    pub max_failures: u32,
    /// First retry delay; it doubles with each failure up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// Changes one trigger-flow run handles at most.
    pub batch: usize,
    /// First schedule of `system.stream_ttl_eviction` (later: `ALTER FLOW`).
    pub stream_eviction_secs: u64,
    /// `system.job_history_cleanup` removes finished jobs older than this (0: none by age)...
    pub job_history_days: u64,
    /// ...and beyond the newest this many.
    pub jobs_kept: usize,
}

impl Default for FlowSettings {
    fn default() -> Self {
        Self {
            max_failures: 5,
            retry_base_ms: 1000,
            retry_max_ms: 60_000,
            batch: 256,
            stream_eviction_secs: 60,
            job_history_days: 90,
            jobs_kept: 10_000,
        }
    }
}

/// One flow in memory: its definition, its state, and the lock one run at a time holds.
pub struct FlowEntry {
    pub def: Mutex<FlowDef>,
    pub state: Mutex<FlowState>,
    pub(crate) run: tokio::sync::Mutex<()>,
    /// No attempt before this instant (after a failure).
    pub(crate) retry_at: Mutex<Option<Instant>>,
}

impl FlowEntry {
    fn new(def: FlowDef, state: FlowState) -> Arc<Self> {
        Arc::new(Self {
            def: Mutex::new(def),
            state: Mutex::new(state),
            run: tokio::sync::Mutex::new(()),
            retry_at: Mutex::new(None),
        })
    }
}

/// Every flow, and the taps each table's writes carry.
pub struct Flows {
    /// The store's codec (the component never holds the store: a runner still asleep must not
    /// keep RocksDB open after the engine is gone).
    codec: Arc<dyn kalamdb_plugin_api::Codec>,
    entries: RwLock<BTreeMap<u64, Arc<FlowEntry>>>,
    taps: RwLock<HashMap<TableId, Vec<FlowTap>>>,
    /// Woken after a write that queued changes.
    pub(crate) wake: tokio::sync::Notify,
    /// Held by CREATE FLOW from its name check to its insert: two creates of one name at
    /// once make one flow.
    pub(crate) ddl: tokio::sync::Mutex<()>,
    pub settings: FlowSettings,
}

impl Flows {
    /// Loads every flow of the store.
    pub fn load(
        store: &crate::store::HotStore,
        catalog: &Catalog,
        settings: FlowSettings,
    ) -> Result<Self> {
        let codec = store.codec().clone();
        let mut defs = BTreeMap::new();
        let mut states = HashMap::new();
        for (key, bytes) in store.scan_raw(CF_FLOWS, b"")? {
            let Some((&tag, id)) = key.split_first() else {
                continue;
            };
            let Ok(id) = <[u8; 8]>::try_from(id).map(u64::from_be_bytes) else {
                continue;
            };
            match tag {
                b'd' => {
                    defs.insert(id, decode::<FlowDef>(codec.as_ref(), &bytes)?);
                }
                b's' => {
                    states.insert(id, decode::<FlowState>(codec.as_ref(), &bytes)?);
                }
                _ => {}
            }
        }
        let entries = defs
            .into_iter()
            .map(|(id, def)| {
                let state = states.remove(&id).unwrap_or_default();
                (id, FlowEntry::new(def, state))
            })
            .collect();
        let flows = Self {
            codec,
            entries: RwLock::new(entries),
            taps: RwLock::new(HashMap::new()),
            wake: tokio::sync::Notify::new(),
            ddl: tokio::sync::Mutex::new(()),
            settings,
        };
        flows.rebuild_taps(catalog);
        Ok(flows)
    }

    /// The taps a write to `table` carries.
    pub fn taps_for(&self, table: &TableId) -> Vec<FlowTap> {
        self.taps.read().get(table).cloned().unwrap_or_default()
    }

    /// Recomputes the taps from the enabled trigger flows. A flow whose owner is a plain user
    /// only takes changes in the owner's own partition.
    pub fn rebuild_taps(&self, catalog: &Catalog) {
        // Computed under the write lock: two rebuilds at once (a CREATE and a DROP) cannot
        // leave the older one's view in force.
        let mut current = self.taps.write();
        let mut taps: HashMap<TableId, Vec<FlowTap>> = HashMap::new();
        for entry in self.entries.read().values() {
            let def = entry.def.lock();
            if !def.enabled {
                continue;
            }
            if let FlowTriggerDef::Change { table, kinds, .. } = &def.trigger {
                let sees_all = catalog
                    .user(&def.owner)
                    .is_some_and(|u| u.role >= Role::Service);
                taps.entry(table.clone()).or_default().push(FlowTap {
                    flow: def.flow_id,
                    kinds: *kinds,
                    user: (!sees_all).then(|| def.owner.as_str().to_string()),
                });
            }
        }
        *current = taps;
    }

    pub fn all(&self) -> Vec<Arc<FlowEntry>> {
        self.entries.read().values().cloned().collect()
    }

    pub fn get(&self, flow_id: u64) -> Option<Arc<FlowEntry>> {
        self.entries.read().get(&flow_id).cloned()
    }

    /// The flow named `ns.name`.
    pub fn by_name(&self, namespace: &str, name: &str) -> Option<Arc<FlowEntry>> {
        self.entries
            .read()
            .values()
            .find(|e| {
                let def = e.def.lock();
                def.namespace.as_str() == namespace && def.name == name
            })
            .cloned()
    }

    pub(crate) fn insert(&self, def: FlowDef, state: FlowState) -> Arc<FlowEntry> {
        let entry = FlowEntry::new(def.clone(), state);
        self.entries.write().insert(def.flow_id, entry.clone());
        entry
    }

    pub(crate) fn remove(&self, flow_id: u64) {
        self.entries.write().remove(&flow_id);
    }

    pub(crate) fn def_op(&self, def: &FlowDef) -> Result<RawOp> {
        Ok(RawOp {
            cf: CF_FLOWS.into(),
            key: def_key(def.flow_id),
            value: Some(encode(self.codec.as_ref(), def)?),
        })
    }

    pub(crate) fn state_op(&self, flow_id: u64, state: &FlowState) -> Result<RawOp> {
        Ok(RawOp {
            cf: CF_FLOWS.into(),
            key: state_key(flow_id),
            value: Some(encode(self.codec.as_ref(), state)?),
        })
    }
}
