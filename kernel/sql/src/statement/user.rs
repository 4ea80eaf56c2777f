//! CREATE USER and ALTER USER, as written.

use crate::model::StorageMode;
use kalamdb_types::{Role, StorageId, UserId};

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
