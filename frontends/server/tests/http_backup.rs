//! BACKUP DATABASE and RESTORE DATABASE with the real server: a database with USER, SHARED
//! and STREAM tables, users, a second storage, hot and cold rows and deletes is backed up,
//! wiped (data directory and storage directories), and restored — with `--restore-from` and
//! with `RESTORE DATABASE` then a restart, from a path and from a storage — and every table
//! answers every user as before.

mod common;

use common::{Options, ROOT_PASSWORD, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What each user sees: every row of every table, as JSON text.
async fn snapshot(server: &Server) -> Vec<String> {
    let mut out = Vec::new();
    let root = server.root().await;
    for (user, password) in [("alice", "pw-alice"), ("bob", "pw-bob")] {
        let token = server.login(user, password).await;
        for sql in [
            "SELECT id, body FROM app.notes ORDER BY id",
            "SELECT id, v FROM app.cfg ORDER BY id",
            "SELECT id, body FROM app.archived ORDER BY id",
        ] {
            out.push(format!(
                "{user}: {sql}: {:?}",
                server.rows(&token, sql).await
            ));
        }
    }
    for sql in [
        "SELECT namespace_id, table_name, table_type FROM system.tables WHERE namespace_id = 'app' ORDER BY table_name",
        "SELECT user_id, role FROM system.users ORDER BY user_id",
        "SELECT storage_id, storage_type FROM system.storages ORDER BY storage_id",
    ] {
        out.push(format!("root: {sql}: {:?}", server.rows(&root, sql).await));
    }
    out
}

/// Fills a database: rows hot and cold, updates and deletes on both sides.
async fn fill(server: &Server, archive_dir: &Path) {
    let root = server.root().await;
    server.user(&root, "alice", "user").await;
    server.user(&root, "bob", "user").await;
    for sql in [
        "CREATE NAMESPACE app".to_string(),
        "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)".to_string(),
        "CREATE SHARED TABLE app.cfg (id BIGINT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'public')"
            .to_string(),
        format!(
            "CREATE STORAGE archive TYPE filesystem PATH '{}'",
            archive_dir.display()
        ),
        "CREATE USER TABLE app.archived (id BIGINT PRIMARY KEY, body TEXT) WITH (STORAGE_ID = 'archive')"
            .to_string(),
        "INSERT INTO app.cfg VALUES (1, 'one'), (2, 'two'), (3, 'three')".to_string(),
    ] {
        server.ok(&root, &sql).await;
    }
    for user in ["alice", "bob"] {
        let token = server.login(user, &format!("pw-{user}")).await;
        for i in 1..=20 {
            server
                .ok(
                    &token,
                    &format!("INSERT INTO app.notes VALUES ({i}, '{user} note {i}')"),
                )
                .await;
        }
        server
            .ok(
                &token,
                &format!("INSERT INTO app.archived VALUES (1, '{user} old'), (2, '{user} older')"),
            )
            .await;
    }
    for table in ["app.notes", "app.cfg", "app.archived"] {
        common::cold::flush(server, &root, table).await;
    }
    // After the flush: a delete and an update of cold rows, and new hot rows.
    let alice = server.login("alice", "pw-alice").await;
    server
        .ok(&alice, "DELETE FROM app.notes WHERE id <= 3")
        .await;
    server
        .ok(&alice, "UPDATE app.notes SET body = 'edited' WHERE id = 10")
        .await;
    server
        .ok(&alice, "INSERT INTO app.notes VALUES (100, 'hot row')")
        .await;
    server.ok(&root, "DELETE FROM app.cfg WHERE id = 2").await;
}

fn options_with(args: &[String]) -> Options {
    Options {
        args: args.to_vec(),
        ..Options::default()
    }
}

fn restore_args(backup: &Path) -> Vec<String> {
    vec!["--restore-from".into(), backup.display().to_string()]
}

fn wipe(dirs: &[&PathBuf]) {
    for dir in dirs {
        std::fs::remove_dir_all(dir).unwrap_or_else(|e| panic!("wipe {}: {e}", dir.display()));
    }
}

#[tokio::test]
async fn backup_wipe_restore_gives_back_every_table_user_and_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let archive = tmp.path().join("archive-storage");
    let backup = tmp.path().join("backups").join("b1");
    let mut server = Server::start_in(&data, Options::default()).await;
    fill(&server, &archive).await;
    let root = server.root().await;

    // Who may, and which paths are refused.
    let service = server.user(&root, "svc", "service").await;
    server
        .assert_denied(
            &service,
            &format!("BACKUP DATABASE TO '{}'", backup.display()),
        )
        .await;
    let alice = server.login("alice", "pw-alice").await;
    server
        .assert_denied(
            &alice,
            &format!("RESTORE DATABASE FROM '{}'", backup.display()),
        )
        .await;
    for (bad, says) in [
        ("relative/dir".to_string(), "must be absolute"),
        (
            format!("{}/../x", tmp.path().display()),
            "cannot contain '..'",
        ),
        (
            format!("{}/inside", data.display()),
            "inside the data directory",
        ),
    ] {
        let (_, _, message) = server
            .err(&root, &format!("BACKUP DATABASE TO '{bad}'"))
            .await;
        assert!(message.contains(says), "{bad}: {message}");
    }
    server.ok(&root, "DROP USER svc").await;

    let before = snapshot(&server).await;
    let r = server
        .ok(&root, &format!("BACKUP DATABASE TO '{}'", backup.display()))
        .await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("Backup written to '"), "{message}");
    assert!(message.contains("3 table(s)"), "{message}");
    // A backup never overwrites another.
    let (_, _, again) = server
        .err(&root, &format!("BACKUP DATABASE TO '{}'", backup.display()))
        .await;
    assert!(again.contains("is not empty"), "{again}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("kalamdb-backup.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["kalamdb_version"], env!("CARGO_PKG_VERSION"));
    // RESTORE on a database that holds tables is refused.
    let (_, _, busy) = server
        .err(
            &root,
            &format!("RESTORE DATABASE FROM '{}'", backup.display()),
        )
        .await;
    assert!(busy.contains("replaces the whole database"), "{busy}");
    server.stop();

    // Wipe everything the server wrote, then start on the backup.
    wipe(&[&data, &archive]);
    let mut server = Server::start_in(&data, options_with(&restore_args(&backup))).await;
    assert_eq!(snapshot(&server).await, before);
    // The restored database takes writes and flushes into the restored storages.
    let alice = server.login("alice", "pw-alice").await;
    server
        .ok(
            &alice,
            "INSERT INTO app.archived VALUES (3, 'after restore')",
        )
        .await;
    let root = server.root().await;
    common::cold::flush(&server, &root, "app.archived").await;
    assert_eq!(
        server
            .rows(&alice, "SELECT id FROM app.archived ORDER BY id")
            .await
            .len(),
        3
    );
    server.stop();

    // --restore-from on a data directory that holds a database does not start.
    let (mut child, port) = common::spawn(&data, &options_with(&restore_args(&backup)));
    let _ = child.wait();
    let log = port.expect_err("the server should refuse to start");
    assert!(log.contains("already holds a database"), "{log}");
}

