//! CREATE/ALTER/DROP USER. Passwords are hashed before they reach the catalog; messages never
//! repeat them.

use super::access::require;
use super::result::message_result;
use crate::auth::password;
use crate::catalog::model::{StorageMode, UserRecord};
use crate::engine::{Engine, Session, now_micros};
use crate::error::{KalamError, Result};
use crate::sql::statement::{CreateUser, UserChange};
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, UserId};

fn check_user_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(KalamError::InvalidDefinition(format!(
            "invalid user name '{name}': use letters, digits and _ - . @ (at most 128)"
        )))
    }
}

/// An admin may grant roles up to its own (dba cannot make system users).
fn check_grant(session: &Session, role: Role) -> Result<()> {
    if role > session.role {
        return Err(KalamError::PermissionDenied {
            action: format!("granting role {role}"),
            required: role,
            actual: session.role,
        });
    }
    Ok(())
}

impl Engine {
    pub(crate) async fn create_user(
        &self,
        session: &Session,
        spec: CreateUser,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "CREATE USER")?;
        check_user_name(spec.user.as_str())?;
        check_grant(session, spec.role)?;
        if let Some(existing) = self
            .catalog
            .user_record(&spec.user)
            .filter(|u| u.data_erased_at.is_none())
        {
            if !existing.is_deleted() {
                return Err(KalamError::AlreadyExists(format!(
                    "role \"{}\" already exists",
                    spec.user
                )));
            }
            // Partitions are keyed by the name: a new account under it would read the dropped
            // account's rows, which DROP USER keeps.
            return Err(KalamError::AlreadyExists(format!(
                "role \"{}\" was dropped and its rows are kept under that name: DROP USER '{}' WITH DATA erases them and frees the name, or choose another name",
                spec.user, spec.user
            )));
        }
        if let Some(storage) = &spec.storage_id
            && self.catalog.storage(storage).is_none()
        {
            return Err(KalamError::NotFound(format!(
                "Storage '{storage}' does not exist"
            )));
        }
        let (password_hash, scram_verifier) = match spec.password {
            Some(pw) if !pw.is_empty() => (
                Some(password::hash(pw.clone(), self.config.bcrypt_cost).await?),
                Some(password::scram(&pw)),
            ),
            _ => (None, None),
        };
        let now = now_micros();
        let created = self
            .catalog
            .create_user(UserRecord {
                storage_mode: spec.storage_mode.unwrap_or(StorageMode::Table),
                storage_id: spec.storage_id,
                scram_verifier,
                ..UserRecord::new(spec.user.clone(), spec.role, password_hash, spec.email, now)
            })
            .await?;
        if !created {
            return Err(KalamError::AlreadyExists(format!(
                "role \"{}\" already exists",
                spec.user
            )));
        }
        Ok(message_result(
            format!("User '{}' created successfully", spec.user),
            0,
        ))
    }

    pub(crate) async fn alter_user(
        &self,
        session: &Session,
        user: UserId,
        change: UserChange,
    ) -> Result<QueryResult> {
        let own_password = matches!(change, UserChange::Password(_)) && user == session.user;
        if !own_password {
            require(session.role, Role::Dba, "ALTER USER")?;
        }
        let password_hash = match &change {
            UserChange::Password(pw) if pw.is_empty() => {
                return Err(KalamError::InvalidDefinition(
                    "password must not be empty".into(),
                ));
            }
            UserChange::Password(pw) => Some((
                password::hash(pw.clone(), self.config.bcrypt_cost).await?,
                password::scram(pw),
            )),
            _ => None,
        };
        if let UserChange::Role(role) = &change {
            check_grant(session, *role)?;
            if user.as_str() == "root" {
                return Err(KalamError::Denied(
                    "the role of 'root' cannot change".into(),
                ));
            }
        }
        if let UserChange::StorageId(storage) = &change
            && self.catalog.storage(storage).is_none()
        {
            return Err(KalamError::NotFound(format!(
                "Storage '{storage}' does not exist"
            )));
        }
        let role = session.role;
        let changed = self
            .catalog
            .update_user(&user, |record| {
                if !own_password && record.role > role {
                    return Err(KalamError::PermissionDenied {
                        action: format!("altering user '{}'", record.user_id),
                        required: record.role,
                        actual: role,
                    });
                }
                match change {
                    UserChange::Password(_) => {
                        let (hash, scram) = password_hash.unzip();
                        record.password_hash = hash;
                        record.scram_verifier = scram;
                        record.failed_login_attempts = 0;
                        record.locked_until = None;
                        // Tokens issued under the old password stop working.
                        record.token_generation = record.token_generation.wrapping_add(1);
                    }
                    UserChange::Role(role) => {
                        record.role = role;
                        record.token_generation = record.token_generation.wrapping_add(1);
                    }
                    UserChange::Email(email) => record.email = Some(email),
                    UserChange::StorageMode(mode) => record.storage_mode = mode,
                    UserChange::StorageId(storage) => record.storage_id = Some(storage),
                }
                record.updated_at = now_micros();
                Ok(())
            })
            .await?;
        if changed.is_none() {
            return Err(KalamError::NotFound(format!(
                "role \"{user}\" does not exist"
            )));
        }
        Ok(message_result(
            format!("User '{user}' altered successfully"),
            0,
        ))
    }

    /// Erases a dropped user's data and frees the name.
    async fn erase_dropped_user(&self, user: &UserId) -> Result<QueryResult> {
        let erased = self.erase_user_data(user).await?;
        self.catalog.mark_user_erased(user, now_micros()).await?;
        Ok(message_result(
            format!(
                "User '{user}' dropped with their data: {} hot row(s) and {} cold file(s) in {} table(s), {} file(s) and {} export(s) removed",
                erased.rows, erased.cold_files, erased.tables, erased.files, erased.exports
            ),
            erased.rows,
        ))
    }

    pub(crate) async fn drop_user(
        &self,
        session: &Session,
        user: UserId,
        if_exists: bool,
        with_data: bool,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "DROP USER")?;
        if user.as_str() == "root" || user == session.user {
            return Err(KalamError::Denied(format!(
                "user '{user}' cannot be dropped: it is root or yourself"
            )));
        }
        let role = session.role;
        // A user dropped earlier without their data can still have it erased.
        let dropped_before = self
            .catalog
            .user_record(&user)
            .is_some_and(|u| u.is_deleted() && u.data_erased_at.is_none());
        if with_data && dropped_before {
            return self.erase_dropped_user(&user).await;
        }
        let dropped = self
            .catalog
            .update_user(&user, |record| {
                if record.role > role {
                    return Err(KalamError::PermissionDenied {
                        action: format!("dropping user '{}'", record.user_id),
                        required: record.role,
                        actual: role,
                    });
                }
                let now = now_micros();
                record.deleted_at = Some(now);
                record.updated_at = now;
                record.token_generation = record.token_generation.wrapping_add(1);
                Ok(())
            })
            .await?;
        if dropped.is_none() {
            if if_exists {
                return Ok(message_result(
                    format!("User '{user}' does not exist, skipping"),
                    0,
                ));
            }
            return Err(KalamError::NotFound(format!(
                "role \"{user}\" does not exist"
            )));
        }
        if with_data {
            return self.erase_dropped_user(&user).await;
        }
        Ok(message_result(
            format!("User '{user}' dropped successfully"),
            0,
        ))
    }
}
