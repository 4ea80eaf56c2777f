//! Splits a request's SQL on `;` outside quotes, dollar quotes and comments.

/// The statements of `sql`, trimmed, without empty ones and without the trailing `;`.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = sql.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if i + 1 < bytes.len() && bytes[i + 1] == quote {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'$' => {
                // $tag$ ... $tag$ (but not $1 parameters)
                let tag_end = sql[i + 1..].find('$').map(|p| i + 1 + p).filter(|&end| {
                    sql[i + 1..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !sql[i + 1..end].starts_with(|c: char| c.is_ascii_digit())
                });
                match tag_end {
                    Some(end) => {
                        let tag = &sql[i..=end];
                        match sql[end + 1..].find(tag) {
                            Some(close) => i = end + 1 + close + tag.len(),
                            None => i = bytes.len(),
                        }
                    }
                    None => i += 1,
                }
            }
            b';' => {
                push(&mut out, &sql[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < sql.len() {
        push(&mut out, &sql[start..]);
    }
    out
}

fn push(out: &mut Vec<String>, piece: &str) {
    let trimmed = piece.trim();
    if !trimmed.is_empty() && !is_only_comments(trimmed) {
        out.push(trimmed.to_string());
    }
}

fn is_only_comments(s: &str) -> bool {
    let mut rest = s.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .find('\n')
                .map(|p| &after[p + 1..])
                .unwrap_or("")
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after
                .find("*/")
                .map(|p| &after[p + 2..])
                .unwrap_or("")
                .trim_start();
        } else {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let parts = split_statements(
            "SELECT 'a;b'; -- c;d\nSELECT \"x;y\" /* ; */ FROM t; SELECT $$;$$;;  ",
        );
        assert_eq!(
            parts,
            vec![
                "SELECT 'a;b'",
                "-- c;d\nSELECT \"x;y\" /* ; */ FROM t",
                "SELECT $$;$$"
            ]
        );
    }

    #[test]
    fn keeps_parameters_and_escaped_quotes() {
        let parts = split_statements("SELECT $1, 'it''s;'; SELECT 2");
        assert_eq!(parts, vec!["SELECT $1, 'it''s;'", "SELECT 2"]);
        assert!(split_statements("  ; -- only a comment\n").is_empty());
    }
}
