//! The KalamDB statement parser. It reads KalamDB's own statements (namespaces, typed CREATE
//! TABLE, users, SHOW/DESCRIBE/USE) with sqlparser's token-level primitives, and hands every
//! other statement to sqlparser whole. Dispatch is on tokens, never on string prefixes.
//!
//! This file holds the token primitives and the dispatch; each statement family's clauses are
//! parsed in its own file: `table` (CREATE/ALTER TABLE, columns, defaults, WITH options),
//! `user` (CREATE/ALTER USER), `storage` (CREATE STORAGE), `execute_as` (EXECUTE AS USER),
//! `flow` (CREATE/ALTER FLOW and the actions after `DO`), `maintenance` (CLEANUP DELETED ROWS,
//! BACKUP/RESTORE DATABASE).

mod execute_as;
mod flow;
mod maintenance;
mod storage;
mod table;
mod user;

use super::statement::{
    ColumnSpec, CreateTable, CreateUser, Statement, StorageChange, StorageSpec, TableChange,
    TableOptionsSpec, TableRef, UserChange,
};
use super::syntax_error;
use super::types::map_type;
use crate::error::{Result, SqlError};
use crate::model::{AccessLevel, DefaultExpr, StorageMode};
use kalamdb_plugin_api::Value;
use kalamdb_types::{NamespaceId, Role, StorageId, TableName, TableType, UserId};
use sqlparser::ast::{self, Expr, FunctionArguments, UnaryOperator};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

fn syntax(err: ParserError) -> SqlError {
    SqlError::Syntax(syntax_error::translate(&err))
}

/// Parses one statement (no trailing `;` needed).
pub fn parse_statement(sql: &str) -> Result<Statement> {
    super::guard::check_shape(sql)?;
    let dialect = PostgreSqlDialect {};
    let parser = Parser::new(&dialect).try_with_sql(sql).map_err(syntax)?;
    let mut kp = KalamParser { p: parser, sql };
    match kp.parse_kalam()? {
        Some(stmt) => {
            kp.expect_end()?;
            Ok(stmt)
        }
        None => parse_standard(sql),
    }
}

fn parse_standard(sql: &str) -> Result<Statement> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(sql).map_err(syntax)?;
    let stmt = parser.parse_statement().map_err(syntax)?;
    let mut kp = KalamParser { p: parser, sql };
    kp.expect_end()?;
    Ok(match stmt {
        ast::Statement::Insert(insert) => Statement::Insert(Box::new(insert)),
        ast::Statement::Update(update) => Statement::Update(Box::new(update)),
        ast::Statement::Delete(delete) => Statement::Delete(Box::new(delete)),
        ast::Statement::Query(_) | ast::Statement::Explain { .. } => {
            Statement::Query(Box::new(stmt))
        }
        other => {
            let text = other.to_string();
            let head: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return Err(SqlError::Unsupported(format!(
                "{head} is not supported by KalamDB"
            )));
        }
    })
}

/// Folds an identifier: lower case unless it was quoted.
pub fn fold(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_ascii_lowercase()
    }
}

struct KalamParser<'a> {
    p: Parser<'a>,
    /// The statement's text, for statements that wrap another (`EXECUTE AS USER`).
    sql: &'a str,
}

/// The byte offset of a 1-based line/column location in `sql`.
fn byte_offset(sql: &str, line: u64, column: u64) -> Option<usize> {
    let mut offset = 0;
    for (i, text) in sql.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = usize::try_from(column.checked_sub(1)?).ok()?;
            return Some(offset + text.char_indices().nth(col).map_or(text.len(), |(b, _)| b));
        }
        offset += text.len();
    }
    None
}

