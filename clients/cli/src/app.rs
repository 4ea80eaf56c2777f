//! What `kalam` does with its arguments: read the config, connect (health check and login), run
//! `--command` or `--file`, or open the shell; and the exit status of each outcome.

use crate::args::Args;
use crate::config::Config;
use crate::connect::{self, Session};
use crate::home::KalamHome;
use crate::output::{self, Exit, Printer};
use crate::query::{self, Outcome};
use crate::shell;
use std::io::Read;
use tokio::runtime::Runtime;

/// Runs `kalam` with parsed arguments.
pub fn run(mut args: Args) -> Exit {
    let home = KalamHome::from_env();
    let (config_path, required) = match (&args.config, &home) {
        (Some(path), _) => (Some(path.clone()), true),
        (None, Some(home)) => (Some(home.config()), false),
        (None, None) => (None, false),
    };
    let config = match config_path.map(|p| Config::load(&p, required)) {
        Some(Ok(config)) => config,
        None => Config::default(),
        Some(Err(message)) => {
            eprintln!("{message}");
            return Exit::ConnectionFailure;
        }
    };
    args.apply_env(|name| std::env::var(name).ok());
    let stop_on_error = match crate::script::on_error_stop(&args.set) {
        Ok(stop) => stop,
        Err(message) => {
            eprintln!("kalam: {message}");
            return Exit::ConnectionFailure;
        }
    };
    // Credentials named on the command line or in the environment win over saved ones;
    // `--save-credentials` means a password login is wanted.
    let explicit = args.gives_credentials()
        || args.save_credentials
        || std::env::var_os("KALAM_PASSWORD").is_some();
    config.apply(&mut args);
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
    let mut printer = Printer::new(&args, &config);
    let session = match connect::connect(&runtime, &args, home.as_ref(), explicit) {
        Ok(session) => session,
        Err(exit) => return exit,
    };
    if let Some(sql) = &args.command {
        return run_sql(&runtime, &session, &mut printer, sql);
    }
    if let Some(path) = &args.file {
        let sql = match read_sql(path) {
            Ok(sql) => sql,
            Err(e) => {
                eprintln!("could not read {}: {e}", path.display());
                return Exit::SqlError;
            }
        };
        let name = if path.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        printer.display.width = output::terminal_width();
        let client = &session.client;
        return crate::script::run(
            &runtime,
            client,
            &mut printer,
            &name,
            &sql,
            None,
            stop_on_error,
            &std::collections::BTreeMap::new(),
        )
        .exit;
    }
    shell::run(&runtime, &session, printer, home.as_ref(), stop_on_error)
}

fn read_sql(path: &std::path::Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut sql = String::new();
        std::io::stdin().read_to_string(&mut sql)?;
        return Ok(sql);
    }
    std::fs::read_to_string(path)
}

fn run_sql(runtime: &Runtime, session: &Session, printer: &mut Printer, sql: &str) -> Exit {
    let client = &session.client;
    printer.display.width = output::terminal_width();
    match query::run(runtime, client, sql, None, printer.spinner) {
        Outcome::Done(Ok(response)) => {
            printer.response(&response);
            Exit::Ok
        }
        Outcome::Done(Err(err)) => printer.error(client.url(), &err, Some(sql)),
        Outcome::Cancelled => {
            eprintln!("{}", query::CANCELLED);
            Exit::SqlError
        }
    }
}
