//! The `#[wasm_bindgen]` facade over kalam-link from which `clients/typescript` is generated.
//! It stays thin: values cross the boundary as JSON text (parsed by the TypeScript wrapper,
//! so BIGINT cells stay strings), errors as JavaScript `Error`s with `code` and `status`.
//!
//! Modules:
//! - [`spec`]: the JSON shapes the wrapper passes in (auth, live options) and gets back
//!   (health); target-independent, so they are unit-tested natively.
//! - `client` (wasm32 only): `WasmClient` with `query`, `health`, `subscribe`, and
//!   `WasmSubscription` with `unsubscribe`.
//! - `js_error` (wasm32 only): kalam-link errors as JavaScript errors.

pub mod spec;

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod js_error;
