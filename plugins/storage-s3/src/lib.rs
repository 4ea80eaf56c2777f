//! The S3 storage plugin: cold files in an S3-compatible object store through object_store's
//! `AmazonS3`. Registers the storage type `s3`.
//!
//! A storage row names its location as `s3://bucket[/prefix]`. `CONFIG` may carry `endpoint`
//! (any S3-compatible server; plain `http://` is allowed then), `region` (default `us-east-1`)
//! and `virtual_hosted_style` (default false: path-style requests, which every S3-compatible
//! server understands). `CREDENTIALS` carries `access_key_id`, `secret_access_key` and an
//! optional `session_token`; without them the usual `AWS_*` environment is used.

use kalamdb_plugin_api::{PluginError, Result};
use kalamdb_plugin_api::{Registry, StorageBackend, StorageBackendFactory, StorageConfig};
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::prefix::PrefixStore;
use serde_json::{Map, Value};
use std::sync::Arc;

pub struct S3Backend {
    store: Arc<dyn ObjectStore>,
}

impl StorageBackend for S3Backend {
    fn storage_type(&self) -> &str {
        "s3"
    }

    fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }
}

/// `s3://bucket/some/prefix` split into the bucket and the prefix (without slashes at the ends).
#[derive(Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    pub fn parse(storage_id: &str, location: &str) -> Result<Self> {
        let rest = location.trim().strip_prefix("s3://").ok_or_else(|| {
            PluginError::InvalidConfig(format!(
                "storage '{storage_id}': BUCKET '{location}' must look like 's3://bucket/prefix'"
            ))
        })?;
        let (bucket, prefix) = match rest.split_once('/') {
            Some((b, p)) => (b, p.trim_matches('/')),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(PluginError::InvalidConfig(format!(
                "storage '{storage_id}': BUCKET '{location}' has no bucket name"
            )));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

fn json_object(storage_id: &str, what: &str, text: Option<&str>) -> Result<Map<String, Value>> {
    match text {
        None => Ok(Map::new()),
        Some(t) if t.trim().is_empty() => Ok(Map::new()),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(PluginError::InvalidConfig(format!(
                "storage '{storage_id}': {what} must be a JSON object"
            ))),
        },
    }
}

fn string_key(
    storage_id: &str,
    what: &str,
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(PluginError::InvalidConfig(format!(
            "storage '{storage_id}': {what} key '{key}' must be a string"
        ))),
    }
}

/// Everything needed to build the client, read from a storage row.
#[derive(Debug)]
struct S3Settings {
    location: S3Location,
    endpoint: Option<String>,
    region: String,
    virtual_hosted_style: bool,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
}

const CONFIG_KEYS: &[&str] = &["endpoint", "region", "virtual_hosted_style", "allow_http"];
const CREDENTIAL_KEYS: &[&str] = &["access_key_id", "secret_access_key", "session_token"];

fn settings(config: &StorageConfig) -> Result<S3Settings> {
    let id = config.storage_id.as_str();
    let location = S3Location::parse(id, &config.base_directory)?;
    let cfg = json_object(id, "CONFIG", config.config.as_deref())?;
    let creds = json_object(id, "CREDENTIALS", config.credentials.as_deref())?;
    for key in cfg.keys() {
        if !CONFIG_KEYS.contains(&key.as_str()) {
            return Err(PluginError::InvalidConfig(format!(
                "storage '{id}': unknown CONFIG key '{key}' (known: {})",
                CONFIG_KEYS.join(", ")
            )));
        }
    }
    for key in creds.keys() {
        if !CREDENTIAL_KEYS.contains(&key.as_str()) {
            return Err(PluginError::InvalidConfig(format!(
                "storage '{id}': unknown CREDENTIALS key '{key}' (known: {})",
                CREDENTIAL_KEYS.join(", ")
            )));
        }
    }
    let virtual_hosted_style = match cfg.get("virtual_hosted_style") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(PluginError::InvalidConfig(format!(
                "storage '{id}': CONFIG key 'virtual_hosted_style' must be true or false"
            )));
        }
    };
    let access_key_id = string_key(id, "CREDENTIALS", &creds, "access_key_id")?;
    let secret_access_key = string_key(id, "CREDENTIALS", &creds, "secret_access_key")?;
    if access_key_id.is_some() != secret_access_key.is_some() {
        return Err(PluginError::InvalidConfig(format!(
            "storage '{id}': CREDENTIALS need both 'access_key_id' and 'secret_access_key'"
        )));
    }
    Ok(S3Settings {
        location,
        endpoint: string_key(id, "CONFIG", &cfg, "endpoint")?,
        region: string_key(id, "CONFIG", &cfg, "region")?.unwrap_or_else(|| "us-east-1".into()),
        virtual_hosted_style,
        access_key_id,
        secret_access_key,
        session_token: string_key(id, "CREDENTIALS", &creds, "session_token")?,
    })
}

pub struct S3Factory;

impl StorageBackendFactory for S3Factory {
    fn storage_type(&self) -> &str {
        "s3"
    }

    fn validate(&self, config: &StorageConfig) -> Result<()> {
        settings(config).map(|_| ())
    }

    fn create(&self, config: &StorageConfig) -> Result<Arc<dyn StorageBackend>> {
        let s = settings(config)?;
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&s.location.bucket)
            .with_region(&s.region)
            .with_virtual_hosted_style_request(s.virtual_hosted_style);
        if let Some(endpoint) = &s.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(key), Some(secret)) = (&s.access_key_id, &s.secret_access_key) {
            builder = builder
                .with_access_key_id(key)
                .with_secret_access_key(secret);
        }
        if let Some(token) = &s.session_token {
            builder = builder.with_token(token);
        }
        let s3 = builder
            .build()
            .map_err(|e| PluginError::Storage(format!("storage '{}': {e}", config.storage_id)))?;
        let store: Arc<dyn ObjectStore> = if s.location.prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, s.location.prefix.as_str()))
        };
        Ok(Arc::new(S3Backend { store }))
    }
}

/// Registers the factory.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_storage(Arc::new(S3Factory))
}

kalamdb_plugin_api::submit_plugin!("storage-s3", register);

#[cfg(test)]
mod tests;
