//! Meta-commands (psql's backslash commands) parsed into [`Meta`], one variant per command, so
//! the shell matches on types rather than strings.

use crate::render::Expanded;
use std::path::PathBuf;

/// Every meta-command name, for `\?` and Tab completion.
pub const COMMAND_NAMES: &[&str] = &[
    "\\?",
    "\\c",
    "\\connect",
    "\\conninfo",
    "\\copy",
    "\\d",
    "\\dn",
    "\\dt",
    "\\du",
    "\\e",
    "\\flush",
    "\\h",
    "\\health",
    "\\help",
    "\\i",
    "\\l",
    "\\o",
    "\\pset",
    "\\q",
    "\\refresh",
    "\\set",
    "\\subscribe",
    "\\timing",
    "\\unset",
    "\\upload",
    "\\download",
    "\\export",
    "\\watch",
    "\\x",
];

pub const HELP: &str = "\
General
  \\?, \\h, \\help        this help
  \\q                   quit (Ctrl-D too)
  \\conninfo            server, user and namespace of this session
  \\health              check the server (version, health endpoint)
  \\refresh             reload table and column names for Tab completion

Query input and output
  SQL ending with ';'  run it; statements may span lines
  Ctrl-C               discard the statement being typed, or stop waiting for a running one
  \\e [FILE]            edit the query buffer (or the last query, or FILE) in $EDITOR
  \\i FILE              run the SQL in FILE, one statement at a time
  \\watch [SEC]         run the last query every SEC seconds (default 2) until Ctrl-C
  \\subscribe SELECT    live query: the current rows, then every change until Ctrl-C
  \\o [FILE]            send query results to FILE, or back to the terminal
  \\timing [on|off]     show the server time of each query (Took: ...)
  \\x [on|off|auto]     expanded display: one block per row (auto: when a table is too wide)
  \\pset [NAME [VALUE]] output option: format aligned|csv|json, null TEXT; alone: list them
  \\copy ...            \\copy TABLE [(COLS)] FROM|TO 'FILE' CSV [HEADER], or (SELECT ...) TO
  \\set [NAME [VALUE]]  set a variable (ON_ERROR_STOP); alone: list them
  \\unset NAME          remove a variable

Informational (PATTERN may use * and ?)
  \\dt [PATTERN]        list tables, e.g. \\dt app.* or \\dt *log*
  \\d [TABLE]           describe a table (columns, types, keys); without TABLE, list tables
  \\dn, \\l             list namespaces
  \\du                  list users (needs role dba)

Files and your data
  \\upload PATH         upload a file into your files (system.user_files)
  \\download ID [PATH]  save one of your files (into PATH, a file or a folder)
  \\export [PATH]       export everything you own as one ZIP and save it (EXPORT USER DATA)

Namespaces and storage
  \\c, \\connect NS      use NS for unqualified table names (same as USE NS;)
  \\flush [TABLE]       flush a table (or every table of the current namespace) to storage";

/// A parsed meta-command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Meta {
    Help,
    Quit,
    ConnInfo,
    Health,
    Refresh,
    Include(PathBuf),
    /// `\o FILE`, or `\o` alone to go back to stdout.
    Output(Option<PathBuf>),
    /// `None` toggles.
    Timing(Option<bool>),
    /// `None` toggles between on and off.
    Expanded(Option<Expanded>),
    ListTables(Option<String>),
    Describe(String),
    ListNamespaces,
    ListUsers,
    /// `\c ns`, or `\c` alone to show the current namespace.
    UseNamespace(Option<String>),
    Flush(Option<String>),
    /// `\subscribe SELECT ...`: the rest of the line.
    Subscribe(String),
    /// `\upload PATH` (the rest of the line, so a path may hold spaces).
    Upload(PathBuf),
    /// `\download ID [PATH]`.
    Download(String, Option<PathBuf>),
    /// `\export [PATH]`.
    Export(Option<PathBuf>),
    /// `\pset [NAME [VALUE]]`.
    Pset(Option<String>, Option<String>),
    /// `\set`, `\set NAME`, `\set NAME VALUE...` (the values joined).
    Set(Option<(String, String)>),
    Unset(String),
    /// `\watch [SECONDS]`.
    Watch(f64),
    /// `\e [FILE]`.
    Edit(Option<PathBuf>),
    /// `\copy ...`: the rest of the line.
    Copy(String),
    /// A known command used wrongly; holds the message.
    Invalid(String),
    Unknown(String),
}

