//! The sections of `server.toml`. Every field has its default here and a `///` doc; the
//! documented example `server.example.toml` is checked against these structs by a test.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[server]`: where the HTTP API listens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to bind (`KALAMDB_SERVER_HOST`).
    pub host: String,
    /// Port to bind; 0 picks a free one (`KALAMDB_SERVER_PORT`).
    pub port: u16,
    /// Answer `/health`, `/v1/api/healthcheck` and `/metrics` to non-loopback clients too
    /// (`KALAMDB_HEALTH_ALLOW_REMOTE`).
    pub health_allow_remote: bool,
    /// Allow `/v1/api/auth/status` and `/setup` from non-loopback clients.
    pub allow_remote_setup: bool,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Folder of `*.sql` files run once, as root, when the server creates a new data
    /// directory (`KALAMDB_SERVER_INIT_DIR`; `init_scripts`).
    pub init_dir: Option<PathBuf>,
    /// Browser origins (`https://app.example.com`) allowed to call the API across origins;
    /// `*` allows any origin. Empty (the default): no CORS headers are sent.
    pub cors_allowed_origins: Vec<String>,
    /// Let browsers send cookies and HTTP authentication across origins
    /// (`Access-Control-Allow-Credentials`); refused together with `*`.
    pub cors_allow_credentials: bool,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            health_allow_remote: false,
            allow_remote_setup: false,
            max_body_bytes: 2 * 1024 * 1024,
            init_dir: None,
            cors_allowed_origins: Vec::new(),
            cors_allow_credentials: false,
        }
    }
}

/// `[storage]`: the data directory and the hot store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// Data directory: RocksDB, the `local` storage, the lock file (`KALAMDB_DATA_DIR`).
    pub data_path: PathBuf,
    /// Base directory of the `local` storage; default `<data_path>/storage`.
    pub local_storage_path: Option<PathBuf>,
    /// Shards of USER tables: column families per table and writer threads
    /// (`KALAMDB_USER_SHARDS`). Fixed once data exists.
    pub user_shards: u32,
    /// Codec plugin for rows in RocksDB (`KALAMDB_CODEC`).
    pub codec: String,
    /// fsync the WAL at every commit (`KALAMDB_SYNC_WRITES`).
    pub sync_writes: bool,
    /// First schedule of the built-in flow `system.stream_ttl_eviction`, in seconds
    /// (`KALAMDB_STREAM_EVICTION_SECS`); `ALTER FLOW` changes it afterwards.
    pub stream_eviction_interval_secs: u64,
    /// A cold folder with more Parquet files than this gets a compaction job after a flush
    /// (`KALAMDB_COMPACTION_THRESHOLD`).
    pub compaction_threshold: usize,
    /// Hours a deleted row's tombstone is kept for tables without `DELETED_RETENTION_HOURS`
    /// (`KALAMDB_DELETED_RETENTION_HOURS`): compaction and the built-in flow
    /// `system.deleted_row_cleanup` purge older ones.
    pub deleted_retention_hours: u64,
    /// `FLUSH_POLICY` for USER and SHARED tables created without one, e.g. `rows:10000,interval:300`
    /// (`KALAMDB_DEFAULT_FLUSH_POLICY`); unset: such tables flush only by hand.
    pub default_flush_policy: Option<String>,
    /// RocksDB's own log files and WAL.
    pub rocksdb: RocksDbSection,
}

/// `[storage.rocksdb]`: RocksDB's info LOG and WAL, bounded by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RocksDbSection {
    /// Old RocksDB info LOG files kept beside the current one.
    pub keep_log_file_num: usize,
    /// Size in MiB at which RocksDB starts a new info LOG file.
    pub max_log_file_size_mb: usize,
    /// RocksDB's own log level: debug, info, warn, error or fatal.
    pub log_level: String,
    /// WAL size in MiB that makes RocksDB flush the memtables holding it.
    pub max_total_wal_size_mb: u64,
}

impl Default for RocksDbSection {
    fn default() -> Self {
        Self {
            keep_log_file_num: 5,
            max_log_file_size_mb: 10,
            log_level: "warn".into(),
            max_total_wal_size_mb: 256,
        }
    }
}

/// `[query]`: query planning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuerySection {
    /// Logical plans kept for reuse, per user and SQL text (`KALAMDB_PLAN_CACHE_ENTRIES`);
    /// 0 turns the plan cache off.
    pub plan_cache_entries: usize,
    /// Callers whose DataFusion sessions are kept (the cache `session`).
    pub session_cache_entries: usize,
    /// Cold folders whose manifests are kept in memory (the cache `manifest`).
    pub manifest_cache_entries: usize,
    /// Storages whose live backends are kept (the cache `storage`).
    pub storage_cache_entries: usize,
}

