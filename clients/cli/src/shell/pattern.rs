//! psql-style name patterns for `\dt`: `*` matches any run of characters, `?` one character,
//! case-insensitively. A pattern with a dot matches `namespace.table`; without one, the table
//! name in any namespace.

/// True when `namespace.table` matches `pattern`.
pub fn matches_table(pattern: &str, namespace: &str, table: &str) -> bool {
    let pattern = pattern.to_lowercase();
    match pattern.split_once('.') {
        Some((ns, t)) => glob(ns, &namespace.to_lowercase()) && glob(t, &table.to_lowercase()),
        None => glob(&pattern, &table.to_lowercase()),
    }
}

/// Wildcard match of a whole string.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic backtracking over the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches_table("items", "app", "items"));
        assert!(matches_table("IT*", "app", "items"));
        assert!(matches_table("*e?s", "app", "items"));
        assert!(!matches_table("item", "app", "items"));
        assert!(matches_table("app.*", "app", "items"));
        assert!(!matches_table("app.*", "shop", "items"));
        assert!(matches_table("*.items", "shop", "items"));
        assert!(matches_table("*", "shop", "x"));
    }
}
