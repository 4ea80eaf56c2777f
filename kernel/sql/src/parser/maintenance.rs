//! CLEANUP DELETED ROWS, BACKUP DATABASE and RESTORE DATABASE, also as the actions of a flow.

use super::KalamParser;
use crate::error::Result;
use crate::statement::{BackupLocation, Statement, TableRef};
use kalamdb_types::StorageId;

impl KalamParser<'_> {
    /// After `CLEANUP DELETED ROWS`: `[IN ns.t] [OLDER THAN n unit]`.
    pub(super) fn cleanup_deleted_rows(&mut self) -> Result<Statement> {
        let (table, older_than_secs) = self.cleanup_clauses()?;
        Ok(Statement::CleanupDeletedRows {
            table,
            older_than_secs,
        })
    }

    /// `[IN ns.t] [OLDER THAN n unit]`.
    pub(super) fn cleanup_clauses(&mut self) -> Result<(Option<TableRef>, Option<u64>)> {
        let table = if self.word("IN") {
            Some(self.table_ref()?)
        } else {
            None
        };
        let older_than_secs = if self.words(&["OLDER", "THAN"]) {
            Some(self.interval()?)
        } else {
            None
        };
        Ok((table, older_than_secs))
    }

    /// After `REPLICATE`: `ns.t[, ...] TO STORAGE '<id>'`.
    pub(super) fn replicate(&mut self) -> Result<(Vec<TableRef>, StorageId)> {
        let mut tables = vec![self.table_ref()?];
        while self.p.consume_token(&sqlparser::tokenizer::Token::Comma) {
            tables.push(self.table_ref()?);
        }
        self.expect_word("TO")?;
        self.expect_word("STORAGE")?;
        Ok((tables, StorageId::new(self.name_or_string()?)))
    }

    /// `'<path>'` or `STORAGE '<id>'`.
    pub(super) fn backup_location(&mut self) -> Result<BackupLocation> {
        if self.word("STORAGE") {
            Ok(BackupLocation::Storage(StorageId::new(
                self.name_or_string()?,
            )))
        } else {
            Ok(BackupLocation::Path(self.string()?))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_statement;
    use crate::statement::{BackupLocation, Statement};

    #[test]
    fn cleanup_backup_restore() {
        match parse_statement("CLEANUP DELETED ROWS IN app.t OLDER THAN 2 HOURS").unwrap() {
            Statement::CleanupDeletedRows {
                table,
                older_than_secs,
            } => {
                assert_eq!(table.unwrap().to_string(), "app.t");
                assert_eq!(older_than_secs, Some(7200));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_statement("cleanup deleted rows").unwrap(),
            Statement::CleanupDeletedRows {
                table: None,
                older_than_secs: None
            }
        ));
        assert!(matches!(
            parse_statement("BACKUP DATABASE TO '/tmp/b1'").unwrap(),
            Statement::BackupDatabase { to: BackupLocation::Path(p) } if p == "/tmp/b1"
        ));
        assert!(matches!(
            parse_statement("RESTORE DATABASE FROM STORAGE 'archive'").unwrap(),
            Statement::RestoreDatabase { from: BackupLocation::Storage(s) } if s.as_str() == "archive"
        ));
        match parse_statement("REPLICATE app.a, b TO STORAGE 's3'").unwrap() {
            Statement::Replicate { tables, storage } => {
                assert_eq!(tables.len(), 2);
                assert_eq!(storage.as_str(), "s3");
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_statement("REPLICATE app.a TO 's3'").is_err());
        assert!(matches!(
            parse_statement("DROP USER IF EXISTS 'alice' WITH DATA").unwrap(),
            Statement::DropUser {
                with_data: true,
                if_exists: true,
                ..
            }
        ));
        assert!(matches!(
            parse_statement("DROP USER 'alice'").unwrap(),
            Statement::DropUser {
                with_data: false,
                ..
            }
        ));
        assert!(parse_statement("DROP USER 'alice' WITH").is_err());
        assert!(matches!(
            parse_statement("EXPORT USER DATA FOR 'alice'").unwrap(),
            Statement::ExportUserData { user: Some(u) } if u.as_str() == "alice"
        ));
        assert!(matches!(
            parse_statement("export user data").unwrap(),
            Statement::ExportUserData { user: None }
        ));
        assert!(matches!(
            parse_statement("SHOW EXPORT").unwrap(),
            Statement::ShowExports
        ));
        assert!(parse_statement("BACKUP DATABASE TO").is_err());
        assert!(parse_statement("CLEANUP DELETED ROWS OLDER THAN 0 DAYS").is_err());
        assert!(parse_statement("RESTORE DATABASE FROM '/x' now").is_err());
    }
}
