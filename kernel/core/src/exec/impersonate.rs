//! `EXECUTE AS USER 'u' (<statement>)`: one INSERT, UPDATE, DELETE or query runs as another
//! user, on USER and STREAM tables only. Who may target whom (SQL.md): system → anyone,
//! dba → dba/service/user, service → service/user, user → only themselves. Everything is checked
//! before the inner statement runs, so a refused attempt writes nothing.

use crate::engine::{Engine, Session};
use crate::error::{KalamError, Result};
use crate::sql::Statement;
use crate::value::Value;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, UserId};

/// The lowest role that may impersonate a user of `target` role (a user may always act as
/// themselves).
fn required_role(target: Role) -> Role {
    match target {
        Role::User | Role::Service => Role::Service,
        Role::Dba => Role::Dba,
        Role::System => Role::System,
    }
}

impl Engine {
    pub(crate) async fn execute_as(
        &self,
        session: &Session,
        user: UserId,
        statement: Statement,
        params: &[Value],
    ) -> Result<QueryResult> {
        if !matches!(
            statement,
            Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
                | Statement::Query(_)
        ) {
            return Err(KalamError::Unsupported(
                "EXECUTE AS USER runs one SELECT, INSERT, UPDATE or DELETE".into(),
            ));
        }
        let target = self
            .catalog
            .user(&user)
            .ok_or_else(|| KalamError::NotFound(format!("User '{user}' does not exist")))?;
        if target.user_id != session.user {
            let required = required_role(target.role);
            if session.role < required {
                return Err(KalamError::PermissionDenied {
                    action: format!("EXECUTE AS USER '{user}' (a {} user)", target.role),
                    required,
                    actual: session.role,
                });
            }
        }
        let mut inner = Session {
            user: target.user_id.clone(),
            role: target.role,
            namespace: session.namespace.clone(),
            client_ip: session.client_ip.clone(),
            impersonated_by: Some(session.user.clone()),
            commit_with: None,
        };
        let mut result = Box::pin(self.execute_unaudited(&mut inner, statement, params)).await?;
        result.as_user = Some(target.user_id.to_string());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::required_role;
    use kalamdb_types::Role;

    #[test]
    fn the_targeting_matrix_of_sql_md() {
        let may = |actor: Role, target: Role| actor >= required_role(target);
        assert!(may(Role::System, Role::System));
        assert!(may(Role::Dba, Role::Dba) && may(Role::Dba, Role::User));
        assert!(!may(Role::Dba, Role::System));
        assert!(may(Role::Service, Role::Service) && may(Role::Service, Role::User));
        assert!(!may(Role::Service, Role::Dba));
        assert!(!may(Role::User, Role::User), "users only act as themselves");
    }
}