#[tokio::test]
async fn restore_database_stages_and_the_next_start_restores() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let archive = tmp.path().join("archive-storage");
    let backups = tmp.path().join("backup-storage");
    let mut server = Server::start_in(&data, Options::default()).await;
    fill(&server, &archive).await;
    let root = server.root().await;
    server
        .ok(
            &root,
            &format!(
                "CREATE STORAGE vault TYPE filesystem PATH '{}'",
                backups.display()
            ),
        )
        .await;
    let before = snapshot(&server).await;
    let r = server.ok(&root, "BACKUP DATABASE TO STORAGE 'vault'").await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("Backup written to storage 'vault' as backups/"),
        "{message}"
    );
    assert!(backups.join("backups").is_dir());
    server.stop();
    wipe(&[&data, &archive]);

    // A new server with only the storage the backup is in.
    let mut server = Server::start_in(&data, Options::default()).await;
    let root = server.login("root", ROOT_PASSWORD).await;
    server
        .ok(
            &root,
            &format!(
                "CREATE STORAGE vault TYPE filesystem PATH '{}'",
                backups.display()
            ),
        )
        .await;
    // A backup of another version is refused, naming both versions.
    let forged = tmp.path().join("forged");
    std::fs::create_dir_all(&forged).unwrap();
    let newest = std::fs::read_dir(backups.join("backups"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .max()
        .unwrap();
    let text = std::fs::read_to_string(newest.join("kalamdb-backup.json")).unwrap();
    let text = text.replace(
        &format!("\"kalamdb_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"kalamdb_version\": \"0.0.1-old\"",
    );
    std::fs::write(forged.join("kalamdb-backup.json"), text).unwrap();
    let (_, _, old) = server
        .err(
            &root,
            &format!("RESTORE DATABASE FROM '{}'", forged.display()),
        )
        .await;
    assert!(old.contains("written by KalamDB 0.0.1-old"), "{old}");

    let r = server
        .ok(&root, "RESTORE DATABASE FROM STORAGE 'vault'")
        .await;
    let message = r["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("staged"), "{message}");
    assert!(message.contains("restart the server"), "{message}");
    server.stop();
    let server = Server::start_in(&data, Options::default()).await;
    assert_eq!(snapshot(&server).await, before);
}
