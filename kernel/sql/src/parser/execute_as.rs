//! EXECUTE AS USER '<user>' (<statement>).

use super::*;

impl KalamParser<'_> {
    pub(super) fn execute_as(&mut self) -> Result<Statement> {
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
}
