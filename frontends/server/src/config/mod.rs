//! Server configuration: `server.toml` (every key optional, unknown keys refused), then
//! `KALAMDB_*` environment variables on top. Defaults live here and only here.

pub mod env;
mod sections;

pub use sections::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub server: ServerSection,
    pub storage: StorageSection,
    pub auth: AuthSection,
    pub limits: LimitsSection,
    pub query: QuerySection,
    pub stats: StatsSection,
    pub advisor: AdvisorSection,
    pub flows: FlowsSection,
    pub files: FilesSection,
    pub pgwire: PgwireSection,
    pub logging: LoggingSection,
}

impl ServerConfig {
    /// Reads a config file (if given), then applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read config file '{}': {e}", p.display()))?;
                toml::from_str(&text)
                    .map_err(|e| format!("invalid config file '{}': {e}", p.display()))?
            }
            None => ServerConfig::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Applies `KALAMDB_*` overrides read through `get` (see [`env`]: every scalar key,
    /// aliases, `*_FILE` variants).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        *self = env::apply(self, &get)?;
        Ok(())
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), String> {
        crate::http::cors::check_config(&self.server)?;
        if !matches!(self.pgwire.auth.as_str(), "scram" | "cleartext") {
            return Err(format!(
                "pgwire.auth = \"{}\" must be \"scram\" or \"cleartext\"",
                self.pgwire.auth
            ));
        }
        if self.storage.user_shards == 0 || self.storage.user_shards > 256 {
            return Err(format!(
                "storage.user_shards = {} must be between 1 and 256",
                self.storage.user_shards
            ));
        }
        if self.storage.compaction_threshold < 2 {
            return Err(format!(
                "storage.compaction_threshold = {} must be at least 2",
                self.storage.compaction_threshold
            ));
        }
        if let Some(policy) = &self.storage.default_flush_policy {
            kalamdb_core::exec::ddl::check_flush_policy(policy)
                .map_err(|e| format!("storage.default_flush_policy: {e}"))?;
        }
        if !matches!(self.logging.format.as_str(), "text" | "json") {
            return Err(format!(
                "logging.format = '{}' must be 'text' or 'json'",
                self.logging.format
            ));
        }
        crate::logging::Rotation::parse(&self.logging.rotation)?;
        if self.advisor.interval_secs == 0 {
            return Err("advisor.interval_secs must be at least 1 (set advisor.enabled = false to stop the background advisor)".into());
        }
        if self.flows.max_consecutive_failures == 0 || self.flows.batch_size == 0 {
            return Err(
                "flows.max_consecutive_failures and flows.batch_size must be at least 1".into(),
            );
        }
        if self.logging.max_files == 0 {
            return Err("logging.max_files must be at least 1".into());
        }
        self.rocksdb_settings()
            .level()
            .map_err(|e| format!("storage.rocksdb.log_level: {e}"))?;
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            return Err(format!(
                "auth.bcrypt_cost = {} must be between 4 and 31",
                self.auth.bcrypt_cost
            ));
        }
        let loopback = matches!(self.server.host.as_str(), "127.0.0.1" | "localhost" | "::1")
            || self.server.host.starts_with("127.");
        let strong_secret = self.auth.jwt_secret.as_ref().is_some_and(|s| s.len() >= 32);
        if !loopback && !strong_secret {
            return Err(format!(
                "refusing to listen on {} without a JWT secret of at least 32 characters: set KALAMDB_JWT_SECRET or auth.jwt_secret",
                self.server.host
            ));
        }
        Ok(())
    }

    pub fn engine_config(&self) -> kalamdb_core::EngineConfig {
        kalamdb_core::EngineConfig {
            data_dir: self.storage.data_path.clone(),
            storage_dir: self.storage.local_storage_path.clone(),
            user_shards: self.storage.user_shards,
            codec: self.storage.codec.clone(),
            sync_writes: self.storage.sync_writes,
            root_password: self.auth.root_password.clone(),
            jwt_secret: self.auth.jwt_secret.clone(),
            jwt_expiry_hours: self.auth.jwt_expiry_hours,
            bcrypt_cost: self.auth.bcrypt_cost,
            compaction_threshold: self.storage.compaction_threshold,
            deleted_retention_hours: self.storage.deleted_retention_hours,
            restore_from: None,
            files: kalamdb_core::files::FileSettings {
                max_file_bytes: self.files.max_file_bytes,
                user_quota_bytes: self.files.user_quota_bytes,
                export_retention_hours: self.files.export_retention_hours,
            },
            default_flush_policy: self.storage.default_flush_policy.clone(),
            plan_cache_entries: self.query.plan_cache_entries,
            session_cache_entries: self.query.session_cache_entries,
            manifest_cache_entries: self.query.manifest_cache_entries,
            storage_cache_entries: self.query.storage_cache_entries,
            rocksdb: self.rocksdb_settings(),
            limits: self.query_limits(),
            statistics: self.stats.enabled,
            query_shapes: self.stats.query_shapes,
            query_shapes_per_user: self.stats.query_shapes_per_user,
            advisor: self.advisor_settings(),
            flows: kalamdb_core::flows::FlowSettings {
                max_failures: self.flows.max_consecutive_failures,
                retry_base_ms: self.flows.retry_base_ms,
                retry_max_ms: self.flows.retry_max_ms.max(self.flows.retry_base_ms),
                batch: self.flows.batch_size,
                stream_eviction_secs: self.storage.stream_eviction_interval_secs,
                job_history_days: self.logging.audit_retention_days,
                jobs_kept: kalamdb_core::flows::FlowSettings::default().jobs_kept,
            },
        }
    }

    /// `[advisor]` as the engine takes it: `shared_table_rows` is the SHARED-table rule's
    /// `rows` unless `[advisor.rules.shared_table_per_user]` sets it.
    pub fn advisor_settings(&self) -> kalamdb_core::advisor::AdvisorSettings {
        let a = &self.advisor;
        let mut rules = std::collections::BTreeMap::new();
        let mut shared = kalamdb_core::plugin::RuleSettings::new();
        shared.set("rows", a.shared_table_rows as f64);
        rules.insert("shared_table_per_user".to_string(), shared);
        for (rule, values) in &a.rules {
            let settings = rules.entry(rule.clone()).or_default();
            for (k, v) in values {
                settings.set(k, *v);
            }
        }
        kalamdb_core::advisor::AdvisorSettings {
            enabled: a.enabled,
            interval_seconds: a.interval_secs,
            disabled_rules: a.disabled_rules.iter().cloned().collect(),
            rules,
            keep_resolved: a.keep_resolved,
        }
    }

    pub fn query_limits(&self) -> kalamdb_core::exec::limits::QueryLimits {
        let l = &self.limits;
        let secs = |s: u64| (s > 0).then(|| std::time::Duration::from_secs(s));
        kalamdb_core::exec::limits::QueryLimits {
            statement_timeout: secs(l.statement_timeout_secs),
            admin_statement_timeout: secs(l.admin_statement_timeout_secs),
            max_result_rows: l.max_result_rows.max(1),
            max_result_bytes: l.max_result_mb.max(1).saturating_mul(1024 * 1024),
            max_statements_per_request: l.max_statements_per_request.max(1),
            query_memory_bytes: l.query_memory_mb.saturating_mul(1024 * 1024),
        }
    }

    pub fn rocksdb_settings(&self) -> kalamdb_core::store::RocksDbSettings {
        let r = &self.storage.rocksdb;
        kalamdb_core::store::RocksDbSettings {
            keep_log_file_num: r.keep_log_file_num,
            max_log_file_size: r.max_log_file_size_mb.saturating_mul(1024 * 1024),
            log_level: r.log_level.clone(),
            max_total_wal_size: r.max_total_wal_size_mb.saturating_mul(1024 * 1024),
        }
    }

    /// Where `server.log` goes.
    pub fn log_dir(&self) -> PathBuf {
        self.logging
            .directory
            .clone()
            .unwrap_or_else(|| self.storage.data_path.join("logs"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_values() {
        let mut config: ServerConfig =
            toml::from_str("[server]\nport = 9000\n").unwrap_or_default();
        assert_eq!(config.server.port, 9000);
        let env = |k: &str| match k {
            "KALAMDB_SERVER_PORT" => Some("9100".to_string()),
            "KALAMDB_USER_SHARDS" => Some("4".to_string()),
            "KALAMDB_HEALTH_ALLOW_REMOTE" => Some("true".to_string()),
            _ => None,
        };
        assert!(config.apply_env(env).is_ok());
        assert_eq!(config.server.port, 9100);
        assert_eq!(config.storage.user_shards, 4);
        assert!(config.server.health_allow_remote);
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<ServerConfig>("[server]\nprot = 1\n").is_err());
    }

    #[test]
    fn public_bind_needs_a_strong_secret() {
        let mut config = ServerConfig::default();
        config.server.host = "0.0.0.0".into();
        assert!(config.validate().is_err());
        config.auth.jwt_secret = Some("x".repeat(32));
        assert!(config.validate().is_ok());
    }
}

#[cfg(test)]
mod example_tests;
