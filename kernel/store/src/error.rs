//! The hot store's error. The engine maps each variant onto its own error of the same name (so
//! onto the same status code and message).

use thiserror::Error;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("relation \"{0}\" does not exist")]
    TableNotFound(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error(
        "duplicate key value violates unique constraint \"{table}_pkey\"\nDETAIL: Key ({column})=({value}) already exists."
    )]
    DuplicateKey {
        table: String,
        column: String,
        value: String,
    },
    #[error("{0}")]
    InvalidValue(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A codec's error, kept whole so the engine maps it as it maps every plugin error.
    #[error("{0}")]
    Codec(kalamdb_plugin_api::PluginError),
}

impl StoreError {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        StoreError::Internal(err.to_string())
    }
}

impl From<rocksdb::Error> for StoreError {
    fn from(err: rocksdb::Error) -> Self {
        StoreError::Storage(err.to_string())
    }
}

impl From<kalamdb_plugin_api::PluginError> for StoreError {
    fn from(err: kalamdb_plugin_api::PluginError) -> Self {
        StoreError::Codec(err)
    }
}
