//! KFlows over HTTP, role by role: who may create which flow, who sees and manages which, and
//! a trigger flow's copy arriving in the changed row's partition.

mod common;
use common::Server;
use std::time::Duration;

async fn wait_count(server: &Server, token: &str, sql: &str, want: usize) -> usize {
    let mut got = 0;
    for _ in 0..200 {
        got = server.rows(token, sql).await.len();
        if got >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    got
}

#[tokio::test]
async fn each_role_creates_sees_and_manages_only_the_flows_it_may() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.copies (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    server.ok(&root, "CREATE SHARED TABLE app.private (id BIGINT PRIMARY KEY) WITH (ACCESS_LEVEL = 'private')").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.log (id BIGINT PRIMARY KEY)")
        .await;
    let user = server.user(&root, "uma", "user").await;
    let service = server.user(&root, "sam", "service").await;
    let dba = server.user(&root, "dee", "dba").await;

    // Schedules and maintenance actions: dba and up.
    for token in [&user, &service] {
        server
            .assert_denied(
                token,
                "CREATE FLOW app.tick ON SCHEDULE EVERY 1 HOUR DO DELETE FROM app.log",
            )
            .await;
        for action in [
            "COMPACT app.log",
            "CLEANUP DELETED ROWS OLDER THAN 1 DAY",
            "BACKUP TO STORAGE 'local'",
            "REPLICATE app.log TO STORAGE 'local'",
        ] {
            server
                .assert_denied(
                    token,
                    &format!("CREATE FLOW app.comp ON INSERT TO app.log DO {action}"),
                )
                .await;
        }
    }
    server
        .ok(
            &dba,
            "CREATE FLOW app.tick ON SCHEDULE EVERY 1 HOUR DO DELETE FROM app.log WHERE id < 0",
        )
        .await;
    // A trigger flow needs read access to its table.
    server.assert_denied(&user, "CREATE FLOW app.spy ON INSERT TO app.private DO INSERT INTO app.copies (id) VALUES (NEW.id)").await;
    server.ok(&service, "CREATE FLOW app.svc ON INSERT TO app.log DO DELETE FROM app.log WHERE id = NEW.id + 1000000").await;
    server.ok(&user, "CREATE FLOW app.mine ON INSERT TO app.notes DO INSERT INTO app.copies (id, body) VALUES (NEW.id, NEW.body)").await;

    // system.flows is for admins; SHOW FLOWS lists one's own flows, or all for an admin.
    server
        .assert_denied(&user, "SELECT * FROM system.flows")
        .await;
    server
        .assert_denied(&service, "SELECT * FROM system.flows")
        .await;
    let names = |rows: Vec<Vec<serde_json::Value>>| -> Vec<String> {
        let mut n: Vec<String> = rows
            .iter()
            .filter(|r| r[2] == "app")
            .map(|r| r[1].as_str().unwrap_or_default().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(server.rows(&user, "SHOW FLOWS").await), ["mine"]);
    assert_eq!(names(server.rows(&service, "SHOW FLOWS").await), ["svc"]);
    assert_eq!(
        names(server.rows(&dba, "SHOW FLOWS").await),
        ["mine", "svc", "tick"]
    );
    assert_eq!(
        server
            .rows(
                &dba,
                "SELECT name FROM system.flows WHERE namespace = 'app'"
            )
            .await
            .len(),
        3
    );

    // Another's flow does not exist for a non-admin; an admin manages every flow.
    let (_, _, message) = server.err(&service, "DROP FLOW app.mine").await;
    assert_eq!(
        message,
        "Statement 1 failed: Flow 'app.mine' does not exist"
    );
    server.ok(&dba, "ALTER FLOW app.mine DISABLE").await;
    server.ok(&user, "ALTER FLOW app.mine ENABLE").await;

    // The user's flow copies in the user's own partition.
    server
        .ok(
            &user,
            "INSERT INTO app.notes (id, body) VALUES (1, 'hello')",
        )
        .await;
    assert_eq!(
        wait_count(&server, &user, "SELECT id FROM app.copies", 1).await,
        1
    );
    assert!(
        server
            .rows(&root, "SELECT id FROM app.copies")
            .await
            .is_empty(),
        "root's partition stays empty"
    );
    let ran = server.ok(&dba, "RUN FLOW app.tick").await;
    assert_eq!(ran["message"], "Flow 'app.tick' ran: 0 row(s) affected");
    let jobs = server
        .rows(
            &dba,
            "SELECT status FROM system.jobs WHERE flow_name = 'app.tick'",
        )
        .await;
    assert_eq!(jobs, vec![vec![serde_json::json!("completed")]]);
    server.ok(&user, "DROP FLOW app.mine").await;
    assert!(names(server.rows(&user, "SHOW FLOWS").await).is_empty());
}

/// A change its flow could not handle yet stays queued across a crash, with those behind it,
/// and each is handled exactly once after the restart.
#[tokio::test]
async fn queued_changes_survive_a_crash_and_are_handled_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("server.toml");
    // A failed change is retried only after ten minutes: the queue stays as the crash leaves it.
    std::fs::write(
        &config,
        "[flows]\nretry_base_ms = 600000\nretry_max_ms = 600000\n",
    )
    .expect("config");
    let options = || common::Options {
        config: Some(config.clone()),
        ..common::Options::default()
    };
    let data = tmp.path().join("data");
    let mut server = Server::start_in(&data, options()).await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(&root, "CREATE SHARED TABLE app.src (id BIGINT PRIMARY KEY)")
        .await;
    server
        .ok(&root, "CREATE SHARED TABLE app.dst (id BIGINT PRIMARY KEY)")
        .await;
    server
        .ok(
            &root,
            "CREATE FLOW app.copy ON INSERT TO app.src DO INSERT INTO app.dst (id) VALUES (NEW.id)",
        )
        .await;
    // 5 is already in app.dst: copying it fails, and 6 and 7 queue behind it.
    server
        .ok(&root, "INSERT INTO app.dst (id) VALUES (5)")
        .await;
    server
        .ok(&root, "INSERT INTO app.src (id) VALUES (5), (6)")
        .await;
    server
        .ok(&root, "INSERT INTO app.src (id) VALUES (7)")
        .await;
    let failures = || async {
        let rows = server
            .rows(
                &root,
                "SELECT failures FROM system.flows WHERE name = 'copy'",
            )
            .await;
        common::int(&rows[0][0])
    };
    for _ in 0..200 {
        if failures().await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(failures().await, 1);
    server.kill();
    let server = Server::start_in(&data, options()).await;
    let root = server.root().await;
    assert_eq!(server.rows(&root, "SELECT id FROM app.dst").await.len(), 1);
    // The restarted server tries the kept change once at once (and fails again); only then is
    // the cause removed, so RUN FLOW below is what handles the queue.
    let mut failed = 0;
    for _ in 0..200 {
        let rows = server
            .rows(
                &root,
                "SELECT failures FROM system.flows WHERE name = 'copy'",
            )
            .await;
        failed = common::int(&rows[0][0]);
        if failed >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(failed, 2, "the failure count survives the crash");
    server.ok(&root, "DELETE FROM app.dst WHERE id = 5").await;
    let ran = server.ok(&root, "RUN FLOW app.copy").await;
    assert_eq!(ran["message"], "Flow 'app.copy' handled 3 queued change(s)");
    let copied: Vec<i64> = server
        .rows(&root, "SELECT id FROM app.dst ORDER BY id")
        .await
        .iter()
        .map(|r| common::int(&r[0]))
        .collect();
    assert_eq!(copied, [5, 6, 7]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        server.rows(&root, "SELECT id FROM app.dst").await.len(),
        3,
        "nothing handled twice"
    );
    let runs = server
        .rows(
            &root,
            "SELECT runs, enabled FROM system.flows WHERE name = 'copy'",
        )
        .await;
    assert_eq!(common::int(&runs[0][0]), 3);
    assert_eq!(runs[0][1], serde_json::json!(true));
}
