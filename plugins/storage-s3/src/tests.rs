use super::*;
use kalamdb_plugin_api::testing::s3::{BUCKET, S3Server};
use object_store::ObjectStoreExt;

fn config(location: &str, config: Option<&str>, credentials: Option<&str>) -> StorageConfig {
    StorageConfig {
        storage_id: "s3t".into(),
        base_directory: location.into(),
        credentials: credentials.map(str::to_string),
        config: config.map(str::to_string),
    }
}

#[test]
fn parses_bucket_and_prefix() {
    assert_eq!(
        S3Location::parse("x", "s3://bucket/a/b/").expect("parse"),
        S3Location {
            bucket: "bucket".into(),
            prefix: "a/b".into()
        }
    );
    assert_eq!(
        S3Location::parse("x", "s3://bucket").expect("parse").prefix,
        ""
    );
    let err = S3Location::parse("x", "/var/data").expect_err("not s3");
    assert!(err.to_string().contains("s3://bucket/prefix"), "{err}");
    assert!(S3Location::parse("x", "s3:///p").is_err());
}

#[test]
fn refuses_unknown_keys_and_half_credentials() {
    let f = S3Factory;
    let err = f
        .validate(&config("s3://b/p", Some(r#"{"endpiont":"x"}"#), None))
        .expect_err("typo in CONFIG");
    assert!(
        err.to_string().contains("unknown CONFIG key 'endpiont'"),
        "{err}"
    );
    let err = f
        .validate(&config("s3://b/p", None, Some(r#"{"access_key_id":"a"}"#)))
        .expect_err("half credentials");
    assert!(err.to_string().contains("both"), "{err}");
    let err = f
        .validate(&config("s3://b/p", Some("[1]"), None))
        .expect_err("not an object");
    assert!(err.to_string().contains("JSON object"), "{err}");
}

#[tokio::test]
async fn passes_the_storage_conformance_suite_on_a_real_s3_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(server) = S3Server::start(&dir.path().join("s3")) else {
        return;
    };
    let cfg = config(
        &format!("s3://{BUCKET}/conformance-prefix"),
        Some(&server.config_json()),
        Some(&server.credentials_json()),
    );
    assert_eq!(
        kalamdb_plugin_api::testing::storage::run(&S3Factory, cfg.clone()).await,
        Ok(())
    );
    // Objects land under the prefix inside the bucket, written by the real server.
    let backend = S3Factory.create(&cfg).expect("client builds");
    backend
        .object_store()
        .put(
            &object_store::path::Path::from("probe/one.bin"),
            object_store::PutPayload::from(vec![7u8; 10]),
        )
        .await
        .expect("put");
    let on_disk = server.bucket_dir().join("conformance-prefix/probe/one.bin");
    assert_eq!(std::fs::read(&on_disk).expect("object file"), vec![7u8; 10]);
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(server) = S3Server::start(&dir.path().join("s3")) else {
        return;
    };
    let cfg = config(
        &format!("s3://{BUCKET}/p"),
        Some(&server.config_json()),
        Some(r#"{"access_key_id":"kalamtestaccess","secret_access_key":"wrong"}"#),
    );
    let backend = S3Factory.create(&cfg).expect("client builds");
    let put = backend
        .object_store()
        .put(
            &object_store::path::Path::from("x.bin"),
            object_store::PutPayload::from(vec![1u8]),
        )
        .await;
    assert!(put.is_err(), "a wrong secret must be refused");
}
