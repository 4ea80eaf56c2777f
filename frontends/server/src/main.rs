//! `kalamdb-server`: loads the configuration, binds the port (before touching the data
//! directory, so a busy port never leaves a half-opened database), opens the engine and serves
//! the v1 HTTP API until Ctrl-C or SIGTERM.
//!
//! - [`config`]: `server.toml` and `KALAMDB_*` variables.
//! - [`plugins`]: the bundled plugins.
//! - [`http`]: the HTTP API.
//! - [`init_scripts`]: the `.sql` files run at the first start.
//! - [`limits`]: rate limits (queries per user, logins per address).
//! - [`logging`]: console and rotated file logs.
//! - [`metrics`]: `/metrics` in the Prometheus text format.
//!
//! With `[pgwire] enabled`, PostgreSQL clients are served too (`kalamdb-pgwire`).

mod config;
mod http;
mod init_scripts;
mod limits;
mod logging;
mod metrics;
mod plugins;

use clap::Parser;
use config::ServerConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "kalamdb-server", version, about = "KalamDB server")]
struct Args {
    /// Path to server.toml; without it the built-in defaults apply.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Restore this backup directory (written by `BACKUP DATABASE TO`) into the data
    /// directory, which must hold no database yet, then serve it.
    #[arg(long, value_name = "BACKUP_DIR")]
    restore_from: Option<PathBuf>,
}

fn fail(message: &str) -> ! {
    eprintln!("kalamdb-server: {message}");
    std::process::exit(1);
}

/// Stack of each runtime thread. Planning recurses once per level of a statement's tree; the
/// statement shape limits (`sql::guard`) keep trees shallow, and this leaves a wide margin
/// beyond them (tokio's default is 2 MiB).
const THREAD_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start the async runtime: {e}")));
    runtime.block_on(serve());
}

async fn serve() {
    let args = Args::parse();
    let config = ServerConfig::load(args.config.as_deref()).unwrap_or_else(|e| fail(&e));
    let _log_guard = logging::init(&config).unwrap_or_else(|e| fail(&e));

    let addr = format!("{}:{}", config.server.host, config.server.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => fail(&format!(
            "port {} on {} is already in use: stop the other process or choose another port (server.port / KALAMDB_SERVER_PORT)",
            config.server.port, config.server.host
        )),
        Err(e) => fail(&format!("cannot listen on {addr}: {e}")),
    };
    let local = listener
        .local_addr()
        .unwrap_or_else(|e| fail(&format!("cannot read the bound address: {e}")));
    let pg_listener = if config.pgwire.enabled {
        let host = config.pgwire.host.as_deref().unwrap_or(&config.server.host);
        let pg_addr = format!("{host}:{}", config.pgwire.port);
        Some(match tokio::net::TcpListener::bind(&pg_addr).await {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => fail(&format!(
                "pgwire port {} on {host} is already in use: stop the other process or choose another port (pgwire.port / KALAMDB_PGWIRE_PORT)",
                config.pgwire.port
            )),
            Err(e) => fail(&format!("cannot listen on {pg_addr} for pgwire: {e}")),
        })
    } else {
        None
    };

    let registry = plugins::registry().unwrap_or_else(|e| fail(&e.to_string()));
    let mut engine_config = config.engine_config();
    engine_config.restore_from = args.restore_from.clone();
    let data_dir = config.storage.data_path.clone();
    let init = init_scripts::prepare(
        &data_dir,
        config.server.init_dir.as_deref(),
        args.restore_from.is_some(),
    )
    .unwrap_or_else(|e| fail(&e));
    let engine = kalamdb_core::Engine::open(engine_config, registry)
        .await
        .unwrap_or_else(|e| fail(&e.to_string()));
    if let Some(files) = init {
        if let Err(e) = init_scripts::run(&engine, &data_dir, &files).await {
            engine.shutdown();
            fail(&e);
        }
    }
    if engine.auth.needs_setup() {
        tracing::warn!(
            "root has no password: set KALAMDB_ROOT_PASSWORD or POST /v1/api/auth/setup from this machine"
        );
    }
    if config.advisor.enabled {
        spawn_advisor(engine.clone(), config.advisor.interval_secs);
    }
    spawn_audit_pruning(engine.clone(), config.logging.audit_retention_days);
    spawn_flush_policies(engine.clone());
    spawn_flow_schedules(engine.clone());
    let state = http::AppState::new(engine.clone(), config);
    if let Some(pg_listener) = pg_listener {
        let pg_local = pg_listener
            .local_addr()
            .unwrap_or_else(|e| fail(&format!("cannot read the pgwire address: {e}")));
        let settings = kalamdb_pgwire::PgWireSettings {
            auth: if state.config.pgwire.auth == "cleartext" {
                kalamdb_pgwire::AuthMethod::Cleartext
            } else {
                kalamdb_pgwire::AuthMethod::Scram
            },
            admit: Some(pg_admit(&state)),
            max_connections: state.config.pgwire.max_connections,
            max_connections_per_user: state.config.pgwire.max_connections_per_user,
            ..Default::default()
        };
        tracing::info!("KalamDB PostgreSQL wire protocol listening on {pg_local}");
        println!("KalamDB pgwire listening on {pg_local}");
        tokio::spawn(kalamdb_pgwire::serve(engine.clone(), pg_listener, settings));
    }
    let app = http::router(state);
    tracing::info!("KalamDB server listening on http://{local}");
    println!("KalamDB server listening on http://{local}");
    // No Nagle delay: small responses and live-query frames go out at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    if let Err(e) = served {
        tracing::error!("server error: {e}");
    }
    tracing::info!("shutting down: draining writers");
    engine.shutdown();
    tracing::info!("stopped");
}

