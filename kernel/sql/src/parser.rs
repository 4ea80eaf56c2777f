//! The KalamDB statement parser. It reads KalamDB's own statements (namespaces, typed CREATE
//! TABLE, users, SHOW/DESCRIBE/USE) with sqlparser's token-level primitives, and hands every
//! other statement to sqlparser whole. Dispatch is on tokens, never on string prefixes.

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
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

fn syntax(err: ParserError) -> SqlError {
    SqlError::Syntax(syntax_error::translate(&err))
}

/// Parses one statement (no trailing `;` needed).
pub fn parse_statement(sql: &str) -> Result<Statement> {
    super::guard::check_shape(sql)?;
    let dialect = GenericDialect {};
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
    let dialect = GenericDialect {};
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
                return Ok(Some(Statement::DropUser { user, if_exists }));
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

    fn role(&mut self) -> Result<Role> {
        let text = self.name_or_string()?;
        text.parse::<Role>().map_err(SqlError::InvalidDefinition)
    }

    fn storage_mode(&mut self) -> Result<StorageMode> {
        let text = self.name_or_string()?;
        match text.to_ascii_lowercase().as_str() {
            "table" => Ok(StorageMode::Table),
            "region" => Ok(StorageMode::Region),
            other => Err(SqlError::InvalidDefinition(format!(
                "Unknown storage mode '{other}'. Use 'table' or 'region'"
            ))),
        }
    }

    fn create_storage(&mut self) -> Result<Statement> {
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

    fn create_user(&mut self) -> Result<Statement> {
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

    fn create_table(&mut self, prefix_type: Option<TableType>) -> Result<Statement> {
        let if_not_exists = self.if_not_exists();
        let table = self.table_ref()?;
        self.expect_token(Token::LParen)?;
        let mut columns: Vec<ColumnSpec> = Vec::new();
        let mut table_pk: Option<String> = None;
        loop {
            if self.words(&["PRIMARY", "KEY"]) {
                self.expect_token(Token::LParen)?;
                let name = self.ident()?;
                if self.p.consume_token(&Token::Comma) {
                    return Err(SqlError::InvalidDefinition(
                        "KalamDB tables have a single-column PRIMARY KEY".into(),
                    ));
                }
                self.expect_token(Token::RParen)?;
                table_pk = Some(name);
            } else {
                columns.push(self.column()?);
            }
            if self.p.consume_token(&Token::Comma) {
                continue;
            }
            self.expect_token(Token::RParen)?;
            break;
        }
        if let Some(pk) = table_pk {
            let col = columns.iter_mut().find(|c| c.name == pk).ok_or_else(|| {
                SqlError::InvalidDefinition(format!("column \"{pk}\" named in key does not exist"))
            })?;
            col.primary_key = true;
            col.nullable = false;
        }
        let options = if self.word("WITH") {
            self.table_options()?
        } else {
            TableOptionsSpec::default()
        };
        Ok(Statement::CreateTable(Box::new(CreateTable {
            prefix_type,
            table,
            if_not_exists,
            columns,
            options,
        })))
    }

    fn type_name(&mut self) -> Result<(String, Vec<u64>)> {
        let mut name = match &self.p.peek_token_ref().token {
            Token::Word(w) => w.value.to_ascii_uppercase(),
            _ => return self.unexpected(),
        };
        self.p.next_token();
        for (first, rest) in [
            ("DOUBLE", &["PRECISION"][..]),
            ("CHARACTER", &["VARYING"][..]),
            ("TIMESTAMP", &["WITHOUT", "TIME", "ZONE"][..]),
            ("TIMESTAMP", &["WITH", "TIME", "ZONE"][..]),
            ("TIME", &["WITHOUT", "TIME", "ZONE"][..]),
        ] {
            if name == first && self.words(rest) {
                name = format!("{first} {}", rest.join(" "));
            }
        }
        let mut params = Vec::new();
        if self.p.consume_token(&Token::LParen) {
            loop {
                params.push(self.p.parse_literal_uint().map_err(syntax)?);
                if !self.p.consume_token(&Token::Comma) {
                    break;
                }
            }
            self.expect_token(Token::RParen)?;
        }
        Ok((name, params))
    }

    fn column(&mut self) -> Result<ColumnSpec> {
        let name = self.ident()?;
        let (type_name, params) = self.type_name()?;
        let parsed = map_type(&type_name, &params)?;
        let mut col = ColumnSpec {
            name,
            data_type: parsed.data_type,
            nullable: true,
            primary_key: false,
            default: parsed.serial.then_some(DefaultExpr::AutoIncrement),
        };
        loop {
            if self.words(&["PRIMARY", "KEY"]) {
                col.primary_key = true;
                col.nullable = false;
            } else if self.words(&["NOT", "NULL"]) {
                col.nullable = false;
            } else if self.word("NULL") {
                col.nullable = true;
            } else if self.word("AUTO_INCREMENT") || self.word("AUTOINCREMENT") {
                col.default = Some(DefaultExpr::AutoIncrement);
            } else if self.word("DEFAULT") {
                col.default = Some(match self.generator()? {
                    Some(generator) => generator,
                    None => default_expr(&self.p.parse_expr().map_err(syntax)?)?,
                });
            } else if self.word("UNIQUE") {
                if !col.primary_key {
                    return Err(SqlError::Unsupported(format!(
                        "UNIQUE on column \"{}\" is not supported; only the PRIMARY KEY is unique",
                        col.name
                    )));
                }
            } else {
                break;
            }
        }
        Ok(col)
    }

    /// `NOW()`, `CURRENT_USER`, `SNOWFLAKE_ID()` ... with or without parentheses.
    fn generator(&mut self) -> Result<Option<DefaultExpr>> {
        const GENERATORS: [(&str, DefaultExpr); 8] = [
            ("NOW", DefaultExpr::Now),
            ("CURRENT_TIMESTAMP", DefaultExpr::Now),
            ("LOCALTIMESTAMP", DefaultExpr::Now),
            ("SNOWFLAKE_ID", DefaultExpr::SnowflakeId),
            ("UUID_V7", DefaultExpr::UuidV7),
            ("GEN_RANDOM_UUID", DefaultExpr::UuidV7),
            ("ULID", DefaultExpr::Ulid),
            ("CURRENT_USER", DefaultExpr::CurrentUser),
        ];
        for (name, generator) in GENERATORS {
            if self.peek_is_word(0, name) {
                self.p.next_token();
                if self.p.consume_token(&Token::LParen) {
                    self.expect_token(Token::RParen)?;
                }
                return Ok(Some(generator));
            }
        }
        Ok(None)
    }

    fn option_value(&mut self) -> Result<String> {
        let tok = self.p.next_token().token;
        match tok {
            Token::SingleQuotedString(s) | Token::Number(s, _) => Ok(s),
            Token::Word(w) => Ok(w.value),
            _ => {
                self.p.prev_token();
                self.unexpected()
            }
        }
    }

    /// `ALTER TABLE t SET ACCESS LEVEL x` or `ALTER TABLE t SET (FLUSH_POLICY = '...', ...)`.
    fn alter_table(&mut self) -> Result<Statement> {
        let table = self.table_ref()?;
        self.expect_word("SET")?;
        if self.words(&["ACCESS", "LEVEL"]) {
            let text = self.name_or_string()?;
            let level = AccessLevel::parse(&text).ok_or_else(|| {
                SqlError::InvalidDefinition(format!(
                    "invalid access level '{text}': expected public, private, restricted or dba"
                ))
            })?;
            return Ok(Statement::AlterTable {
                table,
                change: TableChange::AccessLevel(level),
            });
        }
        let spec = self.table_options()?;
        let fixed = [
            ("TYPE", spec.table_type.is_some()),
            ("STORAGE_ID", spec.storage_id.is_some()),
            ("USE_USER_STORAGE", spec.use_user_storage.is_some()),
            ("TTL_SECONDS", spec.ttl_seconds.is_some()),
        ];
        if let Some((name, _)) = fixed.iter().find(|(_, given)| *given) {
            return Err(SqlError::InvalidDefinition(format!(
                "table option {name} cannot be changed after CREATE TABLE; ALTER TABLE can set FLUSH_POLICY, DELETED_RETENTION_HOURS and ACCESS LEVEL"
            )));
        }
        let change = match (
            spec.access_level,
            &spec.flush_policy,
            spec.deleted_retention_hours,
        ) {
            (Some(level), None, None) => TableChange::AccessLevel(level),
            (Some(_), _, _) => {
                return Err(SqlError::InvalidDefinition(
                    "set ACCESS_LEVEL in its own ALTER TABLE ... SET ACCESS LEVEL statement".into(),
                ));
            }
            (None, flush_policy, deleted_retention_hours) => TableChange::Options {
                flush_policy: flush_policy.clone(),
                deleted_retention_hours,
            },
        };
        Ok(Statement::AlterTable { table, change })
    }

    /// `EXECUTE AS USER 'u' (<one statement>)`.
    fn execute_as(&mut self) -> Result<Statement> {
        let user = UserId::new(self.name_or_string()?);
        let open = self.p.peek_token_ref().span.end;
        self.expect_token(Token::LParen)?;
        // The inner statement is everything up to the last token, which must be `)`.
        let mut close = None;
        loop {
            let tok = self.p.next_token();
            match tok.token {
                Token::EOF => break,
                Token::RParen => close = Some(tok.span.start),
                Token::SemiColon => {}
                _ => close = None,
            }
        }
        let bad = || {
            SqlError::Syntax(
                "EXECUTE AS USER 'name' needs one statement in parentheses: EXECUTE AS USER 'alice' (SELECT ...)"
                    .into(),
            )
        };
        let close = close.ok_or_else(bad)?;
        let start = byte_offset(self.sql, open.line, open.column).ok_or_else(bad)?;
        let end = byte_offset(self.sql, close.line, close.column).ok_or_else(bad)?;
        let inner = self.sql.get(start..end).ok_or_else(bad)?.trim();
        if inner.is_empty() {
            return Err(bad());
        }
        if crate::split_statements(inner).len() != 1 {
            return Err(SqlError::Syntax(
                "EXECUTE AS USER runs exactly one statement".into(),
            ));
        }
        let statement = parse_statement(inner)?;
        if matches!(statement, Statement::ExecuteAs { .. }) {
            return Err(SqlError::Syntax("EXECUTE AS USER cannot be nested".into()));
        }
        Ok(Statement::ExecuteAs {
            user,
            statement: Box::new(statement),
        })
    }

    fn table_options(&mut self) -> Result<TableOptionsSpec> {
        self.expect_token(Token::LParen)?;
        let mut spec = TableOptionsSpec::default();
        loop {
            let key = self.ident()?.to_ascii_uppercase();
            self.expect_token(Token::Eq)?;
            let value = self.option_value()?;
            let bad = |what: &str| {
                SqlError::InvalidDefinition(format!(
                    "invalid value '{value}' for table option {key}: expected {what}"
                ))
            };
            match key.as_str() {
                "TYPE" => {
                    spec.table_type = Some(
                        value
                            .parse::<TableType>()
                            .map_err(SqlError::InvalidDefinition)?,
                    )
                }
                "STORAGE_ID" => spec.storage_id = Some(StorageId::new(value)),
                "USE_USER_STORAGE" => {
                    spec.use_user_storage = Some(match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad("TRUE or FALSE")),
                    })
                }
                "FLUSH_POLICY" => spec.flush_policy = Some(value),
                "DELETED_RETENTION_HOURS" => {
                    spec.deleted_retention_hours =
                        Some(value.parse().map_err(|_| bad("a whole number of hours"))?)
                }
                "TTL_SECONDS" => {
                    spec.ttl_seconds = Some(
                        value
                            .parse()
                            .map_err(|_| bad("a whole number of seconds"))?,
                    )
                }
                "ACCESS_LEVEL" => {
                    spec.access_level = Some(
                        AccessLevel::parse(&value)
                            .ok_or_else(|| bad("public, private, restricted or dba"))?,
                    )
                }
                other => {
                    return Err(SqlError::InvalidDefinition(format!(
                        "unrecognized table option \"{other}\". Valid options: TYPE, STORAGE_ID, \
                         USE_USER_STORAGE, FLUSH_POLICY, DELETED_RETENTION_HOURS, TTL_SECONDS, ACCESS_LEVEL"
                    )));
                }
            }
            if self.p.consume_token(&Token::Comma) {
                continue;
            }
            self.expect_token(Token::RParen)?;
            break;
        }
        Ok(spec)
    }
}

