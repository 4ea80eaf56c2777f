//! The minimal interactive shell, fed from a pipe: statements spanning lines, `USE ns`
//! remembered between requests, errors that do not end the session, `\q`.

mod common;
use common::{server, shell};

#[test]
fn statements_run_when_a_line_ends_them() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(
        &server.url,
        "CREATE NAMESPACE app;\nUSE app;\nCREATE SHARED TABLE notes (id INT PRIMARY KEY, body TEXT);\n\
         INSERT INTO notes (id, body)\n  VALUES (1, 'multi-line');\nSELEKT 1;\n\
         SELECT body\nFROM notes;\n\\q\nSELECT 'not reached';\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("Namespace 'app' created successfully"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("multi-line"), "{}", out.stdout);
    assert!(out.stdout.contains("(1 row)"), "{}", out.stdout);
    assert!(!out.stdout.contains("not reached"), "{}", out.stdout);
    assert!(out.stderr.contains("ERROR INVALID_SQL: "), "{}", out.stderr);
}

#[test]
fn end_of_input_leaves_the_shell() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(&server.url, "SELECT 1 AS one;\n");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("(1 row)"), "{}", out.stdout);
}
