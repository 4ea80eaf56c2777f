//! Rows into user structs against the real server: `query_as::<T>()` with parameters from any
//! `Serialize` tuple, BIGINT text into `i64`, TIMESTAMP into `DateTime<Utc>`, NULL into
//! `Option`, and errors that name the row and column.

mod common;

use common::server::{self, ROOT_PASSWORD, TestServer};
use kalam_link::chrono::{DateTime, Utc};
use kalam_link::{Auth, KalamClient, KalamLinkError};
use serde::Deserialize;

fn root(server: &TestServer) -> KalamClient {
    KalamClient::builder(&server.url)
        .auth(Auth::basic("root", ROOT_PASSWORD))
        .build()
        .expect("client")
}

#[derive(Debug, Deserialize, PartialEq)]
struct Message {
    id: i64,
    body: Option<String>,
    sent_at: DateTime<Utc>,
    score: f64,
    pinned: bool,
}

async fn setup(client: &KalamClient) {
    client
        .query(
            "CREATE NAMESPACE app; CREATE SHARED TABLE app.msgs (id BIGINT PRIMARY KEY, \
             body TEXT, sent_at TIMESTAMP NOT NULL, score DOUBLE NOT NULL, pinned BOOLEAN NOT NULL)",
        )
        .await
        .expect("schema");
    let insert = client.prepare(
        "INSERT INTO app.msgs (id, body, sent_at, score, pinned) VALUES ($1, $2, $3, $4, $5)",
    );
    // Parameters from tuples of plain Rust values; an id past 2^53 survives the trip.
    let rows: [(i64, Option<&str>, &str, f64, bool); 3] = [
        (1, Some("hello"), "2024-05-01T12:00:00Z", 1.5, true),
        (2, None, "2024-05-02T08:30:00Z", 2.0, false),
        (
            9_007_199_254_740_993,
            Some("big"),
            "2024-05-03T00:00:00Z",
            0.25,
            false,
        ),
    ];
    for row in rows {
        client
            .query_params(insert.sql(), row)
            .await
            .expect("insert with tuple params");
    }
}

#[tokio::test]
async fn query_as_fills_structs_and_tuples() {
    let Some(server) = server::start() else {
        return;
    };
    let client = root(&server);
    setup(&client).await;
    let messages: Vec<Message> = client
        .query_as(
            "SELECT id, body, sent_at, score, pinned FROM app.msgs WHERE score >= $1 ORDER BY id",
            (0.5,),
        )
        .await
        .expect("query_as");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].id, 1);
    assert_eq!(messages[0].body.as_deref(), Some("hello"));
    assert_eq!(
        messages[0].sent_at.to_rfc3339(),
        "2024-05-01T12:00:00+00:00"
    );
    assert!(messages[0].pinned);
    assert_eq!(messages[1].body, None);
    assert_eq!(messages[1].score, 2.0);

    let pairs: Vec<(i64, String)> = client
        .query_as("SELECT id, body FROM app.msgs WHERE body = $1", ["big"])
        .await
        .expect("tuples");
    assert_eq!(pairs, vec![(9_007_199_254_740_993, "big".to_string())]);

    // A prepared statement decodes the same way; `()` sends no parameters.
    let counted: Vec<(u64,)> = client
        .prepare("SELECT count(*) AS n FROM app.msgs")
        .query_as(())
        .await
        .expect("prepared query_as");
    assert_eq!(counted, vec![(3,)]);
}

#[tokio::test]
async fn decoding_errors_name_the_row_and_column() {
    let Some(server) = server::start() else {
        return;
    };
    let client = root(&server);
    setup(&client).await;
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct NoNulls {
        id: i64,
        body: String,
    }
    let err = client
        .query_as::<NoNulls>("SELECT id, body FROM app.msgs ORDER BY id", ())
        .await
        .expect_err("a NULL body cannot fill a String");
    match &err {
        KalamLinkError::Decode { row, message } => {
            assert_eq!(*row, 1);
            assert!(message.contains("column 'body'"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let err = client
        .query_as::<(i32,)>("SELECT id FROM app.msgs WHERE id > $1", (5,))
        .await
        .expect_err("the big id does not fit in i32");
    assert!(err.to_string().contains("i32"), "{err}");
    let err = client
        .query_params("SELECT 1", serde_json::json!({"a": 1}))
        .await
        .expect_err("an object is not a parameter list");
    assert!(
        matches!(&err, KalamLinkError::Params(m) if m.contains("an object")),
        "{err:?}"
    );
}
