//! Namespaces, the three table types, column order, defaults and constraints over HTTP.

mod common;
use common::Server;
use serde_json::{Value, json};

#[tokio::test]
async fn namespaces_are_created_listed_and_dropped() {
    let server = Server::start().await;
    let root = server.root().await;
    let r = server.ok(&root, "CREATE NAMESPACE app").await;
    assert_eq!(r["message"], "Namespace 'app' created successfully");
    let (_, code, msg) = server.err(&root, "CREATE NAMESPACE app").await;
    assert_eq!(code, "SQL_EXECUTION_ERROR");
    assert!(msg.contains("already exists"), "{msg}");
    server.ok(&root, "CREATE NAMESPACE IF NOT EXISTS app").await;
    let (_, _, msg) = server.err(&root, "CREATE NAMESPACE system").await;
    assert!(msg.contains("reserved"), "{msg}");
    let rows = server.rows(&root, "SHOW NAMESPACES").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "app");

    let (_, _, msg) = server
        .err(&root, "CREATE USER TABLE nope.t (id BIGINT PRIMARY KEY)")
        .await;
    assert!(
        msg.contains("Namespace 'nope' does not exist. Create it first with CREATE NAMESPACE nope"),
        "{msg}"
    );
    server
        .ok(&root, "CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY)")
        .await;
    let (_, _, msg) = server.err(&root, "DROP NAMESPACE app").await;
    assert!(msg.contains("CASCADE"), "{msg}");
    server.ok(&root, "DROP NAMESPACE app CASCADE").await;
    assert!(server.rows(&root, "SHOW NAMESPACES").await.is_empty());
    let (_, _, msg) = server.err(&root, "SELECT * FROM app.t").await;
    assert!(msg.contains("relation \"app.t\" does not exist"), "{msg}");
}

#[tokio::test]
async fn each_table_type_is_created_and_described() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    let r = server
        .ok(
            &root,
            "CREATE USER TABLE app.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT NOT NULL, created_at TIMESTAMP DEFAULT NOW())",
        )
        .await;
    assert_eq!(r["message"], "Table app.messages created successfully");
    server
        .ok(
            &root,
            "CREATE TABLE app.config (key TEXT PRIMARY KEY, value JSON) WITH (TYPE = 'SHARED')",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE STREAM TABLE app.events (kind TEXT, payload JSON) WITH (TTL_SECONDS = 60)",
        )
        .await;
    let (_, _, msg) = server
        .err(&root, "CREATE STREAM TABLE app.bad (kind TEXT)")
        .await;
    assert!(msg.contains("TTL_SECONDS"), "{msg}");
    let (_, _, msg) = server
        .err(&root, "CREATE USER TABLE app.nopk (a TEXT)")
        .await;
    assert!(msg.contains("PRIMARY KEY"), "{msg}");
    let (_, _, msg) = server
        .err(
            &root,
            "CREATE USER TABLE app.x (id INT PRIMARY KEY) WITH (TYPE = 'SHARED')",
        )
        .await;
    assert!(msg.contains("conflicts"), "{msg}");
    let (_, _, msg) = server
        .err(
            &root,
            "CREATE USER TABLE app.x (id INT PRIMARY KEY) WITH (COLOUR = 'red')",
        )
        .await;
    assert!(msg.contains("COLOUR"), "{msg}");

    let rows = server.rows(&root, "SHOW TABLES IN app").await;
    let mut kinds: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[1].as_str().unwrap_or_default().into(),
                r[2].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("config".into(), "SHARED".into()),
            ("events".into(), "STREAM".into()),
            ("messages".into(), "USER".into())
        ]
    );
    let desc = server.rows(&root, "DESCRIBE TABLE app.messages").await;
    let names: Vec<&str> = desc
        .iter()
        .map(|r| r[0].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["id", "body", "created_at"]);
    assert_eq!(desc[0][4], "SNOWFLAKE_ID()");

    let cols = server
        .rows(
            &root,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'messages' ORDER BY ordinal_position",
        )
        .await;
    assert_eq!(cols.len(), 4, "user columns then _seq: {cols:?}");

    let r = server.ok(&root, "DROP TABLE app.events").await;
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Table app.events dropped successfully")
    );
    let (_, _, msg) = server.err(&root, "SELECT * FROM app.events").await;
    assert!(msg.contains("does not exist"), "{msg}");
}

