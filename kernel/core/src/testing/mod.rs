//! Conformance suites. A plugin proves itself by running the suite of its kind:
//! `kalamdb_core::testing::codec::run(&MyCodec)` or
//! `kalamdb_core::testing::storage::run(factory, config).await`.

pub mod codec;
pub mod storage;
