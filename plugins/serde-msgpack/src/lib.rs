//! The MessagePack codec plugin: rows and catalog records in RocksDB as MessagePack, with
//! structs written as maps (so optional fields may be skipped). Registers the codec `msgpack`.

use kalamdb_plugin_api::DecodeFn;
use kalamdb_plugin_api::StoredRow;
use kalamdb_plugin_api::{Codec, Registry};
use kalamdb_plugin_api::{PluginError, Result};
use std::sync::Arc;

pub struct MsgpackCodec;

impl Codec for MsgpackCodec {
    fn name(&self) -> &str {
        "msgpack"
    }

    fn content_type(&self) -> &str {
        "application/msgpack"
    }

    fn encode_erased(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(128);
        let mut ser = rmp_serde::Serializer::new(&mut out).with_struct_map();
        value
            .erased_serialize(&mut <dyn erased_serde::Serializer>::erase(&mut ser))
            .map_err(|e| PluginError::Codec(format!("msgpack encode: {e}")))?;
        Ok(out)
    }

    fn decode_erased(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<()> {
        let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
            .map_err(|e| PluginError::Codec(format!("msgpack decode: {e}")))
    }

    fn encode_row(&self, row: &StoredRow) -> Option<Result<Vec<u8>>> {
        Some(
            rmp_serde::to_vec_named(row)
                .map_err(|e| PluginError::Codec(format!("msgpack encode: {e}"))),
        )
    }

    fn decode_row(&self, bytes: &[u8]) -> Option<Result<StoredRow>> {
        Some(
            rmp_serde::from_slice(bytes)
                .map_err(|e| PluginError::Codec(format!("msgpack decode: {e}"))),
        )
    }
}

/// Registers the codec.
pub fn register(registry: &mut Registry) -> Result<()> {
    registry.register_codec(Arc::new(MsgpackCodec))
}

kalamdb_plugin_api::submit_plugin!("serde-msgpack", register);

#[cfg(test)]
mod tests {
    #[test]
    fn passes_the_codec_conformance_suite() {
        assert_eq!(
            kalamdb_plugin_api::testing::codec::run(&super::MsgpackCodec),
            Ok(())
        );
    }
}
