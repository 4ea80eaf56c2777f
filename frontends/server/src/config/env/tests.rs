use super::*;
use std::collections::HashMap;

fn with(vars: &[(&str, &str)]) -> Result<ServerConfig, String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut config = ServerConfig::default();
    config.apply_env(|k| map.get(k).cloned())?;
    Ok(config)
}

#[test]
fn every_scalar_key_has_a_variable() {
    let c = with(&[
        ("KALAMDB_SERVER_MAX_BODY_BYTES", "12345"),
        ("KALAMDB_STORAGE_ROCKSDB_LOG_LEVEL", "warn"),
        ("KALAMDB_LIMITS_QUERIES_PER_SECOND", "7"),
        ("KALAMDB_ADVISOR_ENABLED", "FALSE"),
        ("KALAMDB_ADVISOR_DISABLED_RULES", "a, b,,c"),
        ("KALAMDB_QUERY_SESSION_CACHE_ENTRIES", "3"),
    ])
    .unwrap();
    assert_eq!(c.server.max_body_bytes, 12345);
    assert_eq!(c.storage.rocksdb.log_level, "warn");
    assert_eq!(c.limits.queries_per_second, 7.0);
    assert!(!c.advisor.enabled);
    assert_eq!(c.advisor.disabled_rules, ["a", "b", "c"]);
    assert_eq!(c.query.session_cache_entries, 3);
}

#[test]
fn aliases_work_and_the_full_name_wins() {
    let c = with(&[("KALAMDB_DATA_DIR", "/tmp/a"), ("KALAMDB_USER_SHARDS", "4")]).unwrap();
    assert_eq!(c.storage.data_path, std::path::PathBuf::from("/tmp/a"));
    assert_eq!(c.storage.user_shards, 4);
    let c = with(&[
        ("KALAMDB_DATA_DIR", "/tmp/a"),
        ("KALAMDB_STORAGE_DATA_PATH", "/tmp/b"),
    ])
    .unwrap();
    assert_eq!(c.storage.data_path, std::path::PathBuf::from("/tmp/b"));
}

#[test]
fn optional_keys_are_set_and_unset() {
    let c = with(&[
        ("KALAMDB_ROOT_PASSWORD", "12345"),
        ("KALAMDB_DEFAULT_FLUSH_POLICY", "  "),
        ("KALAMDB_LOGGING_DIRECTORY", "/var/log/k"),
    ])
    .unwrap();
    // A numeric-looking password stays a string.
    assert_eq!(c.auth.root_password.as_deref(), Some("12345"));
    assert_eq!(c.storage.default_flush_policy, None);
    assert_eq!(
        c.logging.directory,
        Some(std::path::PathBuf::from("/var/log/k"))
    );
}

#[test]
fn file_variants_read_the_secret_without_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("jwt");
    std::fs::write(&secret, "s3cr3t-with-32-characters-at-least\n").unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "root pw\r\n").unwrap();
    let c = with(&[
        ("KALAMDB_JWT_SECRET_FILE", secret.to_str().unwrap()),
        ("KALAMDB_ROOT_PASSWORD_FILE", pw.to_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(
        c.auth.jwt_secret.as_deref(),
        Some("s3cr3t-with-32-characters-at-least")
    );
    assert_eq!(c.auth.root_password.as_deref(), Some("root pw"));

    let both = with(&[
        ("KALAMDB_JWT_SECRET", "x"),
        ("KALAMDB_JWT_SECRET_FILE", secret.to_str().unwrap()),
    ])
    .unwrap_err();
    assert_eq!(
        both,
        "both KALAMDB_JWT_SECRET and KALAMDB_JWT_SECRET_FILE are set: set only one of them"
    );
    let missing = with(&[("KALAMDB_ROOT_PASSWORD_FILE", "/nonexistent/pw")]).unwrap_err();
    assert!(
        missing.starts_with("cannot read KALAMDB_ROOT_PASSWORD_FILE = '/nonexistent/pw'"),
        "{missing}"
    );
}

#[test]
fn bad_values_name_the_variable() {
    let e = with(&[("KALAMDB_SERVER_PORT", "eighty")]).unwrap_err();
    assert_eq!(
        e,
        "environment variable KALAMDB_SERVER_PORT='eighty' is not valid: expected an integer"
    );
    let e = with(&[("KALAMDB_SYNC_WRITES", "yes")]).unwrap_err();
    assert!(e.contains("KALAMDB_SYNC_WRITES='yes'"), "{e}");
    // In range for TOML, out of range for the field: still refused, not wrapped.
    assert!(with(&[("KALAMDB_SERVER_PORT", "70000")]).is_err());
}

#[test]
fn every_optional_key_is_listed() {
    let sources = include_str!("../sections.rs");
    assert_eq!(
        sources.matches(": Option<").count(),
        OPTIONAL_KEYS.len(),
        "a section gained or lost an Option field: update OPTIONAL_KEYS"
    );
    for path in OPTIONAL_KEYS {
        let value = path.rsplit('.').next().unwrap();
        let c = with(&[(env_name(path).as_str(), "/x")]).unwrap();
        let text = toml::to_string(&c).unwrap();
        assert!(
            text.contains(&format!("{value} = \"/x\"")),
            "{path} not set:\n{text}"
        );
    }
}

#[test]
fn every_alias_names_a_key() {
    let mut keys = Vec::new();
    leaves(
        &Value::try_from(ServerConfig::default()).unwrap(),
        "",
        &mut keys,
    );
    for (name, path) in ALIASES {
        assert!(
            keys.iter().any(|(p, _)| p == path) || OPTIONAL_KEYS.contains(path),
            "alias {name} names no key {path}"
        );
    }
}
