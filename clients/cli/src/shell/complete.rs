//! Context-aware Tab completion, as a pure function of the catalog and the text typed so far:
//! - a `\` at the start of a statement: meta-commands;
//! - after `FROM`, `JOIN`, `INTO`, `UPDATE`, `TABLE`, `DESCRIBE`, `TO`, `\d`, `\flush`: tables
//!   (`ns.table`, or bare names of the current namespace) and namespaces (`ns.`);
//! - after `ns.`: that namespace's tables; after `table.`: that table's columns;
//! - after `USE`, `NAMESPACE`, `IN`, `\c`: namespaces;
//! - anywhere else: SQL keywords and the columns of the tables the statement names (all known
//!   columns when it names none yet).
//!
//! Keywords follow the case of what was typed (`sel` → `select`, `SEL` → `SELECT`).

use super::catalog::Catalog;
use super::meta::COMMAND_NAMES;
use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "ACCESS",
    "ADD",
    "ADVICE",
    "ADVISOR",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BY",
    "CACHE",
    "CACHES",
    "CASCADE",
    "CASE",
    "CLEAR",
    "COLUMN",
    "COMPACT",
    "COUNT",
    "CREATE",
    "CROSS",
    "CURRENT_TIMESTAMP",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "ELSE",
    "END",
    "EXECUTE",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FLUSH",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IF",
    "IN",
    "INNER",
    "INSERT",
    "INT",
    "INTO",
    "IS",
    "JOIN",
    "JSON",
    "KEY",
    "KILL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LIVE",
    "NAMESPACE",
    "NAMESPACES",
    "NOT",
    "NOW",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PASSWORD",
    "PLUGINS",
    "PRIMARY",
    "QUERY",
    "RENAME",
    "RETURNING",
    "RIGHT",
    "ROLE",
    "RUN",
    "SELECT",
    "SET",
    "SHARED",
    "SHOW",
    "SMALLINT",
    "STATS",
    "STORAGE",
    "STORAGES",
    "STREAM",
    "SUBSCRIBE",
    "TABLE",
    "TABLES",
    "TEXT",
    "THEN",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "UNION",
    "UPDATE",
    "USE",
    "USER",
    "USING",
    "UUID",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Words after which a table name comes.
const BEFORE_TABLE: &[&str] = &[
    "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE", "TO", "\\D", "\\DT", "\\FLUSH",
];
/// Words after which a namespace name comes.
const BEFORE_NAMESPACE: &[&str] = &["USE", "NAMESPACE", "IN", "\\C", "\\CONNECT", "\\DN"];

/// Completes the word ending at `pos` in `line`; `pending` holds the statement's earlier lines.
/// Returns where the replaced word starts in `line` and the candidates, sorted.
pub fn complete(
    catalog: &Catalog,
    namespace: Option<&str>,
    pending: &str,
    line: &str,
    pos: usize,
) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let start = line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '.' | '\\'))
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &line[start..pos];
    let before = format!("{pending}{}", &line[..start]);
    let statement = format!("{pending}{line}");
    let prev = before
        .split_whitespace()
        .next_back()
        .map(str::to_ascii_uppercase)
        .unwrap_or_default();
    let mut found = BTreeSet::new();
    if word.starts_with('\\') {
        if before.trim().is_empty() {
            found.extend(
                COMMAND_NAMES
                    .iter()
                    .filter(|c| c.starts_with(word))
                    .map(|c| c.to_string()),
            );
        }
    } else if BEFORE_NAMESPACE.contains(&prev.as_str()) {
        found.extend(namespaces(catalog, word, ""));
    } else if let Some((qualifier, rest)) = word.rsplit_once('.') {
        found.extend(qualified(catalog, namespace, &statement, qualifier, rest));
    } else if BEFORE_TABLE.contains(&prev.as_str()) {
        found.extend(namespaces(catalog, word, "."));
        if let Some(ns) = namespace {
            found.extend(
                catalog
                    .tables_in(ns)
                    .filter(|t| t.starts_with(word))
                    .map(str::to_string),
            );
        }
    } else {
        found.extend(keywords(word));
        let tables = statement_tables(&statement, namespace);
        let columns: Vec<&String> = if tables
            .iter()
            .any(|(ns, t)| !catalog.columns(ns, t).is_empty())
        {
            tables
                .iter()
                .flat_map(|(ns, t)| catalog.columns(ns, t))
                .collect()
        } else {
            catalog
                .all_tables()
                .flat_map(|(ns, t)| catalog.columns(ns, t))
                .collect()
        };
        found.extend(columns.into_iter().filter(|c| c.starts_with(word)).cloned());
    }
    (start, found.into_iter().collect())
}

fn namespaces(catalog: &Catalog, prefix: &str, suffix: &str) -> Vec<String> {
    catalog
        .namespaces()
        .filter(|ns| ns.starts_with(prefix))
        .map(|ns| format!("{ns}{suffix}"))
        .collect()
}

