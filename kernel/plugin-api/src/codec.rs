//! `Codec`: turns the kernel's serde models (rows, catalog records) into bytes and back.
//! The trait is object-safe through `erased_serde`; [`encode`] and [`decode`] are the typed
//! entry points the kernel uses.

use crate::error::{PluginError, Result};
use crate::value::StoredRow;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The deserializer callback a codec hands its erased deserializer to.
pub type DecodeFn<'a> =
    dyn FnMut(&mut dyn erased_serde::Deserializer<'_>) -> Result<(), erased_serde::Error> + 'a;

pub trait Codec: Send + Sync {
    /// The registered name, e.g. `json`.
    fn name(&self) -> &str;

    /// The MIME type of encoded values, e.g. `application/json`.
    fn content_type(&self) -> &str;

    /// Serializes a value.
    fn encode_erased(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>>;

    /// Runs `visit` with a deserializer over `bytes`.
    fn decode_erased(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<()>;

    /// Encodes a stored row without type erasure. Rows are the hot path (every write, every
    /// row of a scan), where erasure costs about as much as the format itself; a codec that
    /// can name its serializer's concrete type should implement this and [`Codec::decode_row`].
    /// `None` (the default) takes the erased path. Must produce what [`encode`] produces.
    fn encode_row(&self, _row: &StoredRow) -> Option<Result<Vec<u8>>> {
        None
    }

    /// Decodes a stored row without type erasure; `None` (the default) takes the erased path.
    /// Must agree with [`decode`]: the conformance suite checks both ways.
    fn decode_row(&self, _bytes: &[u8]) -> Option<Result<StoredRow>> {
        None
    }
}

/// Encodes a stored row: the codec's row fast path, else the erased path.
pub fn encode_row(codec: &dyn Codec, row: &StoredRow) -> Result<Vec<u8>> {
    codec.encode_row(row).unwrap_or_else(|| encode(codec, row))
}

/// Decodes a stored row: the codec's row fast path, else the erased path.
pub fn decode_row(codec: &dyn Codec, bytes: &[u8]) -> Result<StoredRow> {
    codec
        .decode_row(bytes)
        .unwrap_or_else(|| decode(codec, bytes))
}

/// Encodes a value with a codec.
pub fn encode<T: Serialize>(codec: &dyn Codec, value: &T) -> Result<Vec<u8>> {
    codec.encode_erased(value)
}

/// Decodes a value with a codec.
pub fn decode<T: DeserializeOwned>(codec: &dyn Codec, bytes: &[u8]) -> Result<T> {
    let mut out: Option<T> = None;
    codec.decode_erased(bytes, &mut |de| {
        out = Some(erased_serde::deserialize::<T>(de)?);
        Ok(())
    })?;
    out.ok_or_else(|| PluginError::Codec(format!("codec '{}' produced no value", codec.name())))
}