#[tokio::test]
async fn select_star_keeps_creation_order_and_cell_encoding() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.items (zeta TEXT, id BIGINT PRIMARY KEY, alpha INT, price DOUBLE, at TIMESTAMP, meta JSON, ok BOOLEAN)",
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.items (id, zeta, alpha, price, at, meta, ok) VALUES (9007199254740993, 'z', 7, 1.5, '2024-01-01T00:00:00Z', '{\"a\":1}', true)",
        )
        .await;
    let (status, body) = server.sql(&root, "SELECT * FROM app.items").await;
    assert_eq!(status, 200, "{body}");
    let result = &body["results"][0];
    let names: Vec<&str> = result["schema"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["name"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names,
        vec!["zeta", "id", "alpha", "price", "at", "meta", "ok", "_seq"]
    );
    assert_eq!(result["schema"][1]["data_type"], "BigInt");
    assert_eq!(result["schema"][1]["flags"], json!(["pk", "nn"]));
    assert_eq!(result["schema"][4]["data_type"], "Timestamp");
    assert_eq!(result["schema"][5]["data_type"], "Json");
    let row = &result["rows"][0];
    assert_eq!(row[0], "z");
    assert_eq!(row[1], "9007199254740993", "BIGINT travels as a string");
    assert_eq!(row[2], 7);
    assert_eq!(row[3], 1.5);
    assert_eq!(
        row[4], 1_704_067_200_000_000i64,
        "TIMESTAMP as microseconds"
    );
    assert_eq!(row[5], json!({"a": 1}));
    assert_eq!(row[6], true);
    assert!(row[7].is_string(), "_seq is a BIGINT string");
    assert_eq!(result["row_count"], 1);
    assert!(body["took"].is_number());
    assert_eq!(result["as_user"], "root");
}

#[tokio::test]
async fn defaults_constraints_and_conflicts() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), title TEXT NOT NULL, owner TEXT DEFAULT CURRENT_USER(), u TEXT DEFAULT UUID_V7(), l TEXT DEFAULT ULID(), at TIMESTAMP DEFAULT NOW(), n INT DEFAULT 5)",
        )
        .await;
    let r = server
        .ok(
            &root,
            "INSERT INTO app.notes (title) VALUES ('a') RETURNING *",
        )
        .await;
    let row = &r["rows"][0];
    assert!(
        row[0].as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
        "{row}"
    );
    assert_eq!(row[1], "a");
    assert_eq!(row[2], "root");
    assert_eq!(row[3].as_str().map(str::len), Some(36));
    assert_eq!(row[4].as_str().map(str::len), Some(26));
    assert!(row[5].as_i64().is_some_and(|t| t > 1_700_000_000_000_000));
    assert_eq!(row[6], 5);

    let (status, code, msg) = server
        .err(&root, "INSERT INTO app.notes (id, title) VALUES (1, NULL)")
        .await;
    assert_eq!((status, code.as_str()), (400, "SQL_EXECUTION_ERROR"));
    assert!(
        msg.contains(
            "null value in column \"title\" of relation \"app.notes\" violates not-null constraint"
        ),
        "{msg}"
    );
    server
        .ok(&root, "INSERT INTO app.notes (id, title) VALUES (1, 'one')")
        .await;
    let (_, _, msg) = server
        .err(
            &root,
            "INSERT INTO app.notes (id, title) VALUES (1, 'again')",
        )
        .await;
    assert!(
        msg.contains("duplicate key value violates unique constraint"),
        "{msg}"
    );
    assert!(msg.contains("Key (id)=(1) already exists"), "{msg}");
    // A failing multi-row insert writes nothing.
    let (_, _, _) = server
        .err(
            &root,
            "INSERT INTO app.notes (id, title) VALUES (2, 'two'), (1, 'dup')",
        )
        .await;
    assert!(
        server
            .rows(&root, "SELECT * FROM app.notes WHERE id = 2")
            .await
            .is_empty()
    );
    let (_, _, msg) = server
        .err(&root, "UPDATE app.notes SET title = NULL WHERE id = 1")
        .await;
    assert!(msg.contains("not-null"), "{msg}");

    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.counters (id SERIAL PRIMARY KEY, name TEXT)",
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.counters (name) VALUES ('a'), ('b'), ('c')",
        )
        .await;
    let rows = server
        .rows(&root, "SELECT id, name FROM app.counters ORDER BY id")
        .await;
    assert_eq!(
        rows,
        vec![
            vec![json!(1), json!("a")],
            vec![json!(2), json!("b")],
            vec![json!(3), json!("c")]
        ]
    );
}