/// Parses a line starting with `\`.
pub fn parse(line: &str) -> Meta {
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let arg = args.first().map(|a| a.to_string());
    let too_many = args.len() > 1;
    let meta = match name {
        "\\?" | "\\h" | "\\help" => Meta::Help,
        "\\q" | "\\quit" => Meta::Quit,
        "\\conninfo" => Meta::ConnInfo,
        "\\health" => Meta::Health,
        "\\refresh" => Meta::Refresh,
        "\\i" | "\\include" => match arg {
            Some(path) => Meta::Include(PathBuf::from(path)),
            None => Meta::Invalid("\\i: missing required argument FILE".into()),
        },
        "\\o" | "\\out" => Meta::Output(arg.map(PathBuf::from)),
        "\\timing" => match on_off(arg.as_deref()) {
            Ok(value) => Meta::Timing(value),
            Err(()) => Meta::Invalid(format!(
                "\\timing: unrecognized value \"{}\": on or off expected",
                arg.unwrap_or_default()
            )),
        },
        "\\x" => match arg.as_deref() {
            Some("auto") => Meta::Expanded(Some(Expanded::Auto)),
            other => match on_off(other) {
                Ok(value) => {
                    Meta::Expanded(value.map(|on| if on { Expanded::On } else { Expanded::Off }))
                }
                Err(()) => Meta::Invalid(format!(
                    "\\x: unrecognized value \"{}\": on, off or auto expected",
                    arg.unwrap_or_default()
                )),
            },
        },
        "\\dt" => Meta::ListTables(arg),
        "\\d" => match arg {
            Some(table) => Meta::Describe(table),
            None => Meta::ListTables(None),
        },
        "\\dn" | "\\l" | "\\list" => Meta::ListNamespaces,
        "\\du" => Meta::ListUsers,
        "\\c" | "\\connect" => {
            Meta::UseNamespace(arg.map(|ns| ns.trim_end_matches(';').to_string()))
        }
        "\\flush" => Meta::Flush(arg),
        "\\subscribe" => {
            let sql = line.trim_start()[name.len()..].trim();
            return if sql.is_empty() {
                Meta::Invalid("\\subscribe: missing the SELECT to watch".into())
            } else {
                Meta::Subscribe(sql.to_string())
            };
        }
        "\\upload" => {
            let path = line.trim_start()[name.len()..].trim();
            return if path.is_empty() {
                Meta::Invalid("\\upload: missing required argument PATH".into())
            } else {
                Meta::Upload(PathBuf::from(path))
            };
        }
        "\\download" => {
            return match args.as_slice() {
                [] => Meta::Invalid("\\download: missing required argument ID".into()),
                [id] => Meta::Download(id.to_string(), None),
                [id, path] => Meta::Download(id.to_string(), Some(PathBuf::from(path))),
                _ => Meta::Invalid("\\download: too many arguments".into()),
            };
        }
        "\\export" => Meta::Export(arg.map(PathBuf::from)),
        "\\pset" => {
            let rest = line.trim_start()[name.len()..].trim();
            return match rest.split_once(char::is_whitespace) {
                None if rest.is_empty() => Meta::Pset(None, None),
                None => Meta::Pset(Some(rest.to_ascii_lowercase()), None),
                Some((option, value)) => Meta::Pset(
                    Some(option.to_ascii_lowercase()),
                    Some(unquote(value.trim())),
                ),
            };
        }
        "\\set" => {
            return match args.split_first() {
                None => Meta::Set(None),
                Some((name, values)) => Meta::Set(Some((
                    name.to_string(),
                    values
                        .iter()
                        .map(|v| unquote(v))
                        .collect::<Vec<_>>()
                        .join(""),
                ))),
            };
        }
        "\\unset" => match arg {
            Some(name) => Meta::Unset(name),
            None => Meta::Invalid("\\unset: missing required argument NAME".into()),
        },
        "\\watch" => match arg.as_deref().map(str::parse::<f64>) {
            None => Meta::Watch(2.0),
            Some(Ok(seconds)) if seconds > 0.0 && seconds.is_finite() => Meta::Watch(seconds),
            Some(_) => Meta::Invalid(format!(
                "\\watch: incorrect interval value \"{}\": a number of seconds above 0",
                arg.unwrap_or_default()
            )),
        },
        "\\e" | "\\edit" => Meta::Edit(arg.map(PathBuf::from)),
        "\\copy" => {
            let rest = line.trim_start()[name.len()..].trim();
            return if rest.is_empty() {
                Meta::Invalid(
                    "\\copy: arguments required: \\copy TABLE FROM|TO 'FILE' CSV [HEADER]".into(),
                )
            } else {
                Meta::Copy(rest.to_string())
            };
        }
        other => return Meta::Unknown(other.to_string()),
    };
    if too_many && !matches!(meta, Meta::Invalid(_)) {
        return Meta::Invalid(format!("{name}: too many arguments"));
    }
    meta
}

