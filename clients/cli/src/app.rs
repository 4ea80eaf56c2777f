//! What `kalam` does with its arguments: connect (health check and login), run `--command`
//! or `--file`, or open the shell; and the exit status of each outcome.

use crate::args::{Args, Format};
use crate::{render, shell};
use kalam_link::{HealthStatus, KalamClient, KalamLinkError, QueryResponse};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use tokio::runtime::Runtime;

/// The exit status: 0 success, 1 an SQL error in `-c`/`-f`, 2 no connection or refused login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    SqlError = 1,
    ConnectionFailure = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Where and how results and errors are printed.
pub struct Printer {
    pub format: Format,
    /// Color the `ERROR` prefix on stderr.
    pub color: bool,
}

impl Printer {
    pub fn new(args: &Args) -> Self {
        let color = !args.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal();
        Self {
            format: args.output_format(),
            color,
        }
    }

    pub fn response(&self, response: &QueryResponse) {
        let text = render::response(self.format, response);
        if text.is_empty() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`kalam ... | head`) is not an error worth reporting.
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Prints a failed request and returns the exit status it stands for.
    pub fn error(&self, url: &str, err: &KalamLinkError) -> Exit {
        if err.is_connection_error() {
            let reason = match err {
                KalamLinkError::Unreachable { reason, .. }
                | KalamLinkError::Transport { reason, .. } => reason.clone(),
                other => other.to_string(),
            };
            eprintln!("could not connect to server at {url}: {reason}");
            return Exit::ConnectionFailure;
        }
        let line = render::error(err);
        match (self.color, line.strip_prefix("ERROR")) {
            (true, Some(rest)) => eprintln!("\x1b[1;31mERROR\x1b[0m{rest}"),
            _ => eprintln!("{line}"),
        }
        if err.is_auth_error() {
            Exit::ConnectionFailure
        } else {
            Exit::SqlError
        }
    }
}

/// Runs `kalam` with parsed arguments.
pub fn run(args: &Args) -> Exit {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("could not start the async runtime: {e}");
            return Exit::ConnectionFailure;
        }
    };
    let printer = Printer::new(args);
    let (client, version) = match connect(&runtime, args) {
        Ok(connected) => connected,
        Err(exit) => return exit,
    };
    if let Some(sql) = &args.command {
        return run_sql(&runtime, &client, &printer, sql);
    }
    if let Some(path) = &args.file {
        let sql = match read_sql(path) {
            Ok(sql) => sql,
            Err(e) => {
                eprintln!("could not read {}: {e}", path.display());
                return Exit::SqlError;
            }
        };
        return run_sql(&runtime, &client, &printer, &sql);
    }
    shell::run(&runtime, &client, &printer, args.user_name(), &version)
}

/// Builds the client and checks the server and the credentials before anything runs.
fn connect(runtime: &Runtime, args: &Args) -> Result<(KalamClient, String), Exit> {
    let url = args.server_url();
    let auth = args
        .auth(std::env::var("KALAM_PASSWORD").ok(), || {
            rpassword::prompt_password("Password: ")
        })
        .map_err(|e| {
            eprintln!("could not read the password: {e}");
            Exit::ConnectionFailure
        })?;
    let client = KalamClient::builder(&url).auth(auth).build().map_err(|e| {
        eprintln!("could not connect to server at {url}: {e}");
        Exit::ConnectionFailure
    })?;
    match runtime.block_on(client.health()) {
        HealthStatus::Ok(version) => Ok((client, version)),
        HealthStatus::ServerUnreachable { url, reason } => {
            eprintln!("could not connect to server at {url}: {reason}");
            Err(Exit::ConnectionFailure)
        }
        HealthStatus::AuthFailed(message) => {
            match args.user_name() {
                Some(user) => eprintln!(
                    "authentication failed for user '{user}' at {url}: {message} \
                     (give --password, or --password without a value to be prompted)"
                ),
                None => eprintln!("authentication failed at {url}: {message}"),
            }
            Err(Exit::ConnectionFailure)
        }
    }
}

fn read_sql(path: &std::path::Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut sql = String::new();
        std::io::stdin().read_to_string(&mut sql)?;
        return Ok(sql);
    }
    std::fs::read_to_string(path)
}

fn run_sql(runtime: &Runtime, client: &KalamClient, printer: &Printer, sql: &str) -> Exit {
    match runtime.block_on(client.query(sql)) {
        Ok(response) => {
            printer.response(&response);
            Exit::Ok
        }
        Err(err) => printer.error(client.url(), &err),
    }
}
