//! The init directory (`server.init_dir`, `KALAMDB_SERVER_INIT_DIR`): when the server creates a
//! new data directory, the `*.sql` files there run once, as root, in file-name order, one
//! statement at a time, before the port answers requests (the PostgreSQL image's
//! `docker-entrypoint-initdb.d`, SQL only). Other files are skipped with a warning.
//!
//! A first start writes `init.pending` into the data directory before the engine creates
//! anything and renames it to `init.done` once every statement succeeded. A failing statement
//! stops the server naming the file, line and error; the marker then stays, and every later
//! start refuses to serve the half-initialized database (unlike PostgreSQL's image, which
//! skips initialization on the next start and serves whatever the failed run left).

use kalamdb_core::Engine;
use kalamdb_core::exec::batch::BatchError;
use kalamdb_core::sql::split_with_lines;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const PENDING: &str = "init.pending";
pub const DONE: &str = "init.done";

/// Before the engine opens the data directory: the scripts to run after it opened, if this is
/// the first start and an init directory is configured.
pub fn prepare(
    data_dir: &Path,
    init_dir: Option<&Path>,
    restoring: bool,
) -> Result<Option<Vec<PathBuf>>, String> {
    let pending = data_dir.join(PENDING);
    if pending.exists() {
        let listed = std::fs::read_to_string(&pending).unwrap_or_default();
        return Err(format!(
            "the init scripts of this data directory's first start did not all succeed ({}), so it holds a half-initialized database: remove {} and start again, or delete {} to serve it as it is",
            listed.lines().next().unwrap_or("no record").trim(),
            data_dir.display(),
            pending.display()
        ));
    }
    let Some(dir) = init_dir else {
        return Ok(None);
    };
    // Only a data directory this start creates is initialized; a restore brings its own data.
    if restoring || data_dir.join("rocksdb").exists() {
        return Ok(None);
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read server.init_dir '{}': {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("cannot read server.init_dir '{}': {e}", dir.display()))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        if path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        } else {
            tracing::warn!(
                "init: skipping {}: only .sql files run at first start",
                path.display()
            );
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    let mut marker = std::fs::File::create(&pending)
        .map_err(|e| format!("cannot write {}: {e}", pending.display()))?;
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    writeln!(marker, "started running {}", names.join(", "))
        .and_then(|_| marker.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", pending.display()))?;
    Ok(Some(files))
}

/// Runs the scripts as root; on success marks the initialization done.
pub async fn run(engine: &Engine, data_dir: &Path, files: &[PathBuf]) -> Result<(), String> {
    let pending = data_dir.join(PENDING);
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("init: cannot read {}: {e}", file.display()))?;
        let mut session = kalamdb_core::Session::new(
            kalamdb_types::UserId::new("root"),
            kalamdb_types::Role::System,
        );
        let mut count = 0;
        for (line, statement) in split_with_lines(&text) {
            if let Err(e) = engine
                .execute_sql(&mut session, statement, Vec::new())
                .await
            {
                let message = match e {
                    BatchError::Request { message, .. } => message,
                    BatchError::Statement { error, .. } => error.to_string(),
                };
                let failure = format!("init: {name} line {line}: {message}");
                let _ = std::fs::write(&pending, format!("{failure}\n"));
                return Err(failure);
            }
            count += 1;
        }
        tracing::info!("init: ran {name} ({count} statement(s))");
    }
    std::fs::rename(&pending, data_dir.join(DONE))
        .map_err(|e| format!("cannot record the finished initialization: {e}"))?;
    Ok(())
}
