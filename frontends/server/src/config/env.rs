//! Environment overrides, one mechanism for every key: the scalar key `section.key` (or
//! `section.sub.key`) of `server.toml` is `KALAMDB_SECTION_KEY` (`storage.rocksdb.log_level` is
//! `KALAMDB_STORAGE_ROCKSDB_LOG_LEVEL`). A few shorter names kept from earlier releases are
//! aliases ([`ALIASES`]); the full name wins when both are set. Every name also exists as
//! `<NAME>_FILE`: the value is that file's content without its trailing newline (Docker and
//! Kubernetes secrets); setting both is an error.
//!
//! Values are typed by the key: integers, floats, booleans (`true`/`false`), strings, and lists
//! as comma-separated items. An optional key set to the empty string is unset. Maps (such as
//! `[advisor.rules.*]`) are only set in the file.

use super::ServerConfig;
use toml::Value;

/// Short names kept from earlier releases, with the key each sets.
pub const ALIASES: &[(&str, &str)] = &[
    ("KALAMDB_HEALTH_ALLOW_REMOTE", "server.health_allow_remote"),
    ("KALAMDB_DATA_DIR", "storage.data_path"),
    ("KALAMDB_USER_SHARDS", "storage.user_shards"),
    ("KALAMDB_CODEC", "storage.codec"),
    ("KALAMDB_SYNC_WRITES", "storage.sync_writes"),
    (
        "KALAMDB_STREAM_EVICTION_SECS",
        "storage.stream_eviction_interval_secs",
    ),
    (
        "KALAMDB_COMPACTION_THRESHOLD",
        "storage.compaction_threshold",
    ),
    (
        "KALAMDB_DELETED_RETENTION_HOURS",
        "storage.deleted_retention_hours",
    ),
    (
        "KALAMDB_DEFAULT_FLUSH_POLICY",
        "storage.default_flush_policy",
    ),
    ("KALAMDB_FILES_MAX_BYTES", "files.max_file_bytes"),
    ("KALAMDB_FILES_QUOTA_BYTES", "files.user_quota_bytes"),
    (
        "KALAMDB_EXPORT_RETENTION_HOURS",
        "files.export_retention_hours",
    ),
    ("KALAMDB_ROOT_PASSWORD", "auth.root_password"),
    ("KALAMDB_JWT_SECRET", "auth.jwt_secret"),
    ("KALAMDB_JWT_EXPIRY_HOURS", "auth.jwt_expiry_hours"),
    ("KALAMDB_BCRYPT_COST", "auth.bcrypt_cost"),
    ("KALAMDB_QUERIES_PER_SECOND", "limits.queries_per_second"),
    ("KALAMDB_QUERY_BURST", "limits.query_burst"),
    ("KALAMDB_LOGINS_PER_MINUTE", "limits.logins_per_minute"),
    ("KALAMDB_LOGIN_BURST", "limits.login_burst"),
    (
        "KALAMDB_STATEMENT_TIMEOUT_SECS",
        "limits.statement_timeout_secs",
    ),
    ("KALAMDB_MAX_RESULT_ROWS", "limits.max_result_rows"),
    (
        "KALAMDB_MAX_WS_CONNECTIONS_PER_USER",
        "limits.max_ws_connections_per_user",
    ),
    ("KALAMDB_PLAN_CACHE_ENTRIES", "query.plan_cache_entries"),
    ("KALAMDB_STATS_ENABLED", "stats.enabled"),
    ("KALAMDB_LOG_LEVEL", "logging.level"),
    ("KALAMDB_LOG_FORMAT", "logging.format"),
    ("KALAMDB_LOG_DIR", "logging.directory"),
    ("KALAMDB_SLOW_QUERY_MS", "logging.slow_query_ms"),
];

/// Keys whose default is "unset" (so they are absent from a serialized default config); all
/// are strings or paths. `every_optional_key_is_listed` keeps this in step with the sections.
pub const OPTIONAL_KEYS: &[&str] = &[
    "server.init_dir",
    "storage.local_storage_path",
    "storage.default_flush_policy",
    "auth.jwt_secret",
    "auth.root_password",
    "logging.directory",
    "pgwire.host",
];

