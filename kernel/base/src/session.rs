//! The caller of a statement, as every component sees it.

use kalamdb_types::{NamespaceId, Role, UserId};

/// The caller of a statement.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: UserId,
    pub role: Role,
    /// Namespace for unqualified table names (`USE ns`, or the request's `namespace_id`).
    pub namespace: Option<NamespaceId>,
    /// The caller's address, for the audit log.
    pub client_ip: Option<String>,
    /// Set while a statement runs under `EXECUTE AS USER`: who asked for it. Such a statement
    /// may only touch USER and STREAM tables.
    pub impersonated_by: Option<UserId>,
}

impl Session {
    /// A session for a user and role, with no namespace, address or impersonation.
    pub fn new(user: UserId, role: Role) -> Self {
        Self {
            user,
            role,
            namespace: None,
            client_ip: None,
            impersonated_by: None,
        }
    }
}
