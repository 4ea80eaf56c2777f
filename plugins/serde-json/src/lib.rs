//! The JSON codec plugin: rows and catalog records in RocksDB as compact JSON.
//! Registers the codec `json`.

use kalamdb_plugin_api::DecodeFn;
use kalamdb_plugin_api::StoredRow;
use kalamdb_plugin_api::{Codec, Registry};
use kalamdb_plugin_api::{PluginError, Result};
use std::sync::Arc;

pub struct JsonCodec;

impl Codec for JsonCodec {
    fn name(&self) -> &str {
        "json"
    }

    fn content_type(&self) -> &str {
        "application/json"
    }

    fn encode_erased(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(128);
        let mut ser = serde_json::Serializer::new(&mut out);
        value
            .erased_serialize(&mut <dyn erased_serde::Serializer>::erase(&mut ser))
            .map_err(|e| PluginError::Codec(format!("json encode: {e}")))?;
        Ok(out)
    }

    fn decode_erased(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<()> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
            .map_err(|e| PluginError::Codec(format!("json decode: {e}")))
    }

    fn encode_row(&self, row: &StoredRow) -> Option<Result<Vec<u8>>> {
        Some(serde_json::to_vec(row).map_err(|e| PluginError::Codec(format!("json encode: {e}"))))
    }

    fn decode_row(&self, bytes: &[u8]) -> Option<Result<StoredRow>> {
        Some(
            serde_json::from_slice(bytes)
                .map_err(|e| PluginError::Codec(format!("json decode: {e}"))),
        )
    }
}

/// Registers the codec.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_codec(Arc::new(JsonCodec))
}

kalamdb_plugin_api::submit_plugin!("serde-json", register);

#[cfg(test)]
mod tests {
    #[test]
    fn passes_the_codec_conformance_suite() {
        assert_eq!(
            kalamdb_plugin_api::testing::codec::run(&super::JsonCodec),
            Ok(())
        );
    }
}
