//! The packaging files keep the shape users and the release rely on: the GitHub workflows
//! (`.github/workflows/*.yml`), `docker-compose.yml`, `examples/s3/docker-compose.yml`, the
//! `Dockerfile` and `.dockerignore`. And `scripts/docker-build-steps.sh` runs the Dockerfile's
//! steps outside Docker with this build's binaries (Docker is not available on the build machines).

use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn read(rel: &str) -> String {
    let path = repo_root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The single YAML document of a file.
fn load_yaml(rel: &str) -> Yaml {
    let text = read(rel);
    let mut docs =
        YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
    assert_eq!(docs.len(), 1, "{rel} must hold exactly one YAML document");
    docs.remove(0)
}

/// Whether a key looked up with `yaml["key"]` exists (its value may be null).
fn present(y: &Yaml) -> bool {
    !y.is_badvalue()
}

/// String keys of a mapping; empty when `y` is not a mapping.
fn keys(y: &Yaml) -> Vec<String> {
    y.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Values of a mapping, in order; empty when `y` is not a mapping.
fn values(y: &Yaml) -> Vec<&Yaml> {
    y.as_hash()
        .map(|h| h.values().collect())
        .unwrap_or_default()
}

/// Elements of a sequence; empty when `y` is not a sequence.
fn items(y: &Yaml) -> &[Yaml] {
    y.as_vec().map(Vec::as_slice).unwrap_or(&[])
}

/// A scalar string or a sequence of strings, as a list.
fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

// ---- GitHub workflows -----------------------------------------------------------------------

/// `on:` of a workflow. yaml-rust2 follows YAML 1.2 and reads the key as the string "on"; a
/// YAML 1.1 reader makes it the boolean true, so both are accepted.
fn triggers(workflow: &Yaml) -> &Yaml {
    let on = &workflow["on"];
    if present(on) {
        return on;
    }
    workflow
        .as_hash()
        .and_then(|h| h.get(&Yaml::Boolean(true)))
        .unwrap_or(on)
}

/// Every step of every job.
fn steps(workflow: &Yaml) -> Vec<&Yaml> {
    let mut out = Vec::new();
    for job in values(&workflow["jobs"]) {
        out.extend(items(&job["steps"]));
    }
    out
}

/// The `run:` scripts of every step, joined.
fn run_scripts(workflow: &Yaml) -> String {
    steps(workflow)
        .into_iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `uses:` actions of every step.
fn actions(workflow: &Yaml) -> Vec<String> {
    steps(workflow)
        .into_iter()
        .filter_map(|s| s["uses"].as_str().map(str::to_owned))
        .collect()
}

fn workflow_files() -> Vec<String> {
    let dir = repo_root().join(".github/workflows");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_workflow_parses_and_has_the_shape_github_expects() {
    let files = workflow_files();
    for expected in ["ci.yml", "release.yml"] {
        assert!(
            files.iter().any(|f| f == expected),
            ".github/workflows/{expected} is missing: {files:?}"
        );
    }
    for file in &files {
        let rel = format!(".github/workflows/{file}");
        let wf = load_yaml(&rel);
        assert!(wf["name"].as_str().is_some(), "{rel}: no name");
        assert!(present(triggers(&wf)), "{rel}: no `on:` triggers");
        let job_names = keys(&wf["jobs"]);
        assert!(!job_names.is_empty(), "{rel}: no jobs");
        for name in &job_names {
            let job = &wf["jobs"][name.as_str()];
            assert!(
                job["runs-on"].as_str().is_some(),
                "{rel}: job {name} has no runs-on"
            );
            let job_steps = items(&job["steps"]);
            assert!(!job_steps.is_empty(), "{rel}: job {name} has no steps");
            for (i, step) in job_steps.iter().enumerate() {
                let uses = step["uses"].as_str();
                let run = step["run"].as_str();
                assert!(
                    uses.is_some() != run.is_some(),
                    "{rel}: job {name}, step {i}: needs exactly one of `uses` and `run`"
                );
                if let Some(action) = uses {
                    assert!(
                        action.contains('@'),
                        "{rel}: job {name}: action {action} is not pinned to a version"
                    );
                }
            }
            for needed in strings(&job["needs"]) {
                assert!(
                    job_names.contains(&needed),
                    "{rel}: job {name} needs the unknown job {needed}"
                );
            }
        }
    }
}

#[test]
fn ci_runs_make_test_on_pushes_and_pull_requests() {
    let ci = load_yaml(".github/workflows/ci.yml");
    let on = triggers(&ci);
    assert!(present(&on["push"]), "ci.yml must run on push");
    assert!(
        present(&on["pull_request"]),
        "ci.yml must run on pull requests"
    );
    let runs = run_scripts(&ci);
    assert!(
        runs.lines().any(|l| l.trim() == "make test"),
        "no step of ci.yml runs `make test`:\n{runs}"
    );
    assert!(
        runs.contains("libclang-dev"),
        "ci.yml must install libclang-dev (RocksDB's bindgen)"
    );
}

#[test]
fn release_builds_every_target_on_version_tags_and_publishes_them() {
    let rel = load_yaml(".github/workflows/release.yml");
    let tags = strings(&triggers(&rel)["push"]["tags"]);
    assert!(
        tags.iter().any(|t| t == "v*"),
        "release.yml must run on tags v*: {tags:?}"
    );

    let mut targets = Vec::new();
    for job in values(&rel["jobs"]) {
        for entry in items(&job["strategy"]["matrix"]["include"]) {
            if let Some(t) = entry["target"].as_str() {
                targets.push(t.to_owned());
            }
        }
        targets.extend(strings(&job["strategy"]["matrix"]["target"]));
    }
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ] {
        assert!(
            targets.iter().any(|t| t == target),
            "release.yml does not build {target}: {targets:?}"
        );
    }

    let runs = run_scripts(&rel);
    for needle in [
        "cargo build --release",
        "-p kalamdb-server",
        "-p kalam-cli",
        "tar ",
        "README.md",
        "server.example.toml",
    ] {
        assert!(runs.contains(needle), "release.yml never runs `{needle}`");
    }
    assert!(
        runs.contains("sha256sum") || runs.contains("shasum -a 256"),
        "release.yml publishes no SHA-256 checksums"
    );
    let uses = actions(&rel);
    assert!(
        runs.contains("gh release create")
            || uses
                .iter()
                .any(|u| u.starts_with("softprops/action-gh-release@")),
        "release.yml creates no GitHub release"
    );
    assert!(
        uses.iter()
            .any(|u| u.starts_with("docker/build-push-action@")),
        "release.yml does not build the image with docker/build-push-action: {uses:?}"
    );
    let text = read(".github/workflows/release.yml");
    for needle in ["ghcr.io", "linux/amd64", "linux/arm64", "packages: write"] {
        assert!(text.contains(needle), "release.yml lacks `{needle}`");
    }
}

#[test]
fn released_archives_contain_files_that_exist() {
    for file in ["README.md", "server.example.toml"] {
        assert!(
            repo_root().join(file).is_file(),
            "release.yml packs {file}, which does not exist"
        );
    }
}

// ---- docker compose ---------------------------------------------------------------------------

/// Names of the variables a compose service sets (map or `KEY=value` list form).
fn env_keys(service: &Yaml) -> Vec<String> {
    let env = &service["environment"];
    if env.as_hash().is_some() {
        return keys(env);
    }
    strings(env)
        .into_iter()
        .map(|e| e.split('=').next().unwrap_or_default().to_owned())
        .collect()
}

/// Whether the service mounts one of the file's named volumes at `target`.
fn mounts_named_volume(compose: &Yaml, service: &Yaml, target: &str) -> bool {
    let named = keys(&compose["volumes"]);
    items(&service["volumes"]).iter().any(|v| match v {
        Yaml::String(short) => {
            let mut parts = short.split(':');
            let source = parts.next().unwrap_or_default();
            let dest = parts.next().unwrap_or_default();
            dest == target && named.iter().any(|n| n == source)
        }
        long => {
            long["target"].as_str() == Some(target)
                && long["source"]
                    .as_str()
                    .is_some_and(|s| named.iter().any(|n| n == s))
        }
    })
}

/// A service's `command` (string or list) as one string.
fn command_text(service: &Yaml) -> String {
    strings(&service["command"]).join(" ")
}

/// Checks the KalamDB service of a compose file: image or build, the data volume, the
/// healthcheck, and the two secrets taken from the environment (`.env`).
fn check_kalamdb_service(rel: &str, compose: &Yaml, service: &Yaml) {
    assert!(
        present(&service["build"]) || service["image"].as_str().is_some(),
        "{rel}: the kalamdb service has neither build nor image"
    );
    assert!(
        mounts_named_volume(compose, service, "/data"),
        "{rel}: the kalamdb service does not keep /data in a named volume"
    );
    let health = strings(&service["healthcheck"]["test"]).join(" ");
    assert!(
        health.contains("/v1/api/healthcheck"),
        "{rel}: the kalamdb healthcheck does not check /v1/api/healthcheck: {health:?}"
    );
    let env = env_keys(service);
    for key in ["KALAMDB_ROOT_PASSWORD", "KALAMDB_JWT_SECRET"] {
        assert!(
            env.iter().any(|k| k == key),
            "{rel}: the kalamdb service does not set {key}: {env:?}"
        );
        if let Some(value) = service["environment"][key].as_str() {
            assert!(
                value.contains(&format!("${{{key}")),
                "{rel}: {key} must come from the environment (.env), not be written in: {value}"
            );
        }
    }
}

#[test]
fn root_compose_runs_one_node_with_a_volume_healthcheck_and_secrets_from_env() {
    let rel = "docker-compose.yml";
    let compose = load_yaml(rel);
    let services = keys(&compose["services"]);
    assert_eq!(services, vec!["kalamdb".to_string()], "{rel}: services");
    let kalamdb = &compose["services"]["kalamdb"];
    check_kalamdb_service(rel, &compose, kalamdb);
    let ports = strings(&kalamdb["ports"]).join(" ");
    assert!(
        ports.contains(":8080"),
        "{rel}: port 8080 is not published: {ports}"
    );

    let example = read(".env.example");
    for key in ["KALAMDB_ROOT_PASSWORD", "KALAMDB_JWT_SECRET"] {
        assert!(
            example.lines().any(|l| l.starts_with(&format!("{key}="))),
            ".env.example does not define {key}"
        );
    }
    assert!(
        read(".gitignore").lines().any(|l| l.trim() == ".env"),
        ".gitignore must keep .env (the real secrets) out of git"
    );
}

#[test]
fn s3_example_runs_an_s3_server_creates_a_bucket_and_a_storage() {
    let rel = "examples/s3/docker-compose.yml";
    let compose = load_yaml(rel);
    let services = &compose["services"];
    let names = keys(services);

    let kalamdb = &services["kalamdb"];
    assert!(present(kalamdb), "{rel}: no kalamdb service: {names:?}");
    check_kalamdb_service(rel, &compose, kalamdb);

    let s3_server = names.iter().find(|n| {
        services[n.as_str()]["image"]
            .as_str()
            .is_some_and(|i| i.contains("minio/minio") || i.contains("seaweedfs"))
    });
    assert!(
        s3_server.is_some(),
        "{rel}: no S3-compatible server service: {names:?}"
    );

    let commands: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), command_text(&services[n.as_str()])))
        .collect();
    assert!(
        commands.iter().any(|(_, c)| c.contains("mb ")),
        "{rel}: nothing creates the bucket"
    );
    let (creator, sql) = commands
        .iter()
        .find(|(_, c)| c.contains("CREATE STORAGE"))
        .unwrap_or_else(|| panic!("{rel}: no service runs CREATE STORAGE"));
    for needle in ["TYPE s3", "BUCKET 's3://", "CONFIG '", "CREDENTIALS '"] {
        assert!(
            sql.contains(needle),
            "{rel}: CREATE STORAGE lacks {needle}: {sql}"
        );
    }
    // The storage is created once the server is healthy.
    assert_eq!(
        services[creator.as_str()]["depends_on"]["kalamdb"]["condition"].as_str(),
        Some("service_healthy"),
        "{rel}: {creator} must wait for a healthy kalamdb"
    );

    // CONFIG and CREDENTIALS are JSON with the keys the s3 storage plugin accepts.
    let json_after = |clause: &str| -> serde_json::Map<String, serde_json::Value> {
        let start = sql
            .find(clause)
            .unwrap_or_else(|| panic!("{rel}: no {clause}"))
            + clause.len();
        let end = sql[start..]
            .find('\'')
            .unwrap_or_else(|| panic!("{rel}: {clause} is not closed"));
        serde_json::from_str(&sql[start..start + end])
            .unwrap_or_else(|e| panic!("{rel}: {clause} is not a JSON object: {e}"))
    };
    let config = json_after("CONFIG '");
    for key in config.keys() {
        assert!(
            ["endpoint", "region", "virtual_hosted_style", "allow_http"].contains(&key.as_str()),
            "{rel}: unknown CONFIG key {key}"
        );
    }
    assert!(
        config
            .get("endpoint")
            .and_then(|v| v.as_str())
            .is_some_and(|e| e.starts_with("http://")),
        "{rel}: CONFIG needs the local endpoint"
    );
    let credentials = json_after("CREDENTIALS '");
    for key in ["access_key_id", "secret_access_key"] {
        assert!(
            credentials.contains_key(key),
            "{rel}: CREDENTIALS lacks {key}"
        );
    }
    assert!(
        repo_root().join("examples/s3/README.md").is_file(),
        "examples/s3/README.md is missing"
    );
}

