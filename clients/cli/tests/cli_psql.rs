//! psql's habits in the shell, fed from a pipe: `\copy` to a CSV file and back (NULLs, empty
//! strings, quotes and new lines intact), `\pset format` / `\pset null`, and `\set
//! ON_ERROR_STOP` deciding whether `\i` stops at a failing statement, and `:name` interpolation.

mod common;
use common::{as_root, server, shell};

#[test]
fn copy_writes_a_table_to_csv_and_reads_it_back() {
    let Some(server) = server::start() else {
        return;
    };
    let setup = as_root(
        &server.url,
        &[
            "-c",
            "CREATE NAMESPACE app; \
             CREATE SHARED TABLE app.src (id BIGINT PRIMARY KEY, body TEXT, qty INT, at TIMESTAMP); \
             CREATE SHARED TABLE app.dst (id BIGINT PRIMARY KEY, body TEXT, qty INT, at TIMESTAMP); \
             INSERT INTO app.src (id, body, qty, at) VALUES \
               (1, 'plain', 3, '2024-05-01T12:00:00Z'), \
               (2, 'comma, \"quote\"', NULL, NULL), \
               (3, '', 0, '2024-05-02T00:00:00.250Z'), \
               (4, NULL, -7, NULL)",
        ],
    );
    assert_eq!(setup.code, Some(0), "{}", setup.stderr);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("src rows.csv");
    let file = file.to_str().unwrap_or_default();
    let out = shell(
        &server.url,
        &format!(
            "\\copy (SELECT id, body, qty, at FROM app.src ORDER BY id) TO '{file}' CSV HEADER\n\
             \\copy app.dst FROM '{file}' WITH (FORMAT csv, HEADER)\n"
        ),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout.matches("COPY 4").count(),
        2,
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let csv = std::fs::read_to_string(file).expect("the csv file");
    assert_eq!(
        csv,
        "id,body,qty,at\n1,plain,3,2024-05-01T12:00:00Z\n2,\"comma, \"\"quote\"\"\",,\n\
         3,\"\",0,2024-05-02T00:00:00.250Z\n4,,-7,\n"
    );
    // The copy equals the source, NULL and '' told apart.
    let out = as_root(
        &server.url,
        &[
            "--csv",
            "-c",
            "SELECT id, body IS NULL AS no_body, body, qty, at FROM app.dst ORDER BY id",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "id,no_body,body,qty,at\n1,false,plain,3,2024-05-01T12:00:00Z\n\
         2,false,\"comma, \"\"quote\"\"\",,\n3,false,,0,2024-05-02T00:00:00.250Z\n4,true,,-7,\n"
    );

    // A malformed line stops the copy before any row is sent.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "10,ok,1,\n11,too,many,fields,here\n").expect("write");
    let out = shell(
        &server.url,
        &format!("\\copy app.dst FROM '{}' CSV\n", bad.display()),
    );
    assert!(out.stderr.contains("line 2: 5 fields"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was copied"), "{}", out.stderr);
    let out = as_root(
        &server.url,
        &["--csv", "-c", "SELECT count(*) AS n FROM app.dst"],
    );
    assert_eq!(out.stdout, "n\n4\n");
}

#[test]
fn pset_changes_the_format_and_the_null_display() {
    let Some(server) = server::start() else {
        return;
    };
    let out = shell(
        &server.url,
        "\\pset null '(none)'\nSELECT NULL AS nothing, 1 AS one;\n\\pset format csv\n\
         SELECT 'x' AS a;\n\\pset\n\\pset format xml\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("Null display is \"(none)\"."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("│ (none)  │"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Output format is csv.\na\nx\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("format   csv\nnull     '(none)'"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("allowed formats are aligned, csv, json"),
        "{}",
        out.stderr
    );
}

#[test]
fn set_on_error_stop_decides_whether_include_stops() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.sql");
    std::fs::write(
        &path,
        "SELECT 'one' AS a;\nSELECT * FROM app.nope;\nSELECT 'three' AS c;\n",
    )
    .expect("write");
    let path = path.display();
    let out = shell(
        &server.url,
        &format!(
            "\\set\n\\i {path}\n\\set ON_ERROR_STOP off\n\\i {path}\n\\set ON_ERROR_STOP maybe\n"
        ),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("ON_ERROR_STOP = 'on'"),
        "{}",
        out.stdout
    );
    // Stopped the first time, went on the second.
    assert_eq!(out.stdout.matches("one").count(), 2, "{}", out.stdout);
    assert_eq!(out.stdout.matches("three").count(), 1, "{}", out.stdout);
    assert_eq!(
        out.stderr
            .matches(&format!("kalam:{path}:2: ERROR"))
            .count(),
        2,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Boolean expected"), "{}", out.stderr);
}

#[test]
fn set_variables_are_interpolated_into_sql_and_scripts() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.sql");
    std::fs::write(&path, "SELECT :'who' AS from_script;\n").expect("write");
    let out = shell(
        &server.url,
        &format!(
            "\\pset format csv\n\\set tbl system.users\n\\set who root\n\
             SELECT count(*) AS n FROM :tbl WHERE username = :'who' AND ':tbl' = ':tbl';\n\
             \\i {}\nSELECT :'unknown_var' AS kept;\n",
            path.display()
        ),
    );
    assert!(
        out.stdout.contains("n\n1\n"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.contains("from_script\nroot\n"), "{}", out.stdout);
    // An unknown name is sent as typed: the server's error quotes the statement with it.
    assert!(out.stderr.contains("ERROR"), "{}", out.stderr);
    assert!(
        out.stderr.contains("SELECT :'unknown_var' AS kept"),
        "{}",
        out.stderr
    );
}
