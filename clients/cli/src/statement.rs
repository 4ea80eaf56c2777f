//! Just enough SQL lexing for the shell: where statements end (`;` outside quotes and
//! comments) and which namespace a `USE ns` selects. The server parses the SQL itself.

/// Splits `sql` into statements at `;` outside quotes and comments. Each piece is trimmed and
/// keeps no `;`; empty pieces are dropped. The last piece may be unterminated.
pub fn split(sql: &str) -> Vec<&str> {
    let (ends, _) = scan(sql);
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in ends {
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

/// True when the buffer holds at least one statement and everything after its last `;` is
/// whitespace or comments, so the shell can send it.
pub fn is_complete(sql: &str) -> bool {
    let (ends, open) = scan(sql);
    match ends.last() {
        Some(&last) => !open && only_comments(&sql[last + 1..]),
        None => false,
    }
}

/// The namespace of a `USE ns` statement (lower-cased unless double-quoted).
pub fn use_namespace(statement: &str) -> Option<String> {
    let mut words = statement.trim().trim_end_matches(';').split_whitespace();
    let keyword = words.next()?;
    let name = words.next()?;
    if !keyword.eq_ignore_ascii_case("use") || words.next().is_some() {
        return None;
    }
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) if !quoted.is_empty() => Some(quoted.to_string()),
        Some(_) => None,
        None => Some(name.to_lowercase()),
    }
}

/// True for statements that change the catalog (CREATE, DROP, ALTER), after which the
/// shell reloads the names it completes.
pub fn is_ddl(statement: &str) -> bool {
    let code = statement
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or_default();
    let first = code.split_whitespace().next().unwrap_or_default();
    ["create", "drop", "alter"]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k))
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    Single,
    Double,
    LineComment,
    BlockComment,
}

/// Byte offsets of statement-ending `;`, and whether a quote or block comment is left open.
fn scan(sql: &str) -> (Vec<usize>, bool) {
    let bytes = sql.as_bytes();
    let mut ends = Vec::new();
    let mut state = State::Code;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match state {
            State::Code => match b {
                b'\'' => state = State::Single,
                b'"' => state = State::Double,
                b'-' if next == Some(b'-') => {
                    state = State::LineComment;
                    i += 1;
                }
                b'/' if next == Some(b'*') => {
                    state = State::BlockComment;
                    i += 1;
                }
                b';' => ends.push(i),
                _ => {}
            },
            // A doubled quote inside a literal is an escaped quote: leave and re-enter.
            State::Single if b == b'\'' => state = State::Code,
            State::Double if b == b'"' => state = State::Code,
            State::LineComment if b == b'\n' => state = State::Code,
            State::BlockComment if b == b'*' && next == Some(b'/') => {
                state = State::Code;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    let open = matches!(state, State::Single | State::Double | State::BlockComment);
    (ends, open)
}

/// True when `text` has nothing but whitespace and comments.
fn only_comments(text: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        assert_eq!(
            split("SELECT 'a;b'; -- c;d\nSELECT \"x;y\" /* ; */ FROM t;"),
            vec!["SELECT 'a;b'", "-- c;d\nSELECT \"x;y\" /* ; */ FROM t"]
        );
        assert_eq!(split("SELECT 1"), vec!["SELECT 1"]);
        assert_eq!(split(" ; ;"), Vec::<&str>::new());
        assert_eq!(
            split("SELECT 'it''s'; SELECT 2"),
            vec!["SELECT 'it''s'", "SELECT 2"]
        );
    }

    #[test]
    fn completeness() {
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1 /* ;"));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- done"));
        assert!(is_complete("SELECT 1;\n  "));
        assert!(!is_complete("SELECT 1; SELECT 2"));
        assert!(!is_complete("-- just a comment;"));
    }

    #[test]
    fn ddl_statements() {
        assert!(is_ddl("CREATE TABLE app.t (id INT PRIMARY KEY)"));
        assert!(is_ddl("-- new\ndrop namespace app"));
        assert!(!is_ddl("SELECT 'create'"));
        assert!(!is_ddl("INSERT INTO t VALUES (1)"));
    }

    #[test]
    fn use_statements() {
        assert_eq!(use_namespace("USE app;").as_deref(), Some("app"));
        assert_eq!(use_namespace("use App").as_deref(), Some("app"));
        assert_eq!(use_namespace("USE \"MyNs\"").as_deref(), Some("MyNs"));
        assert_eq!(use_namespace("USE"), None);
        assert_eq!(use_namespace("USER x"), None);
        assert_eq!(use_namespace("USE a b"), None);
        assert_eq!(use_namespace("SELECT 1"), None);
    }
}
