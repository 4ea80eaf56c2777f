//! The PostgreSQL baseline: a small pool of connections (one per concurrent operation, so
//! concurrent statements really run in parallel instead of pipelining on one socket), SQL sent as
//! text with the simple query protocol (parsed per request, as KalamDB parses each request),
//! and a LISTEN connection for the change-delivery baseline.

use futures::StreamExt;
use tokio::sync::{Mutex, MutexGuard, mpsc};
use tokio_postgres::{AsyncMessage, Client, NoTls, Notification};

pub struct PgPool {
    url: String,
    conns: Vec<Mutex<Client>>,
}

async fn connect(url: &str) -> Result<Client, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("PostgreSQL connect: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

impl PgPool {
    pub async fn new(url: &str, size: usize) -> Result<Self, String> {
        let mut conns = Vec::new();
        for _ in 0..size.max(1) {
            conns.push(Mutex::new(connect(url).await?));
        }
        Ok(Self {
            url: url.to_string(),
            conns,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A free connection, else the `i`-th one.
    pub async fn get(&self, i: u64) -> MutexGuard<'_, Client> {
        for conn in &self.conns {
            if let Ok(guard) = conn.try_lock() {
                return guard;
            }
        }
        self.conns[(i as usize) % self.conns.len()].lock().await
    }

    /// Runs SQL text (one or more statements) and returns the number of rows it produced.
    pub async fn exec(&self, i: u64, sql: &str) -> Result<usize, String> {
        let conn = self.get(i).await;
        run(&conn, sql).await
    }

    pub async fn version(&self) -> Option<String> {
        let conn = self.get(0).await;
        let rows = conn.simple_query("SHOW server_version").await.ok()?;
        rows.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
    }
}

/// Runs SQL text on one connection; rows produced.
pub async fn run(client: &Client, sql: &str) -> Result<usize, String> {
    let messages = client.simple_query(sql).await.map_err(|e| {
        let short: String = sql.chars().take(120).collect();
        format!("PostgreSQL: {e} (SQL: {short})")
    })?;
    Ok(messages
        .iter()
        .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
        .count())
}

/// A connection that has run `LISTEN channel`, and its notifications.
pub struct PgListener {
    _client: Client,
    pub notifications: mpsc::UnboundedReceiver<(Notification, std::time::Instant)>,
}

pub async fn listen(url: &str, channel: &str) -> Result<PgListener, String> {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("PostgreSQL connect: {e}"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message
                && tx.send((n, std::time::Instant::now())).is_err()
            {
                break;
            }
        }
    });
    run(&client, &format!("LISTEN {channel}")).await?;
    Ok(PgListener {
        _client: client,
        notifications: rx,
    })
}
