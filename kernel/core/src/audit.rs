//! The audit log (`system.audit_log`): logins, user and role changes, table and storage DDL,
//! impersonation and permission denials — who, what, when, from which address. Records are
//! written through the system writer like every catalog change, keyed by a time-ordered id,
//! and never carry a password (statements are described, not copied).

use crate::engine::{Engine, Session, now_micros};
use crate::error::{KalamError, Result};
use crate::plugin::{decode, encode};
use crate::sql::Statement;
use crate::sql::statement::{StorageChange, UserChange};
use crate::store::RawOp;
use crate::store::keys::CF_AUDIT;
use serde::{Deserialize, Serialize};

/// What was audited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Login,
    LoginFailed,
    CreateUser,
    AlterUser,
    RoleChange,
    DropUser,
    CreateNamespace,
    DropNamespace,
    CreateTable,
    AlterTable,
    DropTable,
    CreateStorage,
    AlterStorage,
    DropStorage,
    ExecuteAs,
    PermissionDenied,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::CreateUser => "create_user",
            AuditAction::AlterUser => "alter_user",
            AuditAction::RoleChange => "role_change",
            AuditAction::DropUser => "drop_user",
            AuditAction::CreateNamespace => "create_namespace",
            AuditAction::DropNamespace => "drop_namespace",
            AuditAction::CreateTable => "create_table",
            AuditAction::AlterTable => "alter_table",
            AuditAction::DropTable => "drop_table",
            AuditAction::CreateStorage => "create_storage",
            AuditAction::AlterStorage => "alter_storage",
            AuditAction::DropStorage => "drop_storage",
            AuditAction::ExecuteAs => "execute_as",
            AuditAction::PermissionDenied => "permission_denied",
        }
    }
}

/// One `system.audit_log` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub audit_id: i64,
    /// Microseconds since the epoch.
    pub at: i64,
    /// Who acted (the login name for failed logins).
    pub actor: String,
    pub actor_role: Option<String>,
    pub action: AuditAction,
    /// The object acted on: a user, table, namespace or storage.
    pub target: Option<String>,
    /// What was done, passwords and credentials masked.
    pub details: Option<String>,
    pub ip_address: Option<String>,
    pub success: bool,
}

/// Every audit record, oldest first.
pub fn all_records(store: &crate::store::HotStore) -> Result<Vec<AuditRecord>> {
    let mut out = Vec::new();
    for (_, bytes) in store.scan_raw(CF_AUDIT, b"")? {
        out.push(decode::<AuditRecord>(store.codec().as_ref(), &bytes)?);
    }
    Ok(out)
}

