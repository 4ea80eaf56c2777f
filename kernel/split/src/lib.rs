//! Where SQL statements end. The server splits a request's SQL into statements with [`split`];
//! the `kalam` shell uses the same function to know what it sends, and [`is_complete`] to know
//! when a typed buffer can be sent. One scanner serves both, so they agree on every input.
//!
//! A `;` ends a statement unless it is inside
//! - a string literal `'...'` (a doubled `''` is a quote inside it),
//! - a quoted identifier `"..."` or a MySQL-style `` `...` `` identifier,
//! - a PostgreSQL dollar-quoted string `$$...$$` or `$tag$...$tag$` (`$1` is a parameter, not a
//!   quote: a tag never starts with a digit),
//! - a `-- line comment` or a `/* block comment */`.
//!
//! Pieces are trimmed; empty pieces and pieces holding only comments are dropped.

/// What the scanner is inside of at a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// Inside a literal or identifier closed by this byte.
    Quoted(u8),
    /// Inside a dollar-quoted string whose opening tag (with both `$`) is `sql[start..end]`.
    Dollar {
        start: usize,
        end: usize,
    },
    LineComment,
    BlockComment,
}

/// The scan of a text: the byte offsets of statement-ending `;`, and whether a literal, a
/// quoted identifier, a dollar quote or a block comment is still open at the end.
struct Scan {
    ends: Vec<usize>,
    open: bool,
}

/// The dollar-quote tag starting at `i` (`sql[i] == '$'`): the offset just past its closing `$`.
fn dollar_tag_end(sql: &str, i: usize) -> Option<usize> {
    let rest = &sql[i + 1..];
    let close = rest.find('$')?;
    let tag = &rest[..close];
    let valid = tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !tag.starts_with(|c: char| c.is_ascii_digit());
    valid.then_some(i + 1 + close + 1)
}

/// True when the byte before `i` continues an identifier.
fn follows_identifier(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'$'))
}

fn scan(sql: &str) -> Scan {
    let bytes = sql.as_bytes();
    let mut ends = Vec::new();
    let mut state = State::Code;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match state {
            State::Code => match b {
                b'\'' | b'"' | b'`' => state = State::Quoted(b),
                b'-' if next == Some(b'-') => {
                    state = State::LineComment;
                    i += 1;
                }
                b'/' if next == Some(b'*') => {
                    state = State::BlockComment;
                    i += 1;
                }
                // `a$b$` is an identifier (PostgreSQL allows `$` inside one), not a quote.
                b'$' if !follows_identifier(bytes, i) => {
                    if let Some(end) = dollar_tag_end(sql, i) {
                        state = State::Dollar { start: i, end };
                        i = end;
                        continue;
                    }
                }
                b';' => ends.push(i),
                _ => {}
            },
            // A doubled quote is an escaped quote: leaving and re-entering reads it right.
            State::Quoted(quote) if b == quote => state = State::Code,
            State::Dollar { start, end } if b == b'$' => {
                let tag = &sql[start..end];
                if sql[i..].starts_with(tag) {
                    state = State::Code;
                    i += tag.len();
                    continue;
                }
            }
            State::LineComment if b == b'\n' => state = State::Code,
            State::BlockComment if b == b'*' && next == Some(b'/') => {
                state = State::Code;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    let open = matches!(
        state,
        State::Quoted(_) | State::Dollar { .. } | State::BlockComment
    );
    Scan { ends, open }
}

/// The statements of `sql`: split at `;` outside quotes and comments, trimmed, without the `;`,
/// without empty or comment-only pieces. The last piece may be unterminated.
pub fn split(sql: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in scan(sql).ends {
        pieces.push(&sql[start..end]);
        start = end + 1;
    }
    pieces.push(&sql[start..]);
    pieces
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty() && !only_comments(p))
        .collect()
}

/// [`split`] with the 1-based line of each statement's first token (after any comments that
/// lead it), for error messages that point into a script.
pub fn split_with_lines(sql: &str) -> Vec<(usize, &str)> {
    split(sql)
        .into_iter()
        .map(|piece| {
            let offset = piece.as_ptr() as usize - sql.as_ptr() as usize;
            let code = offset + (piece.len() - without_leading_comments(piece).len());
            (sql[..code].matches('\n').count() + 1, piece)
        })
        .collect()
}

/// `text` from its first token on: leading whitespace and comments skipped.
fn without_leading_comments(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map_or("", |(_, tail)| tail)
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after
                .split_once("*/")
                .map_or("", |(_, tail)| tail)
                .trim_start();
        } else {
            return rest;
        }
    }
}