/// A value as typed, without surrounding single quotes (`''` inside stands for one quote).
fn unquote(value: &str) -> String {
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => value.to_string(),
    }
}

/// `on`/`off` (also `true`/`false`, `1`/`0`); `None` when no value was given.
fn on_off(value: Option<&str>) -> Result<Option<bool>, ()> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("on" | "true" | "1" | "yes") => Ok(Some(true)),
        Some("off" | "false" | "0" | "no") => Ok(Some(false)),
        Some(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_arguments() {
        assert_eq!(parse("\\?"), Meta::Help);
        assert_eq!(parse("\\help"), Meta::Help);
        assert_eq!(parse("\\q"), Meta::Quit);
        assert_eq!(parse("\\dt"), Meta::ListTables(None));
        assert_eq!(parse("\\dt app.*"), Meta::ListTables(Some("app.*".into())));
        assert_eq!(parse("\\d"), Meta::ListTables(None));
        assert_eq!(parse("\\d app.items"), Meta::Describe("app.items".into()));
        assert_eq!(parse("\\l"), Meta::ListNamespaces);
        assert_eq!(parse("\\c app;"), Meta::UseNamespace(Some("app".into())));
        assert_eq!(parse("\\x"), Meta::Expanded(None));
        assert_eq!(parse("\\x auto"), Meta::Expanded(Some(Expanded::Auto)));
        assert_eq!(parse("\\x off"), Meta::Expanded(Some(Expanded::Off)));
        assert_eq!(parse("\\timing on"), Meta::Timing(Some(true)));
        assert_eq!(parse("\\o"), Meta::Output(None));
        assert_eq!(parse("\\o out.txt"), Meta::Output(Some("out.txt".into())));
        assert_eq!(
            parse("\\flush app.items"),
            Meta::Flush(Some("app.items".into()))
        );
    }

    #[test]
    fn file_commands() {
        assert_eq!(
            parse("\\upload my notes.txt"),
            Meta::Upload("my notes.txt".into())
        );
        assert_eq!(parse("\\download F-1"), Meta::Download("F-1".into(), None));
        assert_eq!(
            parse("\\download F-1 out/"),
            Meta::Download("F-1".into(), Some("out/".into()))
        );
        assert_eq!(parse("\\export"), Meta::Export(None));
        assert_eq!(parse("\\export a.zip"), Meta::Export(Some("a.zip".into())));
        assert!(matches!(parse("\\upload"), Meta::Invalid(m) if m.contains("PATH")));
        assert!(matches!(parse("\\download"), Meta::Invalid(m) if m.contains("ID")));
    }

    #[test]
    fn psql_settings_and_loops() {
        assert_eq!(parse("\\pset"), Meta::Pset(None, None));
        assert_eq!(
            parse("\\pset format csv"),
            Meta::Pset(Some("format".into()), Some("csv".into()))
        );
        assert_eq!(
            parse("\\pset null '(none yet)'"),
            Meta::Pset(Some("null".into()), Some("(none yet)".into()))
        );
        assert_eq!(parse("\\set"), Meta::Set(None));
        assert_eq!(
            parse("\\set ON_ERROR_STOP off"),
            Meta::Set(Some(("ON_ERROR_STOP".into(), "off".into())))
        );
        assert_eq!(
            parse("\\set X"),
            Meta::Set(Some(("X".into(), String::new())))
        );
        assert_eq!(parse("\\unset X"), Meta::Unset("X".into()));
        assert_eq!(parse("\\watch"), Meta::Watch(2.0));
        assert_eq!(parse("\\watch 0.5"), Meta::Watch(0.5));
        assert!(matches!(parse("\\watch 0"), Meta::Invalid(m) if m.contains("interval")));
        assert_eq!(parse("\\e"), Meta::Edit(None));
        assert_eq!(
            parse("\\copy app.t TO 'a b.csv' CSV"),
            Meta::Copy("app.t TO 'a b.csv' CSV".into())
        );
        assert!(matches!(parse("\\copy"), Meta::Invalid(_)));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(parse("\\foo"), Meta::Unknown("\\foo".into()));
        assert!(matches!(parse("\\i"), Meta::Invalid(m) if m.contains("missing")));
        assert!(matches!(parse("\\x maybe"), Meta::Invalid(m) if m.contains("maybe")));
        assert!(matches!(parse("\\dt a b"), Meta::Invalid(m) if m.contains("too many")));
    }

    #[test]
    fn every_command_is_in_the_help() {
        for name in COMMAND_NAMES {
            let listed = HELP.contains(&format!("{name} ")) || HELP.contains(&format!("{name},"));
            assert!(listed, "{name} missing from help");
        }
    }
}
