//! Conformance suites. A plugin proves itself by running the suite of its kind:
//! `kalamdb_core::testing::codec::run(&MyCodec)` or
//! `kalamdb_core::testing::storage::run(factory, config).await`. [`s3`] starts a real
//! S3-compatible server for the S3 plugin's tests and the server's end-to-end suite.

pub mod codec;
pub mod s3;
pub mod storage;