impl Default for QuerySection {
    fn default() -> Self {
        Self {
            plan_cache_entries: 1000,
            session_cache_entries: kalamdb_core::engine::DEFAULT_SESSION_CACHE_ENTRIES,
            manifest_cache_entries: kalamdb_core::engine::DEFAULT_MANIFEST_CACHE_ENTRIES,
            storage_cache_entries: kalamdb_core::engine::DEFAULT_STORAGE_CACHE_ENTRIES,
        }
    }
}

/// `[stats]`: statistics (`system.stats`, `SHOW STATS`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsSection {
    /// Keep statistics: row and byte counters per partition (kept by the writers), Parquet
    /// counts per folder and query shapes (`KALAMDB_STATS_ENABLED`).
    pub enabled: bool,
    /// Query shapes kept in all.
    pub query_shapes: usize,
    /// Query shapes kept per user.
    pub query_shapes_per_user: usize,
}

impl Default for StatsSection {
    fn default() -> Self {
        Self {
            enabled: true,
            query_shapes: kalamdb_core::engine::DEFAULT_QUERY_SHAPES,
            query_shapes_per_user: kalamdb_core::engine::DEFAULT_QUERY_SHAPES_PER_USER,
        }
    }
}

/// `[advisor]`: the background advisor and its rules' thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdvisorSection {
    /// Run the advisor in the background (`RUN ADVISOR` works either way).
    pub enabled: bool,
    /// Seconds between two background passes.
    pub interval_secs: u64,
    /// Rows from which a SHARED table whose rows carry a user id is reported
    /// (the rule `shared_table_per_user`'s `rows`).
    pub shared_table_rows: u64,
    /// Rules not run, by name (SHOW PLUGINS lists them).
    pub disabled_rules: Vec<String>,
    /// Resolved findings kept in system.advice.
    pub keep_resolved: usize,
    /// Per rule, its thresholds: `[advisor.rules.hot_user_partition]` `factor = 20`.
    pub rules: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
}

impl Default for AdvisorSection {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: kalamdb_core::advisor::DEFAULT_INTERVAL_SECONDS,
            shared_table_rows: 1_000_000,
            disabled_rules: Vec::new(),
            keep_resolved: kalamdb_core::advisor::DEFAULT_KEEP_RESOLVED,
            rules: Default::default(),
        }
    }
}

/// `[flows]`: how KFlows retry a failing action and when they give up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowsSection {
    /// A flow whose action fails this many times in a row is disabled.
    pub max_consecutive_failures: u32,
    /// Milliseconds before the first retry; doubled per failure up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// Changes one run of a trigger flow handles at most.
    pub batch_size: usize,
}

impl Default for FlowsSection {
    fn default() -> Self {
        let d = kalamdb_core::flows::FlowSettings::default();
        Self {
            max_consecutive_failures: d.max_failures,
            retry_base_ms: d.retry_base_ms,
            retry_max_ms: d.retry_max_ms,
            batch_size: d.batch,
        }
    }
}

/// `[files]`: limits on user files (`/v1/files`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesSection {
    /// Largest file one upload may carry, in bytes (larger: 413).
    pub max_file_bytes: u64,
    /// Most bytes one user's files may take together (over it: 403).
    pub user_quota_bytes: u64,
    /// Hours an `EXPORT USER DATA` ZIP stays downloadable.
    pub export_retention_hours: u64,
}

impl Default for FilesSection {
    fn default() -> Self {
        let d = kalamdb_core::files::FileSettings::default();
        Self {
            max_file_bytes: d.max_file_bytes,
            user_quota_bytes: d.user_quota_bytes,
            export_retention_hours: d.export_retention_hours,
        }
    }
}

impl Default for StorageSection {
    fn default() -> Self {
        Self {
            data_path: PathBuf::from("./data"),
            local_storage_path: None,
            user_shards: 8,
            codec: "json".into(),
            sync_writes: false,
            stream_eviction_interval_secs: 60,
            compaction_threshold: kalamdb_core::cold::flush::DEFAULT_COMPACTION_THRESHOLD,
            deleted_retention_hours: kalamdb_core::cold::compact::DEFAULT_RETENTION_HOURS,
            default_flush_policy: None,
            rocksdb: RocksDbSection::default(),
        }
    }
}

/// `[pgwire]`: the PostgreSQL wire protocol front end (psql, PostgreSQL drivers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PgwireSection {
    /// Off unless asked for: a second listening port is the operator's choice.
    pub enabled: bool,
    /// Address to listen on; unset: `server.host`.
    pub host: Option<String>,
    /// Port (PostgreSQL's own is 5432; 5433 leaves room for one beside KalamDB). 0: any free port.
    pub port: u16,
    /// `scram` (SCRAM-SHA-256) or `cleartext` (accepted only from loopback).
    pub auth: String,
    /// Connections open at once, logged in or not.
    pub max_connections: usize,
    /// Logged-in connections of one user at once.
    pub max_connections_per_user: usize,
}

