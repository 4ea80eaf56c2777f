//! Live queries over WebSocket against the real server.

mod common;
use common::Server;
use common::ws::Client;
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn setup(server: &Server) -> String {
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT)",
        )
        .await;
    root
}

#[tokio::test]
async fn authentication_timeout_and_bad_token() {
    let server = Server::start().await;
    let mut c = Client::connect(&server).await;
    let msg = c
        .try_recv(Duration::from_secs(6))
        .await
        .expect("auth_error");
    assert_eq!(msg["type"], "auth_error");
    assert!(
        msg["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Authentication timeout"),
        "{msg}"
    );

    let mut c = Client::connect(&server).await;
    c.send(json!({"type": "authenticate", "method": "jwt", "token": "bad"}))
        .await;
    let msg = c.recv().await;
    assert_eq!(msg["type"], "auth_error", "{msg}");
}

#[tokio::test]
async fn snapshot_then_inserts_updates_and_deletes() {
    let server = Server::start().await;
    let root = setup(&server).await;
    server
        .ok(
            &root,
            "INSERT INTO app.msgs VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        )
        .await;
    let mut c = Client::authed(&server, &root).await;
    let (ack, batch) = c.subscribe("s1", "SELECT * FROM app.msgs", json!({})).await;
    assert_eq!(ack["total_rows"], 3);
    assert_eq!(ack["batch_control"]["status"], "ready");
    let names: Vec<&str> = ack["schema"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|f| f["name"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, vec!["id", "body", "_seq"]);
    assert_eq!(batch["rows"].as_array().map(Vec::len), Some(3));
    assert_eq!(batch["rows"][0]["id"], "1");
    assert!(batch["rows"][0]["_seq"].is_string());

    for i in 10..20 {
        server
            .ok(&root, &format!("INSERT INTO app.msgs VALUES ({i}, 'n{i}')"))
            .await;
    }
    let mut seen = Vec::new();
    for _ in 0..10 {
        let m = c.recv().await;
        assert_eq!(m["type"], "change", "{m}");
        assert_eq!(m["change_type"], "insert");
        seen.push(m["rows"][0]["id"].as_str().unwrap_or_default().to_string());
    }
    let expected: Vec<String> = (10..20).map(|i| i.to_string()).collect();
    assert_eq!(seen, expected, "in commit order, no duplicates");
    assert!(
        c.try_recv(Duration::from_millis(300)).await.is_none(),
        "nothing extra"
    );

    server
        .ok(&root, "UPDATE app.msgs SET body = 'B' WHERE id = 2")
        .await;
    let m = c.recv().await;
    assert_eq!(m["change_type"], "update", "{m}");
    assert_eq!(m["rows"][0]["body"], "B");
    assert_eq!(m["old_values"][0]["body"], "b");
    assert_eq!(m["old_values"][0]["id"], "2");

    server.ok(&root, "DELETE FROM app.msgs WHERE id = 3").await;
    let m = c.recv().await;
    assert_eq!(m["change_type"], "delete", "{m}");
    assert!(m.get("rows").is_none() || m["rows"].is_null());
    assert_eq!(m["old_values"][0]["id"], "3");
}

#[tokio::test]
async fn filtered_subscription_and_paging() {
    let server = Server::start().await;
    let root = setup(&server).await;
    let values: Vec<String> = (1..=25).map(|i| format!("({i}, 'row{i}')")).collect();
    server
        .ok(
            &root,
            &format!("INSERT INTO app.msgs VALUES {}", values.join(", ")),
        )
        .await;
    let mut c = Client::authed(&server, &root).await;
    let (ack, first) = c
        .subscribe("p", "SELECT id FROM app.msgs", json!({"batch_size": 5}))
        .await;
    assert_eq!(ack["total_rows"], 25);
    assert_eq!(ack["batch_control"]["has_more"], true);
    assert_eq!(ack["batch_control"]["status"], "loading");
    let mut ids: Vec<String> = first["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut batches = 1;
    let mut last = first;
    while last["batch_control"]["has_more"] == true {
        c.send(json!({"type": "next_batch", "subscription_id": "p", "last_seq_id": last["batch_control"]["last_seq_id"]})).await;
        last = c.recv().await;
        assert_eq!(last["type"], "initial_data_batch", "{last}");
        batches += 1;
        ids.extend(
            last["rows"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|x| x["id"].as_str().unwrap_or_default().to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
    }
    assert_eq!(batches, 5);
    assert_eq!(last["batch_control"]["status"], "ready");
    assert_eq!(ids.len(), 25);
    ids.dedup();
    assert_eq!(ids.len(), 25);
    // Projection: only id and _seq.
    assert!(last["rows"][0].get("body").is_none());

    c.send(json!({"type": "unsubscribe", "subscription_id": "p"}))
        .await;
    let (_, b) = c
        .subscribe(
            "f",
            "SELECT * FROM app.msgs WHERE body LIKE 'hot%'",
            json!({}),
        )
        .await;
    assert_eq!(b["rows"], json!([]));
    server
        .ok(
            &root,
            "INSERT INTO app.msgs VALUES (100, 'cold'), (101, 'hot one')",
        )
        .await;
    let m = c.recv().await;
    assert_eq!(m["subscription_id"], "f", "{m}");
    assert_eq!(m["rows"][0]["id"], "101");
    assert!(c.try_recv(Duration::from_millis(300)).await.is_none());
}

#[tokio::test]
async fn empty_table_and_resume_from_seq() {
    let server = Server::start().await;
    let root = setup(&server).await;
    let mut c = Client::authed(&server, &root).await;
    let (ack, batch) = c.subscribe("e", "SELECT * FROM app.msgs", json!({})).await;
    assert_eq!(ack["total_rows"], 0);
    assert_eq!(batch["rows"], json!([]));
    assert_eq!(batch["batch_control"]["status"], "ready");
    server
        .ok(&root, "INSERT INTO app.msgs VALUES (1, 'one')")
        .await;
    let m = c.recv().await;
    let last_seq = m["rows"][0]["_seq"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    drop(c);

    // Written while the client is away.
    server
        .ok(
            &root,
            "INSERT INTO app.msgs VALUES (2, 'two'), (3, 'three')",
        )
        .await;
    let mut c = Client::authed(&server, &root).await;
    let (ack, batch) = c
        .subscribe(
            "e",
            "SELECT * FROM app.msgs",
            json!({"from_seq_id": last_seq}),
        )
        .await;
    assert_eq!(ack["total_rows"], 2, "{ack}");
    let ids: Vec<&str> = batch["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x["id"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids, vec!["2", "3"]);
    server
        .ok(&root, "INSERT INTO app.msgs VALUES (4, 'four')")
        .await;
    let m = c.recv().await;
    assert_eq!(m["rows"][0]["id"], "4");

    // last_rows sends the newest N.
    let (ack, batch) = c
        .subscribe("l", "SELECT * FROM app.msgs", json!({"last_rows": 2}))
        .await;
    assert_eq!(ack["total_rows"], 2);
    let ids: Vec<&str> = batch["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x["id"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids, vec!["3", "4"]);
}

#[tokio::test]
async fn users_see_only_their_own_changes_and_not_system_tables() {
    let server = Server::start().await;
    let root = setup(&server).await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    let mut a = Client::authed(&server, &alice).await;
    let mut b = Client::authed(&server, &bob).await;
    a.subscribe("m", "SELECT * FROM app.msgs", json!({})).await;
    b.subscribe("m", "SELECT * FROM app.msgs", json!({})).await;
    server
        .ok(&alice, "INSERT INTO app.msgs VALUES (1, 'from alice')")
        .await;
    server
        .ok(&bob, "INSERT INTO app.msgs VALUES (1, 'from bob')")
        .await;
    assert_eq!(a.recv().await["rows"][0]["body"], "from alice");
    assert_eq!(b.recv().await["rows"][0]["body"], "from bob");
    assert!(a.try_recv(Duration::from_millis(300)).await.is_none());

    a.send(json!({"type": "subscribe", "subscription": {"id": "sys", "sql": "SELECT * FROM system.users"}})).await;
    let m = a.recv().await;
    assert_eq!(m["type"], "error", "{m}");
    assert_eq!(m["code"], "UNAUTHORIZED");

    // system.live lists subscriptions; KILL LIVE QUERY ends one.
    let live = server
        .rows(
            &root,
            "SELECT live_id, user_id FROM system.live WHERE user_id = 'alice'",
        )
        .await;
    assert_eq!(live.len(), 1);
    let live_id = live[0][0].as_str().unwrap_or_default().to_string();
    server
        .ok(&root, &format!("KILL LIVE QUERY '{live_id}'"))
        .await;
    let m = a.recv().await;
    assert_eq!(m["type"], "error", "{m}");
    server
        .ok(&alice, "INSERT INTO app.msgs VALUES (2, 'after kill')")
        .await;
    assert!(a.try_recv(Duration::from_millis(300)).await.is_none());

    let r = server
        .ok(
            &root,
            "SUBSCRIBE TO app.msgs WHERE id > 5 OPTIONS (last_rows = 10)",
        )
        .await;
    assert!(r["message"].as_str().unwrap_or_default().contains("/v1/ws"));
}

#[tokio::test]
async fn bearer_header_and_a_thousand_subscriptions() {
    let server = Server::start().await;
    let root = setup(&server).await;
    let req = tokio_tungstenite::tungstenite::http::Request::builder()
        .uri(format!("ws://127.0.0.1:{}/v1/ws", server.port))
        .header("Host", format!("127.0.0.1:{}", server.port))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header(
            "Sec-WebSocket-Key",
            tokio_tungstenite::tungstenite::handshake::client::generate_key(),
        )
        .header("Authorization", format!("Bearer {root}"))
        .body(())
        .expect("request");
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let mut c = Client { ws };
    assert_eq!(c.recv().await["type"], "auth_success");

    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(Client::authed(&server, &root).await);
    }
    // Round-robin, so every client keeps answering the server's pings.
    for i in 0..100 {
        for cl in &mut clients {
            cl.subscribe(&format!("s{i}"), "SELECT * FROM app.msgs", json!({}))
                .await;
        }
    }
    let live = server.rows(&root, "SELECT COUNT(*) FROM system.live").await;
    assert_eq!(live, vec![vec![json!("1000")]]);
    server
        .ok(&root, "INSERT INTO app.msgs VALUES (1, 'fan-out')")
        .await;
    let mut received = 0;
    for cl in &mut clients {
        for _ in 0..100 {
            let m = cl.recv().await;
            assert_eq!(m["type"], "change");
            received += 1;
        }
    }
    assert_eq!(received, 1000);
}

fn decode_binary(bytes: &[u8]) -> Value {
    use std::io::Read;
    let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gunzip");
        out
    } else {
        bytes.to_vec()
    };
    rmp_serde::from_slice(&raw).expect("msgpack")
}

#[tokio::test]
async fn msgpack_and_gzip_negotiation() {
    let server = Server::start().await;
    let root = setup(&server).await;
    let values: Vec<String> = (1..=50)
        .map(|i| format!("({i}, 'a fairly long body for row number {i}')"))
        .collect();
    server
        .ok(
            &root,
            &format!("INSERT INTO app.msgs VALUES {}", values.join(", ")),
        )
        .await;
    let mut c = Client::connect(&server).await;
    c.send(
        json!({"type": "authenticate", "method": "jwt", "token": root,
                  "protocol": {"serialization": "msgpack", "compression": "gzip"}}),
    )
    .await;
    let hello = c.recv().await;
    assert_eq!(hello["type"], "auth_success");
    assert_eq!(
        hello["protocol"],
        json!({"serialization": "msgpack", "compression": "gzip"})
    );
    c.send(
        json!({"type": "subscribe", "subscription": {"id": "m", "sql": "SELECT * FROM app.msgs"}}),
    )
    .await;
    let mut frames = Vec::new();
    while frames.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(10), c.ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => frames.push(b.to_vec()),
            Ok(Some(Ok(Message::Ping(_)))) => continue,
            other => panic!("expected binary frames, got {other:?}"),
        }
    }
    let ack = decode_binary(&frames[0]);
    assert_eq!(ack["type"], "subscription_ack", "{ack}");
    assert!(
        frames[1].starts_with(&[0x1f, 0x8b]),
        "the large batch is gzip-compressed"
    );
    let batch = decode_binary(&frames[1]);
    assert_eq!(batch["type"], "initial_data_batch");
    assert_eq!(batch["rows"].as_array().map(Vec::len), Some(50));
    assert_eq!(batch["rows"][49]["id"], "50");
}

#[tokio::test]
async fn stream_inserts_reach_their_owner_only() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE STREAM TABLE app.typing (state TEXT) WITH (TTL_SECONDS = 60)",
        )
        .await;
    let alice = server.user(&root, "alice", "user").await;
    let bob = server.user(&root, "bob", "user").await;
    let mut a = Client::authed(&server, &alice).await;
    let (ack, _) = a
        .subscribe("t", "SELECT * FROM app.typing", json!({}))
        .await;
    assert_eq!(ack["total_rows"], 0);
    server
        .ok(&bob, "INSERT INTO app.typing VALUES ('bob typing')")
        .await;
    server
        .ok(&alice, "INSERT INTO app.typing VALUES ('alice typing')")
        .await;
    let m = a.recv().await;
    assert_eq!(m["change_type"], "insert", "{m}");
    assert_eq!(m["rows"][0]["state"], "alice typing");
    assert!(a.try_recv(Duration::from_millis(300)).await.is_none());
}
