//! psql's `LINE n:` caret under an error. The server reports no character offset, so the
//! position is found from the message: `at or near "X"` (syntax errors) or `column "X"` /
//! `relation "X"` (unknown names), searched as a whole word in the failed statement (the
//! message's `Statement N failed:` says which one).

use crate::statement;

/// The `LINE n: <text>` line and the caret line under it, when the message names a token that
/// occurs in the statement.
pub fn caret(sql: &str, message: &str) -> Option<String> {
    let token = quoted_token(message)?;
    let index = statement_number(message).unwrap_or(1).checked_sub(1)?;
    let stmt = *statement::split(sql).get(index)?;
    let offset = find_word(stmt, token)?;
    let line_start = stmt[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_no = stmt[..offset].matches('\n').count() + 1;
    let line_end = stmt[offset..].find('\n').map_or(stmt.len(), |i| offset + i);
    let prefix = format!("LINE {line_no}: ");
    let column = prefix.chars().count() + stmt[line_start..offset].chars().count();
    Some(format!(
        "{prefix}{}\n{}^",
        &stmt[line_start..line_end],
        " ".repeat(column)
    ))
}

fn quoted_token(message: &str) -> Option<&str> {
    let start = ["at or near \"", "column \"", "relation \""]
        .iter()
        .find_map(|marker| message.find(marker).map(|i| i + marker.len()))?;
    let rest = &message[start..];
    let end = rest.find('"')?;
    Some(&rest[..end]).filter(|t| !t.is_empty())
}

fn statement_number(message: &str) -> Option<usize> {
    let rest = message.strip_prefix("Statement ")?;
    let end = rest.find(' ')?;
    rest[..end].parse().ok()
}

/// Byte offset of `word` in `text` as a whole word, ignoring ASCII case.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let needle = word.to_ascii_lowercase();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle) {
        let at = from + found;
        let end = at + needle.len();
        let before_ok =
            !lower[..at].chars().next_back().is_some_and(is_word) || !needle.starts_with(is_word);
        let after_ok =
            !lower[end..].chars().next().is_some_and(is_word) || !needle.ends_with(is_word);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + needle.len().max(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_points_at_the_token() {
        assert_eq!(
            caret(
                "SELEKT 1",
                "Statement 1 failed: syntax error at or near \"SELEKT\""
            )
            .as_deref(),
            Some("LINE 1: SELEKT 1\n        ^")
        );
        assert_eq!(
            caret(
                "SELECT 1;\nSELECT id,\n  nope FROM t",
                "Statement 2 failed: column \"nope\" does not exist"
            )
            .as_deref(),
            Some("LINE 2:   nope FROM t\n          ^")
        );
        // Whole words only: `id` inside `idx` is not a match.
        assert_eq!(
            caret("SELECT idx, id FROM t", "column \"id\" does not exist").as_deref(),
            Some("LINE 1: SELECT idx, id FROM t\n                    ^")
        );
    }

    #[test]
    fn no_caret_without_a_token_in_the_sql() {
        assert_eq!(caret("SELECT 1", "permission denied"), None);
        assert_eq!(caret("SELECT 1", "column \"zz\" does not exist"), None);
        assert_eq!(
            caret(
                "SELECT 1",
                "Statement 3 failed: syntax error at or near \"1\""
            ),
            None
        );
    }
}