/// pgwire statements draw on the same per-user query rate as HTTP requests.
fn pg_admit(state: &http::AppState) -> kalamdb_pgwire::Admit {
    let limiter = state.query_limiter.clone();
    let per_second = state.config.limits.queries_per_second;
    Arc::new(move |user, role| {
        if role == kalamdb_types::Role::System || limiter.allow(user.as_str()) {
            Ok(())
        } else {
            Err(format!(
                "Too many queries from user '{user}': the limit is {per_second} per second; slow down and retry"
            ))
        }
    })
}

/// Checks interval-based FLUSH_POLICY every second.
fn spawn_flush_policies(engine: Arc<kalamdb_core::Engine>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            ticker.tick().await;
            engine
                .jobs
                .tick_flush_policies(chrono::Utc::now().timestamp_millis())
                .await;
        }
    });
}

/// Runs the KFlows whose schedule came due, every second. A long run (a backup) delays the
/// next check, never overlaps itself.
fn spawn_flow_schedules(engine: Arc<kalamdb_core::Engine>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            engine.tick_flows(kalamdb_core::engine::now_micros()).await;
        }
    });
}

/// Deletes audit records older than `days` once an hour (0 days: keeps them all). Finished
/// jobs are pruned by the built-in flow `system.job_history_cleanup`, STREAM rows evicted by
/// `system.stream_ttl_eviction` (both run by [`spawn_flow_schedules`]).
fn spawn_audit_pruning(engine: Arc<kalamdb_core::Engine>, days: u64) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            ticker.tick().await;
            let cutoff = chrono::Utc::now().timestamp_millis() - (days as i64) * 86_400_000;
            match engine.audit.prune(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("pruned {n} audit record(s) older than {days} day(s)"),
                Err(e) => tracing::warn!("audit pruning failed: {e}"),
            }
        }
    });
}

/// Runs the advisor's rules every `every_secs` seconds (the first pass one interval after
/// start, when the statistics have something to say).
fn spawn_advisor(engine: Arc<kalamdb_core::Engine>, every_secs: u64) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(every_secs.max(1)));
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match engine.run_advisor().await {
                Ok(r) if r.raised + r.resolved > 0 => tracing::info!(
                    "advisor: {} new finding(s), {} resolved, {} open",
                    r.raised,
                    r.resolved,
                    r.open
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("advisor pass failed: {e}"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
