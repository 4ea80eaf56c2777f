//! Typed statements. Every front end executes these through the one `execute` path.

use crate::model::{AccessLevel, DefaultExpr, StorageMode};
use kalamdb_types::{KalamDataType, NamespaceId, Role, StorageId, TableName, TableType, UserId};
use sqlparser::ast;

/// A table as written: `ns.t` or `t` (resolved against the session's namespace).
#[derive(Clone, Debug, PartialEq)]
pub struct TableRef {
    pub namespace: Option<NamespaceId>,
    pub table: TableName,
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}.{}", self.table),
            None => write!(f, "{}", self.table),
        }
    }
}

/// `ALTER TABLE ns.t <change>`.
#[derive(Clone, Debug, PartialEq)]
pub enum TableChange {
    /// `SET ACCESS LEVEL public|private|restricted|dba` (SHARED tables only).
    AccessLevel(AccessLevel),
    /// `SET (FLUSH_POLICY = '...', DELETED_RETENTION_HOURS = N)`.
    Options {
        flush_policy: Option<String>,
        deleted_retention_hours: Option<u64>,
    },
}

impl std::fmt::Display for TableChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableChange::AccessLevel(level) => write!(f, "SET ACCESS LEVEL {}", level.as_str()),
            TableChange::Options {
                flush_policy,
                deleted_retention_hours,
            } => {
                let mut parts = Vec::new();
                if let Some(p) = flush_policy {
                    parts.push(format!("FLUSH_POLICY = '{p}'"));
                }
                if let Some(h) = deleted_retention_hours {
                    parts.push(format!("DELETED_RETENTION_HOURS = {h}"));
                }
                write!(f, "SET ({})", parts.join(", "))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub data_type: KalamDataType,
    pub nullable: bool,
    pub primary_key: bool,
    pub default: Option<DefaultExpr>,
}

/// `WITH (...)` options of CREATE TABLE, as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableOptionsSpec {
    pub table_type: Option<TableType>,
    pub storage_id: Option<StorageId>,
    pub use_user_storage: Option<bool>,
    pub flush_policy: Option<String>,
    pub deleted_retention_hours: Option<u64>,
    pub ttl_seconds: Option<u64>,
    pub access_level: Option<AccessLevel>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    /// From the `USER`/`SHARED`/`STREAM` prefix, if given.
    pub prefix_type: Option<TableType>,
    pub table: TableRef,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnSpec>,
    pub options: TableOptionsSpec,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateUser {
    pub user: UserId,
    pub password: Option<String>,
    pub role: Role,
    pub email: Option<String>,
    pub storage_mode: Option<StorageMode>,
    pub storage_id: Option<StorageId>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UserChange {
    Password(String),
    Role(Role),
    Email(String),
    StorageMode(StorageMode),
    StorageId(StorageId),
}

/// `CREATE STORAGE` clauses as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StorageSpec {
    pub storage_id: String,
    pub if_not_exists: bool,
    pub storage_type: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// PATH (filesystem) or BUCKET (s3).
    pub location: Option<String>,
    pub region: Option<String>,
    pub shared_tables_template: Option<String>,
    pub user_tables_template: Option<String>,
    pub credentials: Option<String>,
    pub config: Option<String>,
}

/// One `ALTER STORAGE ... SET` change.
#[derive(Clone, Debug, PartialEq)]
pub enum StorageChange {
    Name(String),
    Description(String),
    SharedTablesTemplate(String),
    UserTablesTemplate(String),
    Credentials(String),
    Config(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    CreateNamespace {
        name: NamespaceId,
        if_not_exists: bool,
    },
    DropNamespace {
        name: NamespaceId,
        if_exists: bool,
        cascade: bool,
    },
    ShowNamespaces,
    Use {
        namespace: NamespaceId,
    },
    CreateTable(Box<CreateTable>),
    DropTable {
        table: TableRef,
        if_exists: bool,
    },
    AlterTable {
        table: TableRef,
        change: TableChange,
    },
    ShowTables {
        namespace: Option<NamespaceId>,
    },
    DescribeTable {
        table: TableRef,
    },
    CreateUser(Box<CreateUser>),
    AlterUser {
        user: UserId,
        change: UserChange,
    },
    DropUser {
        user: UserId,
        if_exists: bool,
    },
    /// `KILL LIVE QUERY 'live_id'`.
    KillLiveQuery {
        live_id: String,
    },
    /// `SUBSCRIBE TO ns.t [WHERE ...] [OPTIONS (...)]`: answered with how to subscribe over
    /// WebSocket.
    SubscribeTo {
        select: String,
        options: Vec<(String, String)>,
    },
    CreateStorage(Box<StorageSpec>),
    AlterStorage {
        storage_id: StorageId,
        change: StorageChange,
    },
    DropStorage {
        storage_id: StorageId,
        if_exists: bool,
    },
    ShowStorages,
    /// `SHOW PLUGINS`: what `system.plugins` lists, for every role.
    ShowPlugins,
    StorageCheck {
        storage_id: StorageId,
    },
    StorageFlushTable {
        table: TableRef,
    },
    StorageFlushAll {
        namespace: Option<NamespaceId>,
    },
    KillJob {
        job_id: String,
    },
    StorageCompactTable {
        table: TableRef,
    },
    StorageCompactAll {
        namespace: Option<NamespaceId>,
    },
    Insert(Box<ast::Insert>),
    Update(Box<ast::Update>),
    Delete(Box<ast::Delete>),
    /// SELECT, VALUES, EXPLAIN and other read-only SQL run by DataFusion.
    Query(Box<ast::Statement>),
    /// `EXECUTE AS USER 'u' (<one statement>)`: the inner statement runs as that user.
    ExecuteAs {
        user: UserId,
        statement: Box<Statement>,
    },
}
