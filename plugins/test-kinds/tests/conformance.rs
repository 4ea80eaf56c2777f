//! Each plugin of this crate passes the conformance suite of its kind.

use kalamdb_plugin_api::StorageConfig;
use kalamdb_plugin_api::testing;
use kalamdb_test_kinds::{MemoCache, MemoryFactory, SqlAction, TableRowsRule, TaggedJson};
use std::collections::BTreeMap;

#[tokio::test]
async fn memory_storage_passes_the_storage_suite() {
    let config = StorageConfig {
        storage_id: "m".into(),
        base_directory: "conformance".into(),
        ..StorageConfig::default()
    };
    assert_eq!(
        testing::storage::run(&MemoryFactory::default(), config).await,
        Ok(())
    );
}

#[test]
fn tagged_json_passes_the_codec_suite() {
    assert_eq!(testing::codec::run(&TaggedJson), Ok(()));
}

#[test]
fn memo_cache_passes_the_cache_suite() {
    let cache = MemoCache::new(8);
    assert_eq!(
        testing::cache::run(&cache, || {
            cache.put("a", "1");
            cache.put("b", "2");
        }),
        Ok(())
    );
    cache.put("k", "v");
    assert_eq!(cache.get("k").as_deref(), Some("v"));
}

#[test]
fn table_rows_rule_passes_the_advisor_suite() {
    assert_eq!(testing::advisor::run(&TableRowsRule), Ok(()));
}

#[tokio::test]
async fn sql_action_passes_the_flow_suite() {
    let valid: BTreeMap<String, String> = [(
        "sql".to_string(),
        "INSERT INTO app.log VALUES (NEW.id)".to_string(),
    )]
    .into_iter()
    .collect();
    assert_eq!(
        testing::flow::run(&SqlAction, valid, BTreeMap::new()).await,
        Ok(())
    );
}

/// The suites are not vacuous: each refuses a plugin that breaks its contract.
mod broken {
    use super::*;
    use kalamdb_plugin_api::{
        AdvisorRule, Cache, Finding, RuleSettings, Severity, StatsSnapshot, StorageBackend,
        StorageBackendFactory,
    };
    use std::sync::Arc;

    struct ForgetfulCache;
    impl Cache for ForgetfulCache {
        fn name(&self) -> &str {
            "forgetful"
        }
        fn entries(&self) -> usize {
            1
        }
        fn clear(&self) {}
    }

    struct WrongName;
    impl AdvisorRule for WrongName {
        fn name(&self) -> &str {
            "mine"
        }
        fn description(&self) -> &str {
            "names another rule in its findings"
        }
        fn evaluate(&self, _: &StatsSnapshot, _: &RuleSettings) -> Vec<Finding> {
            vec![Finding {
                rule: "theirs".into(),
                severity: Severity::Info,
                object: "x".into(),
                message: "m".into(),
                suggestion: String::new(),
                user: None,
            }]
        }
    }

    struct AcceptsAnything;
    impl StorageBackendFactory for AcceptsAnything {
        fn storage_type(&self) -> &str {
            "any"
        }
        fn validate(&self, _: &StorageConfig) -> kalamdb_plugin_api::Result<()> {
            Ok(())
        }
        fn create(&self, c: &StorageConfig) -> kalamdb_plugin_api::Result<Arc<dyn StorageBackend>> {
            MemoryFactory::default().create(c)
        }
    }

    /// Validates, then fails every run.
    struct AlwaysFails;
    impl kalamdb_plugin_api::FlowAction for AlwaysFails {
        fn name(&self) -> &str {
            "always_fails"
        }
        fn validate(&self, arguments: &BTreeMap<String, String>) -> kalamdb_plugin_api::Result<()> {
            SqlAction.validate(arguments)
        }
        fn run<'a>(
            &'a self,
            _: &'a kalamdb_plugin_api::FlowInput,
            _: &'a dyn kalamdb_plugin_api::FlowHost,
        ) -> kalamdb_plugin_api::BoxFuture<
            'a,
            kalamdb_plugin_api::Result<kalamdb_plugin_api::FlowOutcome>,
        > {
            Box::pin(async {
                Err(kalamdb_plugin_api::PluginError::Internal(
                    "never works".into(),
                ))
            })
        }
    }

    #[tokio::test]
    async fn an_action_that_never_succeeds_fails() {
        let valid: BTreeMap<String, String> = [("sql".to_string(), "SELECT 1".to_string())]
            .into_iter()
            .collect();
        assert!(
            testing::flow::run(&AlwaysFails, valid, BTreeMap::new())
                .await
                .is_err()
        );
    }

    #[test]
    fn a_cache_that_does_not_clear_fails() {
        assert!(testing::cache::run(&ForgetfulCache, || {}).is_err());
    }

    #[test]
    fn a_rule_naming_another_rule_fails() {
        assert!(testing::advisor::run(&WrongName).is_err());
    }

    #[tokio::test]
    async fn a_storage_accepting_an_empty_config_fails() {
        let config = StorageConfig {
            base_directory: "x".into(),
            ..StorageConfig::default()
        };
        assert!(
            testing::storage::run(&AcceptsAnything, config)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn an_action_accepting_bad_arguments_fails() {
        let args: BTreeMap<String, String> = [("sql".to_string(), "SELECT 1".to_string())]
            .into_iter()
            .collect();
        // Both argument sets are valid for SqlAction, so "invalid" is accepted: the suite says so.
        assert!(
            testing::flow::run(&SqlAction, args.clone(), args)
                .await
                .is_err()
        );
    }
}