#[tokio::test]
async fn update_and_delete_resolve_versions() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.kv (k TEXT PRIMARY KEY, v INT)",
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO app.kv VALUES ('a', 1), ('b', 2), ('c', 3)",
        )
        .await;
    let seq_before = server
        .rows(&root, "SELECT _seq FROM app.kv WHERE k = 'a'")
        .await;
    let r = server
        .ok(&root, "UPDATE app.kv SET v = v + 10 WHERE k IN ('a', 'b')")
        .await;
    assert_eq!(r["message"], "Updated 2 row(s)");
    assert_eq!(r["row_count"], 2);
    let seq_after = server
        .rows(&root, "SELECT _seq FROM app.kv WHERE k = 'a'")
        .await;
    let before: i64 = seq_before[0][0]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let after: i64 = seq_after[0][0].as_str().unwrap_or("0").parse().unwrap_or(0);
    assert!(after > before, "a new version has a larger _seq");
    let r = server.ok(&root, "DELETE FROM app.kv WHERE k = 'c'").await;
    assert_eq!(r["message"], "Deleted 1 row(s)");
    let rows = server
        .rows(&root, "SELECT k, v FROM app.kv ORDER BY k")
        .await;
    assert_eq!(
        rows,
        vec![vec![json!("a"), json!(11)], vec![json!("b"), json!(12)]]
    );
    let r = server.ok(&root, "DELETE FROM app.kv WHERE k = 'c'").await;
    assert_eq!(r["row_count"], 0);
    // A deleted key can be inserted again.
    server
        .ok(&root, "INSERT INTO app.kv VALUES ('c', 30)")
        .await;
    let rows = server.rows(&root, "SELECT COUNT(*) FROM app.kv").await;
    assert_eq!(rows[0][0], "3");
}

#[tokio::test]
async fn parameters_bind_and_batches_merge() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE app").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE app.p (id BIGINT PRIMARY KEY, name TEXT)",
        )
        .await;
    let (status, body) = server
        .sql_params(
            &root,
            "INSERT INTO app.p (id, name) VALUES ($1, $2)",
            json!(["7", "seven"]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .sql_params(&root, "SELECT name FROM app.p WHERE id = $1", json!([7]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["rows"], json!([["seven"]]));
    let (status, body) = server
        .sql_params(&root, "SELECT 1; SELECT 2", json!([1]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "PARAMS_WITH_BATCH");
    let (status, body) = server.sql(&root, "  ").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "EMPTY_SQL");

    let (status, body) = server
        .sql(
            &root,
            "INSERT INTO app.p VALUES (1, 'a'); INSERT INTO app.p VALUES (2, 'b'); SELECT COUNT(*) AS n FROM app.p; DELETE FROM app.p WHERE id = 1",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 3, "{body}");
    assert_eq!(results[0]["rows"], json!([["3"]]));
    assert_eq!(results[1]["message"], "Inserted 2 row(s)");
    assert_eq!(results[2]["message"], "Deleted 1 row(s)");

    let (status, body) = server.sql(&root, "SELEKT 1").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "INVALID_SQL");
    let msg = body["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("syntax error at or near \"SELEKT\""), "{msg}");
    let (status, body) = server
        .post(
            "/v1/api/sql",
            Some(&root),
            Value::String("not an object".into()),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "INVALID_INPUT");
}

#[tokio::test]
async fn any_datafusion_sql_runs() {
    let server = Server::start().await;
    let root = server.root().await;
    server.ok(&root, "CREATE NAMESPACE shop").await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE shop.orders (id INT PRIMARY KEY, customer TEXT, total DOUBLE)",
        )
        .await;
    server
        .ok(
            &root,
            "CREATE SHARED TABLE shop.customers (name TEXT PRIMARY KEY, city TEXT)",
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO shop.orders VALUES (1, 'ann', 10), (2, 'ann', 20), (3, 'bob', 5)",
        )
        .await;
    server
        .ok(
            &root,
            "INSERT INTO shop.customers VALUES ('ann', 'Oslo'), ('bob', 'Rome')",
        )
        .await;
    let rows = server
        .rows(
            &root,
            "WITH t AS (SELECT customer, SUM(total) AS s FROM shop.orders GROUP BY customer) \
             SELECT c.city, t.s, RANK() OVER (ORDER BY t.s DESC) AS r FROM t JOIN shop.customers c ON c.name = t.customer ORDER BY r",
        )
        .await;
    assert_eq!(
        rows,
        vec![
            vec![json!("Oslo"), json!(30.0), json!("1")],
            vec![json!("Rome"), json!(5.0), json!("2")]
        ]
    );
    let (status, body) = server
        .post(
            "/v1/api/sql",
            Some(&root),
            json!({"sql": "SELECT COUNT(*) FROM orders", "namespace_id": "shop"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["rows"], json!([["3"]]));
    let r = server
        .ok(&root, "USE shop; SELECT MAX(id) FROM orders")
        .await;
    assert_eq!(r["message"], "Using namespace 'shop'");
}
