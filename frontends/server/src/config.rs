//! Server configuration: `server.toml` (every key optional, unknown keys refused), then
//! `KALAMDB_*` environment variables on top. Defaults live here and only here.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub server: ServerSection,
    pub storage: StorageSection,
    pub auth: AuthSection,
    pub logging: LoggingSection,
}

/// `[server]`: where the HTTP API listens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to bind (`KALAMDB_SERVER_HOST`).
    pub host: String,
    /// Port to bind; 0 picks a free one (`KALAMDB_SERVER_PORT`).
    pub port: u16,
    /// Answer `/health` to non-loopback clients too.
    pub health_allow_remote: bool,
    /// Allow `/v1/api/auth/status` and `/setup` from non-loopback clients.
    pub allow_remote_setup: bool,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            health_allow_remote: false,
            allow_remote_setup: false,
            max_body_bytes: 2 * 1024 * 1024,
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
    /// Seconds between STREAM eviction passes (`KALAMDB_STREAM_EVICTION_SECS`).
    pub stream_eviction_interval_secs: u64,
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

/// `[logging]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter (`KALAMDB_LOG_LEVEL`).
    pub level: String,
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            level: "info".into(),
        }
    }
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

    /// Applies `KALAMDB_*` overrides read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        fn parse<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("environment variable {key}='{v}' is not valid"))
        }
        if let Some(v) = get("KALAMDB_SERVER_HOST") {
            self.server.host = v;
        }
        if let Some(v) = get("KALAMDB_SERVER_PORT") {
            self.server.port = parse("KALAMDB_SERVER_PORT", &v)?;
        }
        if let Some(v) = get("KALAMDB_DATA_DIR") {
            self.storage.data_path = PathBuf::from(v);
        }
        if let Some(v) = get("KALAMDB_USER_SHARDS") {
            self.storage.user_shards = parse("KALAMDB_USER_SHARDS", &v)?;
        }
        if let Some(v) = get("KALAMDB_CODEC") {
            self.storage.codec = v;
        }
        if let Some(v) = get("KALAMDB_SYNC_WRITES") {
            self.storage.sync_writes = parse("KALAMDB_SYNC_WRITES", &v)?;
        }
        if let Some(v) = get("KALAMDB_STREAM_EVICTION_SECS") {
            self.storage.stream_eviction_interval_secs = parse("KALAMDB_STREAM_EVICTION_SECS", &v)?;
        }
        if let Some(v) = get("KALAMDB_ROOT_PASSWORD") {
            self.auth.root_password = Some(v);
        }
        if let Some(v) = get("KALAMDB_JWT_SECRET") {
            self.auth.jwt_secret = Some(v);
        }
        if let Some(v) = get("KALAMDB_JWT_EXPIRY_HOURS") {
            self.auth.jwt_expiry_hours = parse("KALAMDB_JWT_EXPIRY_HOURS", &v)?;
        }
        if let Some(v) = get("KALAMDB_BCRYPT_COST") {
            self.auth.bcrypt_cost = parse("KALAMDB_BCRYPT_COST", &v)?;
        }
        if let Some(v) = get("KALAMDB_LOG_LEVEL") {
            self.logging.level = v;
        }
        Ok(())
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.storage.user_shards == 0 || self.storage.user_shards > 256 {
            return Err(format!(
                "storage.user_shards = {} must be between 1 and 256",
                self.storage.user_shards
            ));
        }
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
        }
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
            _ => None,
        };
        assert!(config.apply_env(env).is_ok());
        assert_eq!(config.server.port, 9100);
        assert_eq!(config.storage.user_shards, 4);
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
