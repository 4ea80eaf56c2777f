//! The interactive shell (rustyline): statements may span lines and run when a line ends them
//! with `;`; backslash meta-commands ([`meta`]) run at once; `USE ns` / `\c ns` is remembered
//! and sent with later statements; Tab completes from the server's catalog; history is kept in
//! `~/.kalam/history` without secrets. Ctrl-C discards the statement being typed or stops
//! waiting for a running query; Ctrl-D or `\q` quits.
//!
//! - [`meta`]: parsing backslash commands; [`commands`]: running them.
//! - [`catalog`], [`complete`], [`helper`]: Tab completion.
//! - [`history`]: the history file and which entries stay out of it.
//! - [`pattern`]: `*`/`?` patterns of `\dt`.
//! - [`subscribe`]: `\subscribe`, live rows over the WebSocket.
//! - [`settings`]: `\set`, `\unset`, `\pset`; [`watch`]: `\watch`; [`edit`]: `\e`;
//!   [`copy`]: `\copy` to and from CSV files.

mod catalog;
mod commands;
mod complete;
mod copy;
mod edit;
mod helper;
mod history;
mod meta;
mod pattern;
mod settings;
mod subscribe;
mod transfer;
mod watch;

use crate::connect::Session;
use crate::home::KalamHome;
use crate::output::{Exit, Printer};
use crate::query::{self, Outcome};
use crate::statement;
use catalog::Catalog;
use helper::KalamHelper;
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::{CompletionType, Config, Editor};
use std::path::PathBuf;
use tokio::runtime::Runtime;

const MAX_HISTORY: usize = 2000;

/// One interactive session.
pub struct Shell<'a> {
    runtime: &'a Runtime,
    session: &'a Session,
    printer: Printer,
    /// The namespace of `USE ns`, sent with every statement.
    namespace: Option<String>,
    editor: Editor<KalamHelper, FileHistory>,
    history: Option<PathBuf>,
    /// `\set` variables (`ON_ERROR_STOP` decides how `\i` scripts end), by name.
    vars: std::collections::BTreeMap<String, String>,
    /// The last SQL sent from the prompt (`\watch`, `\e`).
    last_sql: Option<String>,
    /// Text `\e` returned without a closing `;`: it becomes the statement being typed.
    edited: Option<String>,
}

pub fn run(
    runtime: &Runtime,
    session: &Session,
    printer: Printer,
    home: Option<&KalamHome>,
    stop_on_error: bool,
) -> Exit {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(MAX_HISTORY)
        .map(|b| b.build());
    let editor = config.and_then(Editor::<KalamHelper, FileHistory>::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("could not start the interactive shell: {e}");
            return Exit::SqlError;
        }
    };
    let history = history::prepare(home);
    if let Some(path) = &history
        && let Err(e) = editor.load_history(path)
        && !matches!(&e, ReadlineError::Io(io) if io.kind() == std::io::ErrorKind::NotFound)
    {
        eprintln!("could not load the history {}: {e}", path.display());
    }
    editor.set_helper(Some(KalamHelper {
        catalog: Catalog::load(runtime, &session.client),
        ..KalamHelper::default()
    }));
    let mut shell = Shell {
        runtime,
        session,
        printer,
        namespace: None,
        editor,
        history,
        vars: std::collections::BTreeMap::from([(
            settings::ON_ERROR_STOP.to_string(),
            if stop_on_error { "on" } else { "off" }.to_string(),
        )]),
        last_sql: None,
        edited: None,
    };
    shell.banner();
    shell.repl()
}

