//! The statements PostgreSQL clients send about the connection rather than the data, answered
//! here: `SET`/`RESET` (with `search_path` as the KalamDB namespace), `SHOW <parameter>`,
//! `BEGIN`/`COMMIT`/`ROLLBACK` and `DISCARD ALL`.
//!
//! KalamDB commits every statement on its own. A transaction block is accepted so that drivers
//! which open one for reads work, but a write inside it is refused (see `handler`): accepting
//! it would let a later ROLLBACK pretend to undo what is already committed.

use crate::error::error;
use crate::session::Conn;
use kalamdb_core::Engine;
use kalamdb_types::NamespaceId;

/// What a connection statement answers.
pub(crate) enum Local {
    /// A command tag (`SET`, `RESET`, `DISCARD ALL`).
    Tag(&'static str),
    /// `BEGIN` / `START TRANSACTION`.
    Begin,
    /// `COMMIT` / `END` (true) or `ROLLBACK` / `ABORT` (false).
    End { commit: bool },
    /// `SHOW name`: one row, one text column named after the parameter.
    Show { name: String, value: String },
}

/// The words of a statement, lower-cased, quotes kept.
fn words(sql: &str) -> Vec<String> {
    sql.trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// SHOW targets that are KalamDB statements, not parameters.
const KALAM_SHOW: &[&str] = &[
    "tables",
    "namespaces",
    "schemas",
    "storages",
    "plugins",
    "caches",
    "stats",
    "statistics",
    "advice",
    "flows",
    "export",
    "exports",
];

fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2 && (v.starts_with('\'') && v.ends_with('\'')) {
        return v[1..v.len() - 1].replace("''", "'");
    }
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        return v[1..v.len() - 1].to_string();
    }
    v.to_string()
}

/// The parameter a `SHOW name` reads; `None` for any other statement (KalamDB's own SHOW
/// statements included).
fn show_param(w: &[String]) -> Option<String> {
    (w.len() == 2 && w[0] == "show" && !KALAM_SHOW.contains(&w[1].as_str()))
        .then(|| w[1].trim_matches('"').to_string())
}

/// [`show_param`] of a statement's text: the column name of its one-row answer.
pub(crate) fn show_name(sql: &str) -> Option<String> {
    show_param(&words(sql))
}

/// Whether `sql` is a connection statement, by its first word (a SHOW: by its parameter);
/// [`answer`] reads the rest.
pub(crate) fn is_local(sql: &str) -> bool {
    let w = words(sql);
    match w.first().map(String::as_str) {
        Some(
            "set" | "reset" | "begin" | "start" | "commit" | "end" | "rollback" | "abort"
            | "discard",
        ) => true,
        Some("show") => show_param(&w).is_some(),
        _ => false,
    }
}

/// `Some` when `sql` is a connection statement, answered (or refused) here.
pub(crate) async fn answer(
    engine: &Engine,
    conn: &Conn,
    sql: &str,
    server_version: &str,
) -> Option<pgwire::error::PgWireResult<Local>> {
    let w = words(sql);
    let first = w.first()?.as_str();
    let result = match first {
        "begin" | "start"
            if w.len() == 1
                || w.get(1).is_some_and(|s| {
                    s.starts_with("transaction") || s == "work" || s.starts_with("isolation")
                }) =>
        {
            Ok(Local::Begin)
        }
        "commit" | "end" => Ok(Local::End { commit: true }),
        "rollback" | "abort" => Ok(Local::End { commit: false }),
        "discard" => Ok(Local::Tag("DISCARD ALL")),
        "set" => Some(set(engine, conn, sql).await).map(|r| r.map(|()| Local::Tag("SET")))?,
        "reset" => {
            let name = w.get(1).cloned().unwrap_or_default();
            if name == "all" {
                conn.params
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
            } else {
                conn.set_param(name, None);
            }
            Ok(Local::Tag("RESET"))
        }
        "show" => match show_param(&w) {
            Some(name) => show(conn, &name, server_version).await,
            None => return None,
        },
        _ => return None,
    };
    Some(result)
}

