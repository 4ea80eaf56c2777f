//! `kalam-link` live subscriptions against the real server: the initial load in pages, inserts,
//! updates and deletes as they happen, refused subscriptions, and a resume after the server
//! restarts that neither loses nor repeats a row, and a JSON operator in a live filter.

mod common;

use common::server::{self, ROOT_PASSWORD, TestServer};
use kalam_link::{
    Auth, KalamClient, KalamLinkError, LiveEvent, LiveRowExt, LiveRows, LiveSubscription,
    ReconnectPolicy, RowObject, SubscribeOptions,
};
use std::time::Duration;

const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

fn root(server: &TestServer) -> KalamClient {
    KalamClient::builder(&server.url)
        .auth(Auth::basic("root", ROOT_PASSWORD))
        .build()
        .expect("client")
}

async fn next_event(sub: &mut LiveSubscription) -> LiveEvent {
    match tokio::time::timeout(EVENT_TIMEOUT, sub.next()).await {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the subscription ended"),
        Err(_) => panic!("no event within {EVENT_TIMEOUT:?}"),
    }
}

fn ids(rows: &[RowObject]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            r.get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

async fn setup(client: &KalamClient, rows: usize) {
    client
        .query(
            "CREATE NAMESPACE app; CREATE SHARED TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await
        .expect("create table");
    let insert = client.prepare("INSERT INTO app.msgs (id, body) VALUES ($1, $2)");
    for i in 1..=rows {
        insert
            .execute(vec![
                serde_json::json!(i),
                serde_json::json!(format!("m{i}")),
            ])
            .await
            .expect("insert");
    }
}

#[tokio::test]
async fn initial_pages_then_changes_arrive_in_order() {
    let Some(server) = server::start() else {
        return;
    };
    let client = root(&server);
    setup(&client, 3).await;
    let mut sub = client
        .subscribe(
            "SELECT id, body FROM app.msgs",
            SubscribeOptions::default().batch_size(2),
        )
        .await
        .expect("subscribe");
    let mut view = LiveRows::new();
    let ack = next_event(&mut sub).await;
    view.apply(&ack);
    match &ack {
        LiveEvent::Ack {
            total_rows,
            schema,
            resumed_from,
            ..
        } => {
            assert_eq!(*total_rows, 3);
            let names: Vec<&str> = schema.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["id", "body", "_seq"]);
            assert_eq!(*resumed_from, None);
        }
        other => panic!("expected the ack, got {other:?}"),
    }
    let mut loaded = Vec::new();
    loop {
        let event = next_event(&mut sub).await;
        view.apply(&event);
        match event {
            LiveEvent::InitialRows { rows, has_more, .. } => {
                assert!(rows.iter().all(|r| r.contains_key("_seq")));
                loaded.extend(ids(&rows));
                if !has_more {
                    break;
                }
            }
            other => panic!("expected initial rows, got {other:?}"),
        }
    }
    assert_eq!(loaded, ["1", "2", "3"], "both pages, pulled automatically");

    client
        .query("INSERT INTO app.msgs (id, body) VALUES (4, 'm4')")
        .await
        .expect("insert");
    let event = next_event(&mut sub).await;
    view.apply(&event);
    assert!(
        matches!(&event, LiveEvent::Insert { rows } if ids(rows) == ["4"]),
        "{event:?}"
    );
    if let LiveEvent::Insert { rows } = &event {
        // Typed reads: the BIGINT arrives as text and decodes to i64.
        assert_eq!(rows[0].get_i64("id").expect("id"), Some(4));
        assert_eq!(rows[0].get_str("body").expect("body"), Some("m4"));
        assert!(rows[0].seq().is_some());
    }
    client
        .query("UPDATE app.msgs SET body = 'edited' WHERE id = 2")
        .await
        .expect("update");
    let event = next_event(&mut sub).await;
    view.apply(&event);
    match &event {
        LiveEvent::Update { rows, old_values } => {
            assert_eq!(rows[0].get("body"), Some(&serde_json::json!("edited")));
            assert_eq!(old_values[0].get("body"), Some(&serde_json::json!("m2")));
        }
        other => panic!("expected an update, got {other:?}"),
    }
    client
        .query("DELETE FROM app.msgs WHERE id = 1")
        .await
        .expect("delete");
    let event = next_event(&mut sub).await;
    view.apply(&event);
    assert!(
        matches!(&event, LiveEvent::Delete { old_values } if ids(old_values) == ["1"]),
        "{event:?}"
    );
    let bodies: Vec<String> = view
        .rows()
        .iter()
        .map(|r| {
            r.get("body")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(bodies, ["edited", "m3", "m4"]);
    sub.unsubscribe().await;
}

#[tokio::test]
async fn refused_subscriptions_fail_with_the_server_code() {
    let Some(server) = server::start() else {
        return;
    };
    let client = root(&server);
    let err = client
        .subscribe("SELECT * FROM app.missing", SubscribeOptions::default())
        .await
        .expect_err("no such table");
    assert!(
        matches!(&err, KalamLinkError::Subscription { code, message }
            if code == "NOT_FOUND" && message.contains("app.missing")),
        "{err:?}"
    );
    let wrong = KalamClient::builder(&server.url)
        .auth(Auth::basic("root", "wrong"))
        .build()
        .expect("client");
    let err = wrong
        .subscribe("SELECT * FROM app.missing", SubscribeOptions::default())
        .await
        .expect_err("bad password");
    assert!(err.is_auth_error(), "{err:?}");
    let down = KalamClient::builder(server::closed_url())
        .auth(Auth::basic("root", ROOT_PASSWORD))
        .build()
        .expect("client");
    let err = down
        .subscribe("SELECT * FROM app.msgs", SubscribeOptions::default())
        .await
        .expect_err("nobody listens");
    assert!(err.is_connection_error(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_after_the_last_seq_without_loss_or_repeats() {
    let Some(mut server) = server::start() else {
        return;
    };
    let client = root(&server);
    setup(&client, 3).await;
    // A long first retry delay, so the row inserted right after the restart is written while
    // the subscription is still disconnected and must come back through the resume.
    let policy = ReconnectPolicy {
        initial_delay: Duration::from_secs(5),
        max_delay: Duration::from_secs(5),
        ..ReconnectPolicy::default()
    };
    let mut sub = client
        .subscribe(
            "SELECT * FROM app.msgs",
            SubscribeOptions::default().reconnect(policy),
        )
        .await
        .expect("subscribe");
    let mut seen = Vec::new();
    let mut last_seq: Option<i64> = None;
    loop {
        match next_event(&mut sub).await {
            LiveEvent::Ack { .. } => {}
            LiveEvent::InitialRows { rows, has_more, .. } => {
                last_seq = last_seq.max(rows.iter().filter_map(|r| r.seq()).max());
                seen.extend(ids(&rows));
                if !has_more {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["1", "2", "3"]);

    tokio::task::block_in_place(|| server.restart());
    client
        .query("INSERT INTO app.msgs (id, body) VALUES (4, 'while away')")
        .await
        .expect("insert after restart");

    let mut disconnects = 0;
    let mut resumed_from = None;
    let mut via_resume = Vec::new();
    while resumed_from.is_none() || via_resume.is_empty() {
        match next_event(&mut sub).await {
            LiveEvent::Disconnected { .. } => disconnects += 1,
            LiveEvent::Ack {
                resumed_from: from, ..
            } => resumed_from = from,
            LiveEvent::InitialRows { rows, .. } => via_resume.extend(ids(&rows)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(disconnects >= 1, "the drop was reported");
    assert_eq!(resumed_from, last_seq, "resumed after the last row seen");
    assert_eq!(via_resume, ["4"], "only the missed row, once");

    client
        .query("INSERT INTO app.msgs (id, body) VALUES (5, 'live again')")
        .await
        .expect("insert after resume");
    let event = next_event(&mut sub).await;
    assert!(
        matches!(&event, LiveEvent::Insert { rows } if ids(rows) == ["5"]),
        "{event:?}"
    );
    sub.unsubscribe().await;
}

#[tokio::test]
async fn a_json_operator_filters_a_live_query() {
    let Some(server) = server::start() else {
        return;
    };
    let client = root(&server);
    client
        .query(
            "CREATE NAMESPACE app; CREATE SHARED TABLE app.events (id BIGINT PRIMARY KEY, doc JSON); \
             INSERT INTO app.events (id, doc) VALUES (1, '{\"kind\": \"alert\"}'), (2, '{\"kind\": \"info\"}')",
        )
        .await
        .expect("setup");
    let mut sub = client
        .subscribe(
            "SELECT id, doc FROM app.events WHERE doc->>'kind' = 'alert'",
            SubscribeOptions::default(),
        )
        .await
        .expect("subscribe with a JSON filter");
    let mut initial = Vec::new();
    loop {
        match next_event(&mut sub).await {
            LiveEvent::Ack { .. } => {}
            LiveEvent::InitialRows { rows, has_more, .. } => {
                initial.extend(rows);
                if !has_more {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ids(&initial), vec!["1"]);
    client
        .query(
            "INSERT INTO app.events (id, doc) VALUES (3, '{\"kind\": \"info\"}'), \
             (4, '{\"kind\": \"alert\", \"n\": 1}')",
        )
        .await
        .expect("insert");
    match next_event(&mut sub).await {
        LiveEvent::Insert { rows } => {
            assert_eq!(ids(&rows), vec!["4"], "only the matching row arrives");
            assert_eq!(
                rows[0].get("doc"),
                Some(&serde_json::json!({"kind": "alert", "n": 1}))
            );
        }
        other => panic!("expected the insert of row 4, got {other:?}"),
    }
}
