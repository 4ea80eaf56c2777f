//! The audit log (`kalamdb-audit`, `system.audit_log`): logins, user and role changes, table, storage and flow DDL,
//! impersonation and permission denials — who, what, when, from which address. Records are
//! written through the system writer like every catalog change, keyed by a time-ordered id,
//! and never carry a password (statements are described, not copied).

use kalamdb_base::codec::{decode, encode};
use kalamdb_base::error::{KalamError, Result};
use kalamdb_base::{Session, now_micros};
use kalamdb_sql::Statement;
use kalamdb_sql::statement::{FlowChange, StorageChange, UserChange};
use kalamdb_store::HotStore;
use kalamdb_store::RawOp;
use kalamdb_store::keys::CF_AUDIT;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    CreateFlow,
    AlterFlow,
    DropFlow,
    BackupDatabase,
    RestoreDatabase,
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
            AuditAction::CreateFlow => "create_flow",
            AuditAction::AlterFlow => "alter_flow",
            AuditAction::DropFlow => "drop_flow",
            AuditAction::BackupDatabase => "backup_database",
            AuditAction::RestoreDatabase => "restore_database",
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
pub fn all_records(store: &kalamdb_store::HotStore) -> Result<Vec<AuditRecord>> {
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
        Statement::DropUser {
            user, with_data, ..
        } => (
            AuditAction::DropUser,
            user.to_string(),
            format!(
                "DROP USER '{user}'{}",
                if *with_data { " WITH DATA" } else { "" }
            ),
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
        Statement::CreateFlow(spec) => (
            AuditAction::CreateFlow,
            spec.flow.to_string(),
            format!("CREATE FLOW {} ... DO {}", spec.flow, spec.action.action),
        ),
        Statement::AlterFlow { flow, change } => (
            AuditAction::AlterFlow,
            flow.to_string(),
            match change {
                FlowChange::Enable => format!("ALTER FLOW {flow} ENABLE"),
                FlowChange::Disable => format!("ALTER FLOW {flow} DISABLE"),
                FlowChange::Every(secs) => {
                    format!("ALTER FLOW {flow} SET SCHEDULE EVERY {secs} SECOND")
                }
            },
        ),
        Statement::DropFlow { flow, .. } => (
            AuditAction::DropFlow,
            flow.to_string(),
            format!("DROP FLOW {flow}"),
        ),
        Statement::BackupDatabase { to } => (
            AuditAction::BackupDatabase,
            to.to_string(),
            format!("BACKUP DATABASE TO {to}"),
        ),
        Statement::RestoreDatabase { from } => (
            AuditAction::RestoreDatabase,
            from.to_string(),
            format!("RESTORE DATABASE FROM {from}"),
        ),
        Statement::ExecuteAs { user, .. } => (
            AuditAction::ExecuteAs,
            user.to_string(),
            format!("EXECUTE AS USER '{user}'"),
        ),
        _ => return None,
    })
}

/// Longest actor, target or address kept in an audit record, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest description kept.
pub const MAX_DETAILS_CHARS: usize = 1024;

/// `text` cut to `most` characters, with `…` when cut.
fn bounded(text: &str, most: usize) -> String {
    match text.char_indices().nth(most) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// One thing to record in `system.audit_log`, as the caller knows it (the id and time are
/// added when it is written; long fields are cut).
#[derive(Clone, Debug)]
pub struct AuditEvent {
    /// Who did it (for a failed login: the name that was sent).
    pub actor: String,
    pub actor_role: Option<String>,
    pub ip_address: Option<String>,
    pub action: AuditAction,
    /// What it was done to (a table, a user ...).
    pub target: Option<String>,
    pub details: Option<String>,
    pub success: bool,
}

/// The audit component: appends and prunes records through the hot store's system writer.
pub struct AuditLog {
    store: Arc<HotStore>,
}

impl AuditLog {
    pub fn new(store: Arc<HotStore>) -> Self {
        Self { store }
    }

    /// Deletes audit records older than `cutoff_ms` (Unix milliseconds); returns how many.
    /// Keys are time-ordered ids, so the old records are one prefix of the family.
    pub async fn prune(&self, cutoff_ms: i64) -> Result<usize> {
        let first_kept = (cutoff_ms - kalamdb_store::seq::EPOCH_MS).max(0) << 22;
        let mut doomed = Vec::new();
        self.store.for_each_prefix(CF_AUDIT, b"", |key, _| {
            let id = <[u8; 8]>::try_from(key)
                .map(i64::from_be_bytes)
                .unwrap_or(0);
            if id >= first_kept {
                return Ok(false);
            }
            doomed.push(key.to_vec());
            Ok(true)
        })?;
        let n = doomed.len();
        for chunk in doomed.chunks(1000) {
            let ops = chunk
                .iter()
                .map(|key| RawOp {
                    cf: CF_AUDIT.into(),
                    key: key.clone(),
                    value: None,
                })
                .collect();
            self.store.submit_raw(ops).await?;
        }
        Ok(n)
    }

    /// Appends an audit record. A failure to record is logged, never the caller's failure.
    pub async fn record(&self, event: AuditEvent) {
        // Fields come from the request (a failed login's user name is whatever was sent):
        // bounded, so a client cannot grow the log by sending large values.
        let (action, actor) = (event.action, bounded(&event.actor, MAX_NAME_CHARS));
        let record = AuditRecord {
            audit_id: kalamdb_base::ids::snowflake_id(),
            at: now_micros(),
            actor,
            actor_role: event.actor_role,
            action,
            target: event.target.map(|t| bounded(&t, MAX_NAME_CHARS)),
            details: event.details.map(|d| bounded(&d, MAX_DETAILS_CHARS)),
            ip_address: event.ip_address.map(|ip| bounded(&ip, MAX_NAME_CHARS)),
            success: event.success,
        };
        if let Err(e) = self.put_audit(&record).await {
            tracing::error!(
                "cannot write audit record {action:?} by {}: {e}",
                record.actor
            );
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
            .await?;
        Ok(())
    }

    /// Audits a statement's outcome: audited statements always, denials of any statement.
    pub async fn statement(
        &self,
        session: &Session,
        subject: Option<(AuditAction, String, String)>,
        outcome: &std::result::Result<(), &KalamError>,
    ) {
        let role = Some(session.role.to_string());
        if let Err(KalamError::PermissionDenied { action, .. }) = outcome {
            self.record(AuditEvent {
                actor: session.user.to_string(),
                actor_role: role,
                ip_address: session.client_ip.clone(),
                action: AuditAction::PermissionDenied,
                target: subject.as_ref().map(|(_, t, _)| t.clone()),
                details: Some(action.clone()),
                success: false,
            })
            .await;
            return;
        }
        if let Some((action, target, details)) = subject {
            self.record(AuditEvent {
                actor: session.user.to_string(),
                actor_role: role,
                ip_address: session.client_ip.clone(),
                action,
                target: Some(target),
                details: Some(details),
                success: outcome.is_ok(),
            })
            .await;
        }
    }
}

#[cfg(test)]
mod bounded_tests {
    #[test]
    fn long_fields_are_cut_on_a_character_boundary() {
        assert_eq!(super::bounded("héllo", 10), "héllo");
        assert_eq!(super::bounded("héllo", 2), "hé…");
        assert_eq!(
            super::bounded(&"x".repeat(10_000), 128).chars().count(),
            129
        );
    }
}
