//! The layering the design promises, checked on the real dependency graph:
//! - the contract crate's tree (normal and build dependencies, features as when a plugin builds
//!   it alone) holds none of RocksDB, DataFusion, Arrow/Parquet, bcrypt, an async runtime or an
//!   HTTP stack;
//! - every crate under `plugins/` depends on the contract crate and on nothing of the engine;
//! - the SQL parser crate (`kalamdb-sql`) does not reach execution (DataFusion, RocksDB, the engine);
//! - the hot store (`kalamdb-store`) does not reach SQL or execution;
//! - each engine component crate (base, catalog, cold, jobs, live, auth, audit) sees only the
//!   components below it, never execution (`kalamdb-core`) nor a component beside or above it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    // The runner's value first: a binary built in another checkout of the same tree (a CI
    // clone sharing the target folder) still looks at the checkout it runs in.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into());
    Path::new(&manifest)
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs cargo in the workspace. Not `--offline`: on a fresh machine `cargo tree` may need
/// manifests of packages the build never downloaded (other platforms' dependencies).
fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The package names in a crate's tree, as `cargo tree -p` resolves it.
fn tree(package: &str) -> Vec<String> {
    let text = cargo(&[
        "tree",
        "-p",
        package,
        "-e",
        "normal,build",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Crates the contract must never pull in (exact names, or prefixes ending in `-`).
const FORBIDDEN: &[&str] = &[
    "rocksdb",
    "librocksdb-sys",
    "datafusion",
    "datafusion-",
    "arrow",
    "arrow-",
    "parquet",
    "bcrypt",
    "tokio",
    "axum",
    "hyper",
    "reqwest",
    "kalamdb-core",
];

fn forbidden(name: &str) -> bool {
    FORBIDDEN.iter().any(|f| match f.strip_suffix('-') {
        Some(prefix) => name.starts_with(&format!("{prefix}-")),
        None => name == *f,
    })
}

#[test]
fn the_contract_crate_pulls_in_no_engine_dependency() {
    let names = tree("kalamdb-plugin-api");
    assert!(
        names.iter().any(|n| n == "object_store"),
        "the tree was not read: {names:?}"
    );
    let bad: Vec<&String> = names.iter().filter(|n| forbidden(n)).collect();
    assert!(bad.is_empty(), "kalamdb-plugin-api depends on {bad:?}");
}

/// `package`'s tree holds `must` (so the tree was read) and none of `never`.
fn assert_layer(package: &str, must: &str, never: &[&str], why: &str) {
    let names = tree(package);
    assert!(names.iter().any(|n| n == must), "{must} not in {names:?}");
    for crate_name in never {
        assert!(
            !names.iter().any(|n| n == crate_name),
            "{package} depends on {crate_name}: {why}"
        );
    }
}

#[test]
fn the_sql_parser_is_separate_from_execution() {
    assert_layer(
        "kalamdb-sql",
        "sqlparser",
        &[
            "kalamdb-core",
            "rocksdb",
            "datafusion",
            "datafusion-execution",
            "bcrypt",
        ],
        "parsing must not reach execution",
    );
}

#[test]
fn the_hot_store_knows_nothing_of_sql_or_execution() {
    assert_layer(
        "kalamdb-store",
        "rocksdb",
        &[
            "kalamdb-core",
            "kalamdb-sql",
            "sqlparser",
            "datafusion",
            "bcrypt",
        ],
        "the store sits below SQL and execution",
    );
}

#[test]
fn the_base_crate_is_below_every_component_and_execution() {
    assert_layer(
        "kalamdb-base",
        "kalamdb-store",
        &[
            "kalamdb-core",
            "kalamdb-catalog",
            "kalamdb-cold",
            "datafusion",
            "bcrypt",
        ],
        "every component builds on the base; without its `datafusion` feature it needs no query engine",
    );
}

#[test]
fn the_catalog_knows_no_other_component() {
    assert_layer(
        "kalamdb-catalog",
        "kalamdb-base",
        &[
            "kalamdb-core",
            "kalamdb-cold",
            "kalamdb-jobs",
            "kalamdb-live",
            "kalamdb-auth",
            "kalamdb-audit",
            "bcrypt",
        ],
        "the catalog sits directly on the hot store",
    );
}

#[test]
fn cold_storage_and_jobs_do_not_reach_execution() {
    let above = [
        "kalamdb-core",
        "kalamdb-live",
        "kalamdb-auth",
        "kalamdb-audit",
        "bcrypt",
    ];
    assert_layer(
        "kalamdb-cold",
        "kalamdb-catalog",
        &[&above[..], &["kalamdb-jobs"]].concat(),
        "cold storage is below jobs and execution",
    );
    assert_layer(
        "kalamdb-jobs",
        "kalamdb-cold",
        &above,
        "jobs run on the cold store, never on the executor",
    );
}

#[test]
fn the_live_registry_is_below_execution() {
    assert_layer(
        "kalamdb-live",
        "kalamdb-catalog",
        &[
            "kalamdb-core",
            "kalamdb-cold",
            "kalamdb-jobs",
            "kalamdb-auth",
            "kalamdb-audit",
        ],
        "subscribe (execution) sits above the registry, not in it",
    );
}

#[test]
fn auth_and_audit_reach_only_what_they_record() {
    assert_layer(
        "kalamdb-auth",
        "bcrypt",
        &[
            "kalamdb-core",
            "kalamdb-cold",
            "kalamdb-jobs",
            "kalamdb-live",
            "axum",
        ],
        "auth knows the catalog's user records, nothing of execution or HTTP",
    );
    assert_layer(
        "kalamdb-audit",
        "kalamdb-store",
        &[
            "kalamdb-core",
            "kalamdb-catalog",
            "datafusion",
            "bcrypt",
            "axum",
        ],
        "the audit log writes records through the hot store only",
    );
}

#[test]
fn the_advisor_sees_rules_and_the_store_only() {
    assert_layer(
        "kalamdb-advisor",
        "kalamdb-plugin-api",
        &[
            "kalamdb-core",
            "kalamdb-catalog",
            "kalamdb-cold",
            "kalamdb-jobs",
            "kalamdb-live",
            "datafusion",
            "kalamdb-optimizer-rules",
        ],
        "the advisor runs whatever rules are registered over a snapshot it is handed; it never names a rule crate or reads tables itself",
    );
}

#[test]
fn the_forbidden_list_catches_the_engine() {
    // The same check on the engine's own tree finds what it must: the test can fail.
    let names = tree("kalamdb-core");
    for must in ["rocksdb", "datafusion", "bcrypt", "tokio"] {
        assert!(names.iter().any(|n| n == must), "{must} not in {names:?}");
    }
    assert!(names.iter().any(|n| forbidden(n)));
}

#[test]
fn every_plugin_depends_on_the_contract_and_not_on_the_engine() {
    let metadata: Value =
        serde_json::from_str(&cargo(&["metadata", "--no-deps", "--format-version", "1"]))
            .expect("metadata json");
    let plugins_dir = workspace_root().join("plugins");
    let mut seen = 0;
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
        if !manifest.starts_with(&plugins_dir) {
            continue;
        }
        seen += 1;
        let name = package["name"].as_str().unwrap_or_default();
        let normal: Vec<&str> = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert!(
            normal.contains(&"kalamdb-plugin-api"),
            "{name} does not depend on kalamdb-plugin-api: {normal:?}"
        );
        for engine in ["kalamdb-core", "kalamdb-server", "rocksdb", "datafusion"] {
            assert!(
                !normal.contains(&engine),
                "{name} depends on {engine}; a plugin depends on the contract crate only"
            );
        }
        let tree = tree(name);
        assert!(
            !tree.iter().any(|n| n == "kalamdb-core" || n == "rocksdb"),
            "{name}'s tree reaches the engine: {tree:?}"
        );
    }
    assert!(seen >= 5, "found only {seen} plugin crates under plugins/");
}
