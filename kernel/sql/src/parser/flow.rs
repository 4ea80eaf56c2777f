//! CREATE FLOW (trigger and schedule), ALTER FLOW, DROP FLOW, RUN FLOW, and the actions after
//! `DO`. A WHERE predicate and a SQL action are kept as the text the user wrote (checked here
//! by parsing them), because `NEW.col` / `OLD.col` are bound only when the flow fires.

use super::*;
use crate::statement::{
    BackupLocation, ChangeKinds, CreateFlow, FlowActionSpec, FlowChange, FlowRef, FlowTriggerSpec,
};
use sqlparser::tokenizer::Span;
use std::collections::BTreeMap;

const ACTIONS: &str =
    "INSERT, UPDATE, DELETE, BACKUP TO, CLEANUP DELETED ROWS, REPLICATE or COMPACT";

impl KalamParser<'_> {
    pub(super) fn flow_ref(&mut self) -> Result<FlowRef> {
        let table = self.table_ref()?;
        Ok(FlowRef {
            namespace: table.namespace,
            name: table.table.as_str().to_string(),
        })
    }

    /// The source text from the start of `from` to the start of `to` (or the end).
    fn text_between(&self, from: Span, to: Option<Span>) -> Result<String> {
        let bad = || SqlError::Syntax("syntax error in CREATE FLOW".into());
        let start = byte_offset(self.sql, from.start.line, from.start.column).ok_or_else(bad)?;
        let end = match to {
            Some(span) => {
                byte_offset(self.sql, span.start.line, span.start.column).ok_or_else(bad)?
            }
            None => self.sql.len(),
        };
        let text = self.sql.get(start..end).ok_or_else(bad)?.trim();
        Ok(text.trim_end_matches(';').trim_end().to_string())
    }

    pub(super) fn create_flow(&mut self) -> Result<Statement> {
        let if_not_exists = self.if_not_exists();
        let flow = self.flow_ref()?;
        self.expect_word("ON")?;
        let trigger = if self.word("SCHEDULE") {
            self.expect_word("EVERY")?;
            let every_secs = self.interval()?;
            let starts = if self.word("STARTS") {
                Some(self.string()?)
            } else {
                None
            };
            FlowTriggerSpec::Schedule { every_secs, starts }
        } else {
            let mut kinds = ChangeKinds::default();
            loop {
                if self.word("INSERT") {
                    kinds.insert = true;
                } else if self.word("UPDATE") {
                    kinds.update = true;
                } else if self.word("DELETE") {
                    kinds.delete = true;
                } else {
                    return Err(SqlError::Syntax(format!(
                        "CREATE FLOW {flow} ON needs INSERT, UPDATE or DELETE (joined with OR), or SCHEDULE EVERY n SECOND|MINUTE|HOUR|DAY"
                    )));
                }
                if !self.word("OR") {
                    break;
                }
            }
            self.expect_word("TO")?;
            let table = self.table_ref()?;
            let predicate = if self.word("WHERE") {
                let from = self.p.peek_token_ref().span;
                let mut depth = 0i32;
                loop {
                    let next = self.p.peek_token_ref();
                    match &next.token {
                        Token::EOF => {
                            return Err(SqlError::Syntax(format!(
                                "CREATE FLOW {flow}: the WHERE predicate must be followed by DO <action>"
                            )));
                        }
                        Token::LParen => depth += 1,
                        Token::RParen => depth -= 1,
                        Token::Word(w)
                            if depth == 0
                                && w.quote_style.is_none()
                                && w.value.eq_ignore_ascii_case("DO") =>
                        {
                            break;
                        }
                        _ => {}
                    }
                    self.p.next_token();
                }
                let to = self.p.peek_token_ref().span;
                let text = self.text_between(from, Some(to))?;
                check_predicate(&flow, &text)?;
                Some(text)
            } else {
                None
            };
            FlowTriggerSpec::Change {
                kinds,
                table,
                predicate,
            }
        };
        self.expect_word("DO")?;
        let from = self.p.peek_token_ref().span;
        if self.p.peek_token_ref().token == Token::EOF {
            return Err(SqlError::Syntax(format!(
                "CREATE FLOW {flow} needs an action after DO: {ACTIONS}"
            )));
        }
        while self.p.next_token().token != Token::EOF {}
        let text = self.text_between(from, None)?;
        let action = parse_action(&flow, &text)?;
        Ok(Statement::CreateFlow(Box::new(CreateFlow {
            flow,
            if_not_exists,
            trigger,
            action,
        })))
    }

    /// `n SECOND|MINUTE|HOUR|DAY[S]` in seconds.
    pub(super) fn interval(&mut self) -> Result<u64> {
        let n = match &self.p.peek_token_ref().token {
            Token::Number(n, _) => n.parse::<u64>().ok().filter(|n| *n > 0),
            _ => None,
        };
        let Some(n) = n else {
            return Err(SqlError::Syntax(
                "an interval needs a positive whole number and a unit, e.g. 5 MINUTE".into(),
            ));
        };
        self.p.next_token();
        let unit = self.ident()?;
        let secs = match unit.trim_end_matches('s') {
            "second" => 1,
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            _ => {
                return Err(SqlError::Syntax(format!(
                    "unknown interval unit \"{unit}\": use SECOND, MINUTE, HOUR or DAY"
                )));
            }
        };
        n.checked_mul(secs)
            .ok_or_else(|| SqlError::Syntax(format!("the interval {n} {unit} is too long")))
    }

    pub(super) fn alter_flow(&mut self) -> Result<Statement> {
        let flow = self.flow_ref()?;
        let change = if self.word("ENABLE") {
            FlowChange::Enable
        } else if self.word("DISABLE") {
            FlowChange::Disable
        } else if self.words(&["SET", "SCHEDULE", "EVERY"]) {
            FlowChange::Every(self.interval()?)
        } else {
            return Err(SqlError::Syntax(format!(
                "ALTER FLOW {flow} takes ENABLE, DISABLE or SET SCHEDULE EVERY n SECOND|MINUTE|HOUR|DAY"
            )));
        };
        Ok(Statement::AlterFlow { flow, change })
    }
}

