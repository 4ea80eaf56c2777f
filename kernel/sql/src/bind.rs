//! `NEW.col` / `OLD.col` in a flow's predicate and SQL action, bound to the triggering row as
//! `$n` parameters. Binding is by parameter, never by pasting values into the text, so a value
//! holding quotes or SQL cannot change the statement.

use crate::error::{Result, SqlError};
use kalamdb_plugin_api::Value;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use std::collections::BTreeMap;

/// The row a flow fired on: `new` is absent for a DELETE, `old` for an INSERT.
#[derive(Clone, Copy, Debug, Default)]
pub struct RowRefs<'a> {
    pub new: Option<&'a BTreeMap<String, Value>>,
    pub old: Option<&'a BTreeMap<String, Value>>,
    /// The change, for messages (`INSERT`, `UPDATE`, `DELETE`).
    pub kind: &'a str,
    /// Column → SQL type: a reference to such a column becomes `CAST($n AS type)`, so the
    /// parameter keeps the column's type where nothing else gives it one (`NEW.total > 100`
    /// would otherwise take the literal's BIGINT and truncate 100.5; `OLD.a <> NEW.a` would
    /// have no type at all).
    pub types: Option<&'a BTreeMap<String, String>>,
}

/// The byte offset of a 1-based line/column location.
fn offset(sql: &str, line: u64, column: u64) -> Option<usize> {
    let mut at = 0;
    for (i, text) in sql.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = usize::try_from(column.checked_sub(1)?).ok()?;
            return Some(at + text.char_indices().nth(col).map_or(text.len(), |(b, _)| b));
        }
        at += text.len();
    }
    if line as usize == sql.split_inclusive('\n').count() + 1 && column == 1 {
        return Some(sql.len());
    }
    None
}

fn is_row_word(token: &Token) -> Option<bool> {
    match token {
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("NEW") => {
            Some(true)
        }
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("OLD") => {
            Some(false)
        }
        _ => None,
    }
}

