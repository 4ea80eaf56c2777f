//! Running meta-commands. Listings (`\dt`, `\d`, `\dn`, `\du`) are SQL the server answers
//! (`SHOW TABLES`, `DESCRIBE TABLE`, `SHOW NAMESPACES`, `system.users`), printed as titled
//! tables to the query output (so `\o` captures them too); settings print psql's messages.

use super::Shell;
use super::meta::{HELP, Meta};
use super::{pattern, subscribe};
use crate::render::{Expanded, table};
use kalam_link::{HealthStatus, QueryResult, QueryResultExt};

const USERS_SQL: &str = "SELECT username, role, email, storage_mode, created_at \
     FROM system.users WHERE deleted_at IS NULL ORDER BY username";

impl Shell<'_> {
    /// Runs one meta-command; `false` means quit.
    pub(super) fn meta(&mut self, meta: Meta) -> bool {
        match meta {
            Meta::Quit => return false,
            Meta::Help => println!("{HELP}"),
            Meta::ConnInfo => self.conninfo(),
            Meta::Health => self.health(),
            Meta::Refresh => {
                let tables = self.reload_catalog();
                let namespaces = self.catalog().map_or(0, |c| c.namespaces().count());
                println!("Completion knows {tables} tables in {namespaces} namespaces.");
            }
            Meta::Include(path) => match std::fs::read_to_string(&path) {
                Ok(sql) if sql.trim().is_empty() => {}
                Ok(sql) => self.include(&path.display().to_string(), &sql),
                Err(e) => eprintln!("{}: {e}", path.display()),
            },
            Meta::Output(path) => {
                if let Err(e) = self.printer.set_sink(path.as_deref()) {
                    let path = path.unwrap_or_default();
                    eprintln!("could not open {}: {e}", path.display());
                }
            }
            Meta::Timing(value) => {
                let on = value.unwrap_or(!self.printer.display.timing);
                self.printer.display.timing = on;
                println!("Timing is {}.", if on { "on" } else { "off" });
            }
            Meta::Expanded(value) => {
                let current = self.printer.display.expanded;
                let next = value.unwrap_or(if current == Expanded::On {
                    Expanded::Off
                } else {
                    Expanded::On
                });
                self.printer.display.expanded = next;
                println!(
                    "Expanded display is {}.",
                    match next {
                        Expanded::On => "on",
                        Expanded::Off => "off",
                        Expanded::Auto => "used automatically",
                    }
                );
            }
            Meta::ListTables(pattern) => self.list_tables(pattern.as_deref()),
            Meta::Describe(table) => self.describe(&table),
            Meta::ListNamespaces => {
                self.listing("SHOW NAMESPACES", "List of namespaces");
            }
            Meta::ListUsers => {
                self.listing(USERS_SQL, "List of users");
            }
            Meta::UseNamespace(Some(ns)) => {
                if self.quiet(&format!("USE {ns}")).is_some() {
                    self.namespace =
                        Some(crate::statement::use_namespace(&format!("USE {ns}")).unwrap_or(ns));
                    println!(
                        "You are now using namespace \"{}\".",
                        self.namespace.as_deref().unwrap_or_default()
                    );
                }
            }
            Meta::UseNamespace(None) => match &self.namespace {
                Some(ns) => println!("You are using namespace \"{ns}\"."),
                None => println!("No namespace is in use; table names need one (ns.table)."),
            },
            Meta::Flush(table) => {
                let sql = match (table, &self.namespace) {
                    (Some(t), _) => format!("STORAGE FLUSH TABLE {}", self.qualify(&t)),
                    (None, Some(ns)) => format!("STORAGE FLUSH ALL IN {ns}"),
                    (None, None) => "STORAGE FLUSH ALL".to_string(),
                };
                self.execute(&sql);
            }
            Meta::Subscribe(sql) => {
                let session = self.session;
                subscribe::run(
                    self.runtime,
                    &session.client,
                    &mut self.printer,
                    &sql,
                    kalam_link::SubscribeOptions::default(),
                );
            }
            Meta::Upload(path) => self.upload(&path),
            Meta::Download(id, path) => self.download(&id, path.as_deref()),
            Meta::Export(path) => self.export(path.as_deref()),
            Meta::Pset(option, value) => self.pset(option.as_deref(), value.as_deref()),
            Meta::Set(assignment) => self.set(assignment),
            Meta::Unset(name) => self.unset(&name),
            Meta::Watch(seconds) => self.watch_last(seconds),
            Meta::Edit(path) => {
                if let Some(sql) = self.edit("", path.as_deref()) {
                    self.execute(&sql);
                }
            }
            Meta::Copy(text) => self.copy(&text),
            Meta::Invalid(message) => eprintln!("{message}"),
            Meta::Unknown(name) => eprintln!("Unknown command: {name}. Type \\? for help."),
        }
        true
    }

    fn conninfo(&self) {
        let session = self.session;
        let user = session
            .user
            .as_deref()
            .map(|u| format!(" as user \"{u}\""))
            .unwrap_or_else(|| " with a token".to_string());
        let ns = self
            .namespace
            .as_deref()
            .map(|ns| format!(", namespace \"{ns}\""))
            .unwrap_or_default();
        println!(
            "You are connected to KalamDB {} at {}{user}{ns}.",
            session.version,
            session.client.url()
        );
        if let Some(path) = self.printer.sink_path() {
            println!("Query output goes to {}.", path.display());
        }
    }

    fn health(&self) {
        let session = self.session;
        let client = &session.client;
        match self.runtime.block_on(client.health()) {
            HealthStatus::Ok(version) => {
                println!("Server at {} is healthy (KalamDB {version}).", client.url())
            }
            other => eprintln!("{other}"),
        }
    }

    /// `ns.table` for a bare table name when a namespace is in use.
    fn qualify(&self, table: &str) -> String {
        match (&self.namespace, table.contains('.')) {
            (Some(ns), false) => format!("{ns}.{table}"),
            _ => table.to_string(),
        }
    }

    /// Runs SQL whose result a meta-command prints itself; errors are printed here.
    pub(super) fn quiet(&mut self, sql: &str) -> Option<QueryResult> {
        let session = self.session;
        let client = &session.client;
        let result =
            self.runtime
                .block_on(client.query_with(sql, Vec::new(), self.namespace.as_deref()));
        match result {
            Ok(mut response) => Some(response.results.drain(..).next().unwrap_or_default()),
            Err(err) => {
                self.printer.error(client.url(), &err, None);
                None
            }
        }
    }

    fn listing(&mut self, sql: &str, title: &str) -> Option<()> {
        let result = self.quiet(sql)?;
        self.print_titled(title, &result);
        Some(())
    }

    fn print_titled(&mut self, title: &str, result: &QueryResult) {
        let text = format!("{title}\n{}", table::render_result(result));
        self.printer.text(&text);
    }

    fn list_tables(&mut self, pattern: Option<&str>) {
        let Some(mut result) = self.quiet("SHOW TABLES") else {
            return;
        };
        if let Some(pattern) = pattern {
            let (ns, t) = (
                result.column_index("namespace_id"),
                result.column_index("table_name"),
            );
            let keep = |row: &Vec<serde_json::Value>| {
                let text = |i: Option<usize>| {
                    i.and_then(|i| row.get(i))
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                };
                pattern::matches_table(pattern, text(ns), text(t))
            };
            if let Some(rows) = result.rows.as_mut() {
                rows.retain(keep);
                result.row_count = rows.len();
            }
        }
        if result.rows.as_ref().is_none_or(Vec::is_empty) {
            match pattern {
                Some(p) => eprintln!("Did not find any table named \"{p}\"."),
                None => eprintln!("Did not find any tables."),
            }
            return;
        }
        self.print_titled("List of tables", &result);
    }

    fn describe(&mut self, table: &str) {
        let name = if table.contains('.') || self.namespace.is_some() {
            self.qualify(table)
        } else {
            // Without a namespace, a table name that exists in exactly one namespace is enough.
            let found: Vec<String> = self
                .catalog()
                .map(|c| {
                    c.all_tables()
                        .filter(|(_, t)| *t == table.to_lowercase())
                        .map(|(ns, t)| format!("{ns}.{t}"))
                        .collect()
                })
                .unwrap_or_default();
            match found.as_slice() {
                [one] => one.clone(),
                [] => {
                    eprintln!("Did not find any table named \"{table}\".");
                    return;
                }
                _ => {
                    eprintln!(
                        "\"{table}\" is in several namespaces ({}); name one, e.g. \\d {}",
                        found.join(", "),
                        found.first().map_or("", String::as_str)
                    );
                    return;
                }
            }
        };
        if let Some(result) = self.quiet(&format!("DESCRIBE TABLE {name}")) {
            self.print_titled(&format!("Table \"{name}\""), &result);
        }
    }
}
