//! CREATE STORAGE and ALTER STORAGE, as written.

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
