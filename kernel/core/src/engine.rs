//! The engine: opens the data directory, wires the plugins, the hot store, the catalog and
//! DataFusion together, and executes typed statements for every front end.

use crate::catalog::Catalog;
use crate::catalog::model::{StorageRecord, UserRecord};
use crate::error::{KalamError, Result};
use crate::exec::df_catalog::{CATALOG_NAME, KalamCatalog};
use crate::exec::functions::builtin_udfs;
use crate::plugin::{Registry, StorageConfig};
use crate::store::{HotStore, StoreOptions};
use datafusion::catalog::{CatalogProviderList, MemoryCatalogProviderList};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::{FunctionRegistry, TaskContext};
use datafusion::prelude::SessionConfig;
use kalamdb_types::{Role, StorageId, UserId};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A caller's DataFusion session and the task context its plans run in. Both are made once
/// per caller: `SessionState::task_ctx()` copies every function registry (hundreds of
/// entries) and cost more than planning a cached point lookup when it ran per statement.
pub(crate) struct CallerState {
    pub state: SessionState,
    pub task: Arc<TaskContext>,
}

impl std::ops::Deref for CallerState {
    type Target = SessionState;

    fn deref(&self) -> &SessionState {
        &self.state
    }
}

/// Engine settings (the server maps its config file onto these).
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Root of everything the server keeps: RocksDB under `rocksdb/`, the local storage.
    pub data_dir: PathBuf,
    /// Base directory of the `local` storage; default `<data_dir>/storage`.
    pub storage_dir: Option<PathBuf>,
    pub user_shards: u32,
    /// Codec plugin for rows and records in RocksDB.
    pub codec: String,
    /// fsync the WAL on every commit.
    pub sync_writes: bool,
    /// Root's password at first start (else the server waits for setup).
    pub root_password: Option<String>,
    /// HS256 secret; generated and kept in the data directory when unset.
    pub jwt_secret: Option<String>,
    pub jwt_expiry_hours: u64,
    pub bcrypt_cost: u32,
    /// A folder holding more Parquet segments than this gets a compaction job after a flush.
    pub compaction_threshold: usize,
    /// `DELETED_RETENTION_HOURS` of tables created without one.
    pub deleted_retention_hours: u64,
    /// A backup to restore into the (empty) data directory at open (`--restore-from`).
    pub restore_from: Option<PathBuf>,
    /// Size limit and per-user quota of user files.
    pub files: crate::files::FileSettings,
    /// `FLUSH_POLICY` of USER and SHARED tables created without one (e.g. `rows:10000,interval:300`).
    pub default_flush_policy: Option<String>,
    /// Plans kept by the plan cache; 0 disables it.
    pub plan_cache_entries: usize,
    /// Callers whose DataFusion sessions are kept (the cache `session`).
    pub session_cache_entries: usize,
    /// Folders whose manifests are kept in memory (the cache `manifest`).
    pub manifest_cache_entries: usize,
    /// Storages whose live backends are kept (the cache `storage`).
    pub storage_cache_entries: usize,
    /// RocksDB's info LOG retention and WAL bound.
    pub rocksdb: crate::store::RocksDbSettings,
    /// What one statement or request may use.
    pub limits: crate::exec::limits::QueryLimits,
    /// Keep statistics: the writers' per-partition counters, per-folder cold counts and
    /// query shapes (`system.stats`).
    pub statistics: bool,
    /// Query shapes kept, in all and per user.
    pub query_shapes: usize,
    pub query_shapes_per_user: usize,
    /// The advisor's loop, rules and thresholds.
    pub advisor: kalamdb_advisor::AdvisorSettings,
    /// How flows retry and when they are disabled.
    pub flows: crate::flows::FlowSettings,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            storage_dir: None,
            user_shards: 8,
            codec: "json".into(),
            sync_writes: false,
            root_password: None,
            jwt_secret: None,
            jwt_expiry_hours: 24,
            bcrypt_cost: 12,
            compaction_threshold: crate::cold::flush::DEFAULT_COMPACTION_THRESHOLD,
            deleted_retention_hours: crate::cold::compact::DEFAULT_RETENTION_HOURS,
            restore_from: None,
            files: crate::files::FileSettings::default(),
            default_flush_policy: None,
            plan_cache_entries: 1000,
            session_cache_entries: DEFAULT_SESSION_CACHE_ENTRIES,
            manifest_cache_entries: DEFAULT_MANIFEST_CACHE_ENTRIES,
            storage_cache_entries: DEFAULT_STORAGE_CACHE_ENTRIES,
            rocksdb: crate::store::RocksDbSettings::default(),
            limits: crate::exec::limits::QueryLimits::default(),
            statistics: true,
            query_shapes: DEFAULT_QUERY_SHAPES,
            query_shapes_per_user: DEFAULT_QUERY_SHAPES_PER_USER,
            advisor: kalamdb_advisor::AdvisorSettings::default(),
            flows: crate::flows::FlowSettings::default(),
        }
    }
}

