//! KalamDB's shared vocabulary: ids, data types, roles, status codes and the wire models of the
//! v1 protocol. The server, `kalam-link`, the CLI and the TypeScript SDK all depend on this crate,
//! so it stays light (serde only) and builds for `wasm32-unknown-unknown`.
//!
//! Modules:
//! - [`ids`]: newtypes for namespace, table, user, storage, job and shard ids.
//! - [`data_type`]: the column types of the SQL surface and their wire names.
//! - [`role`]: user roles and table types.
//! - [`status`]: the one catalogue of error codes and their HTTP statuses.
//! - [`wire`]: request and response bodies of the HTTP API.

pub mod data_type;
pub mod ids;
pub mod role;
pub mod status;
pub mod wire;
pub mod ws;

pub use data_type::KalamDataType;
pub use ids::{JobId, NamespaceId, ShardId, StorageId, TableId, TableName, UserId};
pub use role::{Role, TableType};
pub use status::ErrorCode;
