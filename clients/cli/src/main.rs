//! `kalam`, the KalamDB command-line SQL terminal, modelled on psql. It runs SQL given with
//! `-c` or `-f`, or opens an interactive shell with meta-commands, Tab completion and history,
//! against a server through `kalam-link`, and prints results as box tables, JSON or CSV.
//!
//! Modules:
//! - [`args`]: the command line (clap) and how it resolves to URL, credentials and format.
//! - [`config`]: `~/.kalam/config.toml` defaults.
//! - [`home`]: the `~/.kalam` directory and its private (0600) files.
//! - [`credentials`]: saved token pairs in `~/.kalam/credentials.toml`.
//! - [`connect`]: health check, login, saved credentials, first-run [`setup`].
//! - [`app`]: what a run does and its exit status.
//! - [`query`]: one request with the [`spinner`] and Ctrl-C.
//! - [`output`]: where results and errors are printed; exit codes.
//! - [`render`]: table, expanded, JSON and CSV output, error lines.
//! - [`shell`]: the interactive shell (rustyline): meta-commands, completion, history.
//! - [`statement`]: where statements end, `USE ns`, DDL.

mod app;
mod args;
mod config;
mod connect;
mod credentials;
mod home;
mod interpolate;
mod output;
mod query;
mod render;
mod script;
mod setup;
mod shell;
mod spinner;
mod statement;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::Args::parse();
    app::run(args).into()
}
