//! Typed statements. Every front end executes these through the one `execute` path. The
//! [`Statement`] enum is here; the payloads of each statement family are in their own file:
//! [`table`] (CREATE/ALTER TABLE), [`user`] (CREATE/ALTER USER), [`storage`] (CREATE/ALTER
//! STORAGE), [`flow`] (KFlows).

pub mod flow;
pub mod maintenance;
pub mod storage;
pub mod table;
pub mod user;

pub use flow::{ChangeKinds, CreateFlow, FlowActionSpec, FlowChange, FlowRef, FlowTriggerSpec};
pub use maintenance::BackupLocation;
pub use storage::{StorageChange, StorageSpec};
pub use table::{ColumnSpec, CreateTable, TableChange, TableOptionsSpec};
pub use user::{CreateUser, UserChange};

use kalamdb_types::{NamespaceId, StorageId, TableName, UserId};
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
    /// `DROP USER [IF EXISTS] 'u' [WITH DATA]`: without WITH DATA the user is disabled and
    /// their data stays; with it their partitions, files and exports are erased.
    DropUser {
        user: UserId,
        if_exists: bool,
        with_data: bool,
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
    /// `SHOW CACHES`: what `system.caches` lists (dba and system).
    ShowCaches,
    /// `CLEAR CACHE [name]`: empties every registered cache, or the named one (dba and system).
    ClearCache {
        name: Option<String>,
    },
    /// `SHOW STATS [FOR TABLE ns.t]`: what `system.stats` holds that the caller may see.
    ShowStats {
        table: Option<TableRef>,
    },
    /// `SHOW ADVICE`: the advisor's findings the caller may see.
    ShowAdvice,
    /// `RUN ADVISOR`: one advisor pass now (dba and system).
    RunAdvisor,
    CreateFlow(Box<CreateFlow>),
    AlterFlow {
        flow: FlowRef,
        change: FlowChange,
    },
    DropFlow {
        flow: FlowRef,
        if_exists: bool,
    },
    /// `SHOW FLOWS`: every flow (admins) or the caller's own.
    ShowFlows,
    /// `RUN FLOW name`: one run now, whatever its trigger.
    RunFlow {
        flow: FlowRef,
    },
    /// `CLEANUP DELETED ROWS [IN ns.t] [OLDER THAN n unit]`: without OLDER THAN, each table's
    /// `DELETED_RETENTION_HOURS`.
    CleanupDeletedRows {
        table: Option<TableRef>,
        older_than_secs: Option<u64>,
    },
    /// `BACKUP DATABASE TO '<path>' | TO STORAGE '<id>'`.
    BackupDatabase {
        to: BackupLocation,
    },
    /// `EXPORT USER DATA [FOR 'u']`: a job writing the user's data as one ZIP.
    ExportUserData {
        user: Option<UserId>,
    },
    /// `SHOW EXPORT`: the caller's exports.
    ShowExports,
    /// `REPLICATE ns.t[, ...] TO STORAGE '<id>'`: the tables' new cold files to that storage.
    Replicate {
        tables: Vec<TableRef>,
        storage: StorageId,
    },
    /// `RESTORE DATABASE FROM '<path>' | FROM STORAGE '<id>'`.
    RestoreDatabase {
        from: BackupLocation,
    },
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
