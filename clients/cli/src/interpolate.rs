//! psql's variable interpolation for the shell's SQL: `:name` becomes the value of `\set name`,
//! `:'name'` the value as a string literal (quotes doubled) and `:"name"` as a quoted
//! identifier. Nothing is replaced inside string literals, quoted identifiers, dollar-quoted
//! bodies or comments, `::` stays a cast, and an unknown name is left as typed (psql does the
//! same), so SQL without variables passes through unchanged.

use std::collections::BTreeMap;

pub fn interpolate(sql: &str, vars: &BTreeMap<String, String>) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let is_start = |c: char| c.is_alphabetic() || c == '_';
    let is_part = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Regions copied as they are, up to and including their end.
        let end: Option<&str> = match (c, next) {
            ('\'', _) => Some("'"),
            ('"', _) => Some("\""),
            ('-', Some('-')) => Some("\n"),
            ('/', Some('*')) => Some("*/"),
            ('$', Some('$')) => Some("$$"),
            _ => None,
        };
        if let Some(end) = end {
            let skip = if c == '$' || c == '/' || c == '-' {
                2
            } else {
                1
            };
            let rest: String = chars[i + skip..].iter().collect();
            let stop = rest.find(end).map_or(rest.len(), |at| at + end.len());
            out.extend(&chars[i..i + skip]);
            out.push_str(&rest[..stop]);
            i += skip + rest[..stop].chars().count();
            continue;
        }
        if c == ':' {
            if next == Some(':') {
                out.push_str("::");
                i += 2;
                continue;
            }
            if let Some(quote @ ('\'' | '"')) = next {
                let name_start = i + 2;
                let mut j = name_start;
                while j < chars.len() && is_part(chars[j]) {
                    j += 1;
                }
                let name: String = chars[name_start..j].iter().collect();
                if chars.get(j) == Some(&quote)
                    && let Some(value) = vars.get(&name)
                {
                    let doubled = value.replace(quote, &format!("{quote}{quote}"));
                    out.push(quote);
                    out.push_str(&doubled);
                    out.push(quote);
                    i = j + 1;
                    continue;
                }
            } else if next.is_some_and(is_start) {
                let mut j = i + 1;
                while j < chars.len() && is_part(chars[j]) {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                if let Some(value) = vars.get(&name) {
                    out.push_str(value);
                    i = j;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("tbl".to_string(), "app.notes".to_string()),
            ("who".to_string(), "O'Brien".to_string()),
            ("col".to_string(), "Body \"x\"".to_string()),
        ])
    }

    #[test]
    fn names_literals_and_identifiers_are_replaced() {
        assert_eq!(
            interpolate("SELECT :\"col\" FROM :tbl WHERE who = :'who';", &vars()),
            "SELECT \"Body \"\"x\"\"\" FROM app.notes WHERE who = 'O''Brien';"
        );
    }

    #[test]
    fn quotes_comments_casts_and_unknown_names_stay() {
        let sql =
            "SELECT ':tbl', \":tbl\", 1::BIGINT, :nope, $$ :tbl $$ -- :tbl\n/* :tbl */ FROM t";
        assert_eq!(interpolate(sql, &vars()), sql);
        assert_eq!(interpolate("SELECT 1", &BTreeMap::new()), "SELECT 1");
    }
}
