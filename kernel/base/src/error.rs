//! The kernel's error type. Variants carry typed context; [`KalamError::code`] maps each to the
//! one status catalogue in `kalamdb_types::ErrorCode`. Messages are what a user reads: short, name
//! the object, say what to do.

use kalamdb_types::{ErrorCode, NamespaceId, Role, TableId};
use thiserror::Error;

pub type Result<T, E = KalamError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum KalamError {
    #[error("{0}")]
    Syntax(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "statement is too complex: {found} {what} (the limit is {limit}). Split it into smaller statements"
    )]
    TooComplex {
        what: &'static str,
        found: usize,
        limit: usize,
    },
    #[error("Namespace '{0}' does not exist. Create it first with CREATE NAMESPACE {0}")]
    NamespaceNotFound(NamespaceId),
    #[error("Namespace '{0}' already exists")]
    NamespaceExists(NamespaceId),
    #[error("relation \"{0}\" does not exist")]
    TableNotFound(String),
    #[error("relation \"{0}\" already exists")]
    TableExists(TableId),
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
    #[error(
        "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
    )]
    NotNull { table: String, column: String },
    #[error("canceling statement due to statement timeout ({limit_ms} ms for role {role})")]
    StatementTimeout { limit_ms: u128, role: Role },
    #[error(
        "the result has more than {limit} {what}: add a LIMIT, narrow the WHERE clause, or page with ORDER BY ... LIMIT"
    )]
    ResultTooLarge { what: &'static str, limit: usize },
    #[error("{0}")]
    InvalidValue(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    Execution(String),
    #[error("Permission denied: {action} requires role {required} or higher (you are '{actual}')")]
    PermissionDenied {
        action: String,
        required: Role,
        actual: Role,
    },
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Auth(String),
    #[error("storage error: {0}")]
    Storage(String),
    /// A segment listed by the manifest a read started from was deleted by a compaction that
    /// committed meanwhile; the read starts again from the new manifest.
    #[error("segment {0} was replaced while it was being read")]
    SegmentGone(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl KalamError {
    /// The status code of this error in the one catalogue.
    pub fn code(&self) -> ErrorCode {
        match self {
            KalamError::Syntax(_) | KalamError::Unsupported(_) | KalamError::TooComplex { .. } => {
                ErrorCode::InvalidSql
            }
            KalamError::InvalidParameter(_) => ErrorCode::InvalidParameter,
            KalamError::PermissionDenied { .. } | KalamError::Denied(_) => {
                ErrorCode::PermissionDenied
            }
            KalamError::Auth(_) => ErrorCode::InvalidCredentials,
            KalamError::Storage(_) | KalamError::SegmentGone(_) | KalamError::Internal(_) => {
                ErrorCode::InternalError
            }
            KalamError::NamespaceNotFound(_)
            | KalamError::NamespaceExists(_)
            | KalamError::TableNotFound(_)
            | KalamError::TableExists(_)
            | KalamError::InvalidDefinition(_)
            | KalamError::DuplicateKey { .. }
            | KalamError::NotNull { .. }
            | KalamError::StatementTimeout { .. }
            | KalamError::ResultTooLarge { .. }
            | KalamError::InvalidValue(_)
            | KalamError::Execution(_)
            | KalamError::NotFound(_)
            | KalamError::AlreadyExists(_) => ErrorCode::SqlExecutionError,
        }
    }

    /// The PostgreSQL SQLSTATE of this error, for the pgwire front end: the code PostgreSQL
    /// gives the same failure, so drivers that branch on it (unique violation, undefined
    /// table, insufficient privilege) behave as against PostgreSQL.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            KalamError::Syntax(_) => "42601",
            KalamError::Unsupported(_) => "0A000",
            KalamError::TooComplex { .. } => "54001",
            KalamError::NamespaceNotFound(_) => "3F000",
            KalamError::NamespaceExists(_) => "42P06",
            KalamError::TableNotFound(_) => "42P01",
            KalamError::TableExists(_) => "42P07",
            KalamError::InvalidDefinition(_) => "42P16",
            KalamError::DuplicateKey { .. } => "23505",
            KalamError::NotNull { .. } => "23502",
            KalamError::StatementTimeout { .. } => "57014",
            KalamError::ResultTooLarge { .. } => "54000",
            KalamError::InvalidValue(_) => "22P02",
            KalamError::InvalidParameter(_) => "22023",
            KalamError::Execution(m)
                if m.starts_with("column ") && m.contains("does not exist") =>
            {
                "42703"
            }
            KalamError::Execution(m)
                if m.starts_with("function ") && m.ends_with("does not exist") =>
            {
                "42883"
            }
            KalamError::Execution(_) => "42000",
            KalamError::PermissionDenied { .. } | KalamError::Denied(_) => "42501",
            KalamError::NotFound(_) => "42704",
            KalamError::AlreadyExists(_) => "42710",
            KalamError::Auth(_) => "28P01",
            KalamError::Storage(_) => "58030",
            KalamError::SegmentGone(_) => "40001",
            KalamError::Internal(_) => "XX000",
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        KalamError::Internal(err.to_string())
    }

    pub fn storage(err: impl std::fmt::Display) -> Self {
        KalamError::Storage(err.to_string())
    }
}

/// A plugin's error, by kind: a bad configuration is an invalid definition, a failed store a
/// storage error, undecodable bytes an internal error (the messages are the plugin's).
impl From<kalamdb_plugin_api::PluginError> for KalamError {
    fn from(err: kalamdb_plugin_api::PluginError) -> Self {
        use kalamdb_plugin_api::PluginError as P;
        match err {
            P::InvalidConfig(m) => KalamError::InvalidDefinition(m),
            P::Storage(m) => KalamError::Storage(m),
            P::Codec(m) | P::Internal(m) => KalamError::Internal(m),
            P::AlreadyExists(m) => KalamError::AlreadyExists(m),
            P::NotFound(m) => KalamError::NotFound(m),
            P::Host(m) => KalamError::Execution(m),
        }
    }
}

/// A statement that did not parse: the same variant, so the same status code and message.
impl From<kalamdb_sql::SqlError> for KalamError {
    fn from(err: kalamdb_sql::SqlError) -> Self {
        use kalamdb_sql::SqlError as S;
        match err {
            S::Syntax(m) => KalamError::Syntax(m),
            S::Unsupported(m) => KalamError::Unsupported(m),
            S::TooComplex { what, found, limit } => KalamError::TooComplex { what, found, limit },
            S::InvalidDefinition(m) => KalamError::InvalidDefinition(m),
        }
    }
}

/// A hot-store error: the same variant, so the same status code and message.
impl From<kalamdb_store::StoreError> for KalamError {
    fn from(err: kalamdb_store::StoreError) -> Self {
        use kalamdb_store::StoreError as S;
        match err {
            S::TableNotFound(m) => KalamError::TableNotFound(m),
            S::InvalidDefinition(m) => KalamError::InvalidDefinition(m),
            S::DuplicateKey {
                table,
                column,
                value,
            } => KalamError::DuplicateKey {
                table,
                column,
                value,
            },
            S::InvalidValue(m) => KalamError::InvalidValue(m),
            S::Storage(m) => KalamError::Storage(m),
            S::Internal(m) => KalamError::Internal(m),
            S::Codec(p) => KalamError::from(p),
        }
    }
}

impl From<rocksdb::Error> for KalamError {
    fn from(err: rocksdb::Error) -> Self {
        KalamError::Storage(err.to_string())
    }
}

#[cfg(feature = "datafusion")]
impl From<datafusion::error::DataFusionError> for KalamError {
    fn from(err: datafusion::error::DataFusionError) -> Self {
        crate::df_error::translate(err)
    }
}

#[cfg(feature = "datafusion")]
impl From<datafusion::arrow::error::ArrowError> for KalamError {
    fn from(err: datafusion::arrow::error::ArrowError) -> Self {
        KalamError::Execution(err.to_string())
    }
}
