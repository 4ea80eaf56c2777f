//! `tagged-json`: JSON behind a one-byte format tag, so a value written by another codec is
//! refused with a clear error instead of being misread.

use kalamdb_plugin_api::{Codec, DecodeFn, PluginError, Result};

const TAG: u8 = 0x7a;

pub struct TaggedJson;

impl Codec for TaggedJson {
    fn name(&self) -> &str {
        "tagged-json"
    }

    fn content_type(&self) -> &str {
        "application/x-tagged-json"
    }

    fn encode_erased(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>> {
        let mut out = vec![TAG];
        let mut ser = serde_json::Serializer::new(&mut out);
        value
            .erased_serialize(&mut <dyn erased_serde::Serializer>::erase(&mut ser))
            .map_err(|e| PluginError::Codec(format!("tagged-json encode: {e}")))?;
        Ok(out)
    }

    fn decode_erased(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<()> {
        let Some((&TAG, body)) = bytes.split_first() else {
            return Err(PluginError::Codec(
                "tagged-json decode: the value was not written by this codec".into(),
            ));
        };
        let mut de = serde_json::Deserializer::from_slice(body);
        visit(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
            .map_err(|e| PluginError::Codec(format!("tagged-json decode: {e}")))
    }
}
