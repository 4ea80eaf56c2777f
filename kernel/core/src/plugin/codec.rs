//! `Codec`: turns the kernel's serde models (rows, catalog records) into bytes and back.
//! The trait is object-safe through `erased_serde`; [`encode`] and [`decode`] are the typed
//! entry points the kernel uses.

use crate::error::{KalamError, Result};
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
    out.ok_or_else(|| KalamError::Internal(format!("codec '{}' produced no value", codec.name())))
}