// ---- Dockerfile ---------------------------------------------------------------------------------

/// The Dockerfile's instructions: comments dropped, continuation lines joined, blanks squeezed.
fn dockerfile_instructions() -> Vec<String> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        out.push(current.split_whitespace().collect::<Vec<_>>().join(" "));
        current.clear();
    }
    out
}

#[test]
fn dockerfile_builds_in_rust_and_runs_unprivileged_on_bookworm_slim() {
    let lines = dockerfile_instructions();
    let froms: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("FROM "))
        .map(|(i, _)| i)
        .collect();
    assert!(froms.len() >= 2, "the Dockerfile must be multi-stage");
    let first = froms[0];
    let last = froms[froms.len() - 1];
    assert!(
        lines[first].to_ascii_lowercase().ends_with(" as builder")
            && lines[first].contains("rust:"),
        "the first stage must be a Rust builder `FROM rust:... AS builder`: {}",
        lines[first]
    );
    assert!(
        lines[last].starts_with("FROM debian:bookworm-slim"),
        "the runtime stage must be debian:bookworm-slim: {}",
        lines[last]
    );
    let builder = &lines[first..last];
    let runtime = &lines[last..];

    assert!(
        builder.iter().any(|l| l.starts_with("RUN ")
            && l.contains("apt-get install")
            && l.contains("libclang-dev")),
        "the builder must install libclang-dev"
    );
    assert!(
        builder.iter().any(|l| l.starts_with("RUN ")
            && l.contains("cargo build --release")
            && l.contains("-p kalamdb-server")
            && l.contains("-p kalam-cli")),
        "the builder must build kalamdb-server and kalam-cli in release"
    );
    assert!(
        runtime
            .iter()
            .any(|l| l.starts_with("RUN ") && l.contains("ca-certificates")),
        "the runtime must install ca-certificates"
    );
    assert!(
        runtime.iter().any(|l| l.starts_with("COPY --from=builder")
            && l.contains("kalamdb-server")
            && l.split_whitespace().any(|t| t.ends_with("/kalam"))),
        "the runtime must ship kalamdb-server and kalam"
    );
    assert!(
        runtime
            .iter()
            .any(|l| l.starts_with("COPY ") && l.ends_with(" /config/server.toml")),
        "the runtime must ship /config/server.toml"
    );
    let user = runtime
        .iter()
        .rev()
        .find(|l| l.starts_with("USER "))
        .unwrap_or_else(|| panic!("the runtime has no USER"));
    let user_name = user["USER ".len()..].trim();
    assert!(
        !["root", "0", "0:0"].contains(&user_name),
        "the runtime must not run as root: {user}"
    );
    assert!(
        runtime
            .iter()
            .any(|l| l == "VOLUME /data" || l == "VOLUME [\"/data\"]"),
        "the runtime must declare VOLUME /data"
    );
    assert!(
        runtime.iter().any(|l| l.starts_with("EXPOSE ")
            && l.split_whitespace().any(|p| p == "8080" || p == "8080/tcp")),
        "the runtime must EXPOSE 8080"
    );
    assert!(
        runtime.iter().any(|l| l.starts_with("HEALTHCHECK ")
            && l.contains(" CMD ")
            && l.contains("/v1/api/healthcheck")),
        "the runtime must have a HEALTHCHECK on /v1/api/healthcheck"
    );
    assert!(
        runtime
            .iter()
            .any(|l| l.starts_with("ENTRYPOINT ") && l.contains("kalamdb-server")),
        "the entrypoint must be kalamdb-server"
    );
    assert!(
        runtime
            .iter()
            .any(|l| (l.starts_with("CMD ") || l.starts_with("ENTRYPOINT "))
                && l.contains("/config/server.toml")),
        "the server must be started with --config /config/server.toml"
    );
}