/// A predicate must parse as a boolean expression of a WHERE clause.
fn check_predicate(flow: &FlowRef, text: &str) -> Result<()> {
    if text.is_empty() {
        return Err(SqlError::Syntax(format!(
            "CREATE FLOW {flow}: WHERE needs a predicate on NEW or OLD"
        )));
    }
    let probe = format!("SELECT 1 WHERE {text}");
    match parse_standard(&probe) {
        Ok(_) => Ok(()),
        Err(e) => Err(SqlError::Syntax(format!(
            "CREATE FLOW {flow}: the WHERE predicate does not parse: {e}"
        ))),
    }
}

fn one(key: &str, value: String) -> BTreeMap<String, String> {
    BTreeMap::from([(key.to_string(), value)])
}

/// The action after `DO`.
fn parse_action(flow: &FlowRef, text: &str) -> Result<FlowActionSpec> {
    let dialect = PostgreSqlDialect {};
    let parser = Parser::new(&dialect).try_with_sql(text).map_err(syntax)?;
    let mut kp = KalamParser {
        p: parser,
        sql: text,
    };
    let spec = |action: &str, arguments| FlowActionSpec {
        action: action.to_string(),
        arguments,
        text: text.to_string(),
    };
    if kp.peek_is_word(0, "INSERT") || kp.peek_is_word(0, "UPDATE") || kp.peek_is_word(0, "DELETE")
    {
        return match parse_standard(text) {
            Ok(Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)) => {
                Ok(spec("sql", one("sql", text.to_string())))
            }
            Ok(_) => Err(SqlError::Syntax(format!(
                "CREATE FLOW {flow}: DO takes one INSERT, UPDATE or DELETE statement"
            ))),
            Err(e) => Err(SqlError::Syntax(format!(
                "CREATE FLOW {flow}: the action does not parse: {e}"
            ))),
        };
    }
    let action = if kp.word("BACKUP") {
        kp.word("DATABASE");
        kp.expect_word("TO")?;
        match kp.backup_location()? {
            BackupLocation::Storage(id) => spec("backup", one("storage", id.to_string())),
            BackupLocation::Path(path) => spec("backup", one("path", path)),
        }
    } else if kp.words(&["CLEANUP", "DELETED", "ROWS"]) {
        let (table, older_than_secs) = kp.cleanup_clauses()?;
        let mut arguments = BTreeMap::new();
        if let Some(table) = table {
            arguments.insert("table".to_string(), table.to_string());
        }
        if let Some(secs) = older_than_secs {
            arguments.insert("older_than_secs".to_string(), secs.to_string());
        }
        spec("cleanup", arguments)
    } else if kp.word("REPLICATE") {
        let (tables, storage) = kp.replicate()?;
        let tables: Vec<String> = tables.iter().map(ToString::to_string).collect();
        let mut arguments = one("tables", tables.join(","));
        arguments.insert("storage".to_string(), storage.to_string());
        spec("replicate", arguments)
    } else if kp.word("COMPACT") {
        kp.word("TABLE");
        spec("compact", one("table", kp.table_ref()?.to_string()))
    } else {
        return Err(SqlError::Syntax(format!(
            "CREATE FLOW {flow}: unknown action after DO; the actions are {ACTIONS}"
        )));
    };
    kp.expect_end()?;
    Ok(action)
}

#[cfg(test)]
mod tests {
    use crate::parse_statement;
    use crate::statement::{FlowChange, FlowTriggerSpec, Statement};

