//! SQL text with its secrets masked, for logs: the string literal after `PASSWORD`,
//! `CREDENTIALS` or `SECRET` (optionally with `=` between) becomes `'***'`. The scan is lexical
//! (quotes, doubled quotes, `--` and `/* */` comments), so it also masks statements that do not
//! parse, which are exactly the ones a log is read for.

use std::borrow::Cow;

const SECRET_WORDS: &[&str] = &["PASSWORD", "CREDENTIALS", "SECRET"];

/// `sql` with the literal after every secret keyword replaced by `'***'`.
pub fn redact_secrets(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut last_word = String::new();
    // Between a secret word and its literal only whitespace, comments and one `=` may come.
    let mut armed = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = sql[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
            continue;
        }
        if c == b'\'' || c == b'"' {
            let end = literal_end(bytes, i, c);
            if c == b'\'' && armed {
                out.push_str(&sql[copied..i]);
                out.push_str("'***'");
                copied = end;
            }
            armed = false;
            last_word.clear();
            i = end;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            last_word = sql[start..i].to_ascii_uppercase();
            armed = SECRET_WORDS.contains(&last_word.as_str());
            continue;
        }
        if c == b'=' && armed {
            i += 1;
            continue;
        }
        if !c.is_ascii_whitespace() {
            armed = false;
        }
        i += 1;
    }
    if copied == 0 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
}

/// The index just past the literal opened by `quote` at `start` (doubled quotes escape).
fn literal_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn passwords_and_credentials_are_masked() {
        assert_eq!(
            redact_secrets("CREATE USER 'alice' WITH PASSWORD 'hunter2' ROLE user"),
            "CREATE USER 'alice' WITH PASSWORD '***' ROLE user"
        );
        assert_eq!(
            redact_secrets("alter user bob set password = 'it''s secret'; SELECT 1"),
            "alter user bob set password = '***'; SELECT 1"
        );
        assert_eq!(
            redact_secrets(
                "CREATE STORAGE s3 TYPE s3 BUCKET 'b' CREDENTIALS '{\"secret_access_key\":\"k\"}' CONFIG '{}'"
            ),
            "CREATE STORAGE s3 TYPE s3 BUCKET 'b' CREDENTIALS '***' CONFIG '{}'"
        );
        assert_eq!(
            redact_secrets("CREATE USER x WITH PASSWORD /* c */ 'p'"),
            "CREATE USER x WITH PASSWORD /* c */ '***'"
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        let sql = "SELECT 'password' AS word, \"PASSWORD\" FROM t WHERE note = 'PASSWORD x' -- PASSWORD 'y'";
        assert_eq!(redact_secrets(sql), sql);
        // A column named password compared to a literal is masked too: a lexical scan cannot
        // tell it from the clause, and masking too much is the safe side for a log.
        assert_eq!(
            redact_secrets("SELECT * FROM app.u WHERE password = 'x'"),
            "SELECT * FROM app.u WHERE password = '***'"
        );
        // An unterminated literal never panics.
        assert_eq!(
            redact_secrets("ALTER USER a SET PASSWORD 'abc"),
            "ALTER USER a SET PASSWORD '***'"
        );
    }
}
