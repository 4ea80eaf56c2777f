//! The catalog (`kalamdb-catalog`): namespaces, tables, storages and users, persisted as records in the system
//! column families (encoded by the configured codec) and held in memory for planning. Catalog
//! mutations go through the system shard writer, then update the in-memory view.
//!
//! - [`model`]: the persisted records.
//! - [`schema`]: a table's Arrow schema, derived from its columns.
//! - [`rows`]: stored rows to and from Arrow arrays in that schema.
//! - [`coerce`]: a value to a column's type, with PostgreSQL's errors.

pub mod coerce;
pub mod model;
pub mod rows;
pub mod schema;

use datafusion::arrow::datatypes::SchemaRef;
use kalamdb_base::codec::{decode, encode};
use kalamdb_base::{KalamError, Result};
use kalamdb_store::{HotStore, RawOp, keys};
use kalamdb_types::{NamespaceId, StorageId, TableId, UserId};
use model::{NamespaceRecord, StorageRecord, TableDef, UserRecord};
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

/// A table with what planning derives from it.
pub struct TableEntry {
    pub def: TableDef,
    /// User columns in creation order, then `_seq`.
    pub schema: SchemaRef,
    /// Next AUTO_INCREMENT value; 0 until first used.
    pub auto_increment: AtomicI64,
    /// Rows written since the last flush started (drives `FLUSH_POLICY`).
    pub pending_rows: std::sync::atomic::AtomicU64,
    /// When the last flush started or the table was loaded, in milliseconds.
    pub last_flush_ms: AtomicI64,
}

impl TableEntry {
    pub fn new(def: TableDef) -> Self {
        let schema = schema::arrow_schema(&def);
        Self {
            def,
            schema,
            auto_increment: AtomicI64::new(0),
            pending_rows: std::sync::atomic::AtomicU64::new(0),
            last_flush_ms: AtomicI64::new(chrono::Utc::now().timestamp_millis()),
        }
    }
}

pub struct Catalog {
    store: Arc<HotStore>,
    namespaces: RwLock<BTreeMap<NamespaceId, NamespaceRecord>>,
    tables: RwLock<BTreeMap<TableId, Arc<TableEntry>>>,
    storages: RwLock<BTreeMap<StorageId, StorageRecord>>,
    users: RwLock<BTreeMap<UserId, UserRecord>>,
    /// Held across every read-modify-write of a user record, so two changes to one user (a
    /// login's counters and a DROP USER, say) never undo each other.
    user_writes: tokio::sync::Mutex<()>,
    /// Bumped by every user record write (see [`Catalog::authority_stamp`]).
    users_changed: std::sync::atomic::AtomicU64,
    /// Bumped by every namespace or table change; cached plans of an older generation are stale.
    generation: std::sync::atomic::AtomicU64,
}

fn table_key(id: &TableId) -> Vec<u8> {
    let mut key = id.namespace.as_str().as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(id.table.as_str().as_bytes());
    key
}

