//! The engine without a front end: STREAM rows expire on read and are evicted in the
//! background; the change feed sees committed writes.

use kalamdb_core::error::{KalamError, Result};
use kalamdb_core::plugin::codec::DecodeFn;
use kalamdb_core::plugin::{Codec, Registry};
use kalamdb_core::{Engine, EngineConfig, Session};
use kalamdb_types::{Role, TableId, UserId};
use std::sync::Arc;

/// A JSON codec local to this test (the plugin crate would bring a second copy of the kernel).
struct TestJson;

impl Codec for TestJson {
    fn name(&self) -> &str {
        "json"
    }
    fn content_type(&self) -> &str {
        "application/json"
    }
    fn encode_erased(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        value
            .erased_serialize(&mut <dyn erased_serde::Serializer>::erase(&mut ser))
            .map_err(KalamError::internal)?;
        Ok(out)
    }
    fn decode_erased(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<()> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de)).map_err(KalamError::internal)
    }
}

async fn engine(dir: &std::path::Path) -> Arc<Engine> {
    let mut registry = Registry::new();
    registry.register_codec(Arc::new(TestJson)).expect("codec");
    let config = EngineConfig {
        data_dir: dir.to_path_buf(),
        bcrypt_cost: 4,
        root_password: Some("pw".into()),
        ..EngineConfig::default()
    };
    Engine::open(config, registry).await.expect("engine")
}

fn root() -> Session {
    Session::new(UserId::new("root"), Role::System)
}

async fn run(
    engine: &Engine,
    session: &mut Session,
    sql: &str,
) -> kalamdb_types::wire::QueryResult {
    match engine.execute_sql(session, sql, Vec::new()).await {
        Ok(mut results) => results.remove(0),
        Err(e) => panic!("{sql}: {e:?}"),
    }
}

#[tokio::test]
async fn stream_rows_expire_and_are_evicted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(dir.path()).await;
    let mut s = root();
    run(&engine, &mut s, "CREATE NAMESPACE app").await;
    run(
        &engine,
        &mut s,
        "CREATE STREAM TABLE app.ev (kind TEXT) WITH (TTL_SECONDS = 1)",
    )
    .await;
    run(&engine, &mut s, "INSERT INTO app.ev VALUES ('a'), ('b')").await;
    let r = run(&engine, &mut s, "SELECT COUNT(*) FROM app.ev").await;
    assert_eq!(r.rows, Some(vec![vec![serde_json::json!("2")]]));

    let table = TableId::new("app", "ev");
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(engine.evict_expired_stream_rows(now).await.ok(), Some(0));
    assert_eq!(engine.stored_stream_rows(&table).ok(), Some(2));

    // Past the TTL the rows are hidden before eviction runs...
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let r = run(&engine, &mut s, "SELECT COUNT(*) FROM app.ev").await;
    assert_eq!(r.rows, Some(vec![vec![serde_json::json!("0")]]));
    assert_eq!(engine.stored_stream_rows(&table).ok(), Some(2));
    // ...and eviction removes them.
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(engine.evict_expired_stream_rows(now).await.ok(), Some(2));
    assert_eq!(engine.stored_stream_rows(&table).ok(), Some(0));
    engine.shutdown();
}
