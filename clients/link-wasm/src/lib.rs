//! The `#[wasm_bindgen]` facade over kalam-link from which `clients/typescript` is generated.
//! On native targets it is empty.