impl Shell<'_> {
    fn banner(&self) {
        let who = self
            .session
            .user
            .as_deref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default();
        println!(
            "Connected to KalamDB {} at {}{who}. Type \\? for help, \\q to quit.",
            self.session.version,
            self.session.client.url()
        );
    }

    fn repl(&mut self) -> Exit {
        let mut buffer = String::new();
        let exit = loop {
            let prompt = if buffer.is_empty() {
                format!("{}> ", self.namespace.as_deref().unwrap_or("kalam"))
            } else {
                "    -> ".to_string()
            };
            self.printer.display.width = self.editor.dimensions().map(|(w, _)| usize::from(w));
            if let Some(helper) = self.editor.helper_mut() {
                helper.pending.clone_from(&buffer);
                helper.namespace.clone_from(&self.namespace);
            }
            let line = match self.editor.readline(&prompt) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    buffer.clear();
                    continue;
                }
                Err(ReadlineError::Eof) => break Exit::Ok,
                Err(e) => {
                    eprintln!("could not read input: {e}");
                    break Exit::SqlError;
                }
            };
            let command = line.trim();
            if command.starts_with('\\') {
                self.remember(command);
                match meta::parse(command) {
                    // `\e` works on the statement being typed.
                    meta::Meta::Edit(path) => {
                        if let Some(sql) = self.edit(&buffer, path.as_deref()) {
                            buffer.clear();
                            self.remember(sql.trim());
                            self.execute(&sql);
                        } else if let Some(typed) = self.edited.take() {
                            buffer = typed;
                        }
                    }
                    // `\watch` runs the statement being typed, else the last one.
                    meta::Meta::Watch(seconds) if !buffer.trim().is_empty() => {
                        let sql = std::mem::take(&mut buffer);
                        self.watch(&sql, seconds);
                    }
                    other => {
                        if !self.meta(other) {
                            break Exit::Ok;
                        }
                    }
                }
                continue;
            }
            if buffer.is_empty() {
                match command {
                    "" => continue,
                    "quit" | "exit" => break Exit::Ok,
                    "help" => {
                        println!("{}", meta::HELP);
                        continue;
                    }
                    _ => {}
                }
            }
            buffer.push_str(&line);
            buffer.push('\n');
            if statement::is_complete(&buffer) {
                let sql = std::mem::take(&mut buffer);
                self.remember(sql.trim());
                self.execute(&sql);
            }
        };
        self.save_history();
        exit
    }

    /// Adds an entry to the history unless it holds a secret.
    fn remember(&mut self, entry: &str) {
        if !history::is_secret(entry) {
            let _ = self.editor.add_history_entry(entry);
        }
    }

    fn save_history(&mut self) {
        let Some(path) = &self.history else { return };
        // Entries with secrets were never added; drop any an older version left behind.
        let history = self.editor.history_mut();
        let len = history.len();
        let kept: Vec<String> = (0..len)
            .filter_map(|i| {
                history
                    .get(i, rustyline::history::SearchDirection::Forward)
                    .ok()
                    .flatten()
                    .map(|r| r.entry.into_owned())
            })
            .filter(|e| !history::is_secret(e))
            .collect();
        if kept.len() != len {
            let _ = history.clear();
            for entry in kept {
                let _ = history.add_owned(entry);
            }
        }
        if let Err(e) = self.editor.save_history(path) {
            eprintln!("could not save the history {}: {e}", path.display());
        }
    }

    /// Runs SQL typed or read by `\i`, prints the outcome, follows `USE` and reloads the
    /// completion catalog after DDL. Returns whether it succeeded.
    fn execute(&mut self, typed: &str) -> bool {
        let session = self.session;
        let client = &session.client;
        self.last_sql = Some(typed.to_string());
        let interpolated = crate::interpolate::interpolate(typed, &self.vars);
        let sql = interpolated.as_str();
        // `SUBSCRIBE TO` over HTTP only says how to subscribe: the shell does it.
        if let [single] = statement::split(sql).as_slice()
            && let Some(parsed) = subscribe::from_subscribe_to(single, self.namespace.as_deref())
        {
            return match parsed {
                Ok((select, options)) => {
                    subscribe::run(self.runtime, client, &mut self.printer, &select, options);
                    true
                }
                Err(message) => {
                    self.printer.error_text(&format!("ERROR: {message}"));
                    false
                }
            };
        }
        let outcome = query::run(
            self.runtime,
            client,
            sql,
            self.namespace.as_deref(),
            self.printer.spinner,
        );
        match outcome {
            Outcome::Done(Ok(response)) => {
                self.printer.response(&response);
                // HTTP is stateless: remember the namespace a successful USE selected.
                if let Some(ns) = statement::split(sql)
                    .into_iter()
                    .filter_map(statement::use_namespace)
                    .next_back()
                {
                    self.namespace = Some(ns);
                }
                if statement::split(sql).into_iter().any(statement::is_ddl) {
                    self.reload_catalog();
                }
                true
            }
            Outcome::Done(Err(err)) => {
                self.printer.error(client.url(), &err, Some(sql));
                false
            }
            Outcome::Cancelled => {
                eprintln!("{}", query::CANCELLED);
                false
            }
        }
    }

    /// `\i FILE`: the script's statements one at a time ([`crate::script`]).
    fn include(&mut self, name: &str, sql: &str) {
        let session = self.session;
        let stop_on_error = self.stop_on_error();
        let finished = crate::script::run(
            self.runtime,
            &session.client,
            &mut self.printer,
            name,
            sql,
            self.namespace.take(),
            stop_on_error,
            &self.vars,
        );
        self.namespace = finished.namespace;
        if finished.changed_catalog {
            self.reload_catalog();
        }
    }

    fn reload_catalog(&mut self) -> usize {
        let catalog = Catalog::load(self.runtime, &self.session.client);
        let tables = catalog.all_tables().count();
        if let Some(helper) = self.editor.helper_mut() {
            helper.catalog = catalog;
        }
        tables
    }

    fn catalog(&self) -> Option<&Catalog> {
        self.editor.helper().map(|h| &h.catalog)
    }
}
