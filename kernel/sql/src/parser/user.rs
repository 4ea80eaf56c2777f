//! CREATE USER and the role and storage-mode clauses.

use super::*;

impl KalamParser<'_> {
    pub(super) fn role(&mut self) -> Result<Role> {
        let text = self.name_or_string()?;
        text.parse::<Role>().map_err(SqlError::InvalidDefinition)
    }

    pub(super) fn storage_mode(&mut self) -> Result<StorageMode> {
        let text = self.name_or_string()?;
        match text.to_ascii_lowercase().as_str() {
            "table" => Ok(StorageMode::Table),
            "region" => Ok(StorageMode::Region),
            other => Err(SqlError::InvalidDefinition(format!(
                "Unknown storage mode '{other}'. Use 'table' or 'region'"
            ))),
        }
    }

    pub(super) fn create_user(&mut self) -> Result<Statement> {
        let _ = self.if_not_exists();
        let user = UserId::new(self.name_or_string()?);
        let mut spec = CreateUser {
            user,
            password: None,
            role: Role::User,
            email: None,
            storage_mode: None,
            storage_id: None,
        };
        self.word("WITH");
        loop {
            if self.word("PASSWORD") {
                spec.password = Some(self.string()?);
            } else if self.word("ROLE") {
                spec.role = self.role()?;
            } else if self.word("EMAIL") {
                spec.email = Some(self.string()?);
            } else if self.word("STORAGE_MODE") {
                spec.storage_mode = Some(self.storage_mode()?);
            } else if self.word("STORAGE_ID") {
                spec.storage_id = Some(StorageId::new(self.name_or_string()?));
            } else {
                break;
            }
        }
        Ok(Statement::CreateUser(Box::new(spec)))
    }
}