/// Default bound of the query shapes kept.
pub const DEFAULT_QUERY_SHAPES: usize = 10_000;
/// Default bound of the query shapes kept per user.
pub const DEFAULT_QUERY_SHAPES_PER_USER: usize = 200;

/// Default bound of the cache `session` (callers).
pub const DEFAULT_SESSION_CACHE_ENTRIES: usize = 4096;
/// Default bound of the cache `manifest` (folders).
pub const DEFAULT_MANIFEST_CACHE_ENTRIES: usize = 100_000;
/// Default bound of the cache `storage` (storages).
pub const DEFAULT_STORAGE_CACHE_ENTRIES: usize = 256;

/// Counters the server exports as metrics.
#[derive(Debug, Default)]
pub struct EngineStats {
    /// Rows inserted, updated or deleted by statements.
    pub rows_written: std::sync::atomic::AtomicU64,
    /// Rows returned by queries.
    pub rows_read: std::sync::atomic::AtomicU64,
}

pub use kalamdb_base::Session;

pub struct Engine {
    pub config: EngineConfig,
    pub registry: Arc<Registry>,
    /// Cold storage access shared with the table providers.
    pub cold: Arc<crate::cold::ColdStore>,
    pub store: Arc<HotStore>,
    pub catalog: Arc<Catalog>,
    base_state: SessionState,
    /// Live query subscriptions.
    pub live: Arc<crate::live::LiveManager>,
    /// Logins, tokens and sessions.
    pub auth: crate::auth::Auth,
    /// `system.audit_log`.
    pub audit: crate::audit::AuditLog,
    pub(crate) auto_increment_init: tokio::sync::Mutex<()>,
    /// Held by a backup: one at a time.
    pub(crate) backup_running: tokio::sync::Mutex<()>,
    /// Shared by a user file's commit and delete; a backup holds it alone from its checkpoint
    /// to the copy of the files, so the two agree on which files exist.
    pub(crate) files_lock: tokio::sync::RwLock<()>,
    /// Export jobs for the worker (`export`), and the lock that makes "one running export per
    /// user" a check-and-start.
    pub(crate) export_tx: tokio::sync::mpsc::UnboundedSender<crate::export::ExportRequest>,
    pub(crate) export_start: tokio::sync::Mutex<()>,
    /// Flush, compaction and cleanup jobs (`system.jobs`).
    pub jobs: Arc<crate::jobs::JobRunner>,
    /// Logical plans of reads (registered as the cache `plan`).
    pub plan_cache: Arc<crate::exec::plan_cache::PlanCache>,
    /// Counters for metrics.
    pub stats: EngineStats,
    /// Query-shape statistics.
    pub shapes: Arc<crate::exec::shapes::QueryShapes>,
    /// The advisor and its findings (`system.advice`).
    pub advisor: Arc<kalamdb_advisor::Advisor>,
    /// KFlows (`system.flows`) and the taps writes carry for them.
    pub flows: Arc<crate::flows::Flows>,
    /// The components system views and DataFusion catalogs read.
    sources: crate::exec::system_tables::SystemSources,
    /// DataFusion sessions by caller (the cache `session`, see `session_state`).
    sessions: Arc<crate::exec::session_cache::SessionCache>,
    /// SQL extensions front ends installed (see [`crate::exec::extension`]).
    extensions: parking_lot::RwLock<Vec<Arc<dyn crate::exec::extension::SqlExtension>>>,
    /// Bumped by each install: part of a cached session's key, so a session built while an
    /// extension was being installed is never served afterwards.
    extensions_generation: std::sync::atomic::AtomicU64,
    /// Held for the engine's lifetime: one server per data directory.
    _lock: File,
}

