//! The shell in a real terminal (tmux): the prompt, a multi-line statement, Tab completion of a
//! table and a column, Ctrl-C on a slow query and on typed input, the spinner appearing and
//! clearing, history saved without secrets, the password prompt, `\watch`, `\e`, and refusal to
//! start when the server is down.

mod common;
use common::tmux::{self, Tmux, kalam_command};
use common::{as_root, server};
use std::os::unix::fs::PermissionsExt;

/// A query the server needs seconds for; it is abandoned with Ctrl-C (the test server is
/// stopped at the end of the test, so it does not keep computing).
const SLOW: &str = "SELECT count(*) AS n FROM range(3000000000);";
/// A query that takes well over the spinner's 200 ms, yet finishes.
const SLOWISH: &str = "SELECT count(*) AS n FROM range(200000000);";

fn root_shell(url: &str, home: &std::path::Path) -> Tmux {
    let tmux = Tmux::start(&kalam_command(
        home,
        &[
            "--url",
            url,
            "--user",
            "root",
            "--password",
            server::ROOT_PASSWORD,
        ],
    ));
    tmux.wait_for("kalam> ");
    tmux
}

#[test]
fn prompt_multi_line_statements_and_history_without_secrets() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let t = root_shell(&server.url, home.path());
    assert!(
        t.screen().contains("Connected to KalamDB"),
        "{}",
        t.screen()
    );
    t.line("CREATE NAMESPACE app;");
    t.wait_for("Namespace 'app' created successfully");
    t.line("SELECT 1 AS one,");
    t.wait_for("    -> ");
    t.line("  2 AS two;");
    let screen = t.wait_for("(1 row)");
    assert!(screen.contains("│ one │ two │"), "{screen}");
    t.line("USE app;");
    t.wait_for("app> ");
    t.line("CREATE USER 'bob' WITH PASSWORD 'hunter2-secret' ROLE user;");
    t.wait_for("User 'bob' created");
    t.line("\\q");
    t.wait_for("[exited 0]");
    let path = home.path().join(".kalam").join("history");
    let history = std::fs::read_to_string(&path).expect("history file");
    assert!(history.contains("CREATE NAMESPACE app;"), "{history}");
    assert!(history.contains("2 AS two;"), "{history}");
    assert!(!history.contains("hunter2"), "{history}");
    let mode = std::fs::metadata(&path)
        .expect("history metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // The next session offers the history with the Up key.
    let t = root_shell(&server.url, home.path());
    t.keys(&["Up"]);
    t.wait_for("kalam> \\q");
}

#[test]
fn tab_completes_table_and_column_names() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let setup = as_root(
        &server.url,
        &[
            "-c",
            "CREATE NAMESPACE app; CREATE SHARED TABLE app.items (id BIGINT PRIMARY KEY, quantity INT); \
               INSERT INTO app.items (id, quantity) VALUES (1, 7)",
        ],
    );
    assert_eq!(setup.code, Some(0), "{}", setup.stderr);
    let home = tempfile::tempdir().expect("home");
    let t = root_shell(&server.url, home.path());
    t.type_text("SELECT * FROM app.it");
    t.keys(&["Tab"]);
    t.wait_for("FROM app.items");
    t.type_text(" WHERE quan");
    t.keys(&["Tab"]);
    t.wait_for("WHERE quantity");
    t.line(" = 7;");
    let screen = t.wait_for("(1 row)");
    assert!(
        screen.contains("SELECT * FROM app.items WHERE quantity = 7;"),
        "{screen}"
    );

    // Tables created in this session are completed too (the catalog reloads after DDL).
    t.line("CREATE SHARED TABLE app.invoices (id BIGINT PRIMARY KEY);");
    t.wait_for("created successfully");
    t.type_text("SELECT * FROM app.inv");
    t.keys(&["Tab"]);
    t.wait_for("FROM app.invoices");
}

