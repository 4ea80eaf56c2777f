//! `kalam`, the KalamDB command-line SQL terminal. It runs SQL given with `-c` or `-f` (or
//! typed into a small interactive shell) against a server through `kalam-link`, and prints
//! results as box tables, JSON or CSV.
//!
//! Modules:
//! - [`args`]: the command line (clap) and how it resolves to URL, credentials and format.
//! - [`app`]: connect (health check, login), run, print, exit status.
//! - [`render`]: table, JSON and CSV output, error lines.
//! - [`shell`]: the interactive loop (rustyline).
//! - [`statement`]: where statements end, `USE ns`.

mod app;
mod args;
mod render;
mod shell;
mod statement;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::Args::parse();
    app::run(&args).into()
}