impl Default for PgwireSection {
    fn default() -> Self {
        Self {
            enabled: false,
            host: None,
            port: 5433,
            auth: "scram".into(),
            max_connections: 200,
            max_connections_per_user: 20,
        }
    }
}

/// `[auth]`: tokens and passwords.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// HS256 secret (`KALAMDB_JWT_SECRET`); generated into the data directory when unset.
    pub jwt_secret: Option<String>,
    /// Access token lifetime; refresh tokens live 7 times longer.
    pub jwt_expiry_hours: u64,
    /// root's password at first start (`KALAMDB_ROOT_PASSWORD`); unset: setup is required.
    pub root_password: Option<String>,
    /// bcrypt cost (`KALAMDB_BCRYPT_COST`); 4 is fine for tests, 12 for production.
    pub bcrypt_cost: u32,
}

impl Default for AuthSection {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            jwt_expiry_hours: 24,
            root_password: None,
            bcrypt_cost: 12,
        }
    }
}

/// `[limits]`: abuse limits. A rate of 0 turns that limit off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// SQL requests per second per user, sustained (`KALAMDB_QUERIES_PER_SECOND`); the
    /// internal `system` role (root) is not limited. Over it: 429 `RATE_LIMIT_EXCEEDED`.
    pub queries_per_second: f64,
    /// SQL requests a user may send at once above the sustained rate.
    pub query_burst: f64,
    /// Login attempts per minute per client address (`KALAMDB_LOGINS_PER_MINUTE`).
    /// Over it: 429 `rate_limited`.
    pub logins_per_minute: f64,
    /// Login attempts a client address may send at once above that rate.
    pub login_burst: f64,
    /// Longest a read may run for the `user` and `service` roles, in seconds; 0: no limit
    /// (`KALAMDB_STATEMENT_TIMEOUT_SECS`).
    pub statement_timeout_secs: u64,
    /// The same for `dba` and `system`; 0: no limit.
    pub admin_statement_timeout_secs: u64,
    /// Rows one statement may return (`KALAMDB_MAX_RESULT_ROWS`).
    pub max_result_rows: usize,
    /// MiB one statement's result may take in memory.
    pub max_result_mb: usize,
    /// Statements one SQL request may carry.
    pub max_statements_per_request: usize,
    /// MiB DataFusion's sorts, joins and aggregates may use, all queries together; 0: unbounded.
    pub query_memory_mb: usize,
    /// WebSocket connections one user may hold open at once (`KALAMDB_MAX_WS_CONNECTIONS_PER_USER`).
    pub max_ws_connections_per_user: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            queries_per_second: 1000.0,
            query_burst: 2000.0,
            logins_per_minute: 120.0,
            login_burst: 60.0,
            statement_timeout_secs: 60,
            admin_statement_timeout_secs: 0,
            max_result_rows: 1_000_000,
            max_result_mb: 256,
            max_statements_per_request: 1000,
            query_memory_mb: 2048,
            max_ws_connections_per_user: 100,
        }
    }
}

/// `[logging]`: the console, the rotated `server.log`, and the slow-query log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter (`KALAMDB_LOG_LEVEL`).
    pub level: String,
    /// `text` or `json` (`KALAMDB_LOG_FORMAT`), for the console and the file alike.
    pub format: String,
    /// Folder of `server.log`; default `<data_path>/logs` (`KALAMDB_LOG_DIR`).
    pub directory: Option<PathBuf>,
    /// Write `server.log` at all (the console always gets the log).
    pub file: bool,
    /// When `server.log` starts anew: `daily`, `hourly`, `size` or `never`.
    pub rotation: String,
    /// With `rotation = "size"`: the size in MiB at which the file rotates.
    pub max_file_size_mb: u64,
    /// Log files kept, the current one included; older ones are deleted.
    pub max_files: usize,
    /// Statements slower than this many milliseconds are logged as slow queries
    /// (`KALAMDB_SLOW_QUERY_MS`); 0 logs every statement.
    pub slow_query_ms: u64,
    /// Days `system.audit_log` keeps a record and `system.jobs` a finished job (at most 10,000
    /// finished jobs are kept); older ones are deleted hourly. 0: kept forever.
    pub audit_retention_days: u64,
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: "text".into(),
            directory: None,
            file: true,
            rotation: "daily".into(),
            max_file_size_mb: 100,
            max_files: 7,
            slow_query_ms: 1000,
            audit_retention_days: 90,
        }
    }
}