    fn create(sql: &str) -> crate::statement::CreateFlow {
        match parse_statement(sql) {
            Ok(Statement::CreateFlow(c)) => *c,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn trigger_flow_keeps_predicate_and_action_text() {
        let c = create(
            "CREATE FLOW IF NOT EXISTS app.audit ON INSERT OR DELETE TO app.orders WHERE (NEW.total > 100) AND NEW.note <> 'do it' DO INSERT INTO app.audit (id, total) VALUES (NEW.id, NEW.total);",
        );
        assert!(c.if_not_exists);
        assert_eq!(c.flow.to_string(), "app.audit");
        let FlowTriggerSpec::Change {
            kinds,
            table,
            predicate,
        } = c.trigger
        else {
            panic!("not a change trigger");
        };
        assert!(kinds.insert && kinds.delete && !kinds.update);
        assert_eq!(kinds.to_string(), "INSERT OR DELETE");
        assert_eq!(table.to_string(), "app.orders");
        assert_eq!(
            predicate.as_deref(),
            Some("(NEW.total > 100) AND NEW.note <> 'do it'")
        );
        assert_eq!(c.action.action, "sql");
        assert_eq!(
            c.action.arguments["sql"],
            "INSERT INTO app.audit (id, total) VALUES (NEW.id, NEW.total)"
        );
    }

    #[test]
    fn schedule_flows_and_maintenance_actions() {
        let c = create(
            "create flow nightly on schedule every 2 hours starts '2026-01-01T00:00:00Z' do backup to storage 'archive'",
        );
        assert_eq!(
            c.trigger,
            FlowTriggerSpec::Schedule {
                every_secs: 7200,
                starts: Some("2026-01-01T00:00:00Z".into())
            }
        );
        assert_eq!(c.action.action, "backup");
        assert_eq!(c.action.arguments["storage"], "archive");
        let c = create(
            "CREATE FLOW purge ON SCHEDULE EVERY 1 HOUR DO CLEANUP DELETED ROWS IN app.t OLDER THAN 7 DAYS",
        );
        assert_eq!(c.action.arguments["older_than_secs"], "604800");
        assert_eq!(c.action.arguments["table"], "app.t");
        let c =
            create("CREATE FLOW r ON SCHEDULE EVERY 5 MINUTE DO REPLICATE a.b, c TO STORAGE s3");
        assert_eq!(c.action.arguments["tables"], "a.b,c");
        assert_eq!(
            create("CREATE FLOW c ON SCHEDULE EVERY 1 DAY DO COMPACT TABLE a.b")
                .action
                .arguments["table"],
            "a.b"
        );
    }

    #[test]
    fn bad_flows_are_refused_with_what_to_write() {
        for (sql, says) in [
            (
                "CREATE FLOW f ON SELECT TO t DO DELETE FROM t",
                "INSERT, UPDATE or DELETE",
            ),
            ("CREATE FLOW f ON INSERT TO t DO SELECT 1", "unknown action"),
            (
                "CREATE FLOW f ON INSERT TO t WHERE NEW.a > DO DELETE FROM t",
                "does not parse",
            ),
            (
                "CREATE FLOW f ON INSERT TO t WHERE NEW.a > 1",
                "followed by DO",
            ),
            ("CREATE FLOW f ON INSERT TO t DO", "needs an action"),
            (
                "CREATE FLOW f ON SCHEDULE EVERY 0 SECOND DO COMPACT t",
                "positive",
            ),
            (
                "CREATE FLOW f ON SCHEDULE EVERY 3 WEEKS DO COMPACT t",
                "unknown interval unit",
            ),
            (
                "CREATE FLOW f ON INSERT TO t DO INSERT INTO",
                "does not parse",
            ),
        ] {
            let err = parse_statement(sql).expect_err(sql).to_string();
            assert!(err.contains(says), "{sql}: {err}");
        }
    }

    #[test]
    fn alter_drop_show_run() {
        assert!(matches!(
            parse_statement("ALTER FLOW app.f DISABLE"),
            Ok(Statement::AlterFlow {
                change: FlowChange::Disable,
                ..
            })
        ));
        assert!(matches!(
            parse_statement("ALTER FLOW f SET SCHEDULE EVERY 10 SECONDS"),
            Ok(Statement::AlterFlow {
                change: FlowChange::Every(10),
                ..
            })
        ));
        assert!(matches!(
            parse_statement("DROP FLOW IF EXISTS app.f"),
            Ok(Statement::DropFlow {
                if_exists: true,
                ..
            })
        ));
        assert!(matches!(
            parse_statement("SHOW FLOWS"),
            Ok(Statement::ShowFlows)
        ));
        assert!(matches!(
            parse_statement("RUN FLOW app.f"),
            Ok(Statement::RunFlow { .. })
        ));
        assert!(parse_statement("ALTER FLOW f PAUSE").is_err());
    }
}