impl KalamParser<'_> {
    fn peek_is_word(&self, n: usize, word: &str) -> bool {
        matches!(&self.p.peek_nth_token_ref(n).token,
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
    }

    fn word(&mut self, word: &str) -> bool {
        if self.peek_is_word(0, word) {
            self.p.next_token();
            true
        } else {
            false
        }
    }

    fn words(&mut self, words: &[&str]) -> bool {
        if words
            .iter()
            .enumerate()
            .all(|(i, w)| self.peek_is_word(i, w))
        {
            for _ in words {
                self.p.next_token();
            }
            true
        } else {
            false
        }
    }

    fn unexpected<T>(&self) -> Result<T> {
        let found = self.p.peek_token_ref().token.to_string();
        Err(
            if found.is_empty() || self.p.peek_token_ref().token == Token::EOF {
                SqlError::Syntax("syntax error at end of input".into())
            } else {
                SqlError::Syntax(format!("syntax error at or near \"{found}\""))
            },
        )
    }

    fn expect_word(&mut self, word: &str) -> Result<()> {
        if self.word(word) {
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn expect_token(&mut self, token: Token) -> Result<()> {
        if self.p.consume_token(&token) {
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn expect_end(&mut self) -> Result<()> {
        while self.p.consume_token(&Token::SemiColon) {}
        if self.p.peek_token_ref().token == Token::EOF {
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn ident(&mut self) -> Result<String> {
        match &self.p.peek_token_ref().token {
            Token::Word(_) => {
                let ident = self.p.parse_identifier().map_err(syntax)?;
                Ok(fold(&ident))
            }
            _ => self.unexpected(),
        }
    }

    /// A name given as an identifier or a single-quoted string (user names).
    fn name_or_string(&mut self) -> Result<String> {
        if let Token::SingleQuotedString(s) = &self.p.peek_token_ref().token {
            let s = s.clone();
            self.p.next_token();
            return Ok(s);
        }
        self.ident()
    }

    fn string(&mut self) -> Result<String> {
        if let Token::SingleQuotedString(s) = &self.p.peek_token_ref().token {
            let s = s.clone();
            self.p.next_token();
            Ok(s)
        } else {
            self.unexpected()
        }
    }

    fn table_ref(&mut self) -> Result<TableRef> {
        let first = self.ident()?;
        if self.p.consume_token(&Token::Period) {
            let second = self.ident()?;
            Ok(TableRef {
                namespace: Some(NamespaceId::new(first)),
                table: TableName::new(second),
            })
        } else {
            Ok(TableRef {
                namespace: None,
                table: TableName::new(first),
            })
        }
    }

    fn if_not_exists(&mut self) -> bool {
        self.words(&["IF", "NOT", "EXISTS"])
    }

    fn if_exists(&mut self) -> bool {
        self.words(&["IF", "EXISTS"])
    }

    /// `Ok(None)`: not a KalamDB statement, parse it as standard SQL.
    fn parse_kalam(&mut self) -> Result<Option<Statement>> {
        if self.word("CREATE") {
            if self.word("NAMESPACE") || self.word("SCHEMA") {
                let if_not_exists = self.if_not_exists();
                let name = NamespaceId::new(self.ident()?);
                return Ok(Some(Statement::CreateNamespace {
                    name,
                    if_not_exists,
                }));
            }
            if self.word("STORAGE") {
                return self.create_storage().map(Some);
            }
            if self.word("FLOW") {
                return self.create_flow().map(Some);
            }
            if self.words(&["USER", "TABLE"]) {
                return self.create_table(Some(TableType::User)).map(Some);
            }
            if self.word("USER") {
                return self.create_user().map(Some);
            }
            if self.words(&["SHARED", "TABLE"]) {
                return self.create_table(Some(TableType::Shared)).map(Some);
            }
            if self.words(&["STREAM", "TABLE"]) {
                return self.create_table(Some(TableType::Stream)).map(Some);
            }
            if self.word("TABLE") {
                return self.create_table(None).map(Some);
            }
            return Ok(None);
        }
        if self.word("DROP") {
            if self.word("NAMESPACE") || self.word("SCHEMA") {
                let if_exists = self.if_exists();
                let name = NamespaceId::new(self.ident()?);
                let cascade = self.word("CASCADE");
                return Ok(Some(Statement::DropNamespace {
                    name,
                    if_exists,
                    cascade,
                }));
            }
            if self.word("TABLE") {
                let if_exists = self.if_exists();
                let table = self.table_ref()?;
                return Ok(Some(Statement::DropTable { table, if_exists }));
            }
            if self.word("USER") {
                let if_exists = self.if_exists();
                let user = UserId::new(self.name_or_string()?);
                let with_data = self.words(&["WITH", "DATA"]);
                return Ok(Some(Statement::DropUser {
                    user,
                    if_exists,
                    with_data,
                }));
            }
            if self.word("FLOW") {
                let if_exists = self.if_exists();
                let flow = self.flow_ref()?;
                return Ok(Some(Statement::DropFlow { flow, if_exists }));
            }
            if self.word("STORAGE") {
                let if_exists = self.if_exists();
                let storage_id = StorageId::new(self.name_or_string()?);
                return Ok(Some(Statement::DropStorage {
                    storage_id,
                    if_exists,
                }));
            }
            return Ok(None);
        }
        if self.words(&["ALTER", "TABLE"]) {
            return self.alter_table().map(Some);
        }
        if self.words(&["EXECUTE", "AS", "USER"]) {
            return self.execute_as().map(Some);
        }
        if self.words(&["ALTER", "STORAGE"]) {
            let storage_id = StorageId::new(self.name_or_string()?);
            self.expect_word("SET")?;
            let change = if self.word("NAME") {
                StorageChange::Name(self.string()?)
            } else if self.word("DESCRIPTION") {
                StorageChange::Description(self.string()?)
            } else if self.word("SHARED_TABLES_TEMPLATE") {
                StorageChange::SharedTablesTemplate(self.string()?)
            } else if self.word("USER_TABLES_TEMPLATE") {
                StorageChange::UserTablesTemplate(self.string()?)
            } else if self.word("CREDENTIALS") {
                StorageChange::Credentials(self.string()?)
            } else if self.word("CONFIG") {
                StorageChange::Config(self.string()?)
            } else {
                return self.unexpected();
            };
            return Ok(Some(Statement::AlterStorage { storage_id, change }));
        }
        if self.words(&["STORAGE", "FLUSH", "TABLE"]) {
            let table = self.table_ref()?;
            return Ok(Some(Statement::StorageFlushTable { table }));
        }
        if self.words(&["STORAGE", "FLUSH", "ALL"]) {
            let namespace = if self.word("IN") {
                Some(NamespaceId::new(self.ident()?))
            } else {
                None
            };
            return Ok(Some(Statement::StorageFlushAll { namespace }));
        }
        if self.words(&["STORAGE", "COMPACT", "TABLE"]) {
            let table = self.table_ref()?;
            return Ok(Some(Statement::StorageCompactTable { table }));
        }
        if self.words(&["STORAGE", "COMPACT", "ALL"]) {
            let namespace = if self.word("IN") {
                Some(NamespaceId::new(self.ident()?))
            } else {
                None
            };
            return Ok(Some(Statement::StorageCompactAll { namespace }));
        }
        if self.words(&["CLEAR", "CACHE"]) {
            let at_end = matches!(self.p.peek_token_ref().token, Token::EOF | Token::SemiColon);
            let name = if at_end {
                None
            } else {
                Some(self.name_or_string()?.to_ascii_lowercase())
            };
            return Ok(Some(Statement::ClearCache { name }));
        }
        if self.words(&["ALTER", "FLOW"]) {
            return self.alter_flow().map(Some);
        }
        if self.words(&["RUN", "FLOW"]) {
            let flow = self.flow_ref()?;
            return Ok(Some(Statement::RunFlow { flow }));
        }
        if self.words(&["CLEANUP", "DELETED", "ROWS"]) {
            return self.cleanup_deleted_rows().map(Some);
        }
        if self.words(&["BACKUP", "DATABASE", "TO"]) {
            let to = self.backup_location()?;
            return Ok(Some(Statement::BackupDatabase { to }));
        }
        if self.words(&["EXPORT", "USER", "DATA"]) {
            let user = if self.word("FOR") {
                Some(UserId::new(self.name_or_string()?))
            } else {
                None
            };
            return Ok(Some(Statement::ExportUserData { user }));
        }
        if self.word("REPLICATE") {
            let (tables, storage) = self.replicate()?;
            return Ok(Some(Statement::Replicate { tables, storage }));
        }
        if self.words(&["RESTORE", "DATABASE", "FROM"]) {
            let from = self.backup_location()?;
            return Ok(Some(Statement::RestoreDatabase { from }));
        }
        if self.words(&["RUN", "ADVISOR"]) {
            return Ok(Some(Statement::RunAdvisor));
        }
        if self.words(&["KILL", "JOB"]) {
            let job_id = self.name_or_string()?;
            return Ok(Some(Statement::KillJob { job_id }));
        }
        if self.words(&["STORAGE", "CHECK"]) {
            let storage_id = StorageId::new(self.name_or_string()?);
            return Ok(Some(Statement::StorageCheck { storage_id }));
        }
        if self.words(&["ALTER", "USER"]) {
            let user = UserId::new(self.name_or_string()?);
            self.expect_word("SET")?;
            let change = if self.word("PASSWORD") {
                UserChange::Password(self.string()?)
            } else if self.word("ROLE") {
                UserChange::Role(self.role()?)
            } else if self.word("EMAIL") {
                UserChange::Email(self.string()?)
            } else if self.word("STORAGE_MODE") {
                UserChange::StorageMode(self.storage_mode()?)
            } else if self.word("STORAGE_ID") {
                UserChange::StorageId(StorageId::new(self.name_or_string()?))
            } else {
                return self.unexpected();
            };
            return Ok(Some(Statement::AlterUser { user, change }));
        }
        if self.word("SHOW") {
            if self.word("NAMESPACES") || self.word("SCHEMAS") {
                return Ok(Some(Statement::ShowNamespaces));
            }
            if self.word("STORAGES") {
                return Ok(Some(Statement::ShowStorages));
            }
            if self.word("PLUGINS") {
                return Ok(Some(Statement::ShowPlugins));
            }
            if self.word("CACHES") {
                return Ok(Some(Statement::ShowCaches));
            }
            if self.word("STATS") || self.word("STATISTICS") {
                let table = if self.word("FOR") {
                    self.word("TABLE");
                    Some(self.table_ref()?)
                } else {
                    None
                };
                return Ok(Some(Statement::ShowStats { table }));
            }
            if self.word("ADVICE") {
                return Ok(Some(Statement::ShowAdvice));
            }
            if self.word("FLOWS") {
                return Ok(Some(Statement::ShowFlows));
            }
            if self.word("EXPORT") || self.word("EXPORTS") {
                return Ok(Some(Statement::ShowExports));
            }
            if self.word("TABLES") {
                let namespace = if self.word("IN") || self.word("FROM") {
                    Some(NamespaceId::new(self.ident()?))
                } else {
                    None
                };
                return Ok(Some(Statement::ShowTables { namespace }));
            }
            return self.unexpected();
        }
        if self.word("DESCRIBE") || self.word("DESC") {
            self.word("TABLE");
            let table = self.table_ref()?;
            return Ok(Some(Statement::DescribeTable { table }));
        }
        if self.words(&["KILL", "LIVE", "QUERY"]) {
            let live_id = self.name_or_string()?;
            return Ok(Some(Statement::KillLiveQuery { live_id }));
        }
        if self.words(&["SUBSCRIBE", "TO"]) {
            let table = self.table_ref()?;
            let name = match &table.namespace {
                Some(ns) => format!("{ns}.{}", table.table),
                None => table.table.to_string(),
            };
            let mut select = format!("SELECT * FROM {name}");
            if self.word("WHERE") {
                let expr = self.p.parse_expr().map_err(syntax)?;
                select.push_str(&format!(" WHERE {expr}"));
            }
            let mut options = Vec::new();
            if self.word("OPTIONS") {
                self.expect_token(Token::LParen)?;
                loop {
                    let key = self.ident()?;
                    self.expect_token(Token::Eq)?;
                    let value = self.option_value()?;
                    options.push((key, value));
                    if !self.p.consume_token(&Token::Comma) {
                        break;
                    }
                }
                self.expect_token(Token::RParen)?;
            }
            return Ok(Some(Statement::SubscribeTo { select, options }));
        }
        if self.word("USE") {
            let _ = self.word("NAMESPACE") || self.word("SCHEMA");
            let namespace = NamespaceId::new(self.ident()?);
            return Ok(Some(Statement::Use { namespace }));
        }
        Ok(None)
    }
}

/// A literal as a value: integers as Int, other numbers as Decimal text (coerced later).
pub fn literal(value: &ast::Value) -> Result<Value> {
    Ok(match value {
        ast::Value::Number(n, _) => match n.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Decimal(n.clone()),
        },
        ast::Value::SingleQuotedString(s)
        | ast::Value::DoubleQuotedString(s)
        | ast::Value::EscapedStringLiteral(s)
        | ast::Value::UnicodeStringLiteral(s) => Value::Text(s.clone()),
        ast::Value::DollarQuotedString(d) => Value::Text(d.value.clone()),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::Null => Value::Null,
        other => {
            return Err(SqlError::Unsupported(format!(
                "literal {other} is not supported here"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_create_table() {
        let stmt = parse_statement(
            "CREATE USER TABLE app.Messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), \
             body TEXT NOT NULL, at TIMESTAMP DEFAULT NOW()) WITH (FLUSH_POLICY = 'rows:10')",
        );
        let Ok(Statement::CreateTable(ct)) = stmt else {
            panic!("unexpected {stmt:?}");
        };
        assert_eq!(ct.prefix_type, Some(TableType::User));
        assert_eq!(ct.table.table.as_str(), "messages");
        assert_eq!(ct.columns.len(), 3);
        assert!(ct.columns[0].primary_key);
        assert_eq!(ct.columns[0].default, Some(DefaultExpr::SnowflakeId));
        assert!(!ct.columns[1].nullable);
        assert_eq!(ct.options.flush_policy.as_deref(), Some("rows:10"));
    }

    #[test]
    fn unknown_option_names_the_option() {
        let err = parse_statement("CREATE TABLE a.b (id INT PRIMARY KEY) WITH (COLOR = 'red')");
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("COLOR"), "{msg}");
    }

    #[test]
    fn syntax_errors_read_like_postgres() {
        let err = parse_statement("SELEKT 1").err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("syntax error at or near \"SELEKT\""));
    }

    #[test]
    fn user_statements() {
        let stmt = parse_statement("CREATE USER 'alice' WITH PASSWORD 'pw' ROLE service");
        let Ok(Statement::CreateUser(u)) = stmt else {
            panic!("unexpected {stmt:?}");
        };
        assert_eq!(u.user.as_str(), "alice");
        assert_eq!(u.role, Role::Service);
        assert!(matches!(
            parse_statement("ALTER USER bob SET ROLE dba"),
            Ok(Statement::AlterUser {
                change: UserChange::Role(Role::Dba),
                ..
            })
        ));
        assert!(matches!(
            parse_statement("SELECT * FROM t WHERE id = $1"),
            Ok(Statement::Query(_))
        ));
    }

    #[test]
    fn cache_statements() {
        assert!(matches!(
            parse_statement("CLEAR CACHE"),
            Ok(Statement::ClearCache { name: None })
        ));
        assert!(matches!(
            parse_statement("clear cache;"),
            Ok(Statement::ClearCache { name: None })
        ));
        let Ok(Statement::ClearCache { name: Some(name) }) = parse_statement("CLEAR CACHE Plan")
        else {
            panic!("CLEAR CACHE Plan did not parse");
        };
        assert_eq!(name, "plan");
        assert!(matches!(
            parse_statement("SHOW CACHES"),
            Ok(Statement::ShowCaches)
        ));
        assert!(parse_statement("CLEAR CACHE plan extra").is_err());
    }

    #[test]
    fn statistics_and_advisor_statements() {
        assert!(matches!(
            parse_statement("SHOW STATS"),
            Ok(Statement::ShowStats { table: None })
        ));
        let Ok(Statement::ShowStats { table: Some(t) }) =
            parse_statement("show stats for table App.Notes")
        else {
            panic!("SHOW STATS FOR TABLE did not parse");
        };
        assert_eq!(t.table.as_str(), "notes");
        assert!(matches!(
            parse_statement("SHOW ADVICE;"),
            Ok(Statement::ShowAdvice)
        ));
        assert!(matches!(
            parse_statement("run advisor"),
            Ok(Statement::RunAdvisor)
        ));
        assert!(parse_statement("SHOW STATS FOR TABLE").is_err());
        assert!(parse_statement("RUN ADVISOR now").is_err());
    }
}
