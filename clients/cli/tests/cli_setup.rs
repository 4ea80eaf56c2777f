//! A server that still needs its first-run setup: without a terminal `kalam` explains and exits
//! 2; in a terminal (tmux) it offers the setup, then logs in and opens the shell.

mod common;
use common::tmux::{self, Tmux, kalam_command};
use common::{kalam, run, server};

#[test]
fn without_a_terminal_setup_is_explained() {
    let Some(server) = server::start_needing_setup() else {
        return;
    };
    let out = run(kalam().args(["--url", &server.url, "-c", "SELECT 1"]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("needs setup"), "{}", out.stderr);
    assert!(
        out.stderr.contains("KALAMDB_ROOT_PASSWORD"),
        "{}",
        out.stderr
    );
}

#[test]
fn in_a_terminal_setup_is_offered_and_the_shell_opens() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start_needing_setup() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let t = Tmux::start(&kalam_command(home.path(), &["--url", &server.url]));
    t.wait_for("Set it up now? [y/N]");
    t.line("y");
    t.wait_for("New password for root: ");
    t.line("root-pw-1");
    t.wait_for("Repeat it: ");
    t.line("root-pw-1");
    t.wait_for("Name of the DBA user to create [dba]: ");
    t.keys(&["Enter"]);
    t.wait_for("Password for 'dba': ");
    t.line("dba-pw-1");
    t.wait_for_n("Repeat it: ", 2);
    t.line("dba-pw-1");
    t.wait_for("(optional): ");
    t.keys(&["Enter"]);
    let screen = t.wait_for("kalam> ");
    assert!(screen.contains("Server setup complete"), "{screen}");
    assert!(
        !screen.contains("root-pw-1"),
        "passwords are not echoed:\n{screen}"
    );
    t.line("SELECT 1 AS one;");
    t.wait_for("(1 row)");

    // The passwords set work for the next login.
    let out = run(kalam()
        .args([
            "--url",
            &server.url,
            "--user",
            "dba",
            "--password",
            "dba-pw-1",
        ])
        .args(["--csv", "-c", "SELECT 2 AS two"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "two\n2\n");
}
