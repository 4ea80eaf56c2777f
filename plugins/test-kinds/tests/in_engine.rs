//! Every kind of plugin from this crate, running inside a real engine that knows nothing of it:
//! the codec encodes every row and record in RocksDB, a table's cold files go to the memory
//! storage and are read back from it, `SHOW PLUGINS` lists all five, and the flow action writes
//! through the kernel's flow host with the owner's permissions.

use kalamdb_core::flow_host::EngineFlowHost;
use kalamdb_core::plugin::{PluginKind, PluginOrigin, Registry};
use kalamdb_core::{Engine, EngineConfig, Session};
use kalamdb_plugin_api::{
    FlowHost, FlowInput, FlowTrigger, RuleSettings, StatsSnapshot, TableStats, Value,
};
use kalamdb_types::{Role, TableId, UserId};
use serde_json::json;
use std::collections::BTreeMap;

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

async fn wait_for_job(engine: &Engine, session: &mut Session, message: &str) {
    let job = message.rsplit("Job ID: ").next().unwrap_or_default().trim();
    for _ in 0..200 {
        let r = run(
            engine,
            session,
            &format!("SELECT status, message FROM system.jobs WHERE job_id = '{job}'"),
        )
        .await;
        let rows = r.rows.unwrap_or_default();
        if let Some(row) = rows.first()
            && row[0] != json!("running")
            && row[0] != json!("queued")
        {
            assert_eq!(row[0], json!("completed"), "job {job}: {row:?}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish");
}

#[tokio::test]
async fn each_kind_plugs_into_a_real_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    // What a server does: every plugin crate linked into the binary, through `inventory`. Naming
    // the crate's `register` keeps the crate (and its `inventory` entry) in the test binary.
    let _linked: fn(&mut Registry) -> kalamdb_plugin_api::Result<()> = kalamdb_test_kinds::register;
    let registry = Registry::from_inventory().expect("registry");
    let mut config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        codec: "tagged-json".into(),
        bcrypt_cost: 4,
        root_password: Some("pw".into()),
        ..EngineConfig::default()
    };
    config.advisor.rules.insert(
        "test_table_rows".into(),
        RuleSettings::new().with("max_rows", 2.0),
    );
    let engine = Engine::open(config, registry).await.expect("engine");
    let mut root = Session::new(UserId::new("root"), Role::System);

    // Storage + codec: rows go through the codec into RocksDB, flush to the memory storage,
    // and read back from there once evicted from the hot store.
    for sql in [
        "CREATE STORAGE mem TYPE memory PATH 'in-engine'",
        "CREATE NAMESPACE app",
        "CREATE SHARED TABLE app.t (id INT PRIMARY KEY, v TEXT) WITH (STORAGE_ID = 'mem')",
        "INSERT INTO app.t VALUES (1, 'one'), (2, 'two'), (3, 'three')",
    ] {
        run(&engine, &mut root, sql).await;
    }
    let flush = run(&engine, &mut root, "STORAGE FLUSH TABLE app.t").await;
    wait_for_job(
        &engine,
        &mut root,
        flush.message.as_deref().unwrap_or_default(),
    )
    .await;
    run(
        &engine,
        &mut root,
        "UPDATE app.t SET v = 'TWO' WHERE id = 2",
    )
    .await;
    let rows = run(&engine, &mut root, "SELECT id, v FROM app.t ORDER BY id").await;
    assert_eq!(
        rows.rows.unwrap_or_default(),
        vec![
            vec![json!(1), json!("one")],
            vec![json!(2), json!("TWO")],
            vec![json!(3), json!("three")]
        ]
    );
    let check = run(&engine, &mut root, "STORAGE CHECK mem").await;
    assert_eq!(check.row_count, 1, "{check:?}");

    // Every registration is listed, with the crate that provided it.
    let plugins = run(&engine, &mut root, "SHOW PLUGINS").await;
    let listed: Vec<Vec<serde_json::Value>> = plugins.rows.unwrap_or_default();
    for (name, kind) in [
        ("memory", "storage"),
        ("tagged-json", "codec"),
        ("test-memo", "cache"),
        ("test_table_rows", "advisor_rule"),
        ("test_sql", "flow_action"),
    ] {
        assert!(
            listed.iter().any(|r| r[0] == json!(name)
                && r[1] == json!(kind)
                && r[2] == json!(env!("CARGO_PKG_VERSION"))
                && r[3] == json!("bundled")),
            "{name} ({kind}) missing from SHOW PLUGINS: {listed:?}"
        );
    }
    let infos = engine.registry.plugins();
    assert!(
        infos.iter().any(|i| i.kind == PluginKind::Cache
            && i.name == "plan"
            && i.origin == PluginOrigin::Kernel),
        "{infos:?}"
    );

    // Advisor rule: found by name and run over a snapshot.
    let rule = engine
        .registry
        .advisor_rule("test_table_rows")
        .expect("rule");
    let snapshot = StatsSnapshot {
        tables: vec![TableStats {
            table: Some(TableId::new("app", "t")),
            rows_cold: 5000,
            ..TableStats::default()
        }],
        ..StatsSnapshot::default()
    };
    let findings = rule.evaluate(&snapshot, &RuleSettings::new().with("max_rows", 10.0));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].object, "app.t");
    // ... and by the advisor itself over the real statistics (app.t holds 3 rows in Parquet and
    // the updated one hot: 4 versions, more than the configured 2): its finding is in
    // system.advice like any bundled rule's.
    let ran = run(&engine, &mut root, "RUN ADVISOR").await;
    assert!(
        ran.message
            .as_deref()
            .unwrap_or_default()
            .contains("1 new finding(s)"),
        "{ran:?}"
    );
    let advice = run(
        &engine,
        &mut root,
        "SELECT rule, object, message FROM system.advice",
    )
    .await;
    assert_eq!(
        advice.rows.unwrap_or_default(),
        vec![vec![
            json!("test_table_rows"),
            json!("app.t"),
            json!("app.t holds 4 rows (more than 2)")
        ]]
    );

    // Flow action: runs through the kernel's host as the flow's owner, into that user's partition.
    run(
        &engine,
        &mut root,
        "CREATE USER TABLE app.log (id INT PRIMARY KEY, v TEXT) WITH (STORAGE_ID = 'mem')",
    )
    .await;
    run(
        &engine,
        &mut root,
        "CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user",
    )
    .await;
    let action = engine.registry.flow_action("test_sql").expect("action");
    let host = EngineFlowHost::new(&engine);
    let new_row: BTreeMap<String, Value> = [
        ("id".to_string(), Value::Int(7)),
        ("v".to_string(), Value::Text("it's".into())),
    ]
    .into_iter()
    .collect();
    let input = FlowInput {
        flow: "app.copy".into(),
        run_as: UserId::new("alice"),
        trigger: FlowTrigger::Change {
            table: TableId::new("app", "t"),
            kind: kalamdb_plugin_api::ChangeKind::Insert,
            user: None,
            new: Some(new_row),
            old: None,
        },
        arguments: [(
            "sql".to_string(),
            "INSERT INTO app.log VALUES (NEW.id, NEW.v)".to_string(),
        )]
        .into_iter()
        .collect(),
    };
    let outcome = action.run(&input, &host).await.expect("flow run");
    assert_eq!(outcome.affected, 1);
    let mut alice = Session::new(UserId::new("alice"), Role::User);
    let rows = run(&engine, &mut alice, "SELECT id, v FROM app.log").await;
    assert_eq!(
        rows.rows.unwrap_or_default(),
        vec![vec![json!(7), json!("it's")]]
    );
    let rows = run(&engine, &mut root, "SELECT id FROM app.log").await;
    assert_eq!(rows.row_count, 0, "root's own partition stays empty");

    // The host runs with the owner's permissions: alice may not write a private shared table.
    let denied = host
        .execute_sql(&UserId::new("alice"), "INSERT INTO app.t VALUES (9, 'x')")
        .await;
    assert!(denied.is_err(), "{denied:?}");
    assert!(host.tables().contains(&TableId::new("app", "log")));
    engine.shutdown();
}
