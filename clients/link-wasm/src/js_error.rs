//! kalam-link errors as JavaScript `Error`s named `KalamError`, with `code` (the server's wire
//! code where there is one), `status` (HTTP) and `details`.

use kalam_link::KalamLinkError;
use wasm_bindgen::JsValue;

fn set(target: &JsValue, key: &str, value: JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), &value);
}

/// A `KalamError` with `code` and `message`.
pub fn error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("KalamError");
    let value = JsValue::from(err);
    set(&value, "code", JsValue::from_str(code));
    value
}

pub fn from_link(err: KalamLinkError) -> JsValue {
    let message = err.to_string();
    let (code, details) = match &err {
        KalamLinkError::Server { code, details, .. } => (code.clone(), details.clone()),
        KalamLinkError::Subscription { code, .. } => (code.clone(), None),
        // Login refusals: `unauthorized`, `account_locked`, `setup_required`, `rate_limited`.
        KalamLinkError::Auth { kind, .. } => (kind.to_uppercase(), None),
        KalamLinkError::Unreachable { .. } => ("UNREACHABLE".into(), None),
        KalamLinkError::Timeout { .. } => ("TIMEOUT".into(), None),
        KalamLinkError::Transport { .. } => ("TRANSPORT".into(), None),
        KalamLinkError::UnexpectedResponse { .. } => ("UNEXPECTED_RESPONSE".into(), None),
        KalamLinkError::InvalidUrl(_) => ("INVALID_URL".into(), None),
        KalamLinkError::Cell { .. }
        | KalamLinkError::NoSuchColumn(_)
        | KalamLinkError::Decode { .. }
        | KalamLinkError::Params(_) => ("INVALID_INPUT".into(), None),
        _ => ("CLIENT_ERROR".into(), None),
    };
    let value = error(&code, &message);
    if let Some(status) = err.http_status() {
        set(&value, "status", JsValue::from_f64(f64::from(status)));
    }
    if let Some(details) = details {
        set(&value, "details", JsValue::from_str(&details));
    }
    value
}