/// Rewrites every `NEW.col` and `OLD.col` of `sql` into `$1`, `$2` ... and returns the text
/// with the values, in parameter order. An unknown column, `NEW` in a DELETE flow, `OLD` in an
/// INSERT flow, and `$n` already in the text are errors naming what to change.
pub fn bind_row_refs(sql: &str, row: RowRefs<'_>) -> Result<(String, Vec<Value>)> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| SqlError::Syntax(e.to_string()))?;
    let significant: Vec<_> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut params: Vec<Value> = Vec::new();
    let mut seen: BTreeMap<(bool, String), usize> = BTreeMap::new();
    let bad = || SqlError::Syntax("cannot locate NEW/OLD in the flow's SQL".into());
    let mut i = 0;
    while i < significant.len() {
        if let Token::Placeholder(p) = &significant[i].token {
            return Err(SqlError::InvalidDefinition(format!(
                "a flow's SQL cannot use the parameter {p}; refer to the row as NEW.col or OLD.col"
            )));
        }
        let after_period = i > 0 && significant[i - 1].token == Token::Period;
        let Some(is_new) = is_row_word(&significant[i].token).filter(|_| !after_period) else {
            i += 1;
            continue;
        };
        let (Some(dot), Some(col)) = (significant.get(i + 1), significant.get(i + 2)) else {
            i += 1;
            continue;
        };
        let Token::Word(w) = &col.token else {
            i += 1;
            continue;
        };
        if dot.token != Token::Period {
            i += 1;
            continue;
        }
        let name = if w.quote_style.is_some() {
            w.value.clone()
        } else {
            w.value.to_ascii_lowercase()
        };
        let which = if is_new { "NEW" } else { "OLD" };
        let values = if is_new { row.new } else { row.old };
        let values = values.ok_or_else(|| {
            SqlError::InvalidDefinition(format!(
                "{which}.{name}: a flow fired by {} has no {which} row; use {} instead",
                row.kind,
                if is_new { "OLD" } else { "NEW" }
            ))
        })?;
        let value = values.get(&name).cloned().ok_or_else(|| {
            let mut known: Vec<&str> = values.keys().map(String::as_str).collect();
            known.retain(|k| !k.starts_with('_'));
            SqlError::InvalidDefinition(format!(
                "column {which}.{name} does not exist; the row's columns are {}",
                known.join(", ")
            ))
        })?;
        let key_name = name.clone();
        let index = match seen.get(&(is_new, name.clone())) {
            Some(n) => *n,
            None => {
                params.push(value);
                seen.insert((is_new, name), params.len());
                params.len()
            }
        };
        let start = significant[i].span.start;
        let end = col.span.end;
        let from = offset(sql, start.line, start.column).ok_or_else(bad)?;
        let to = offset(sql, end.line, end.column).ok_or_else(bad)?;
        out.push_str(&sql[copied..from]);
        match row.types.and_then(|t| t.get(&key_name)) {
            Some(ty) => out.push_str(&format!("CAST(${index} AS {ty})")),
            None => out.push_str(&format!("${index}")),
        }
        copied = to;
        i += 3;
    }
    out.push_str(&sql[copied..]);
    Ok((out, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn references_become_parameters_and_values_stay_out_of_the_text() {
        let new = row(&[
            ("id", Value::Int(7)),
            ("note", Value::Text("x'); DROP TABLE t; --".into())),
        ]);
        let old = row(&[("id", Value::Int(6))]);
        let (sql, params) = bind_row_refs(
            "INSERT INTO a.log (id, note, was) VALUES (NEW.id, new.NOTE, OLD.id + NEW.id)",
            RowRefs {
                new: Some(&new),
                old: Some(&old),
                kind: "UPDATE",
                types: None,
            },
        )
        .unwrap();
        assert_eq!(
            sql,
            "INSERT INTO a.log (id, note, was) VALUES ($1, $2, $3 + $1)"
        );
        assert_eq!(
            params,
            vec![
                Value::Int(7),
                Value::Text("x'); DROP TABLE t; --".into()),
                Value::Int(6)
            ]
        );
    }

    #[test]
    fn typed_columns_are_cast_to_their_type() {
        let new = row(&[
            ("total", Value::Float(100.5)),
            ("note", Value::Text("x".into())),
        ]);
        let types = BTreeMap::from([("total".to_string(), "DOUBLE".to_string())]);
        let (sql, _) = bind_row_refs(
            "SELECT 1 WHERE NEW.total > 100 AND NEW.note = 'x'",
            RowRefs {
                new: Some(&new),
                old: None,
                kind: "INSERT",
                types: Some(&types),
            },
        )
        .unwrap();
        assert_eq!(sql, "SELECT 1 WHERE CAST($1 AS DOUBLE) > 100 AND $2 = 'x'");
    }

    #[test]
    fn strings_and_qualified_names_are_left_alone() {
        let new = row(&[("id", Value::Int(1))]);
        let (sql, params) = bind_row_refs(
            "UPDATE t SET note = 'NEW.id' WHERE t.new.id = 3 AND id = NEW.id",
            RowRefs {
                new: Some(&new),
                old: None,
                kind: "INSERT",
                types: None,
            },
        )
        .unwrap();
        assert_eq!(
            sql,
            "UPDATE t SET note = 'NEW.id' WHERE t.new.id = 3 AND id = $1"
        );
        assert_eq!(params, vec![Value::Int(1)]);
    }

    #[test]
    fn missing_rows_columns_and_parameters_are_explained() {
        let old = row(&[("id", Value::Int(1))]);
        let refs = RowRefs {
            new: None,
            old: Some(&old),
            kind: "DELETE",
            types: None,
        };
        let e = bind_row_refs("DELETE FROM t WHERE id = NEW.id", refs).unwrap_err();
        assert!(
            e.to_string().contains("fired by DELETE has no NEW row"),
            "{e}"
        );
        let e = bind_row_refs("DELETE FROM t WHERE id = OLD.nope", refs).unwrap_err();
        assert!(e.to_string().contains("OLD.nope does not exist"), "{e}");
        let e = bind_row_refs("DELETE FROM t WHERE id = $1", refs).unwrap_err();
        assert!(e.to_string().contains("parameter $1"), "{e}");
    }

    proptest::proptest! {
        /// Whatever the text (multi-byte characters, quotes, comments, lines), binding never
        /// panics, and binds at most the two distinct references the row has.
        #[test]
        fn binding_never_panics_on_any_text(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("NEW.a".to_string()),
                    proptest::strategy::Just("old.B".to_string()),
                    proptest::strategy::Just("NEW . a".to_string()),
                    proptest::strategy::Just("x.new.a".to_string()),
                    proptest::strategy::Just("'é NEW.a ''q'".to_string()),
                    proptest::strategy::Just("-- NEW.a\n".to_string()),
                    proptest::strategy::Just("\n".to_string()),
                    "[a-zé€ 0-9()=<>+,.']{0,6}",
                ],
                0..12,
            )
        ) {
            let sql = parts.join(" ");
            let new = row(&[("a", Value::Int(1))]);
            let old = row(&[("b", Value::Text("ü".into()))]);
            let refs = RowRefs { new: Some(&new), old: Some(&old), kind: "UPDATE", types: None };
            if let Ok((bound, params)) = bind_row_refs(&sql, refs) {
                proptest::prop_assert!(params.len() <= 2);
                proptest::prop_assert!(bound.len() <= sql.len() + 2 * params.len());
            }
        }
    }
}
