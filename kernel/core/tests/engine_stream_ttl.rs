//! The engine without a front end: STREAM rows expire on read and are evicted in the
//! background; the change feed sees committed writes.

mod common;
use common::{app_engine, run};
use kalamdb_types::TableId;

#[tokio::test]
async fn stream_rows_expire_and_are_evicted() {
    let (_dir, engine, mut s) = app_engine(
        "CREATE STREAM TABLE app.ev (kind TEXT) WITH (TTL_SECONDS = 1)",
        None,
    )
    .await;
    run(&engine, &mut s, "INSERT INTO app.ev VALUES ('a'), ('b')").await;
    let r = run(&engine, &mut s, "SELECT COUNT(*) FROM app.ev").await;
    assert_eq!(r.rows, Some(vec![vec![serde_json::json!("2")]]));

    let table = TableId::new("app", "ev");
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        engine.jobs.evict_expired_stream_rows(now).await.ok(),
        Some(0)
    );
    assert_eq!(engine.jobs.stored_stream_rows(&table).ok(), Some(2));

    // Past the TTL the rows are hidden before eviction runs...
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let r = run(&engine, &mut s, "SELECT COUNT(*) FROM app.ev").await;
    assert_eq!(r.rows, Some(vec![vec![serde_json::json!("0")]]));
    assert_eq!(engine.jobs.stored_stream_rows(&table).ok(), Some(2));
    // ...and eviction removes them.
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        engine.jobs.evict_expired_stream_rows(now).await.ok(),
        Some(2)
    );
    assert_eq!(engine.jobs.stored_stream_rows(&table).ok(), Some(0));
    engine.shutdown();
}