/// `ns.ta` → tables of `ns`; `table.co` (or `ns.table.co`) → columns of that table.
fn qualified(
    catalog: &Catalog,
    namespace: Option<&str>,
    statement: &str,
    qualifier: &str,
    rest: &str,
) -> Vec<String> {
    if catalog.has_namespace(qualifier) {
        return catalog
            .tables_in(qualifier)
            .filter(|t| t.starts_with(rest))
            .map(|t| format!("{qualifier}.{t}"))
            .collect();
    }
    let table = match qualifier.split_once('.') {
        Some((ns, t)) => Some((ns.to_string(), t.to_string())),
        None => statement_tables(statement, namespace)
            .into_iter()
            .find(|(_, t)| t == qualifier)
            .or_else(|| namespace.map(|ns| (ns.to_string(), qualifier.to_string()))),
    };
    table
        .map(|(ns, t)| {
            catalog
                .columns(&ns, &t)
                .iter()
                .filter(|c| c.starts_with(rest))
                .map(|c| format!("{qualifier}.{c}"))
                .collect()
        })
        .unwrap_or_default()
}

fn keywords(word: &str) -> Vec<String> {
    let upper = word.to_ascii_uppercase();
    let lower = !word.is_empty() && word.chars().all(|c| !c.is_ascii_uppercase());
    KEYWORDS
        .iter()
        .filter(|k| k.starts_with(&upper))
        .map(|k| {
            if lower {
                k.to_lowercase()
            } else {
                k.to_string()
            }
        })
        .collect()
}

/// Tables named after `FROM`, `JOIN`, `UPDATE` or `INTO` anywhere in the statement, as
/// `(namespace, table)`; bare names belong to the current namespace.
pub fn statement_tables(statement: &str, namespace: Option<&str>) -> Vec<(String, String)> {
    let words: Vec<&str> = statement
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut tables = Vec::new();
    for pair in words.windows(2) {
        let keyword = pair[0].to_ascii_uppercase();
        if !matches!(keyword.as_str(), "FROM" | "JOIN" | "UPDATE" | "INTO") {
            continue;
        }
        let name = pair[1].trim_matches('"').to_lowercase();
        match name.split_once('.') {
            Some((ns, t)) if !ns.is_empty() && !t.is_empty() => {
                tables.push((ns.to_string(), t.to_string()));
            }
            Some(_) => {}
            None => {
                if let Some(ns) = namespace {
                    tables.push((ns.to_string(), name));
                }
            }
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::catalog::tests::sample;

    fn names(line: &str) -> Vec<String> {
        complete(&sample(), None, "", line, line.len()).1
    }

    #[test]
    fn tables_after_from_and_after_a_namespace() {
        assert_eq!(names("SELECT * FROM app.it"), ["app.items"]);
        assert_eq!(names("SELECT * FROM app."), ["app.items", "app.orders"]);
        assert_eq!(names("select * from a"), ["app."]);
        assert_eq!(names("INSERT INTO sys"), ["system."]);
        let (start, found) = complete(&sample(), Some("app"), "", "SELECT * FROM or", 16);
        assert_eq!((start, found), (14, vec!["orders".to_string()]));
    }

    #[test]
    fn columns_of_the_tables_in_the_statement() {
        assert_eq!(names("SELECT * FROM app.items WHERE q"), ["qty", "query"]);
        assert_eq!(
            names("SELECT * FROM app.orders WHERE i"),
            [
                "id", "if", "in", "inner", "insert", "int", "into", "is", "item_id"
            ]
        );
        // The FROM clause may come after the cursor or on an earlier line.
        let line = "SELECT na FROM app.items";
        assert_eq!(
            complete(&sample(), None, "", line, 9).1,
            ["name", "namespace", "namespaces"]
        );
        let (_, found) = complete(&sample(), None, "SELECT *\nFROM app.items\n", "WHERE n", 7);
        assert_eq!(
            found,
            ["name", "namespace", "namespaces", "not", "now", "null"]
        );
        // With no table named yet, every known column is offered.
        assert!(names("SELECT user_").contains(&"user_id".to_string()));
        let line = "SELECT items.q FROM app.items";
        assert_eq!(complete(&sample(), None, "", line, 14).1, ["items.qty"]);
    }

    #[test]
    fn keywords_follow_the_typed_case() {
        assert_eq!(names("sel"), ["select"]);
        assert_eq!(names("SEL"), ["SELECT"]);
        assert_eq!(names("Sel"), ["SELECT"]);
    }

    #[test]
    fn namespaces_and_meta_commands() {
        assert_eq!(names("USE a"), ["app"]);
        assert_eq!(names("\\c e"), ["empty"]);
        assert_eq!(names("\\ti"), ["\\timing"]);
        assert!(names("\\d").contains(&"\\dt".to_string()));
        assert_eq!(names("\\d app.o"), ["app.orders"]);
        assert_eq!(names("SELECT \\ti"), Vec::<String>::new());
    }

    #[test]
    fn cache_and_advisor_statements_complete_and_unbuilt_ones_do_not() {
        assert_eq!(names("CLEAR CA"), ["CACHE", "CACHES", "CASCADE", "CASE"]);
        assert_eq!(names("SHOW CACHE"), ["CACHE", "CACHES"]);
        assert_eq!(names("SHOW PLUG"), ["PLUGINS"]);
        assert_eq!(names("SHOW ADV"), ["ADVICE", "ADVISOR"]);
        assert_eq!(names("RUN ADV"), ["ADVICE", "ADVISOR"]);
        assert_eq!(names("RU"), ["RUN"]);
        assert_eq!(names("SHOW STAT"), ["STATS"]);
        // Statements that do not exist yet are not offered.
        assert!(names("CREATE FLO").is_empty());
        assert!(names("BACK").is_empty());
    }
}