#[test]
fn ctrl_c_stops_a_slow_query_and_the_spinner_clears() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let t = root_shell(&server.url, home.path());
    t.line(SLOW);
    t.wait_for("running… ");
    t.keys(&["C-c"]);
    let screen = t.wait_for("Query cancelled");
    assert!(!screen.contains("(1 row)"), "{screen}");
    t.wait_for_n("kalam> ", 2);
    let screen = t.screen();
    assert!(
        !screen.contains("running…"),
        "spinner left behind:\n{screen}"
    );

    // Ctrl-C while typing drops the statement; the shell goes on.
    t.line("SELECT 'dropped'");
    t.wait_for("    -> ");
    t.keys(&["C-c"]);
    // Type only once the fresh prompt is there (keys sent before it may be discarded with
    // the interrupted line, as in any readline shell).
    t.wait_for_n("kalam> ", 3);
    t.line("SELECT 'kept' AS word;");
    let screen = t.wait_for("(1 row)");
    assert!(screen.contains("│ kept │"), "{screen}");
    assert!(!screen.contains("│ dropped"), "{screen}");
}

#[test]
fn the_spinner_shows_elapsed_time_and_is_cleared_when_the_result_arrives() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let t = root_shell(&server.url, home.path());
    t.line(SLOWISH);
    let spinning = t.wait_for("running… ");
    let line = spinning
        .lines()
        .find(|l| l.contains("running… "))
        .unwrap_or_default();
    assert!(line.trim_end().ends_with('s'), "{line}");
    let screen = t.wait_for("(1 row)");
    assert!(screen.contains("200000000"), "{screen}");
    assert!(
        !screen.contains("running…"),
        "spinner left behind:\n{screen}"
    );

    // --no-spinner: no spinner at all.
    let t = Tmux::start(&kalam_command(
        home.path(),
        &[
            "--url",
            &server.url,
            "--user",
            "root",
            "--password",
            server::ROOT_PASSWORD,
            "--no-spinner",
        ],
    ));
    t.wait_for("kalam> ");
    t.line("SELECT count(*) AS n FROM range(60000000);");
    let screen = t.wait_until("the result", |s| {
        s.contains("(1 row)") || s.contains("running…")
    });
    assert!(!screen.contains("running…"), "{screen}");
}

#[test]
fn wide_tables_fit_the_terminal() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let wide = format!(
        "SELECT '{}' AS a, '{}' AS b",
        "alpha ".repeat(12).trim_end(),
        "omega ".repeat(12).trim_end()
    );
    let t = Tmux::start_sized(
        &kalam_command(
            home.path(),
            &[
                "--url",
                &server.url,
                "--user",
                "root",
                "--password",
                server::ROOT_PASSWORD,
                "-c",
                &wide,
            ],
        ),
        80,
        40,
    );
    let screen = t.wait_for("[exited 0]");
    let table: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '└']))
        .collect();
    assert!(table.len() > 4, "the cells wrap onto more lines:\n{screen}");
    assert!(table.iter().all(|l| l.chars().count() <= 80), "{screen}");
}

#[test]
fn the_shell_does_not_open_when_the_server_is_down() {
    if !tmux::available() {
        return;
    }
    let home = tempfile::tempdir().expect("home");
    let url = server::closed_url();
    let t = Tmux::start(&kalam_command(home.path(), &["--url", &url]));
    let screen = t.wait_for("[exited 2]");
    assert!(
        screen.contains(&format!("could not connect to server at {url}: ")),
        "{screen}"
    );
    assert!(!screen.contains("kalam> "), "{screen}");
}

#[test]
fn a_missing_password_is_asked_for_as_psql_does() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let t = Tmux::start(&kalam_command(
        home.path(),
        &["--url", &server.url, "--user", "root"],
    ));
    t.wait_for("Password for user root: ");
    t.line(server::ROOT_PASSWORD);
    let screen = t.wait_for("kalam> ");
    // The password is not echoed.
    assert!(!screen.contains(server::ROOT_PASSWORD), "{screen}");
    t.line("\\q");
    t.wait_for("[exited 0]");

    let t = Tmux::start(&kalam_command(
        home.path(),
        &["--url", &server.url, "--user", "root"],
    ));
    t.wait_for("Password for user root: ");
    t.line("not-the-password");
    let screen = t.wait_for("[exited 2]");
    assert!(
        screen.contains("authentication failed for user 'root'"),
        "{screen}"
    );
}