/// The audited action, target and description of a statement; `None` for statements that are
/// not audited (queries, DML, jobs).
pub fn describe(statement: &Statement) -> Option<(AuditAction, String, String)> {
    Some(match statement {
        Statement::CreateUser(spec) => (
            AuditAction::CreateUser,
            spec.user.to_string(),
            format!(
                "CREATE USER '{}' ROLE {} (password ***)",
                spec.user, spec.role
            ),
        ),
        Statement::AlterUser { user, change } => match change {
            UserChange::Role(role) => (
                AuditAction::RoleChange,
                user.to_string(),
                format!("ALTER USER '{user}' SET ROLE {role}"),
            ),
            UserChange::Password(_) => (
                AuditAction::AlterUser,
                user.to_string(),
                format!("ALTER USER '{user}' SET PASSWORD '***'"),
            ),
            UserChange::Email(email) => (
                AuditAction::AlterUser,
                user.to_string(),
                format!("ALTER USER '{user}' SET EMAIL '{email}'"),
            ),
            UserChange::StorageMode(mode) => (
                AuditAction::AlterUser,
                user.to_string(),
                format!("ALTER USER '{user}' SET STORAGE_MODE {}", mode.as_str()),
            ),
            UserChange::StorageId(id) => (
                AuditAction::AlterUser,
                user.to_string(),
                format!("ALTER USER '{user}' SET STORAGE_ID '{id}'"),
            ),
        },
        Statement::DropUser { user, .. } => (
            AuditAction::DropUser,
            user.to_string(),
            format!("DROP USER '{user}'"),
        ),
        Statement::CreateNamespace { name, .. } => (
            AuditAction::CreateNamespace,
            name.to_string(),
            format!("CREATE NAMESPACE {name}"),
        ),
        Statement::DropNamespace { name, cascade, .. } => (
            AuditAction::DropNamespace,
            name.to_string(),
            format!(
                "DROP NAMESPACE {name}{}",
                if *cascade { " CASCADE" } else { "" }
            ),
        ),
        Statement::CreateTable(spec) => (
            AuditAction::CreateTable,
            spec.table.to_string(),
            format!("CREATE TABLE {}", spec.table),
        ),
        Statement::AlterTable { table, change } => (
            AuditAction::AlterTable,
            table.to_string(),
            format!("ALTER TABLE {table} {change}"),
        ),
        Statement::DropTable { table, .. } => (
            AuditAction::DropTable,
            table.to_string(),
            format!("DROP TABLE {table}"),
        ),
        Statement::CreateStorage(spec) => (
            AuditAction::CreateStorage,
            spec.storage_id.clone(),
            format!("CREATE STORAGE {} (credentials ***)", spec.storage_id),
        ),
        Statement::AlterStorage { storage_id, change } => (
            AuditAction::AlterStorage,
            storage_id.to_string(),
            match change {
                StorageChange::Credentials(_) => {
                    format!("ALTER STORAGE {storage_id} SET CREDENTIALS '***'")
                }
                _ => format!("ALTER STORAGE {storage_id}"),
            },
        ),
        Statement::DropStorage { storage_id, .. } => (
            AuditAction::DropStorage,
            storage_id.to_string(),
            format!("DROP STORAGE {storage_id}"),
        ),
        Statement::ExecuteAs { user, .. } => (
            AuditAction::ExecuteAs,
            user.to_string(),
            format!("EXECUTE AS USER '{user}'"),
        ),
        _ => return None,
    })
}

impl Engine {
    /// Appends an audit record. A failure to record is logged, never the caller's failure.
    pub async fn audit(
        &self,
        actor: &str,
        actor_role: Option<String>,
        ip_address: Option<String>,
        action: AuditAction,
        target: Option<String>,
        details: Option<String>,
        success: bool,
    ) {
        let record = AuditRecord {
            audit_id: crate::exec::functions::snowflake_id(),
            at: now_micros(),
            actor: actor.to_string(),
            actor_role,
            action,
            target,
            details,
            ip_address,
            success,
        };
        if let Err(e) = self.put_audit(&record).await {
            tracing::error!("cannot write audit record {action:?} by {actor}: {e}");
        }
    }

    async fn put_audit(&self, record: &AuditRecord) -> Result<()> {
        let bytes = encode(self.store.codec().as_ref(), record)?;
        self.store
            .submit_raw(vec![RawOp {
                cf: CF_AUDIT.into(),
                key: record.audit_id.to_be_bytes().to_vec(),
                value: Some(bytes),
            }])
            .await
    }

    /// Audits a statement's outcome: audited statements always, denials of any statement.
    pub(crate) async fn audit_statement(
        &self,
        session: &Session,
        subject: Option<(AuditAction, String, String)>,
        outcome: &std::result::Result<(), &KalamError>,
    ) {
        let role = Some(session.role.to_string());
        if let Err(KalamError::PermissionDenied { action, .. }) = outcome {
            let target = subject.as_ref().map(|(_, t, _)| t.clone());
            self.audit(
                session.user.as_str(),
                role,
                session.client_ip.clone(),
                AuditAction::PermissionDenied,
                target,
                Some(action.clone()),
                false,
            )
            .await;
            return;
        }
        if let Some((action, target, details)) = subject {
            self.audit(
                session.user.as_str(),
                role,
                session.client_ip.clone(),
                action,
                Some(target),
                Some(details),
                outcome.is_ok(),
            )
            .await;
        }
    }
}
