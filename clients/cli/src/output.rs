//! Where results and errors go. Results are written to standard output, or to the file chosen
//! with `\o`; errors always go to standard error as `ERROR <CODE>: <message>` (with the
//! `LINE n:` caret when it can be placed). The exit status each failure stands for is decided
//! here too.

use crate::args::{Args, Format};
use crate::config::Config;
use crate::render::{self, Display};
use kalam_link::{KalamLinkError, QueryResponse};
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The exit status: 0 success, 1 an SQL error in `-c`/`-f`, 2 no connection or refused login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    SqlError = 1,
    ConnectionFailure = 2,
    /// A script statement failed with `ON_ERROR_STOP` on (psql's status 3).
    ScriptError = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// The output settings of a session and the current `\o` target.
pub struct Printer {
    pub display: Display,
    /// Color the `ERROR` prefix on stderr.
    pub color: bool,
    /// Show the spinner of slow queries (only ever drawn when stderr is a terminal).
    pub spinner: bool,
    sink: Option<(PathBuf, File)>,
}

impl Printer {
    pub fn new(args: &Args, config: &Config) -> Self {
        let color = !args.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal();
        let spinner = !args.no_spinner && std::io::stderr().is_terminal();
        Self {
            display: Display {
                format: args.output_format().unwrap_or(Format::Table),
                expanded: config.expanded(),
                timing: config.timing.unwrap_or(true),
                width: None,
                null: "NULL".into(),
            },
            color,
            spinner,
            sink: None,
        }
    }

    pub fn response(&mut self, response: &QueryResponse) {
        let text = render::response(&self.display, response);
        self.text(&text);
    }

    /// Writes query output (results, `\dt` listings) to stdout or the `\o` file.
    pub fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let newline = if text.ends_with('\n') { "" } else { "\n" };
        match &mut self.sink {
            Some((path, file)) => {
                if let Err(e) = write!(file, "{text}{newline}").and_then(|()| file.flush()) {
                    eprintln!("could not write to {}: {e}", path.display());
                }
            }
            None => {
                let mut stdout = std::io::stdout().lock();
                // A closed pipe (`kalam ... | head`) is not an error worth reporting.
                let _ = write!(stdout, "{text}{newline}");
                let _ = stdout.flush();
            }
        }
    }

    /// Sends later query output to `path` (created or truncated), or back to stdout.
    pub fn set_sink(&mut self, path: Option<&Path>) -> std::io::Result<()> {
        self.sink = match path {
            Some(path) => Some((path.to_path_buf(), File::create(path)?)),
            None => None,
        };
        Ok(())
    }

    pub fn sink_path(&self) -> Option<&Path> {
        self.sink.as_ref().map(|(path, _)| path.as_path())
    }

    /// Prints a failed request (with a caret into `sql` when given) and returns the exit
    /// status it stands for.
    pub fn error(&self, url: &str, err: &KalamLinkError, sql: Option<&str>) -> Exit {
        self.error_with_prefix(url, err, sql, "")
    }

    /// [`Printer::error`] for a statement of a script, `location` naming its file and line.
    pub fn error_at(&self, url: &str, err: &KalamLinkError, sql: &str, location: &str) -> Exit {
        self.error_with_prefix(url, err, Some(sql), location)
    }

    fn error_with_prefix(
        &self,
        url: &str,
        err: &KalamLinkError,
        sql: Option<&str>,
        prefix: &str,
    ) -> Exit {
        if err.is_connection_error() {
            let reason = match err {
                KalamLinkError::Unreachable { reason, .. }
                | KalamLinkError::Transport { reason, .. } => reason.clone(),
                other => other.to_string(),
            };
            eprintln!("{prefix}could not connect to server at {url}: {reason}");
            return Exit::ConnectionFailure;
        }
        eprint!("{prefix}");
        let text = match sql {
            Some(sql) => render::error_with_sql(err, sql),
            None => render::error(err),
        };
        self.error_text(&text);
        if err.is_auth_error() {
            Exit::ConnectionFailure
        } else {
            Exit::SqlError
        }
    }

    /// Prints an error line that starts with `ERROR`, coloring the prefix on a terminal.
    pub fn error_text(&self, text: &str) {
        match (self.color, text.strip_prefix("ERROR")) {
            (true, Some(rest)) => eprintln!("\x1b[1;31mERROR\x1b[0m{rest}"),
            _ => eprintln!("{text}"),
        }
    }
}

/// Columns of the terminal on stdout, when stdout is one (asked through rustyline, which
/// knows how to query the terminal).
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut editor = rustyline::DefaultEditor::new().ok()?;
    editor.dimensions().map(|(width, _)| usize::from(width))
}
