//! Scripts (`-f FILE`, `\i FILE`) run the way psql runs them: one statement per request, each
//! result printed before the next statement is sent, and an error reported with the file and
//! line of the failing statement (`kalam:schema.sql:3: ERROR ...`).
//!
//! `ON_ERROR_STOP` (`-v ON_ERROR_STOP=1`, the default) stops at the first error and exits 3, as
//! psql does with the variable set; `-v ON_ERROR_STOP=0` goes on with the next statement, and
//! the script then ends with status 0, as psql's does. A lost connection always stops (status 2).

use crate::output::{Exit, Printer};
use crate::query::{self, Outcome};
use crate::statement;
use kalam_link::KalamClient;
use tokio::runtime::Runtime;

/// What a script left behind for the session that ran it.
pub struct Finished {
    pub exit: Exit,
    /// The namespace after the script's last successful `USE`.
    pub namespace: Option<String>,
    /// Whether a CREATE, DROP or ALTER succeeded (the shell reloads its catalog).
    pub changed_catalog: bool,
}

/// Runs `text`, the script called `name` in messages, with `vars` interpolated (`\set`).
pub fn run(
    runtime: &Runtime,
    client: &KalamClient,
    printer: &mut Printer,
    name: &str,
    text: &str,
    mut namespace: Option<String>,
    stop_on_error: bool,
    vars: &std::collections::BTreeMap<String, String>,
) -> Finished {
    let mut changed_catalog = false;
    for (line, sql) in kalamdb_split::split_with_lines(text) {
        let sql = &crate::interpolate::interpolate(sql, vars);
        let outcome = query::run(runtime, client, sql, namespace.as_deref(), printer.spinner);
        let exit = match outcome {
            Outcome::Done(Ok(response)) => {
                printer.response(&response);
                if let Some(ns) = statement::use_namespace(sql) {
                    namespace = Some(ns);
                }
                changed_catalog |= statement::is_ddl(sql);
                continue;
            }
            Outcome::Done(Err(err)) => {
                printer.error_at(client.url(), &err, sql, &format!("kalam:{name}:{line}: "))
            }
            Outcome::Cancelled => {
                eprintln!("{}", query::CANCELLED);
                Exit::SqlError
            }
        };
        if exit != Exit::SqlError || stop_on_error {
            let exit = if exit == Exit::SqlError && stop_on_error {
                Exit::ScriptError
            } else {
                exit
            };
            return Finished {
                exit,
                namespace,
                changed_catalog,
            };
        }
    }
    Finished {
        exit: Exit::Ok,
        namespace,
        changed_catalog,
    }
}

/// `ON_ERROR_STOP` from `-v NAME=VALUE` settings: on unless set to a false value.
pub fn on_error_stop(settings: &[String]) -> Result<bool, String> {
    let mut stop = true;
    for setting in settings {
        let (name, value) = setting.split_once('=').unwrap_or((setting, "on"));
        if !name.eq_ignore_ascii_case("ON_ERROR_STOP") {
            return Err(format!(
                "unknown variable '{name}' in -v {setting}: kalam knows ON_ERROR_STOP"
            ));
        }
        stop = match value.to_ascii_lowercase().as_str() {
            "1" | "on" | "true" | "yes" => true,
            "0" | "off" | "false" | "no" => false,
            _ => {
                return Err(format!(
                    "invalid value '{value}' for ON_ERROR_STOP: use on or off (1 or 0)"
                ));
            }
        };
    }
    Ok(stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_error_stop_values() {
        assert_eq!(on_error_stop(&[]), Ok(true));
        assert_eq!(on_error_stop(&["ON_ERROR_STOP=0".into()]), Ok(false));
        assert_eq!(on_error_stop(&["on_error_stop=off".into()]), Ok(false));
        assert_eq!(on_error_stop(&["ON_ERROR_STOP".into()]), Ok(true));
        assert!(on_error_stop(&["ON_ERROR_STOP=maybe".into()]).is_err());
        assert!(
            on_error_stop(&["ECHO=all".into()])
                .unwrap_err()
                .contains("ECHO")
        );
    }
}
