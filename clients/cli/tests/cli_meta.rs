//! Meta-commands, fed to the shell through a pipe: listings (`\dt`, `\d`, `\dn`, `\du`),
//! settings (`\x`, `\timing`), files (`\i`, `\o`), `\c`, `\flush`, `\conninfo`, `\health`,
//! `\refresh`, `\?` and unknown commands.

mod common;
use common::{as_root, server, shell};

fn with_tables() -> Option<server::TestServer> {
    let server = server::start()?;
    let out = as_root(
        &server.url,
        &[
            "-c",
            "CREATE NAMESPACE app; CREATE NAMESPACE shop; \
                 CREATE SHARED TABLE app.items (id BIGINT PRIMARY KEY, name TEXT NOT NULL); \
                 CREATE SHARED TABLE shop.orders (id BIGINT PRIMARY KEY, item_id BIGINT)",
        ],
    );
    assert_eq!(out.code, Some(0), "setup: {}", out.stderr);
    Some(server)
}

#[test]
fn dt_lists_tables_matching_a_pattern() {
    let Some(server) = with_tables() else { return };
    let out = shell(&server.url, "\\dt\n");
    assert!(out.stdout.contains("List of tables"), "{}", out.stdout);
    assert!(
        out.stdout.contains("items") && out.stdout.contains("orders"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(2 rows)"), "{}", out.stdout);
    let out = shell(&server.url, "\\dt app.*\n");
    assert!(
        out.stdout.contains("items") && !out.stdout.contains("orders"),
        "{}",
        out.stdout
    );
    let out = shell(&server.url, "\\dt ord*\n");
    assert!(
        !out.stdout.contains("items") && out.stdout.contains("orders"),
        "{}",
        out.stdout
    );
    let out = shell(&server.url, "\\dt nothing*\n");
    assert!(
        out.stderr
            .contains("Did not find any table named \"nothing*\"."),
        "{}",
        out.stderr
    );
}

#[test]
fn d_describes_a_table_qualified_or_in_the_current_namespace() {
    let Some(server) = with_tables() else { return };
    let out = shell(&server.url, "\\d app.items\n");
    assert!(out.stdout.contains("Table \"app.items\""), "{}", out.stdout);
    for text in ["column_name", "id", "BIGINT", "name", "TEXT"] {
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
    let out = shell(&server.url, "\\c shop\n\\d orders\n");
    assert!(
        out.stdout.contains("You are now using namespace \"shop\"."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Table \"shop.orders\"") && out.stdout.contains("item_id"),
        "{}",
        out.stdout
    );
    // Without a namespace, a name found in one namespace only is enough.
    let out = shell(&server.url, "\\d orders\n\\d nope\n");
    assert!(
        out.stdout.contains("Table \"shop.orders\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("Did not find any table named \"nope\"."),
        "{}",
        out.stderr
    );
}

#[test]
fn dn_l_and_du_list_namespaces_and_users() {
    let Some(server) = with_tables() else { return };
    let out = shell(&server.url, "\\dn\n");
    assert!(out.stdout.contains("List of namespaces"), "{}", out.stdout);
    assert!(
        out.stdout.contains("app") && out.stdout.contains("shop"),
        "{}",
        out.stdout
    );
    let out = shell(&server.url, "\\l\n");
    assert!(out.stdout.contains("List of namespaces"), "{}", out.stdout);
    let out = shell(&server.url, "\\du\n");
    assert!(out.stdout.contains("List of users"), "{}", out.stdout);
    assert!(
        out.stdout.contains("root") && out.stdout.contains("system"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("password_hash"), "{}", out.stdout);
}

#[test]
fn x_and_timing_change_the_display() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(
        &server.url,
        "\\x\nSELECT 1 AS id, 'apple' AS name;\n\\x\nSELECT 2 AS id;\n",
    );
    assert!(
        out.stdout.contains("Expanded display is on."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("-[ RECORD 1 ]"), "{}", out.stdout);
    assert!(
        out.stdout.contains("id   | 1\nname | apple\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Expanded display is off."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("│ 2  │") || out.stdout.contains("│  2 │"),
        "{}",
        out.stdout
    );
    let out = shell(
        &server.url,
        "\\timing off\nSELECT 1 AS one;\n\\timing\nSELECT 2 AS two;\n",
    );
    assert!(out.stdout.contains("Timing is off."), "{}", out.stdout);
    assert!(out.stdout.contains("Timing is on."), "{}", out.stdout);
    assert_eq!(out.stdout.matches("Took: ").count(), 1, "{}", out.stdout);
    let out = shell(&server.url, "\\x sideways\n");
    assert!(
        out.stderr.contains("\\x: unrecognized value \"sideways\""),
        "{}",
        out.stderr
    );
}

#[test]
fn i_runs_a_file_and_o_redirects_results() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("script.sql");
    std::fs::write(&script, "SELECT 'from the file' AS origin;\n").expect("write script");
    let out_file = dir.path().join("out.txt");
    let input = format!(
        "\\o {}\n\\i {}\n\\o\nSELECT 'on the terminal' AS origin;\n\\i {}/missing.sql\n",
        out_file.display(),
        script.display(),
        dir.path().display()
    );
    let out = shell(&server.url, &input);
    let written = std::fs::read_to_string(&out_file).expect("\\o file");
    assert!(
        written.contains("from the file") && written.contains("(1 row)"),
        "{written}"
    );
    assert!(!written.contains("on the terminal"), "{written}");
    assert!(out.stdout.contains("on the terminal"), "{}", out.stdout);
    assert!(!out.stdout.contains("from the file"), "{}", out.stdout);
    assert!(
        out.stderr.contains("missing.sql: No such file"),
        "{}",
        out.stderr
    );
}

#[test]
fn flush_conninfo_health_and_refresh() {
    let Some(server) = with_tables() else { return };
    let out = shell(
        &server.url,
        "\\flush app.items\n\\c app\n\\conninfo\n\\health\n\\refresh\n",
    );
    assert!(
        out.stdout
            .contains("Storage flush started for table 'app.items'"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains(&format!(
            "You are connected to KalamDB {} at {} as user \"root\", namespace \"app\".",
            env!("CARGO_PKG_VERSION"),
            server.url
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("Server at {} is healthy", server.url)),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Completion knows"), "{}", out.stdout);
}

#[test]
fn help_and_unknown_commands() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(&server.url, "\\?\n\\foo\nSELECT 'still here' AS w;\n");
    for command in [
        "\\dt",
        "\\d ",
        "\\dn",
        "\\du",
        "\\x",
        "\\timing",
        "\\o",
        "\\i",
        "\\conninfo",
        "\\q",
    ] {
        assert!(
            out.stdout.contains(command),
            "help lacks {command}: {}",
            out.stdout
        );
    }
    assert!(
        out.stderr
            .contains("Unknown command: \\foo. Type \\? for help."),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("still here"), "{}", out.stdout);
    assert_eq!(out.code, Some(0));
}