/// A DEFAULT clause's expression as a typed default.
fn default_expr(expr: &Expr) -> Result<DefaultExpr> {
    match expr {
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let no_args = match &f.args {
                FunctionArguments::None => true,
                FunctionArguments::List(list) => list.args.is_empty(),
                FunctionArguments::Subquery(_) => false,
            };
            if !no_args {
                return Err(SqlError::Unsupported(format!(
                    "DEFAULT {expr} is not supported; use a literal, NOW(), SNOWFLAKE_ID(), UUID_V7(), ULID() or CURRENT_USER()"
                )));
            }
            Ok(match name.as_str() {
                "now" | "current_timestamp" | "localtimestamp" => DefaultExpr::Now,
                "snowflake_id" => DefaultExpr::SnowflakeId,
                "uuid_v7" | "gen_random_uuid" | "uuid" => DefaultExpr::UuidV7,
                "ulid" => DefaultExpr::Ulid,
                "current_user" | "user" => DefaultExpr::CurrentUser,
                other => {
                    return Err(SqlError::Unsupported(format!(
                        "DEFAULT {other}() is not supported; use NOW(), SNOWFLAKE_ID(), UUID_V7(), ULID() or CURRENT_USER()"
                    )));
                }
            })
        }
        Expr::Value(v) => Ok(DefaultExpr::Literal(literal(&v.value)?)),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: inner,
        } => match default_expr(inner)? {
            DefaultExpr::Literal(Value::Int(i)) => Ok(DefaultExpr::Literal(Value::Int(-i))),
            DefaultExpr::Literal(Value::Float(f)) => Ok(DefaultExpr::Literal(Value::Float(-f))),
            DefaultExpr::Literal(Value::Decimal(d)) => {
                Ok(DefaultExpr::Literal(Value::Decimal(format!("-{d}"))))
            }
            _ => Err(SqlError::Unsupported(format!(
                "DEFAULT {expr} is not supported"
            ))),
        },
        Expr::Identifier(ident)
            if ident.quote_style.is_none()
                && (ident.value.eq_ignore_ascii_case("current_timestamp")
                    || ident.value.eq_ignore_ascii_case("current_user")) =>
        {
            if ident.value.eq_ignore_ascii_case("current_user") {
                Ok(DefaultExpr::CurrentUser)
            } else {
                Ok(DefaultExpr::Now)
            }
        }
        other => Err(SqlError::Unsupported(format!(
            "DEFAULT {other} is not supported; use a literal, NOW(), SNOWFLAKE_ID(), UUID_V7(), ULID() or CURRENT_USER()"
        ))),
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
}
