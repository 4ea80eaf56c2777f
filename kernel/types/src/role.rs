//! Roles and table types.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may do. Ordered from least to most privileged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An application's end user: own USER/STREAM rows, public SHARED reads.
    User,
    /// A backend integration: shared tables, flush, backups.
    Service,
    /// An administrator: everything, including system tables, DDL and users.
    Dba,
    /// Internal; `root`.
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Service => "service",
            Role::Dba => "dba",
            Role::System => "system",
        }
    }

    /// dba and system: may read `system.*` and run administrative statements.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Dba | Role::System)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "user" => Ok(Role::User),
            "service" => Ok(Role::Service),
            "dba" => Ok(Role::Dba),
            "system" => Ok(Role::System),
            other => Err(format!(
                "Unknown role '{other}'. Use one of: user, service, dba, system"
            )),
        }
    }
}

/// The kind of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TableType {
    /// One private partition per user.
    User,
    /// One partition for everyone.
    Shared,
    /// Per-user, append-only, rows expire after a TTL.
    Stream,
    /// Read-only catalog views under `system.`.
    System,
}

impl TableType {
    pub fn as_str(self) -> &'static str {
        match self {
            TableType::User => "USER",
            TableType::Shared => "SHARED",
            TableType::Stream => "STREAM",
            TableType::System => "SYSTEM",
        }
    }
}

impl fmt::Display for TableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TableType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "USER" => Ok(TableType::User),
            "SHARED" => Ok(TableType::Shared),
            "STREAM" => Ok(TableType::Stream),
            "SYSTEM" => Ok(TableType::System),
            other => Err(format!(
                "Unknown table type '{other}'. Use USER, SHARED or STREAM"
            )),
        }
    }
}
