//! Just enough SQL lexing for the shell: where statements end (the server's splitter) and which
//! namespace a `USE ns` selects. The server parses the SQL itself.

/// Splits `sql` into statements at `;` outside quotes and comments: the server's own splitter
/// (`kalamdb-split`), so the shell sends exactly the statements the server will see.
pub use kalamdb_split::{is_complete, split};

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

#[cfg(test)]
mod tests {
    use super::*;

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
