//! Catalog records as persisted (through the configured codec) in the system column families.

pub use kalamdb_sql::model::{AccessLevel, DefaultExpr, StorageMode};
use kalamdb_types::{KalamDataType, NamespaceId, Role, StorageId, TableId, TableType, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamespaceRecord {
    pub namespace_id: NamespaceId,
    /// Microseconds since the epoch.
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// Stable id; rows store cells by it.
    pub id: u32,
    pub name: String,
    pub data_type: KalamDataType,
    pub nullable: bool,
    pub primary_key: bool,
    pub default: Option<DefaultExpr>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableOptions {
    pub storage_id: StorageId,
    #[serde(default)]
    pub use_user_storage: bool,
    #[serde(default)]
    pub flush_policy: Option<String>,
    #[serde(default)]
    pub deleted_retention_hours: Option<u64>,
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
    #[serde(default)]
    pub access_level: Option<AccessLevel>,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            storage_id: StorageId::new("local"),
            use_user_storage: false,
            flush_policy: None,
            deleted_retention_hours: None,
            ttl_seconds: None,
            access_level: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub id: TableId,
    pub table_type: TableType,
    /// User columns in creation order.
    pub columns: Vec<ColumnDef>,
    pub next_column_id: u32,
    pub options: TableOptions,
    pub schema_version: u32,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TableDef {
    pub fn primary_key(&self) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.primary_key)
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StorageRecord {
    pub storage_id: StorageId,
    pub storage_name: String,
    pub description: Option<String>,
    pub storage_type: String,
    pub base_directory: String,
    pub credentials: Option<String>,
    pub config: Option<String>,
    pub shared_tables_template: String,
    pub user_tables_template: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub user_id: UserId,
    pub role: Role,
    /// bcrypt hash; `None` until a password is set (root before setup).
    pub password_hash: Option<String>,
    pub email: Option<String>,
    pub storage_mode: StorageMode,
    pub storage_id: Option<StorageId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    #[serde(default)]
    pub failed_login_attempts: u32,
    #[serde(default)]
    pub locked_until: Option<i64>,
    #[serde(default)]
    pub last_login_at: Option<i64>,
    /// Bumped by a password or role change: tokens issued under an older generation are
    /// refused.
    #[serde(default)]
    pub token_generation: u32,
    /// Open login sessions (see `auth::sessions`): a token naming a session not listed here
    /// was logged out, evicted or caught being replayed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionGrant>,
    /// When `DROP USER ... WITH DATA` erased the dropped user's data: the name may be used
    /// again (partitions are keyed by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_erased_at: Option<i64>,
    /// The SCRAM-SHA-256 verifier of the password (PostgreSQL's text form), for pgwire logins.
    /// Set with the password; a record from before pgwire gets it at its next HTTP login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scram_verifier: Option<String>,
}

/// One login session: its refresh tokens rotate, and only the latest may be used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionGrant {
    pub id: String,
    /// How many times the session's refresh token was exchanged.
    pub rotation: u32,
    /// When the session's current refresh token expires (Unix seconds).
    pub expires_at: i64,
}

impl UserRecord {
    /// A new user as of `now` (microseconds), storage mode `table`.
    pub fn new(
        user_id: UserId,
        role: Role,
        password_hash: Option<String>,
        email: Option<String>,
        now: i64,
    ) -> Self {
        Self {
            user_id,
            role,
            password_hash,
            email,
            storage_mode: StorageMode::Table,
            storage_id: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            failed_login_attempts: 0,
            locked_until: None,
            last_login_at: None,
            token_generation: 0,
            sessions: Vec::new(),
            data_erased_at: None,
            scram_verifier: None,
        }
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}
