//! CREATE STORAGE.

use super::*;

impl KalamParser<'_> {
    pub(super) fn create_storage(&mut self) -> Result<Statement> {
        let if_not_exists = self.if_not_exists();
        let mut spec = StorageSpec {
            storage_id: self.name_or_string()?,
            if_not_exists,
            ..StorageSpec::default()
        };
        loop {
            if self.word("TYPE") {
                spec.storage_type = self.name_or_string()?.to_ascii_lowercase();
            } else if self.word("NAME") {
                spec.name = Some(self.string()?);
            } else if self.word("DESCRIPTION") {
                spec.description = Some(self.string()?);
            } else if self.word("PATH") || self.word("BUCKET") || self.word("BASE_DIRECTORY") {
                spec.location = Some(self.string()?);
            } else if self.word("REGION") {
                spec.region = Some(self.string()?);
            } else if self.word("SHARED_TABLES_TEMPLATE") {
                spec.shared_tables_template = Some(self.string()?);
            } else if self.word("USER_TABLES_TEMPLATE") {
                spec.user_tables_template = Some(self.string()?);
            } else if self.word("CREDENTIALS") {
                spec.credentials = Some(self.string()?);
            } else if self.word("CONFIG") {
                spec.config = Some(self.string()?);
            } else {
                break;
            }
        }
        if spec.storage_type.is_empty() {
            return Err(SqlError::InvalidDefinition(format!(
                "CREATE STORAGE {} needs TYPE (filesystem or s3)",
                spec.storage_id
            )));
        }
        Ok(Statement::CreateStorage(Box::new(spec)))
    }
}
