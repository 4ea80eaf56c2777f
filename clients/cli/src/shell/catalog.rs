//! What Tab completion knows about the server: namespaces, tables and their columns. Loaded at
//! start, after DDL and on `\refresh` from `information_schema.columns` (every role may read it,
//! unlike `system.tables`/`system.columns`, which need dba; it also lists the `system` tables)
//! and `SHOW NAMESPACES` (which adds namespaces that have no table yet).

use kalam_link::{KalamClient, QueryResult, QueryResultExt};
use std::collections::{BTreeMap, BTreeSet};
use tokio::runtime::Runtime;

const COLUMNS_SQL: &str = "SELECT table_schema, table_name, column_name \
     FROM information_schema.columns ORDER BY table_schema, table_name, ordinal_position";
const NAMESPACES_SQL: &str = "SHOW NAMESPACES";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    namespaces: BTreeSet<String>,
    /// namespace → table → columns in table order.
    tables: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Catalog {
    /// Loads the catalog; what cannot be read stays empty (completion is a convenience and
    /// must never stop the shell).
    pub fn load(runtime: &Runtime, client: &KalamClient) -> Catalog {
        let columns = runtime.block_on(client.query(COLUMNS_SQL)).ok();
        let namespaces = runtime.block_on(client.query(NAMESPACES_SQL)).ok();
        Catalog::from_results(
            columns.as_ref().and_then(|r| r.first()),
            namespaces.as_ref().and_then(|r| r.first()),
        )
    }

    pub fn from_results(columns: Option<&QueryResult>, namespaces: Option<&QueryResult>) -> Self {
        let mut catalog = Catalog::default();
        for row in columns.map(|r| r.row_views()).unwrap_or_default() {
            let (Ok(Some(ns)), Ok(Some(table)), Ok(Some(column))) = (
                row.get_str("table_schema"),
                row.get_str("table_name"),
                row.get_str("column_name"),
            ) else {
                continue;
            };
            catalog.namespaces.insert(ns.to_string());
            catalog
                .tables
                .entry(ns.to_string())
                .or_default()
                .entry(table.to_string())
                .or_default()
                .push(column.to_string());
        }
        for row in namespaces.map(|r| r.row_views()).unwrap_or_default() {
            if let Ok(Some(ns)) = row.get_str("namespace_id") {
                catalog.namespaces.insert(ns.to_string());
            }
        }
        catalog
    }

    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces.iter().map(String::as_str)
    }

    /// Tables of one namespace.
    pub fn tables_in(&self, namespace: &str) -> impl Iterator<Item = &str> {
        self.tables
            .get(namespace)
            .into_iter()
            .flat_map(|tables| tables.keys().map(String::as_str))
    }

    /// Every table as `(namespace, table)`.
    pub fn all_tables(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tables
            .iter()
            .flat_map(|(ns, tables)| tables.keys().map(move |t| (ns.as_str(), t.as_str())))
    }

    pub fn columns(&self, namespace: &str, table: &str) -> &[String] {
        self.tables
            .get(namespace)
            .and_then(|tables| tables.get(table))
            .map_or(&[], Vec::as_slice)
    }

    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.namespaces.contains(namespace)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use serde_json::json;

    /// `app.items (id, name, qty)`, `app.orders (id, item_id)`, `system.users (user_id)` and an
    /// empty namespace `empty`.
    pub fn sample() -> Catalog {
        let columns: QueryResult = serde_json::from_value(json!({
            "schema": [
                {"name":"table_schema","data_type":"Text","index":0},
                {"name":"table_name","data_type":"Text","index":1},
                {"name":"column_name","data_type":"Text","index":2}
            ],
            "rows": [
                ["app","items","id"],["app","items","name"],["app","items","qty"],
                ["app","orders","id"],["app","orders","item_id"],
                ["system","users","user_id"]
            ],
            "row_count": 6
        }))
        .unwrap_or_default();
        let namespaces: QueryResult = serde_json::from_value(json!({
            "schema": [{"name":"namespace_id","data_type":"Text","index":0}],
            "rows": [["app"],["empty"]], "row_count": 2
        }))
        .unwrap_or_default();
        Catalog::from_results(Some(&columns), Some(&namespaces))
    }

    #[test]
    fn catalog_from_information_schema() {
        let catalog = sample();
        assert_eq!(
            catalog.namespaces().collect::<Vec<_>>(),
            ["app", "empty", "system"]
        );
        assert_eq!(
            catalog.tables_in("app").collect::<Vec<_>>(),
            ["items", "orders"]
        );
        assert_eq!(catalog.columns("app", "items"), ["id", "name", "qty"]);
        assert!(catalog.columns("app", "nope").is_empty());
        assert_eq!(catalog.all_tables().count(), 3);
    }
}