/// What a key holds, read off the default value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Integer,
    Float,
    Boolean,
    Text,
    OptionalText,
    List,
}

/// The variable name of a key: `KALAMDB_` and the dotted path in capitals with `_`.
pub fn env_name(path: &str) -> String {
    format!("KALAMDB_{}", path.replace('.', "_").to_ascii_uppercase())
}

/// Applies every override `get` finds onto `config`.
pub(super) fn apply(
    config: &ServerConfig,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<ServerConfig, String> {
    let mut tree =
        Value::try_from(config).map_err(|e| format!("cannot read the configuration: {e}"))?;
    let mut keys = Vec::new();
    leaves(&tree, "", &mut keys);
    for path in OPTIONAL_KEYS {
        if !keys.iter().any(|(p, _)| p == path) {
            keys.push((path.to_string(), Kind::OptionalText));
        } else if let Some(entry) = keys.iter_mut().find(|(p, _)| p == path) {
            entry.1 = Kind::OptionalText;
        }
    }
    let mut changed = false;
    for (path, kind) in &keys {
        let canonical = env_name(path);
        // Aliases first, so the full name wins when both are set.
        let names = ALIASES
            .iter()
            .filter(|(_, p)| p == path)
            .map(|(n, _)| n.to_string())
            .chain(std::iter::once(canonical));
        for name in names {
            let Some(raw) = lookup(get, &name)? else {
                continue;
            };
            set(&mut tree, path, convert(&name, &raw, *kind)?);
            changed = true;
        }
    }
    if !changed {
        return Ok(config.clone());
    }
    tree.try_into()
        .map_err(|e| format!("environment override: {e}"))
}

/// `NAME`, or the content of the file `NAME_FILE` names.
fn lookup(get: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<String>, String> {
    let file_var = format!("{name}_FILE");
    match (get(name), get(&file_var)) {
        (Some(_), Some(_)) => Err(format!(
            "both {name} and {file_var} are set: set only one of them"
        )),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {file_var} = '{path}': {e}"))?;
            let text = text
                .strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t))
                .unwrap_or(&text);
            Ok(Some(text.to_string()))
        }
        (None, None) => Ok(None),
    }
}

/// Every scalar or list leaf of the tree, with its dotted path.
fn leaves(value: &Value, prefix: &str, out: &mut Vec<(String, Kind)>) {
    let Value::Table(table) = value else {
        return;
    };
    for (key, v) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let kind = match v {
            Value::Table(_) => {
                leaves(v, &path, out);
                continue;
            }
            Value::Integer(_) => Kind::Integer,
            Value::Float(_) => Kind::Float,
            Value::Boolean(_) => Kind::Boolean,
            Value::String(_) => Kind::Text,
            Value::Array(items) if items.iter().all(Value::is_str) => Kind::List,
            Value::Array(_) | Value::Datetime(_) => continue,
        };
        out.push((path, kind));
    }
}

/// The raw text as a value of the key's kind; `None` unsets an optional key.
fn convert(name: &str, raw: &str, kind: Kind) -> Result<Option<Value>, String> {
    let bad = |expected: &str| {
        format!("environment variable {name}='{raw}' is not valid: expected {expected}")
    };
    let trimmed = raw.trim();
    Ok(Some(match kind {
        Kind::Integer => Value::Integer(trimmed.parse().map_err(|_| bad("an integer"))?),
        Kind::Float => Value::Float(trimmed.parse().map_err(|_| bad("a number"))?),
        Kind::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Text => Value::String(raw.to_string()),
        Kind::OptionalText if trimmed.is_empty() => return Ok(None),
        Kind::OptionalText => Value::String(raw.to_string()),
        Kind::List => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
    }))
}

/// Sets (or with `None` removes) the key at `path`, creating tables on the way.
fn set(tree: &mut Value, path: &str, value: Option<Value>) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return;
    };
    let mut node = tree;
    for part in parts {
        let Value::Table(table) = node else {
            return;
        };
        node = table
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Default::default()));
    }
    if let Value::Table(table) = node {
        match value {
            Some(v) => {
                table.insert(last.to_string(), v);
            }
            None => {
                table.remove(last);
            }
        }
    }
}

#[cfg(test)]
mod tests;
