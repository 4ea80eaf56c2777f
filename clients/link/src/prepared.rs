//! [`PreparedStatement`]: one SQL text executed many times with different parameters.
//!
//! The client keeps only the text; the server caches the plan keyed by the normalized SQL, so
//! every execution after the first skips parsing and planning. Sending the same text each
//! time is what makes the cache hit.

use crate::client::KalamClient;
use crate::error::Result;
use crate::response::QueryResponse;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A statement with `$1, $2, ...` placeholders, from [`KalamClient::prepare`].
#[derive(Clone, Debug)]
pub struct PreparedStatement {
    client: KalamClient,
    sql: String,
    namespace: Option<String>,
}

impl PreparedStatement {
    pub(crate) fn new(client: KalamClient, sql: String) -> Self {
        Self {
            client,
            sql,
            namespace: None,
        }
    }

    /// Resolves unqualified table names in `namespace` on every execution.
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The SQL text as given.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Runs the statement with `params` bound to `$1, $2, ...`.
    pub async fn execute(&self, params: Vec<Value>) -> Result<QueryResponse> {
        self.client
            .query_with(&self.sql, params, self.namespace.as_deref())
            .await
    }

    /// Runs the statement with `params` (a tuple, array or `Vec` of serializable values) and
    /// returns its rows as `T`, as [`KalamClient::query_as`] does.
    pub async fn query_as<T: DeserializeOwned>(&self, params: impl Serialize) -> Result<Vec<T>> {
        let params = crate::client::params_of(params)?;
        let response = self.execute(params).await?;
        crate::client::rows_of(&response)
    }
}