pub const RESERVED_NAMESPACES: &[&str] = &[
    "system",
    "sys",
    "root",
    "kalamdb",
    "kalam",
    "information_schema",
    "pg_catalog",
    "datafusion",
];

pub use kalamdb_base::now_micros;

fn lock_data_dir(dir: &Path) -> Result<File> {
    std::fs::create_dir_all(dir).map_err(|e| {
        KalamError::Storage(format!(
            "cannot create data directory '{}': {e}",
            dir.display()
        ))
    })?;
    let path = dir.join("kalamdb.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| KalamError::Storage(format!("cannot open '{}': {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(KalamError::Storage(format!(
            "data directory '{}' is in use by another KalamDB server; stop it or choose another data directory",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(KalamError::Storage(format!(
            "cannot lock data directory '{}': {e}",
            dir.display()
        ))),
    }
}

fn load_or_create_secret(dir: &Path) -> Result<Vec<u8>> {
    let path = dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    let secret: String = (0..64)
        .map(|_| {
            let n: u8 = rand::random::<u8>() % 62;
            match n {
                0..=9 => (b'0' + n) as char,
                10..=35 => (b'a' + n - 10) as char,
                _ => (b'A' + n - 36) as char,
            }
        })
        .collect();
    std::fs::write(&path, secret.as_bytes())
        .map_err(|e| KalamError::Storage(format!("cannot write '{}': {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(secret.into_bytes())
}

/// What a data directory was created with and cannot change afterwards: rows are routed to
/// column families by `user_shards` and encoded by the codec, so another value would hide
/// (or fail to decode) every row written before.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Layout {
    user_shards: u32,
    codec: String,
}

const LAYOUT_KEY: &[u8] = b"layout";

/// Records the layout at first start (always as JSON: the codec is part of it); later starts
/// refuse a configuration that disagrees, naming the setting and the value to use.
async fn check_layout(store: &HotStore, config: &EngineConfig) -> Result<()> {
    let wanted = Layout {
        user_shards: store.user_shards(),
        codec: config.codec.clone(),
    };
    let recorded = store
        .scan_raw(crate::store::keys::CF_META, LAYOUT_KEY)?
        .into_iter()
        .find(|(k, _)| k.as_slice() == LAYOUT_KEY);
    let Some((_, bytes)) = recorded else {
        let value = serde_json::to_vec(&wanted).map_err(KalamError::internal)?;
        store
            .submit_raw(vec![crate::store::RawOp {
                cf: crate::store::keys::CF_META.into(),
                key: LAYOUT_KEY.to_vec(),
                value: Some(value),
            }])
            .await?;
        return Ok(());
    };
    let recorded: Layout = serde_json::from_slice(&bytes).map_err(|e| {
        KalamError::Storage(format!(
            "the data directory's layout record is unreadable: {e}"
        ))
    })?;
    let dir = config.data_dir.display();
    if recorded.user_shards != wanted.user_shards {
        return Err(KalamError::InvalidDefinition(format!(
            "data directory '{dir}' was created with user_shards = {}, the configuration says {}: \
             set storage.user_shards = {} (rows are placed by it), or use a new data directory",
            recorded.user_shards, wanted.user_shards, recorded.user_shards
        )));
    }
    if recorded.codec != wanted.codec {
        return Err(KalamError::InvalidDefinition(format!(
            "data directory '{dir}' was created with the codec '{}', the configuration says '{}': \
             set storage.codec = \"{}\" (rows are encoded with it), or use a new data directory",
            recorded.codec, wanted.codec, recorded.codec
        )));
    }
    Ok(())
}

/// Refuses a configuration naming an advisor rule no plugin registered (a typo would
/// otherwise silently keep a rule on, or a threshold unused).
fn check_rule_names(registry: &Registry, advisor: &kalamdb_advisor::AdvisorSettings) -> Result<()> {
    let known: Vec<&str> = registry.advisor_rules().map(|r| r.name()).collect();
    let named = advisor
        .disabled_rules
        .iter()
        .map(|n| ("advisor.disabled_rules", n))
        .chain(advisor.rules.keys().map(|n| ("advisor.rules", n)));
    for (setting, name) in named {
        // The shortcut `advisor.shared_table_rows` configures this rule even when its plugin
        // is not in this build.
        if name == "shared_table_per_user" && setting == "advisor.rules" {
            continue;
        }
        if !known.contains(&name.as_str()) {
            return Err(KalamError::InvalidDefinition(format!(
                "{setting} names the advisor rule '{name}', which is not registered; the rules are: {}",
                if known.is_empty() {
                    "(none)".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    Ok(())
}

impl Engine {
    /// Opens the data directory and brings the catalog up to date (the `local` storage and
    /// `root` exist from the first start).
    pub async fn open(config: EngineConfig, registry: Registry) -> Result<Arc<Self>> {
        let lock = lock_data_dir(&config.data_dir)?;
        let codec = registry.codec(&config.codec).ok_or_else(|| {
            KalamError::InvalidDefinition(format!(
                "codec '{}' is not registered; available plugins: {:?}",
                config.codec,
                registry.names()
            ))
        })?;
        let store_options = StoreOptions {
            user_shards: config.user_shards.max(1),
            sync_writes: config.sync_writes,
            rocksdb: config.rocksdb.clone(),
            statistics: config.statistics,
            ..StoreOptions::default()
        };
        let restoring = crate::maintenance::restore::prepare(&config)?;
        let rocks_path = config.data_dir.join("rocksdb");
        let (feed, feed_rx) = crate::live::ChangeFeed::new();
        let feed = Arc::new(feed);
        let store = {
            let codec = codec.clone();
            let feed = feed.clone();
            tokio::task::spawn_blocking(move || {
                HotStore::open(&rocks_path, codec, store_options, feed)
            })
            .await
            .map_err(KalamError::internal)??
        };
        let store = Arc::new(store);
        check_layout(&store, &config).await?;
        let catalog = Arc::new(Catalog::load(store.clone())?);
        let plan_cache = Arc::new(crate::exec::plan_cache::PlanCache::new(
            config.plan_cache_entries,
        ));
        let sessions = Arc::new(crate::exec::session_cache::SessionCache::new(
            config.session_cache_entries,
        ));
        let cold_caches = crate::cold::ColdCaches::new(
            config.manifest_cache_entries,
            config.storage_cache_entries,
        );
        let mut registry = registry;
        registry.with_origin(
            "kernel",
            env!("CARGO_PKG_VERSION"),
            crate::plugin::PluginOrigin::Kernel,
            |r| {
                r.register_cache(plan_cache.clone())?;
                r.register_cache(sessions.clone())?;
                r.register_cache(cold_caches.manifests.clone())?;
                r.register_cache(cold_caches.backends.clone())
            },
        )?;
        check_rule_names(&registry, &config.advisor)?;
        let registry = Arc::new(registry);
        let mut cold = crate::cold::ColdStore::new(
            catalog.clone(),
            registry.clone(),
            store.clone(),
            cold_caches,
        );
        cold.default_retention_hours = config.deleted_retention_hours;
        let cold = Arc::new(cold);
        let jwt_secret = match &config.jwt_secret {
            Some(s) if !s.is_empty() => s.as_bytes().to_vec(),
            _ => load_or_create_secret(&config.data_dir)?,
        };
        let jobs = Arc::new(crate::jobs::JobRunner::new(
            cold.clone(),
            store.clone(),
            catalog.clone(),
            config.compaction_threshold,
            config.default_flush_policy.clone(),
        ));
        let shapes = Arc::new(crate::exec::shapes::QueryShapes::new(
            config.statistics,
            config.query_shapes,
            config.query_shapes_per_user,
        ));
        let advisor = Arc::new(kalamdb_advisor::Advisor::open(
            store.clone(),
            config.advisor.clone(),
        )?);
        let flows = Arc::new(crate::flows::Flows::load(
            &store,
            &catalog,
            config.flows.clone(),
        )?);
        let live = Arc::new(crate::live::LiveManager::new(feed));
        tokio::spawn(crate::live::run_dispatcher(
            live.clone(),
            catalog.clone(),
            feed_rx,
        ));
        let sources = crate::exec::system_tables::SystemSources {
            catalog: catalog.clone(),
            store: store.clone(),
            live: live.clone(),
            registry: registry.clone(),
            cold: cold.clone(),
            shapes: shapes.clone(),
            advisor: advisor.clone(),
            flows: flows.clone(),
            flush_by_default: config.default_flush_policy.is_some(),
        };
        let base_state = Self::base_state(&sources, config.limits.query_memory_bytes)?;
        let auth = crate::auth::Auth::new(
            catalog.clone(),
            jwt_secret,
            config.jwt_expiry_hours,
            config.bcrypt_cost,
        );
        let audit = crate::audit::AuditLog::new(store.clone());
        let (export_tx, export_rx) = tokio::sync::mpsc::unbounded_channel();
        let engine = Arc::new(Self {
            config,
            registry,
            cold,
            store,
            catalog,
            base_state,
            live,
            auth,
            audit,
            auto_increment_init: tokio::sync::Mutex::new(()),
            backup_running: tokio::sync::Mutex::new(()),
            files_lock: tokio::sync::RwLock::new(()),
            export_tx,
            export_start: tokio::sync::Mutex::new(()),
            jobs,
            plan_cache,
            stats: EngineStats::default(),
            shapes,
            advisor,
            flows,
            sources,
            sessions,
            extensions: parking_lot::RwLock::new(Vec::new()),
            extensions_generation: std::sync::atomic::AtomicU64::new(0),
            _lock: lock,
        });
        if let Some(source) = restoring {
            engine.finish_restore(&source).await?;
        }
        engine.bootstrap().await?;
        engine.sweep_orphan_files().await?;
        engine.jobs.recover().await?;
        engine.ensure_builtin_flows().await?;
        engine.spawn_flow_runner();
        engine.spawn_export_worker(export_rx);
        engine.prune_exports(true);
        if engine.store.counters().recounted() {
            // The hot counters were rebuilt at open; the cold ones come from each manifest.
            let cold = engine.cold.clone();
            tokio::spawn(async move {
                match cold.refresh_stats().await {
                    Ok(n) => tracing::info!("statistics: read {n} cold folder manifest(s)"),
                    Err(e) => tracing::warn!("statistics: cold folders not all read: {e}"),
                }
            });
        }
        Ok(engine)
    }

    fn base_state(
        sources: &crate::exec::system_tables::SystemSources,
        memory_bytes: usize,
    ) -> Result<SessionState> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema(CATALOG_NAME, "public")
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(true)
            .with_target_partitions(2);
        let list = Arc::new(MemoryCatalogProviderList::new());
        list.register_catalog(
            CATALOG_NAME.to_string(),
            Arc::new(KalamCatalog::new(sources, None)),
        );
        let mut builder = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_catalog_list(list);
        if memory_bytes > 0 {
            // One pool for every caller's queries (each caller's state is a clone of this one).
            let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
                .with_memory_limit(memory_bytes, 1.0)
                .build_arc()?;
            builder = builder.with_runtime_env(runtime);
        }
        let mut state = builder.build();
        for udf in builtin_udfs()
            .into_iter()
            .chain(crate::exec::json::json_udfs())
        {
            state.register_udf(Arc::new(udf))?;
        }
        datafusion::execution::FunctionRegistry::register_expr_planner(
            &mut state,
            Arc::new(crate::exec::json::JsonOperators),
        )?;
        Ok(state)
    }

    /// The DataFusion session of a caller (user, role, default namespace) and the task context
    /// its plans run in. Built once and kept:
    /// a state is only read while planning and running, so there is no need to clone the base
    /// state (every function registry) and register `CURRENT_USER()` again per statement.
    pub(crate) fn session_state(&self, session: &Session) -> Result<Arc<CallerState>> {
        let key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            session.user,
            session.role,
            session.namespace.as_ref().map(|n| n.as_str()).unwrap_or(""),
            self.extensions_generation
                .load(std::sync::atomic::Ordering::Acquire)
        );
        if let Some(state) = self.sessions.get(&key) {
            return Ok(state);
        }
        let state = self.build_session_state(session)?;
        let task = state.task_ctx();
        let state = Arc::new(CallerState { state, task });
        self.sessions.put(key, state.clone());
        Ok(state)
    }

    /// Adds a SQL extension to every caller's session from now on.
    pub fn install_extension(&self, extension: Arc<dyn crate::exec::extension::SqlExtension>) {
        self.extensions.write().push(extension);
        // Sessions keyed by the old generation are never looked up again; built without it,
        // they and the plans made in them are dropped.
        self.extensions_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        crate::plugin::Cache::clear(self.sessions.as_ref());
        crate::plugin::Cache::clear(self.plan_cache.as_ref());
    }

    fn build_session_state(&self, session: &Session) -> Result<SessionState> {
        // The caller's own view of the catalog: listings show what its role may read.
        let list = Arc::new(MemoryCatalogProviderList::new());
        let catalog = KalamCatalog::new(&self.system_sources(), Some(session.role));
        let extra = catalog.extra.clone();
        list.register_catalog(CATALOG_NAME.to_string(), Arc::new(catalog));
        let extensions = self.extensions.read().clone();
        let mut builder = SessionStateBuilder::new_from_existing(self.base_state.clone())
            .with_catalog_list(list.clone());
        let mut schemas = Vec::new();
        let mut udfs = Vec::new();
        for ext in &extensions {
            schemas.extend(ext.schemas(list.clone()));
            udfs.extend(ext.udfs());
            builder = ext.configure(builder);
        }
        let _ = extra.set(schemas);
        let mut state = builder.build();
        for udf in udfs {
            state.register_udf(Arc::new(udf))?;
        }
        let config = state.config_mut();
        config.set_extension(Arc::new(crate::exec::scope::QueryScope {
            user: session.user.clone(),
            role: session.role,
        }));
        config.options_mut().catalog.default_schema = session
            .namespace
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_else(|| "public".into());
        state.register_udf(Arc::new(crate::exec::functions::current_user_udf(
            session.user.as_str(),
        )))?;
        Ok(state)
    }

    /// What the system views are built from.
    pub fn system_sources(&self) -> crate::exec::system_tables::SystemSources {
        self.sources.clone()
    }

    /// The `local` storage's base directory.
    pub fn local_storage_dir(&self) -> PathBuf {
        self.config
            .storage_dir
            .clone()
            .unwrap_or_else(|| self.config.data_dir.join("storage"))
    }

    async fn bootstrap(&self) -> Result<()> {
        let now = now_micros();
        let local = StorageId::new("local");
        if self.catalog.storage(&local).is_none() {
            let base = self.local_storage_dir();
            let record = StorageRecord {
                storage_id: local.clone(),
                storage_name: "Local storage".into(),
                description: Some("Default storage on the server's filesystem".into()),
                storage_type: "filesystem".into(),
                base_directory: base.display().to_string(),
                credentials: None,
                config: None,
                shared_tables_template: "{namespace}/{tableName}".into(),
                user_tables_template: "{namespace}/{tableName}/{shard}/{userId}".into(),
                created_at: now,
                updated_at: now,
            };
            if let Some(factory) = self.registry.storage("filesystem") {
                let backend = factory.create(&StorageConfig {
                    storage_id: local.to_string(),
                    base_directory: record.base_directory.clone(),
                    credentials: None,
                    config: None,
                })?;
                backend.ensure_ready()?;
            }
            self.catalog.put_storage(record).await?;
        }
        let root = UserId::new("root");
        let root_hash = match &self.config.root_password {
            Some(pw) if !pw.is_empty() => {
                Some(crate::auth::password::hash(pw.clone(), self.config.bcrypt_cost).await?)
            }
            _ => None,
        };
        let root_scram = self
            .config
            .root_password
            .as_deref()
            .filter(|pw| !pw.is_empty())
            .map(crate::auth::password::scram);
        match self.catalog.user_record(&root) {
            None => {
                self.catalog
                    .put_user(UserRecord {
                        scram_verifier: root_scram,
                        ..UserRecord::new(root, Role::System, root_hash, None, now)
                    })
                    .await?;
            }
            Some(mut existing) if existing.password_hash.is_none() && root_hash.is_some() => {
                existing.password_hash = root_hash;
                existing.scram_verifier = root_scram;
                existing.updated_at = now;
                self.catalog.put_user(existing).await?;
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Stops the shard writers after they drain, and syncs the WAL.
    pub fn shutdown(&self) {
        self.store.shutdown();
    }

    /// Flushes every hot row of a table now (outside the job scheduler), with the configured
    /// compaction threshold; `cancelled` is checked between partitions.
    pub async fn flush_table(
        &self,
        table: &kalamdb_types::TableId,
        cancelled: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<crate::cold::flush::FlushReport> {
        self.cold
            .flush_table(table, self.config.compaction_threshold, cancelled)
            .await
    }

    /// Compacts every folder of a table with more than `min_segments` segments (0: every
    /// folder with two or more). Returns how many folders were compacted.
    pub async fn compact_table(
        &self,
        table: &kalamdb_types::TableId,
        min_segments: usize,
    ) -> Result<usize> {
        self.cold.compact_table(table, min_segments).await
    }
}
