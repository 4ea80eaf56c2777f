//! KalamDB's PostgreSQL wire protocol front end: `psql` and PostgreSQL drivers talk to the
//! same engine as HTTP, through the same parse → permission → execute path.
//!
//! - [`auth`]: start-up and login (SCRAM-SHA-256 against the verifier stored with each user;
//!   cleartext, checked against the bcrypt hash, only on loopback and only when configured).
//! - `catalog`: PostgreSQL's `pg_catalog` (psql's `\\dt`, `\\d`, drivers' introspection).
//! - `scram`: the server side of SCRAM-SHA-256 (RFC 5802 / 7677).
//! - `handler`: the simple and extended query protocols.
//! - `session`: per-connection state (the KalamDB session, `SET` parameters, the transaction
//!   block).
//! - `local`: the statements PostgreSQL clients send that are about the connection, not the
//!   data (`SET`, `SHOW`, `BEGIN`, `COMMIT`, ...).
//! - `text`: floats, times and timestamps in PostgreSQL's text form.
//! - `encode`: outcomes → RowDescription, DataRow and command tags; `params`: Bind values.
//! - `error`: KalamDB errors → ErrorResponse with SQLSTATE.
//!
//! The PG user is the KalamDB user: USER tables are scoped to the login exactly as over HTTP.

pub mod auth;
mod catalog;
mod encode;
mod error;
mod handler;
mod local;
mod params;
pub mod scram;
mod session;
mod text;

use kalamdb_core::Engine;
use pgwire::api::PgWireServerHandlers;
use std::sync::Arc;
use tokio::net::TcpListener;

/// How clients prove who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// SCRAM-SHA-256 (what PostgreSQL uses by default; the password never crosses the wire).
    Scram,
    /// The password in clear, checked against the bcrypt hash. Refused from any address but
    /// loopback, whatever the setting.
    Cleartext,
}

/// Admits a user's next statement: `Err(message)` refuses it (SQLSTATE 53400).
pub type Admit =
    Arc<dyn Fn(&kalamdb_types::UserId, kalamdb_types::Role) -> Result<(), String> + Send + Sync>;

/// Settings of the pgwire front end (`[pgwire]` in `server.toml`).
#[derive(Clone)]
pub struct PgWireSettings {
    pub auth: AuthMethod,
    /// Reported as `server_version`; drivers parse it, so it names a PostgreSQL release.
    pub server_version: String,
    /// The server's per-user query rate, shared with HTTP; `None` admits everything.
    pub admit: Option<Admit>,
    /// Connections open at once, logged in or not (more: `sorry, too many clients already`).
    pub max_connections: usize,
    /// Logged-in connections of one user at once (more: `too many connections for role`).
    pub max_connections_per_user: usize,
}

impl Default for PgWireSettings {
    fn default() -> Self {
        Self {
            auth: AuthMethod::Scram,
            server_version: "15.0 (KalamDB)".into(),
            admit: None,
            max_connections: 200,
            max_connections_per_user: 20,
        }
    }
}

/// Everything a connection's handlers share.
pub(crate) struct Shared {
    pub engine: Arc<Engine>,
    pub settings: PgWireSettings,
    pub connections: Arc<pgwire::api::ConnectionManager>,
    /// Sockets being served.
    pub open: std::sync::atomic::AtomicUsize,
    /// Logged-in connections by user.
    pub per_user: std::sync::Mutex<std::collections::HashMap<kalamdb_types::UserId, usize>>,
}

/// One user's logged-in connection, counted until the connection ends.
pub(crate) struct UserSlot {
    shared: Arc<Shared>,
    user: kalamdb_types::UserId,
}

impl UserSlot {
    /// A slot for `user`, unless it holds `max_connections_per_user` already.
    pub fn take(shared: &Arc<Shared>, user: &kalamdb_types::UserId) -> Option<UserSlot> {
        let mut per_user = shared.per_user.lock().unwrap_or_else(|e| e.into_inner());
        let n = per_user.entry(user.clone()).or_insert(0);
        if *n >= shared.settings.max_connections_per_user {
            return None;
        }
        *n += 1;
        Some(UserSlot {
            shared: shared.clone(),
            user: user.clone(),
        })
    }
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut per_user = self
            .shared
            .per_user
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = per_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}

struct Handlers {
    handler: Arc<handler::Handler>,
    startup: Arc<auth::Startup>,
    cancel: Arc<pgwire::api::cancel::DefaultCancelHandler>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.handler.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.handler.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// Serves PostgreSQL clients on `listener` until the task is dropped.
pub async fn serve(engine: Arc<Engine>, listener: TcpListener, settings: PgWireSettings) {
    match catalog::PgCatalog::new() {
        Ok(pg) => engine.install_extension(Arc::new(pg)),
        Err(e) => tracing::warn!("pgwire: pg_catalog unavailable: {e}"),
    }
    let connections = Arc::new(pgwire::api::ConnectionManager::new());
    let shared = Arc::new(Shared {
        engine,
        settings,
        connections: connections.clone(),
        open: std::sync::atomic::AtomicUsize::new(0),
        per_user: std::sync::Mutex::new(std::collections::HashMap::new()),
    });
    let handlers = Arc::new(Handlers {
        handler: Arc::new(handler::Handler::new(shared.clone())),
        startup: Arc::new(auth::Startup::new(shared.clone())),
        cancel: Arc::new(pgwire::api::cancel::DefaultCancelHandler::new(connections)),
    });
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("pgwire: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let handlers = handlers.clone();
        let shared = shared.clone();
        shared
            .open
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::spawn(async move {
            if let Err(e) = pgwire::tokio::process_socket(socket, None, handlers).await {
                tracing::debug!("pgwire: connection from {peer} ended: {e}");
            }
            shared
                .open
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        });
    }
}
