//! Cell values and the stored row model: the contract crate's ([`kalamdb_plugin_api::value`]),
//! shared with codec plugins, re-exported under the engine's old paths.

pub use kalamdb_plugin_api::value::{StoredRow, Value, float_cell, hex};