#[test]
fn watch_reruns_the_query_until_ctrl_c() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let setup = as_root(
        &server.url,
        &[
            "-c",
            "CREATE NAMESPACE app; CREATE SHARED TABLE app.jobs (id BIGINT PRIMARY KEY); \
             INSERT INTO app.jobs (id) VALUES (1)",
        ],
    );
    assert_eq!(setup.code, Some(0), "{}", setup.stderr);
    let home = tempfile::tempdir().expect("home");
    let t = root_shell(&server.url, home.path());
    t.line("SELECT count(*) AS jobs FROM app.jobs;");
    t.wait_for("(1 row)");
    t.line("\\watch 0.5");
    t.wait_for_n("(every 0.5s)", 2);
    // A change shows up in a later run.
    let out = as_root(
        &server.url,
        &["-c", "INSERT INTO app.jobs (id) VALUES (2), (3)"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    t.wait_until("a run counting 3 jobs", |s| s.contains("│    3 │"));
    t.keys(&["C-c"]);
    t.line("SELECT 'after watch' AS done;");
    let screen = t.wait_for("after watch");
    let runs = screen.matches("(every 0.5s)").count();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        t.screen().matches("(every 0.5s)").count(),
        runs,
        "still watching"
    );
}

#[test]
fn edit_opens_the_editor_and_runs_what_it_wrote() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    // The "editor" appends to the statement it was given, as a user would.
    let editor = home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf \" AS edited, 'via editor' AS how;\\n\" >> \"$1\"\n",
    )
    .expect("write editor");
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let command = format!(
        "EDITOR='{}' {}",
        editor.display(),
        kalam_command(
            home.path(),
            &[
                "--url",
                &server.url,
                "--user",
                "root",
                "--password",
                server::ROOT_PASSWORD,
            ],
        )
    );
    let t = Tmux::start(&command);
    t.wait_for("kalam> ");
    // A statement begun at the prompt goes to the editor and runs when it comes back with `;`.
    t.line("SELECT 42");
    t.wait_for("    -> ");
    t.line("\\e");
    let screen = t.wait_for("via editor");
    assert!(screen.contains("edited"), "{screen}");
    assert!(screen.contains("42"), "{screen}");
    assert!(screen.contains("(1 row)"), "{screen}");
}

#[test]
fn subscribe_prints_the_rows_then_each_change_until_ctrl_c() {
    if !tmux::available() {
        return;
    }
    let Some(server) = server::start() else {
        return;
    };
    let setup = as_root(
        &server.url,
        &[
            "-c",
            "CREATE NAMESPACE app; CREATE SHARED TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT); \
               INSERT INTO app.notes (id, body) VALUES (1, 'first')",
        ],
    );
    assert_eq!(setup.code, Some(0), "{}", setup.stderr);
    let home = tempfile::tempdir().expect("home");
    let t = root_shell(&server.url, home.path());
    t.line("\\subscribe SELECT id, body FROM app.notes");
    let screen = t.wait_for("Listening for changes");
    assert!(screen.contains("│ first │"), "{screen}");
    let insert = as_root(
        &server.url,
        &[
            "-c",
            "INSERT INTO app.notes (id, body) VALUES (2, 'second')",
        ],
    );
    assert_eq!(insert.code, Some(0), "{}", insert.stderr);
    t.wait_for("INSERT id=2, body=second");
    t.keys(&["C-c"]);
    t.wait_for("Subscription ended.");
    t.wait_for_n("kalam> ", 2);
    t.line("SELECT 'after' AS w;");
    t.wait_for("│ after │");

    // The SQL form, with options: only the newest row, then changes.
    t.line("SUBSCRIBE TO app.notes OPTIONS (last_rows=1);");
    let screen = t.wait_for_n("Listening for changes", 2);
    let last = screen.rsplit("│ after │").next().unwrap_or_default();
    assert!(
        last.contains("│ second │") && !last.contains("│ first │"),
        "{screen}"
    );
    t.keys(&["C-c"]);
    t.wait_for_n("Subscription ended.", 2);
}