/// True when the text holds at least one statement and everything after its last `;` is
/// whitespace or comments (nothing left open), so a shell can send it.
pub fn is_complete(sql: &str) -> bool {
    let scan = scan(sql);
    match scan.ends.last() {
        Some(&last) => !scan.open && only_comments(&sql[last + 1..]),
        None => false,
    }
}

/// True when `text` has nothing but whitespace and comments (an unclosed block comment counts).
pub fn only_comments(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map_or("", |(_, tail)| tail)
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.split_once("*/") {
                Some((_, tail)) => rest = tail.trim_start(),
                None => return true,
            }
        } else {
            return false;
        }
    }
}

/// The shell's and the server's cases (they were two splitters until they became this one).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_point_at_each_statements_first_token() {
        let sql = "-- schema\nCREATE NAMESPACE app;\n\nSELECT\n  1; /* two */ SELECT 'a;\nb';\n\n-- last\nSELECT 3";
        let lines: Vec<usize> = split_with_lines(sql).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [2, 4, 5, 9]);
    }

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        assert_eq!(
            split("SELECT 'a;b'; -- c;d\nSELECT \"x;y\" /* ; */ FROM t; SELECT $$;$$;;  "),
            vec![
                "SELECT 'a;b'",
                "-- c;d\nSELECT \"x;y\" /* ; */ FROM t",
                "SELECT $$;$$"
            ]
        );
        assert_eq!(
            split("SELECT 'a;b'; -- c;d\nSELECT \"x;y\" /* ; */ FROM t;"),
            vec!["SELECT 'a;b'", "-- c;d\nSELECT \"x;y\" /* ; */ FROM t"]
        );
        assert_eq!(
            split("SELECT 'it''s'; SELECT 2"),
            vec!["SELECT 'it''s'", "SELECT 2"]
        );
        assert_eq!(split("SELECT 1"), vec!["SELECT 1"]);
        assert_eq!(split(" ; ;"), Vec::<&str>::new());
        assert!(split("  ; -- only a comment\n").is_empty());
    }

    #[test]
    fn parameters_escaped_quotes_backticks_and_tagged_dollar_quotes() {
        assert_eq!(
            split("SELECT $1, 'it''s;'; SELECT 2"),
            vec!["SELECT $1, 'it''s;'", "SELECT 2"]
        );
        assert_eq!(
            split("SELECT `a;b` FROM t; SELECT 2"),
            vec!["SELECT `a;b` FROM t", "SELECT 2"]
        );
        assert_eq!(
            split("SELECT $fn$ a; $$ b; $fn$; SELECT $2"),
            vec!["SELECT $fn$ a; $$ b; $fn$", "SELECT $2"]
        );
        // A `$` that opens no tag is just a character.
        assert_eq!(
            split("SELECT 'x$'; SELECT a$b"),
            vec!["SELECT 'x$'", "SELECT a$b"]
        );
        assert_eq!(
            split("SELECT a$b$c; SELECT 2"),
            vec!["SELECT a$b$c", "SELECT 2"]
        );
    }

    #[test]
    fn completeness_sees_every_kind_of_open_quote() {
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1 /* ;"));
        assert!(!is_complete("SELECT $$ ;"));
        assert!(!is_complete("SELECT `a;"));
        assert!(is_complete("SELECT $$ ; $$;"));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- done"));
        assert!(is_complete("SELECT 1;\n  "));
        assert!(!is_complete("SELECT 1; SELECT 2"));
        assert!(!is_complete("-- just a comment;"));
    }

    #[test]
    fn never_panics_on_any_prefix_of_tricky_text() {
        let text = "SELECT 'é;', $t$ ü; $t$, \"q\"\"x\", `b`, $1 /* ; */ -- ;\n; ";
        for (i, _) in text.char_indices() {
            let _ = split(&text[..i]);
            let _ = is_complete(&text[..i]);
        }
    }
}
