//! Setup over HTTP: statements as root through `kalam-link`, waiting for storage jobs, bulk row
//! generation, and creating users with their login tokens. Measured operations use
//! [`KalamClient`] directly; only bulk setup (thousands of users) uses one shared `reqwest`
//! client, because a `KalamClient` per user would build a TLS-capable client per user.

use futures::{StreamExt, TryStreamExt, stream};
use kalam_link::{Auth, KalamClient, QueryResponse};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How many `CREATE USER` statements go into one request.
const USERS_PER_REQUEST: usize = 200;
/// Job poll interval while waiting for a flush (setup only, never inside a measurement).
const JOB_POLL: Duration = Duration::from_millis(20);

/// A client for the server under test as some user.
pub fn client(url: &str, auth: Auth) -> Result<KalamClient, String> {
    KalamClient::builder(url)
        .auth(auth)
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())
}

/// Runs SQL and turns any failure into its message.
pub async fn exec(client: &KalamClient, sql: &str) -> Result<QueryResponse, String> {
    client.query(sql).await.map_err(|e| {
        let short: String = sql.chars().take(120).collect();
        format!("{e} (SQL: {short})")
    })
}

/// `INSERT INTO table (columns) VALUES ...` for rows `range`, `per_request` rows a statement,
/// `concurrency` requests at a time. `row(i)` renders one tuple without parentheses.
pub async fn insert_rows(
    client: &KalamClient,
    table: &str,
    columns: &str,
    range: std::ops::Range<u64>,
    per_request: u64,
    concurrency: usize,
    row: impl Fn(u64) -> String,
) -> Result<(), String> {
    let chunks: Vec<String> = (range.start..range.end)
        .step_by(per_request.max(1) as usize)
        .map(|start| {
            let end = (start + per_request).min(range.end);
            let values: Vec<String> = (start..end).map(|i| format!("({})", row(i))).collect();
            format!(
                "INSERT INTO {table} ({columns}) VALUES {}",
                values.join(",")
            )
        })
        .collect();
    stream::iter(chunks)
        .map(|sql| async move { exec(client, &sql).await.map(|_| ()) })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await
}

/// Extracts `FL-...` style job ids from a statement's message.
pub fn job_id(message: &str) -> Option<String> {
    let at = message.find("Job ID: ")? + "Job ID: ".len();
    let id: String = message[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// `STORAGE FLUSH TABLE table` and waits until its job completed (status from `system.jobs`).
/// Returns the job's message (e.g. `Flushed N row(s) into K segment(s)`).
pub async fn flush_and_wait(
    root: &KalamClient,
    table: &str,
    timeout: Duration,
) -> Result<String, String> {
    let response = exec(root, &format!("STORAGE FLUSH TABLE {table}")).await?;
    let message = response
        .first()
        .and_then(|r| r.message.clone())
        .unwrap_or_default();
    let id = job_id(&message).ok_or_else(|| format!("no job id in '{message}'"))?;
    let deadline = Instant::now() + timeout;
    loop {
        let sql = format!("SELECT status, message FROM system.jobs WHERE job_id = '{id}'");
        let rows = exec(root, &sql).await?;
        let row = rows
            .first()
            .and_then(|r| r.rows.as_ref())
            .and_then(|rows| rows.first())
            .cloned()
            .unwrap_or_default();
        let status = row.first().and_then(Value::as_str).unwrap_or("");
        let text = row.get(1).and_then(Value::as_str).unwrap_or("").to_string();
        match status {
            "completed" => return Ok(text),
            "failed" | "cancelled" => return Err(format!("flush job {id} {status}: {text}")),
            _ if Instant::now() > deadline => {
                return Err(format!("flush job {id} still '{status}' after {timeout:?}"));
            }
            _ => tokio::time::sleep(JOB_POLL).await,
        }
    }
}

/// Plain HTTP for bulk setup: logins and statements as many different users.
#[derive(Clone)]
pub struct Bulk {
    http: reqwest::Client,
    url: String,
}

impl Bulk {
    pub fn new(url: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            url: url.trim_end_matches('/').to_string(),
        })
    }

    /// Logs `user` in and returns the access token.
    pub async fn login(&self, user: &str, password: &str) -> Result<String, String> {
        let body = serde_json::json!({"user": user, "password": password});
        let reply = self
            .http
            .post(format!("{}/v1/api/auth/login", self.url))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("login of {user}: {e}"))?;
        let status = reply.status();
        let text = reply.text().await.map_err(|e| e.to_string())?;
        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match parsed.get("access_token").and_then(Value::as_str) {
            Some(token) if status.is_success() => Ok(token.to_string()),
            _ => Err(format!("login of {user} failed ({status}): {text}")),
        }
    }

    /// Runs SQL with `token`.
    pub async fn sql(&self, token: &str, sql: &str) -> Result<(), String> {
        let reply = self
            .http
            .post(format!("{}/v1/api/sql", self.url))
            .bearer_auth(token)
            .json(&serde_json::json!({ "sql": sql }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = reply.status();
        if status.is_success() {
            return Ok(());
        }
        let text = reply.text().await.unwrap_or_default();
        Err(format!("{status}: {text}"))
    }
}

/// Creates users `names` with `password` (role user), [`USERS_PER_REQUEST`] per request.
pub async fn create_users(
    root: &KalamClient,
    names: &[String],
    password: &str,
    concurrency: usize,
) -> Result<(), String> {
    let batches: Vec<String> = names
        .chunks(USERS_PER_REQUEST)
        .map(|chunk| {
            chunk
                .iter()
                .map(|n| format!("CREATE USER '{n}' WITH PASSWORD '{password}' ROLE user"))
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect();
    stream::iter(batches)
        .map(|sql| async move { exec(root, &sql).await.map(|_| ()) })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<()>()
        .await
}

/// Logs every user in (`concurrency` at a time) and returns their tokens in `names` order.
pub async fn login_all(
    bulk: &Bulk,
    names: &[String],
    password: &str,
    concurrency: usize,
) -> Result<Vec<String>, String> {
    stream::iter(names)
        .map(|n| bulk.login(n, password))
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_found_in_messages() {
        assert_eq!(
            job_id("Storage flush started for table 'a.b'. Job ID: FL-3841104"),
            Some("FL-3841104".into())
        );
        assert_eq!(job_id("nothing here"), None);
    }
}