async fn set(engine: &Engine, conn: &Conn, sql: &str) -> pgwire::error::PgWireResult<()> {
    let body = sql.trim().trim_end_matches(';').trim();
    let body = body[3..].trim_start();
    let lower = body.to_ascii_lowercase();
    let body = if lower.starts_with("session ") {
        body[8..].trim_start()
    } else if lower.starts_with("local ") {
        body[6..].trim_start()
    } else {
        body
    };
    let lower = body.to_ascii_lowercase();
    // SET TIME ZONE 'UTC', SET NAMES 'UTF8'
    if let Some(zone) = lower.strip_prefix("time zone") {
        conn.set_param(
            "timezone".into(),
            Some(unquote(&body[body.len() - zone.len()..])),
        );
        return Ok(());
    }
    let (name, value) = match body.find('=') {
        Some(eq) => (body[..eq].trim(), body[eq + 1..].trim()),
        None => match lower.find(" to ") {
            Some(at) => (body[..at].trim(), body[at + 4..].trim()),
            None => {
                return Err(error(
                    "42601",
                    format!(
                        "syntax error in SET: expected SET name = value or SET name TO value, got \"{sql}\""
                    ),
                ));
            }
        },
    };
    let name = name.to_ascii_lowercase();
    if name == "search_path" {
        // The first schema of the path that is a namespace becomes the session's namespace;
        // `public`, `"$user"` and `pg_catalog` are PostgreSQL's own and are skipped.
        let mut chosen = None;
        for part in value.split(',') {
            let ns = unquote(part).to_ascii_lowercase();
            if ns.is_empty() || ns == "public" || ns == "$user" || ns == "pg_catalog" {
                continue;
            }
            let id = NamespaceId::new(ns.clone());
            if engine.catalog.namespace(&id).is_none() {
                return Err(error(
                    "3F000",
                    format!("schema \"{ns}\" does not exist: create it with CREATE NAMESPACE {ns}"),
                ));
            }
            chosen = Some(id);
            break;
        }
        conn.session.lock().await.namespace = chosen;
    }
    let value = value.split(',').map(unquote).collect::<Vec<_>>().join(", ");
    conn.set_param(name, Some(value));
    Ok(())
}

async fn show(conn: &Conn, name: &str, server_version: &str) -> pgwire::error::PgWireResult<Local> {
    let name = name.to_string();
    let value = match name.as_str() {
        "search_path" => match &conn.session.lock().await.namespace {
            Some(ns) => ns.to_string(),
            None => conn
                .param("search_path")
                .unwrap_or_else(|| "\"$user\", public".into()),
        },
        "server_version" => server_version.to_string(),
        "server_version_num" => "150000".into(),
        "server_encoding" | "client_encoding" => conn.param(&name).unwrap_or_else(|| "UTF8".into()),
        "datestyle" => conn.param(&name).unwrap_or_else(|| "ISO, MDY".into()),
        "timezone" => conn.param(&name).unwrap_or_else(|| "UTC".into()),
        "intervalstyle" => conn.param(&name).unwrap_or_else(|| "postgres".into()),
        "transaction_isolation" | "default_transaction_isolation" => "read committed".into(),
        "transaction_read_only" | "default_transaction_read_only" => "off".into(),
        "standard_conforming_strings" | "integer_datetimes" => "on".into(),
        "max_identifier_length" => "63".into(),
        "is_superuser" => if conn.session.lock().await.role.is_admin() {
            "on"
        } else {
            "off"
        }
        .into(),
        "application_name" | "extra_float_digits" | "statement_timeout" => {
            conn.param(&name).unwrap_or_default()
        }
        other => match conn.param(other) {
            Some(v) => v,
            None => {
                return Err(error(
                    "42704",
                    format!("unrecognized configuration parameter \"{other}\""),
                ));
            }
        },
    };
    Ok(Local::Show { name, value })
}
