//! Conformance suites (feature `testing`). A plugin proves itself by running the suite of its
//! kind in its own tests; each returns `Err` naming the first thing that did not hold:
//!
//! - [`codec::run`]`(&MyCodec)`
//! - [`storage::run`]`(&MyFactory, config).await`
//! - [`cache::run`]`(&cache, || fill(&cache))`
//! - [`advisor::run`]`(&MyRule)`
//! - [`flow::run`]`(&MyAction, valid_arguments, invalid_arguments).await`
//!
//! [`s3`] starts a real S3-compatible server (`s3s-fs`) for the S3 plugin's tests and the
//! server's end-to-end suite.

pub mod advisor;
pub mod cache;
pub mod codec;
pub mod flow;
pub mod s3;
pub mod storage;
