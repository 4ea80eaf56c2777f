//! The codec entry points the engine calls, returning its own error type. The trait and the
//! erased calls are the contract crate's ([`kalamdb_plugin_api::codec`]).

use crate::error::Result;
pub use kalamdb_plugin_api::codec::{Codec, DecodeFn};
use kalamdb_plugin_api::value::StoredRow;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Encodes a stored row: the codec's row fast path, else the erased path.
pub fn encode_row(codec: &dyn Codec, row: &StoredRow) -> Result<Vec<u8>> {
    Ok(kalamdb_plugin_api::encode_row(codec, row)?)
}

/// Decodes a stored row: the codec's row fast path, else the erased path.
pub fn decode_row(codec: &dyn Codec, bytes: &[u8]) -> Result<StoredRow> {
    Ok(kalamdb_plugin_api::decode_row(codec, bytes)?)
}

/// Encodes a value with a codec.
pub fn encode<T: Serialize>(codec: &dyn Codec, value: &T) -> Result<Vec<u8>> {
    Ok(kalamdb_plugin_api::encode(codec, value)?)
}

/// Decodes a value with a codec.
pub fn decode<T: DeserializeOwned>(codec: &dyn Codec, bytes: &[u8]) -> Result<T> {
    Ok(kalamdb_plugin_api::decode(codec, bytes)?)
}
