//! Logging: `tracing` to the console (stderr) and to `server.log` in the log folder, rotated and
//! pruned by [`rolling`]; `text` or `json` lines. The file is written by a background thread
//! (tracing-appender's non-blocking writer); keep the returned guard alive to flush it on exit.

pub mod rolling;

use crate::config::ServerConfig;
pub use rolling::Rotation;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber. Returns the file writer's guard, if a file is written.
pub fn init(config: &ServerConfig) -> Result<Option<WorkerGuard>, String> {
    let log = &config.logging;
    let filter = || EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = log.format == "json";
    let console = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(filter())
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
            .boxed()
    };
    let (file_layer, guard) = if log.file {
        let dir = config.log_dir();
        let rotation = Rotation::parse(&log.rotation)?;
        let writer = rolling::RollingFile::open(
            &dir,
            rotation,
            log.max_file_size_mb.saturating_mul(1024 * 1024),
            log.max_files,
            Box::new(chrono::Utc::now),
        )
        .map_err(|e| format!("cannot write logs in '{}': {e}", dir.display()))?;
        let (writer, guard) = tracing_appender::non_blocking(writer);
        let layer = if json {
            tracing_subscriber::fmt::layer()
                .json()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter())
                .boxed()
        } else {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter())
                .boxed()
        };
        (Some(layer), Some(guard))
    } else {
        (None, None)
    };
    tracing_subscriber::registry()
        .with(console)
        .with(file_layer)
        .try_init()
        .map_err(|e| format!("cannot install the logger: {e}"))?;
    Ok(guard)
}
