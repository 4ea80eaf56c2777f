//! The KalamDB engine: everything behind the plugin contract (`kalamdb-plugin-api`).
//!
//! - [`plugin`]: the contract's traits and `Registry`, re-exported, and the typed codec calls.
//! - [`store`]: the `kalamdb-store` crate: the RocksDB hot store, its key layout, the shard
//!   writers (group commit) and the change feed.
//! - [`catalog`]: namespaces, tables, storages and users, persisted in system column families.
//! - [`sql`]: the `kalamdb-sql` crate (statement splitting, the typed `Statement` parser).
//! - [`cold`]: Parquet segments, manifests and flush.
//! - [`jobs`]: background jobs and `system.jobs`.
//! - [`exec`]: the `execute` path: DDL, DML, queries on DataFusion, access checks.
//! - [`live`]: the change feed and live-query subscriptions.
//! - [`failpoint`]: named fault-injection points for crash tests.
//! - [`audit`]: `system.audit_log`, who did what from where.
//! - [`advisor`]: the advisor loop's passes and `system.advice`.
//! - [`auth`]: passwords, HS256 tokens, login lockout and first-run setup.
//! - [`engine`]: opening a data directory and wiring it all together.
//! - [`flow_host`]: the engine's side of the flow-action contract.
//! - [`flows`]: KFlows: definitions, the trigger loop, schedules and their statements.
//! - [`export`]: `EXPORT USER DATA`: a user's data as one ZIP, made by a job.
//! - [`files`]: user files (`system.user_files`): uploads, downloads, deletes, the sweep.
//! - [`maintenance`]: CLEANUP DELETED ROWS, BACKUP DATABASE and RESTORE DATABASE.

pub mod engine;
pub mod exec;
pub mod export;
pub mod files;
pub mod flow_host;
pub mod flows;
pub mod live;
pub mod maintenance;
pub mod plugin;
pub mod value;

pub use engine::{Engine, EngineConfig, Session};
/// The advisor and `system.advice` (`kalamdb-advisor`).
pub use kalamdb_advisor as advisor;
/// `system.audit_log` (`kalamdb-audit`).
pub use kalamdb_audit as audit;
/// Passwords, tokens, sessions, lockout and setup (`kalamdb-auth`).
pub use kalamdb_auth as auth;
pub use kalamdb_base::{KalamError, Result};
/// The base every component shares (`kalamdb-base`): the error type, ids, session, failpoints.
pub use kalamdb_base::{error, failpoint};
/// Namespaces, tables, storages and users (`kalamdb-catalog`).
pub use kalamdb_catalog as catalog;
/// Parquet segments, manifests, flush and compaction (`kalamdb-cold`).
pub use kalamdb_cold as cold;
/// Background jobs and `system.jobs` (`kalamdb-jobs`).
pub use kalamdb_jobs as jobs;
/// The SQL front end (`kalamdb-sql`): statements and their parser, separate from execution.
pub use kalamdb_sql as sql;
/// The hot store (`kalamdb-store`): RocksDB, keys, shard writers and the change feed.
pub use kalamdb_store as store;
pub use value::{StoredRow, Value};

/// Re-exported so plugins use the same versions as the kernel.
pub use kalamdb_plugin_api::inventory;
pub use kalamdb_plugin_api::object_store;