/// Patterns of `.dockerignore` (comments and blanks dropped, leading and trailing `/` removed).
fn dockerignore_patterns() -> Vec<String> {
    read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_matches('/').to_owned())
        .collect()
}

fn ignored(patterns: &[String], path: &str) -> bool {
    patterns
        .iter()
        .any(|p| path == p || path.starts_with(&format!("{p}/")))
}

#[test]
fn docker_context_keeps_the_workspace_and_the_copied_files() {
    let patterns = dockerignore_patterns();
    for must in ["target", ".git"] {
        assert!(
            patterns.iter().any(|p| p == must),
            ".dockerignore must leave out {must}"
        );
    }
    // Every workspace member is needed to load the workspace in the builder.
    let manifest = read("Cargo.toml");
    let members_start = manifest
        .find("members = [")
        .unwrap_or_else(|| panic!("Cargo.toml has no workspace members"));
    let members_end = manifest[members_start..]
        .find(']')
        .unwrap_or_else(|| panic!("Cargo.toml: members is not closed"))
        + members_start;
    let members: Vec<&str> = manifest[members_start..members_end]
        .split('"')
        .skip(1)
        .step_by(2)
        .collect();
    assert!(!members.is_empty(), "no workspace members found");
    for path in members.iter().copied().chain(["Cargo.toml", "Cargo.lock"]) {
        assert!(
            !ignored(&patterns, path),
            ".dockerignore leaves out {path}, which the build needs"
        );
    }
    // Files copied from the build context exist and are not ignored.
    for line in dockerfile_instructions() {
        if !line.starts_with("COPY ") || line.contains("--from=") {
            continue;
        }
        let tokens: Vec<&str> = line
            .split_whitespace()
            .skip(1)
            .filter(|t| !t.starts_with("--"))
            .collect();
        for source in &tokens[..tokens.len().saturating_sub(1)] {
            if *source == "." {
                continue;
            }
            assert!(
                repo_root().join(source).exists(),
                "the Dockerfile copies {source}, which does not exist"
            );
            assert!(
                !ignored(&patterns, source),
                "the Dockerfile copies {source}, which .dockerignore leaves out"
            );
        }
    }
}

