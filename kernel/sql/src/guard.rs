//! Limits on a statement's shape, checked on its tokens before anything builds a tree.
//!
//! A flat chain (`1+1+...+1`, `a AND b AND ...`, thousands of `UNION ALL` or CTEs) parses
//! without deep recursion, but the tree it makes is as deep as the chain is long, and planning,
//! optimizing, cloning and dropping it recurse once per level: 2000 terms overflowed a worker's
//! stack and took the whole server down. Nesting (parentheses, NOT NOT ...) is already bounded
//! by sqlparser's own recursion limit. The tokenizer is iterative, so this check holds for any
//! input the request size limit lets through.

use crate::error::{Result, SqlError};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Binary operators in one expression (between two commas at the same level, nested
/// parentheses included).
pub const MAX_EXPRESSION_OPERATORS: usize = 500;
/// UNION / INTERSECT / EXCEPT in one statement.
pub const MAX_SET_OPERATIONS: usize = 200;
/// Common table expressions (`name AS (...)`) in one statement.
pub const MAX_CTES: usize = 100;

/// Refuses a statement whose shape exceeds the limits above, naming the limit.
pub fn check_shape(sql: &str) -> Result<()> {
    let dialect = PostgreSqlDialect {};
    // A statement the tokenizer refuses gets its syntax error from the parser.
    let Ok(tokens) = Tokenizer::new(&dialect, sql).tokenize() else {
        return Ok(());
    };
    let mut runs: Vec<usize> = vec![0];
    let mut longest = 0;
    let mut set_operations = 0;
    let mut ctes = 0;
    let mut previous_significant: Option<&Token> = None;
    for token in &tokens {
        if matches!(token, Token::Whitespace(_)) {
            continue;
        }
        match token {
            Token::LParen => {
                if matches!(previous_significant, Some(Token::Word(w)) if w.keyword == Keyword::AS)
                {
                    ctes += 1;
                }
                runs.push(0);
            }
            Token::RParen => {
                let inner = runs.pop().unwrap_or(0);
                if runs.is_empty() {
                    runs.push(0);
                }
                if let Some(outer) = runs.last_mut() {
                    *outer += inner;
                }
            }
            Token::Comma | Token::SemiColon => {
                if let Some(run) = runs.last_mut() {
                    *run = 0;
                }
            }
            Token::Word(w)
                if matches!(
                    w.keyword,
                    Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT
                ) =>
            {
                set_operations += 1;
            }
            t if is_binary_operator(t) => {
                if let Some(run) = runs.last_mut() {
                    *run += 1;
                    longest = longest.max(*run);
                }
            }
            _ => {}
        }
        previous_significant = Some(token);
    }
    let check = |what, found: usize, limit: usize| {
        if found > limit {
            Err(SqlError::TooComplex { what, found, limit })
        } else {
            Ok(())
        }
    };
    check(
        "operators in one expression",
        longest,
        MAX_EXPRESSION_OPERATORS,
    )?;
    check(
        "set operations (UNION, INTERSECT, EXCEPT)",
        set_operations,
        MAX_SET_OPERATIONS,
    )?;
    check("common table expressions", ctes, MAX_CTES)
}

fn is_binary_operator(token: &Token) -> bool {
    match token {
        Token::Plus
        | Token::Minus
        | Token::Mul
        | Token::Div
        | Token::Mod
        | Token::DuckIntDiv
        | Token::StringConcat
        | Token::Eq
        | Token::DoubleEq
        | Token::Neq
        | Token::Lt
        | Token::Gt
        | Token::LtEq
        | Token::GtEq
        | Token::Spaceship
        | Token::Caret
        | Token::Ampersand
        | Token::Pipe
        | Token::ShiftLeft
        | Token::ShiftRight
        | Token::Arrow
        | Token::LongArrow
        | Token::DoubleColon => true,
        Token::Word(w) => matches!(w.keyword, Keyword::AND | Keyword::OR),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(term: &str, op: &str, n: usize) -> String {
        vec![term; n].join(op)
    }

    #[test]
    fn long_flat_chains_are_refused_before_parsing() {
        for op in ["+", " AND ", " OR ", "||", "*"] {
            let sql = format!("SELECT {}", chain("1", op, MAX_EXPRESSION_OPERATORS * 10));
            assert!(
                matches!(check_shape(&sql), Err(SqlError::TooComplex { .. })),
                "{op}"
            );
        }
        let sql = format!("SELECT ({})", chain("(1+1)", "+", 100_000));
        assert!(check_shape(&sql).is_err());
        let unions = chain("SELECT 1", " UNION ALL ", MAX_SET_OPERATIONS * 10);
        assert!(check_shape(&unions).is_err());
        let ctes: Vec<String> = (0..MAX_CTES * 10)
            .map(|i| format!("c{i} AS (SELECT 1)"))
            .collect();
        let sql = format!("WITH {} SELECT 1", ctes.join(", "));
        assert!(check_shape(&sql).is_err());
    }

    #[test]
    fn ordinary_statements_pass() {
        let values: Vec<String> = (0..5000).map(|i| format!("({i}, -{i}, 'x')")).collect();
        let insert = format!("INSERT INTO t VALUES {}", values.join(", "));
        assert!(check_shape(&insert).is_ok());
        let list: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let select = format!("SELECT * FROM t WHERE id IN ({}) AND v > 3", list.join(","));
        assert!(check_shape(&select).is_ok());
        let sql = format!("SELECT {}", chain("1", "+", MAX_EXPRESSION_OPERATORS + 1));
        assert!(check_shape(&sql).is_ok());
        assert!(check_shape("SELECT CAST(x AS INT) FROM t").is_ok());
    }
}
