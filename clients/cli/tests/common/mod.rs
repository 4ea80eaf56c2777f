//! Test support for `kalam`: the shared server harness of `kalam-link`'s tests, and running the
//! `kalam` binary.
#![allow(dead_code)]

#[path = "../../../link/tests/common/server.rs"]
pub mod server;
pub mod tmux;

use std::process::{Command, Output};

/// The outcome of one `kalam` run.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// `kalam` with a clean environment (no tokens, passwords or NO_COLOR from the caller) and
/// a `HOME` of its own, so no real `~/.kalam` is read or written.
pub fn kalam() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kalam"));
    cmd.env("HOME", empty_home())
        .env_remove("KALAM_TOKEN")
        .env_remove("KALAM_PASSWORD")
        .env_remove("KALAM_URL")
        .env_remove("KALAM_USER")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null());
    cmd
}

pub fn run(cmd: &mut Command) -> Run {
    cmd.output().expect("run kalam").into()
}

/// The interactive shell as root, fed `input` through a pipe.
pub fn shell(url: &str, input: &str) -> Run {
    shell_with(kalam(), url, input)
}

/// [`shell`] from a prepared `kalam` command (another working directory, environment ...).
pub fn shell_with(mut cmd: Command, url: &str, input: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .args(root_args(url))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kalam");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write to kalam");
    }
    child.wait_with_output().expect("kalam output").into()
}

/// `--url URL --user root --password PW`.
pub fn root_args(url: &str) -> [&str; 6] {
    [
        "--url",
        url,
        "--user",
        "root",
        "--password",
        server::ROOT_PASSWORD,
    ]
}

/// Runs `kalam --url URL --user root --password PW <args>`.
pub fn as_root(url: &str, args: &[&str]) -> Run {
    run(kalam().args(root_args(url)).args(args))
}

/// A `HOME` for runs that do not care about `~/.kalam` (shared, under the target directory's
/// test scratch space). Tests that look at `~/.kalam` set `HOME` to a tempdir of their own.
fn empty_home() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kalam-home");
    let _ = std::fs::create_dir_all(&dir);
    dir
}