// ---- the Docker build steps, run as a script --------------------------------------------------

fn run_docker_build_steps(args: &[&str]) {
    let script = repo_root().join("scripts/docker-build-steps.sh");
    let output = Command::new("bash")
        .arg(&script)
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "scripts/docker-build-steps.sh {} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn docker_build_steps_still_match_the_dockerfile() {
    run_docker_build_steps(&["--check-only"]);
}

/// Lays out the image from this build's binaries, starts the server as the image would, passes
/// the image's HEALTHCHECK, runs SQL through `kalam` and stops the server with SIGTERM.
#[test]
fn docker_build_steps_run_outside_docker() {
    let server = PathBuf::from(env!("CARGO_BIN_EXE_kalamdb-server"));
    let bin_dir = server
        .parent()
        .unwrap_or_else(|| panic!("{} has no directory", server.display()));
    if !bin_dir.join("kalam").is_file() {
        // `cargo test -p kalamdb-server` alone does not build the CLI; `make test` does.
        assert!(
            std::env::var_os("KALAM_REQUIRE_SERVER").is_none(),
            "{} is missing: build kalam-cli (make test builds the whole workspace)",
            bin_dir.join("kalam").display()
        );
        eprintln!(
            "skipped: {} is not built (run the whole workspace's tests)",
            bin_dir.join("kalam").display()
        );
        return;
    }
    let bin_dir = bin_dir.to_string_lossy().into_owned();
    run_docker_build_steps(&["--bin-dir", bin_dir.as_str()]);
}

#[test]
fn the_license_file_matches_the_declared_license() {
    let license = read("LICENSE");
    assert!(
        license.contains("Apache License") && license.contains("Version 2.0, January 2004"),
        "LICENSE must hold the Apache License 2.0 text"
    );
    assert!(
        read("Cargo.toml").contains("license = \"Apache-2.0\""),
        "the workspace declares Apache-2.0"
    );
    assert!(
        read("clients/typescript/package.json").contains("\"license\": \"Apache-2.0\""),
        "the TypeScript package declares the same license"
    );
}