impl Catalog {
    /// Loads every record from the store.
    pub fn load(store: Arc<HotStore>) -> Result<Self> {
        let codec = store.codec().clone();
        let mut namespaces = BTreeMap::new();
        for (_, bytes) in store.scan_raw(keys::CF_NAMESPACES, b"")? {
            let rec: NamespaceRecord = decode(codec.as_ref(), &bytes)?;
            namespaces.insert(rec.namespace_id.clone(), rec);
        }
        let mut tables = BTreeMap::new();
        for (_, bytes) in store.scan_raw(keys::CF_TABLES, b"")? {
            let def: TableDef = decode(codec.as_ref(), &bytes)?;
            tables.insert(def.id.clone(), Arc::new(TableEntry::new(def)));
        }
        let mut storages = BTreeMap::new();
        for (_, bytes) in store.scan_raw(keys::CF_STORAGES, b"")? {
            let rec: StorageRecord = decode(codec.as_ref(), &bytes)?;
            storages.insert(rec.storage_id.clone(), rec);
        }
        let mut users = BTreeMap::new();
        for (_, bytes) in store.scan_raw(keys::CF_USERS, b"")? {
            let rec: UserRecord = decode(codec.as_ref(), &bytes)?;
            users.insert(rec.user_id.clone(), rec);
        }
        Ok(Self {
            store,
            namespaces: RwLock::new(namespaces),
            tables: RwLock::new(tables),
            storages: RwLock::new(storages),
            users: RwLock::new(users),
            user_writes: tokio::sync::Mutex::new(()),
            users_changed: std::sync::atomic::AtomicU64::new(0),
            generation: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Changes whenever a table, namespace or user record does: what a live subscription's
    /// authority was last checked against (both counters only grow, so their sum does too).
    pub fn authority_stamp(&self) -> u64 {
        self.generation()
            + self
                .users_changed
                .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The schema generation (see the field).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    fn put_op<T: serde::Serialize>(&self, cf: &str, key: Vec<u8>, value: &T) -> Result<RawOp> {
        Ok(RawOp {
            cf: cf.to_string(),
            key,
            value: Some(encode(self.store.codec().as_ref(), value)?),
        })
    }

    // ---- namespaces ----

    pub fn namespace(&self, id: &NamespaceId) -> Option<NamespaceRecord> {
        self.namespaces.read().get(id).cloned()
    }

    pub fn namespaces(&self) -> Vec<NamespaceRecord> {
        self.namespaces.read().values().cloned().collect()
    }

    pub async fn put_namespace(&self, rec: NamespaceRecord) -> Result<()> {
        let op = self.put_op(
            keys::CF_NAMESPACES,
            rec.namespace_id.as_str().as_bytes().to_vec(),
            &rec,
        )?;
        self.store.submit_raw(vec![op]).await?;
        self.namespaces
            .write()
            .insert(rec.namespace_id.clone(), rec);
        self.bump();
        Ok(())
    }

    pub async fn delete_namespace(&self, id: &NamespaceId) -> Result<()> {
        self.store
            .submit_raw(vec![RawOp {
                cf: keys::CF_NAMESPACES.into(),
                key: id.as_str().as_bytes().to_vec(),
                value: None,
            }])
            .await?;
        self.namespaces.write().remove(id);
        self.bump();
        Ok(())
    }

    // ---- tables ----

    pub fn table(&self, id: &TableId) -> Option<Arc<TableEntry>> {
        self.tables.read().get(id).cloned()
    }

    pub fn tables(&self) -> Vec<Arc<TableEntry>> {
        self.tables.read().values().cloned().collect()
    }

    pub fn tables_in(&self, ns: &NamespaceId) -> Vec<Arc<TableEntry>> {
        self.tables
            .read()
            .values()
            .filter(|t| &t.def.id.namespace == ns)
            .cloned()
            .collect()
    }

    pub async fn put_table(&self, def: TableDef) -> Result<Arc<TableEntry>> {
        let op = self.put_op(keys::CF_TABLES, table_key(&def.id), &def)?;
        self.store.submit_raw(vec![op]).await?;
        let entry = TableEntry::new(def);
        let mut tables = self.tables.write();
        // ALTER TABLE keeps the same table: its counters carry over.
        if let Some(old) = tables.get(&entry.def.id)
            && old.def.created_at == entry.def.created_at
        {
            use std::sync::atomic::Ordering::Acquire;
            entry.auto_increment.store(
                old.auto_increment.load(Acquire),
                std::sync::atomic::Ordering::Release,
            );
            entry.pending_rows.store(
                old.pending_rows.load(Acquire),
                std::sync::atomic::Ordering::Release,
            );
            entry.last_flush_ms.store(
                old.last_flush_ms.load(Acquire),
                std::sync::atomic::Ordering::Release,
            );
        }
        let entry = Arc::new(entry);
        tables.insert(entry.def.id.clone(), entry.clone());
        drop(tables);
        self.bump();
        Ok(entry)
    }

    pub async fn delete_table(&self, id: &TableId) -> Result<()> {
        self.store
            .submit_raw(vec![RawOp {
                cf: keys::CF_TABLES.into(),
                key: table_key(id),
                value: None,
            }])
            .await?;
        self.tables.write().remove(id);
        self.bump();
        Ok(())
    }

    // ---- storages ----

    pub fn storage(&self, id: &StorageId) -> Option<StorageRecord> {
        self.storages.read().get(id).cloned()
    }

    /// Every storage, `local` first, then by id.
    pub fn storages(&self) -> Vec<StorageRecord> {
        let mut all: Vec<StorageRecord> = self.storages.read().values().cloned().collect();
        all.sort_by_key(|s| (s.storage_id.as_str() != "local", s.storage_id.clone()));
        all
    }

    pub async fn put_storage(&self, rec: StorageRecord) -> Result<()> {
        let op = self.put_op(
            keys::CF_STORAGES,
            rec.storage_id.as_str().as_bytes().to_vec(),
            &rec,
        )?;
        self.store.submit_raw(vec![op]).await?;
        self.storages.write().insert(rec.storage_id.clone(), rec);
        Ok(())
    }

    pub async fn delete_storage(&self, id: &StorageId) -> Result<()> {
        self.store
            .submit_raw(vec![RawOp {
                cf: keys::CF_STORAGES.into(),
                key: id.as_str().as_bytes().to_vec(),
                value: None,
            }])
            .await?;
        self.storages.write().remove(id);
        Ok(())
    }

    // ---- users ----

    /// A user, including soft-deleted ones.
    pub fn user_record(&self, id: &UserId) -> Option<UserRecord> {
        self.users.read().get(id).cloned()
    }

    /// A live (not deleted) user.
    pub fn user(&self, id: &UserId) -> Option<UserRecord> {
        self.user_record(id).filter(|u| !u.is_deleted())
    }

    pub fn users(&self) -> Vec<UserRecord> {
        self.users.read().values().cloned().collect()
    }

    /// Changes a live user's record atomically: `change` sees the current record, and no other
    /// user write runs between that read and the commit. `Ok(None)` when the user does not
    /// exist (or is dropped); an error from `change` writes nothing.
    pub async fn update_user<T>(
        &self,
        id: &UserId,
        change: impl FnOnce(&mut UserRecord) -> Result<T>,
    ) -> Result<Option<(UserRecord, T)>> {
        let _one_writer = self.user_writes.lock().await;
        let Some(mut record) = self.user(id) else {
            return Ok(None);
        };
        let out = change(&mut record)?;
        self.write_user(record.clone()).await?;
        Ok(Some((record, out)))
    }

    /// Records that a dropped user's data was erased (the name is free again).
    pub async fn mark_user_erased(&self, id: &UserId, at: i64) -> Result<bool> {
        let _one_writer = self.user_writes.lock().await;
        let Some(mut record) = self.user_record(id).filter(UserRecord::is_deleted) else {
            return Ok(false);
        };
        record.data_erased_at = Some(at);
        // Nothing personal stays: the record keeps only the name, role and dates.
        record.password_hash = None;
        record.scram_verifier = None;
        record.email = None;
        record.sessions.clear();
        record.storage_id = None;
        self.write_user(record).await?;
        Ok(true)
    }

    /// Writes a new user record unless a live user has the name; false when one has.
    pub async fn create_user(&self, rec: UserRecord) -> Result<bool> {
        let _one_writer = self.user_writes.lock().await;
        if self.user(&rec.user_id).is_some() {
            return Ok(false);
        }
        self.write_user(rec).await?;
        Ok(true)
    }

    /// Writes a user record whole (bootstrap and setup, which run before any other writer).
    pub async fn put_user(&self, rec: UserRecord) -> Result<()> {
        let _one_writer = self.user_writes.lock().await;
        self.write_user(rec).await
    }

    async fn write_user(&self, rec: UserRecord) -> Result<()> {
        let op = self.put_op(
            keys::CF_USERS,
            rec.user_id.as_str().as_bytes().to_vec(),
            &rec,
        )?;
        self.store.submit_raw(vec![op]).await?;
        self.users.write().insert(rec.user_id.clone(), rec);
        self.users_changed
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(())
    }

    /// Fails with the PostgreSQL-style message when the table does not exist.
    pub fn require_table(&self, id: &TableId) -> Result<Arc<TableEntry>> {
        self.table(id)
            .ok_or_else(|| KalamError::TableNotFound(id.to_string()))
    }
}
