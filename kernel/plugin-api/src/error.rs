//! The error a plugin returns. Each variant says which kind of failure it is, so the kernel can
//! answer with the right status code; the message is what a user reads (name the object, say
//! what to do).

use thiserror::Error;

pub type Result<T, E = PluginError> = std::result::Result<T, E>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PluginError {
    /// A configuration (a `system.storages` row, a rule's thresholds, a flow's arguments) is
    /// wrong. The kernel reports it as an invalid definition.
    #[error("{0}")]
    InvalidConfig(String),
    /// The backing store failed (a file, an object store, a network call).
    #[error("{0}")]
    Storage(String),
    /// Bytes could not be encoded or decoded.
    #[error("{0}")]
    Codec(String),
    /// A plugin of that kind and name is already registered.
    #[error("{0}")]
    AlreadyExists(String),
    /// Something the plugin was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The kernel refused or failed a request the plugin made of it (a flow's SQL ...).
    #[error("{0}")]
    Host(String),
    /// A bug or an unexpected state in the plugin.
    #[error("{0}")]
    Internal(String),
}
