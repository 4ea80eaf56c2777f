//! A trigger flow across crashes: each insert into a USER table is copied into an audit table
//! in the same user's partition by a flow, while the server is SIGKILLed in the middle of a
//! stream of inserts, several times. After every restart each note that exists has exactly
//! one audit row (none lost, none made twice), every acknowledged note exists, and no user
//! sees another's audit rows.

mod common;
use common::{Options, Server};
use std::collections::BTreeMap;
use std::time::Duration;

const NOTES: &str = "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)";
/// The audit row's own key is generated: a repeated action would show as a second row.
const AUDIT: &str = "CREATE USER TABLE app.audit (aid BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), note_id BIGINT NOT NULL, body TEXT NOT NULL)";
const FLOW: &str = "CREATE FLOW app.audit_notes ON INSERT TO app.notes DO INSERT INTO app.audit (note_id, body) VALUES (NEW.id, NEW.body)";

/// The ids of `sql`'s first column, counted.
async fn ids(server: &Server, token: &str, sql: &str) -> BTreeMap<i64, usize> {
    let mut out = BTreeMap::new();
    for row in server.rows(token, sql).await {
        *out.entry(common::int(&row[0])).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn a_trigger_flow_copies_each_insert_exactly_once_across_kill_9() {
    let cycles: usize = std::env::var("KALAM_FLOW_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut server = Server::start().await;
    let tmp = server.take_tmp();
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server.ok(&root, NOTES).await;
    server.ok(&root, AUDIT).await;
    server.ok(&root, FLOW).await;
    let users = ["alice", "bob"];
    for name in users {
        server.user(&root, name, "user").await;
    }
    // Per user: ids whose insert was acknowledged.
    let mut acked: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut next_id = 0i64;
    for cycle in 0..cycles {
        let mut tokens = Vec::new();
        for name in users {
            tokens.push((name, server.login(name, &format!("pw-{name}")).await));
        }
        let url = server.url.clone();
        let mut writers = Vec::new();
        for (name, token) in tokens {
            let url = url.clone();
            let first = next_id;
            writers.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut done = Vec::new();
                for i in 0..10_000i64 {
                    let id = first + i;
                    let sql =
                        format!("INSERT INTO app.notes (id, body) VALUES ({id}, '{name} {id}')");
                    let sent = http
                        .post(format!("{url}/v1/api/sql"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "sql": sql }))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 200 => done.push(id),
                        Ok(r) => {
                            let status = r.status().as_u16();
                            assert!(status < 500, "insert answered {status}");
                        }
                        // The server was killed: this and later inserts may or may not be there.
                        Err(_) => break,
                    }
                }
                (name, done)
            }));
            next_id += 10_000;
        }
        // Kill while inserts and their flow runs are in flight.
        tokio::time::sleep(Duration::from_millis(400 + 150 * cycle as u64)).await;
        server.kill();
        for w in writers {
            let (name, done) = w.await.expect("writer");
            acked.entry(name).or_default().extend(done);
        }
        server = Server::start_in(&server.data_dir, Options::default()).await;
        for name in users {
            let token = server.login(name, &format!("pw-{name}")).await;
            let notes = ids(&server, &token, "SELECT id FROM app.notes").await;
            for id in &acked[name] {
                assert!(
                    notes.contains_key(id),
                    "cycle {cycle}: {name}'s acknowledged note {id} is gone"
                );
            }
            // The flow catches up with every note that exists, then stops: wait until the
            // audit count stays equal to the note count.
            let mut audit = BTreeMap::new();
            for _ in 0..400 {
                audit = ids(&server, &token, "SELECT note_id FROM app.audit").await;
                if audit.values().sum::<usize>() >= notes.len() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let audit_again = ids(&server, &token, "SELECT note_id FROM app.audit").await;
            assert_eq!(
                audit, audit_again,
                "cycle {cycle}: {name}'s audit still changing after catching up"
            );
            let twice: Vec<_> = audit.iter().filter(|(_, n)| **n > 1).collect();
            assert!(
                twice.is_empty(),
                "cycle {cycle}: {name}'s notes copied more than once: {twice:?}"
            );
            let copied: Vec<i64> = audit.keys().copied().collect();
            let existing: Vec<i64> = notes.keys().copied().collect();
            assert_eq!(
                copied, existing,
                "cycle {cycle}: {name}'s audit differs from the notes"
            );
            // Only the user's own notes: ids are handed out per user, in disjoint ranges.
            let bodies = server.rows(&token, "SELECT body FROM app.audit").await;
            assert!(
                bodies
                    .iter()
                    .all(|b| b[0].as_str().is_some_and(|s| s.starts_with(name))),
                "cycle {cycle}: {name} sees another user's audit rows"
            );
        }
        assert!(
            acked.values().all(|v| !v.is_empty()),
            "no insert acknowledged before the kill"
        );
    }
    let root = server.root().await;
    let flow = server
        .rows(
            &root,
            "SELECT enabled, failures FROM system.flows WHERE name = 'audit_notes'",
        )
        .await;
    assert_eq!(flow[0][0], serde_json::json!(true));
    assert_eq!(common::int(&flow[0][1]), 0, "the flow never failed");
    drop(tmp);
}
