//! CREATE TABLE (columns, types, defaults, WITH options) and ALTER TABLE.

use super::*;

impl KalamParser<'_> {
    pub(super) fn create_table(&mut self, prefix_type: Option<TableType>) -> Result<Statement> {
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

    pub(super) fn type_name(&mut self) -> Result<(String, Vec<u64>)> {
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

    pub(super) fn column(&mut self) -> Result<ColumnSpec> {
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
    pub(super) fn generator(&mut self) -> Result<Option<DefaultExpr>> {
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

    pub(super) fn option_value(&mut self) -> Result<String> {
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
    pub(super) fn alter_table(&mut self) -> Result<Statement> {
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

    pub(super) fn table_options(&mut self) -> Result<TableOptionsSpec> {
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
