//! An engine without a front end for kernel tests: a JSON codec and a filesystem storage local
//! to the tests (the filesystem one wraps a fault-injecting store), and helpers to run SQL as
//! root.
#![allow(dead_code)]

pub mod faulty;

use kalamdb_core::object_store::ObjectStore;
use kalamdb_core::object_store::local::LocalFileSystem;
use kalamdb_core::plugin::codec::DecodeFn;
use kalamdb_core::plugin::{Codec, Registry, StorageBackend, StorageBackendFactory, StorageConfig};
use kalamdb_core::plugin::{PluginError, PluginResult as Result};
use kalamdb_core::{Engine, EngineConfig, Session};
use kalamdb_types::{Role, UserId};
use std::sync::Arc;

pub struct TestJson;

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
            .map_err(|e| PluginError::Codec(e.to_string()))?;
        Ok(out)
    }
    fn decode_erased(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<()> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
            .map_err(|e| PluginError::Codec(e.to_string()))
    }
}

/// The `filesystem` storage type over object_store's `LocalFileSystem`, behind a
/// fault-injecting wrapper when `faults` is set.
#[derive(Default)]
pub struct TestFs {
    pub faults: Option<faulty::Faults>,
}

struct TestFsBackend(Arc<dyn ObjectStore>);

impl StorageBackend for TestFsBackend {
    fn storage_type(&self) -> &str {
        "filesystem"
    }
    fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.0.clone()
    }
}

impl StorageBackendFactory for TestFs {
    fn storage_type(&self) -> &str {
        "filesystem"
    }
    fn validate(&self, _config: &StorageConfig) -> Result<()> {
        Ok(())
    }
    fn create(&self, config: &StorageConfig) -> Result<Arc<dyn StorageBackend>> {
        std::fs::create_dir_all(&config.base_directory)
            .map_err(|e| PluginError::Storage(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = Arc::new(
            LocalFileSystem::new_with_prefix(&config.base_directory)
                .map_err(|e| PluginError::Storage(e.to_string()))?,
        );
        let store = match &self.faults {
            Some(faults) => Arc::new(faulty::FaultyStore {
                inner: store,
                faults: faults.clone(),
            }) as Arc<dyn ObjectStore>,
            None => store,
        };
        Ok(Arc::new(TestFsBackend(store)))
    }
}

/// An engine on `dir` with root's password `pw`.
pub async fn engine(dir: &std::path::Path) -> Arc<Engine> {
    engine_with_faults(dir, None).await
}

/// [`engine`], its `local` storage failing when `faults` says so.
pub async fn engine_with_faults(
    dir: &std::path::Path,
    faults: Option<faulty::Faults>,
) -> Arc<Engine> {
    engine_configured(dir, faults, |_| {}).await
}

/// [`engine_with_faults`] with settings changed by `configure`.
pub async fn engine_configured(
    dir: &std::path::Path,
    faults: Option<faulty::Faults>,
    configure: impl FnOnce(&mut EngineConfig),
) -> Arc<Engine> {
    let mut registry = Registry::new();
    registry.register_codec(Arc::new(TestJson)).expect("codec");
    registry
        .register_storage(Arc::new(TestFs { faults }))
        .expect("storage");
    kalamdb_flow_actions::register(&mut registry).expect("flow actions");
    let config = EngineConfig {
        data_dir: dir.to_path_buf(),
        bcrypt_cost: 4,
        root_password: Some("pw".into()),
        ..EngineConfig::default()
    };
    let mut config = config;
    configure(&mut config);
    Engine::open(config, registry).await.expect("engine")
}

pub fn root() -> Session {
    Session::new(UserId::new("root"), Role::System)
}

/// Runs SQL that must succeed; its first result.
pub async fn run(
    engine: &Engine,
    session: &mut Session,
    sql: &str,
) -> kalamdb_types::wire::QueryResult {
    match engine.execute_sql(session, sql, Vec::new()).await {
        Ok(mut results) => results.remove(0),
        Err(e) => panic!("{sql}: {e:?}"),
    }
}

/// A fresh engine in a temporary directory with namespace `app` and the table `ddl` creates,
/// and a root session; keep the directory alive as long as the engine.
pub async fn app_engine(
    ddl: &str,
    faults: Option<faulty::Faults>,
) -> (tempfile::TempDir, Arc<Engine>, Session) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine_with_faults(dir.path(), faults).await;
    let mut s = root();
    run(&engine, &mut s, "CREATE NAMESPACE app").await;
    run(&engine, &mut s, ddl).await;
    (dir, engine, s)
}
