//! WebAssembly HTTP transport over the global `fetch` (browsers and Node 18+), plus
//! `spawn_local` and a `setTimeout` sleep. The globals are bound directly rather than through
//! `window`, so the same module runs in browsers, workers and Node.

use super::{BytesReply, HttpReply, TransportOptions};
use crate::error::{KalamLinkError, Result};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> js_sys::Promise;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, millis: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Clears its timer when dropped, so an abandoned sleep (a request that answered before its
/// timeout, a ping timer of a closed subscription) does not keep Node's event loop alive.
struct TimerGuard(JsValue);

impl Drop for TimerGuard {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}

/// The text of a JavaScript error value (`err.message`, else its string form).
pub(crate) fn js_error_text(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        let message = String::from(error.message());
        // Node's fetch hides the cause (ECONNREFUSED ...) in `error.cause`.
        let cause = js_sys::Reflect::get(error, &JsValue::from_str("cause"))
            .ok()
            .filter(|c| !c.is_undefined() && !c.is_null())
            .map(|c| js_error_text(&c));
        return match cause {
            Some(cause) if !cause.is_empty() => format!("{message}: {cause}"),
            _ => message,
        };
    }
    if let Some(text) = value.as_string() {
        return text;
    }
    js_sys::Reflect::get(value, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

pub(crate) struct HttpTransport {
    timeout: std::time::Duration,
}

impl HttpTransport {
    pub fn new(options: &TransportOptions) -> Result<Self> {
        Ok(Self {
            timeout: options.timeout,
        })
    }

    pub async fn get(&self, url: &str, bearer: Option<&str>) -> Result<HttpReply> {
        self.limited(url, send(url, "GET", None, bearer)).await
    }

    pub async fn post_json(
        &self,
        url: &str,
        body: String,
        bearer: Option<&str>,
    ) -> Result<HttpReply> {
        self.limited(url, send(url, "POST", Some(body), bearer))
            .await
    }

    /// Any method with an optional raw body; the answer's bytes.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        bearer: Option<&str>,
    ) -> Result<BytesReply> {
        self.limited(url, send_bytes(url, method, content_type, body, bearer))
            .await
    }

    /// `fetch` has no timeout of its own: race it against a timer.
    async fn limited<T>(
        &self,
        url: &str,
        request: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        use futures::FutureExt;
        let request = request.fuse();
        let timer = sleep(self.timeout).fuse();
        futures::pin_mut!(request, timer);
        futures::select! {
            reply = request => reply,
            _ = timer => Err(KalamLinkError::Timeout { url: url.into() }),
        }
    }
}

fn transport_error(url: &str, reason: String) -> KalamLinkError {
    KalamLinkError::Transport {
        url: url.into(),
        source: reason.clone().into(),
        reason,
    }
}

async fn send(
    url: &str,
    method: &str,
    body: Option<String>,
    bearer: Option<&str>,
) -> Result<HttpReply> {
    let headers = web_sys::Headers::new().map_err(|e| transport_error(url, js_error_text(&e)))?;
    if body.is_some() {
        headers
            .set("Content-Type", "application/json")
            .map_err(|e| transport_error(url, js_error_text(&e)))?;
    }
    if let Some(token) = bearer {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(|e| transport_error(url, js_error_text(&e)))?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|e| transport_error(url, js_error_text(&e)))?;
    // `fetch` rejects only when no answer arrived: refused, DNS, CORS, offline.
    let response = JsFuture::from(global_fetch(&request)).await.map_err(|e| {
        let reason = js_error_text(&e);
        KalamLinkError::Unreachable {
            url: url.into(),
            source: reason.clone().into(),
            reason,
        }
    })?;
    let response: web_sys::Response = response.unchecked_into();
    let status = response.status();
    let text_promise = response
        .text()
        .map_err(|e| transport_error(url, js_error_text(&e)))?;
    let text = JsFuture::from(text_promise)
        .await
        .map_err(|e| transport_error(url, js_error_text(&e)))?;
    Ok(HttpReply {
        status,
        body: text.as_string().unwrap_or_default(),
    })
}

async fn send_bytes(
    url: &str,
    method: &str,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
    bearer: Option<&str>,
) -> Result<BytesReply> {
    let fail = |e: JsValue| transport_error(url, js_error_text(&e));
    let headers = web_sys::Headers::new().map_err(fail)?;
    if let Some(kind) = content_type {
        headers.set("Content-Type", kind).map_err(fail)?;
    }
    if let Some(token) = bearer {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(fail)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = &body {
        init.set_body(&js_sys::Uint8Array::from(body.as_slice()).into());
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(fail)?;
    let response = JsFuture::from(global_fetch(&request)).await.map_err(|e| {
        let reason = js_error_text(&e);
        KalamLinkError::Unreachable {
            url: url.into(),
            source: reason.clone().into(),
            reason,
        }
    })?;
    let response: web_sys::Response = response.unchecked_into();
    let status = response.status();
    let buffer = JsFuture::from(response.array_buffer().map_err(fail)?)
        .await
        .map_err(fail)?;
    Ok(BytesReply {
        status,
        body: js_sys::Uint8Array::new(&buffer).to_vec(),
    })
}

/// Runs a subscription's task on the JavaScript event loop.
pub(crate) fn spawn<F>(task: F) -> Result<()>
where
    F: std::future::Future<Output = ()> + 'static,
{
    wasm_bindgen_futures::spawn_local(task);
    Ok(())
}

pub(crate) async fn sleep(duration: std::time::Duration) {
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let mut handle = JsValue::UNDEFINED;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        handle = set_timeout(&resolve, millis);
    });
    let _guard = TimerGuard(handle);
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the epoch (JavaScript's clock; `std::time::Instant` panics on wasm32).
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}
