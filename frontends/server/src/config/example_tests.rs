//! `server.example.toml` cannot drift from the config structs: it loads to exactly the
//! defaults, and every key the structs have appears in it (optional ones commented out).

use super::*;

fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../server.example.toml");
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Every `section.key` of a serialized config.
fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    if let toml::Value::Table(table) = value {
        for (k, v) in table {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_table() {
                keys(v, &path, out);
            } else {
                out.push(path);
            }
        }
    }
}

/// The `section.key` entries written in the example, commented out or not.
fn documented(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let entry = line.strip_prefix('#').map(str::trim).unwrap_or(line);
        if let Some((key, _)) = entry.split_once(" = ")
            && !key.contains(' ')
        {
            out.push(format!("{section}.{key}"));
        }
    }
    out
}

#[test]
fn the_example_config_loads_to_the_defaults() {
    let text = example();
    assert!(!text.is_empty(), "server.example.toml is missing");
    let parsed: ServerConfig = match toml::from_str(&text) {
        Ok(c) => c,
        Err(e) => panic!("server.example.toml does not load: {e}"),
    };
    assert_eq!(parsed, ServerConfig::default());
}

#[test]
fn every_config_key_is_documented_in_the_example() {
    let mut full = ServerConfig::default();
    // Optional keys serialize only when set.
    full.server.init_dir = Some("x".into());
    full.storage.local_storage_path = Some("x".into());
    full.storage.default_flush_policy = Some("rows:1".into());
    full.auth.jwt_secret = Some("x".into());
    full.auth.root_password = Some("x".into());
    full.logging.directory = Some("x".into());
    full.pgwire.host = Some("x".into());
    let value = toml::Value::try_from(&full).unwrap_or(toml::Value::Boolean(false));
    let mut all = Vec::new();
    keys(&value, "", &mut all);
    assert!(all.len() > 30, "{all:?}");
    let documented = documented(&example());
    let missing: Vec<&String> = all.iter().filter(|k| !documented.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "keys missing from server.example.toml: {missing:?}"
    );
    let unknown: Vec<&String> = documented.iter().filter(|k| !all.contains(k)).collect();
    assert!(
        unknown.is_empty(),
        "server.example.toml documents unknown keys: {unknown:?}"
    );
}
