//! `WasmClient` and `WasmSubscription`, the classes the TypeScript wrapper drives. Async
//! methods return `Promise`s built from owned clones, because exported futures must be
//! `'static` (and are `!Send`: they run on the JavaScript event loop).

use crate::js_error::{error, from_link};
use crate::spec::{AuthSpec, HealthSpec, LiveOptionsSpec};
use futures::channel::oneshot;
use kalam_link::{KalamClient, LiveEvent, LiveRows, StopHandle};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

fn json_text<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    serde_json::to_string(value)
        .map(|text| JsValue::from_str(&text))
        .map_err(|e| error("INTERNAL_ERROR", &e.to_string()))
}

#[wasm_bindgen]
pub struct WasmClient {
    client: KalamClient,
}

#[wasm_bindgen]
impl WasmClient {
    /// `auth_json`: `{"type":"basic","user","password"}`, `{"type":"jwt","token"}` or
    /// `{"type":"none"}`.
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, auth_json: &str) -> Result<WasmClient, JsValue> {
        let auth: AuthSpec = serde_json::from_str(auth_json).map_err(|e| {
            error(
                "INVALID_INPUT",
                &format!("authProvider must resolve to Auth.basic(...) or Auth.jwt(...): {e}"),
            )
        })?;
        let client = KalamClient::builder(url)
            .auth(auth.into())
            .build()
            .map_err(from_link)?;
        Ok(WasmClient { client })
    }

    /// Runs SQL; resolves to the JSON text of `{"results":[...],"took":ms}`.
    /// `params_json` is a JSON array bound to `$1, $2, ...`.
    pub fn query(
        &self,
        sql: String,
        params_json: Option<String>,
        namespace: Option<String>,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let params: Vec<serde_json::Value> = match params_json.as_deref() {
                None | Some("") => Vec::new(),
                Some(text) => serde_json::from_str(text).map_err(|e| {
                    error(
                        "INVALID_PARAMETER",
                        &format!("params must be an array: {e}"),
                    )
                })?,
            };
            let response = client
                .query_with(&sql, params, namespace.as_deref())
                .await
                .map_err(from_link)?;
            json_text(&response)
        })
    }

    /// Uploads one file; resolves to the JSON text of `{"id","name","mime","size","sha256"}`.
    #[wasm_bindgen(js_name = uploadFile)]
    pub fn upload_file(
        &self,
        name: String,
        mime: Option<String>,
        bytes: Vec<u8>,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let file = client
                .upload_file(&name, mime.as_deref(), &bytes)
                .await
                .map_err(from_link)?;
            json_text(&file)
        })
    }

    /// Resolves to the JSON text of the caller's files, oldest first.
    #[wasm_bindgen(js_name = listFiles)]
    pub fn list_files(&self) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move { json_text(&client.list_files().await.map_err(from_link)?) })
    }

    /// Resolves to a file's bytes (`Uint8Array`).
    #[wasm_bindgen(js_name = downloadFile)]
    pub fn download_file(&self, id: String) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let bytes = client.download_file(&id).await.map_err(from_link)?;
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        })
    }

    #[wasm_bindgen(js_name = deleteFile)]
    pub fn delete_file(&self, id: String) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            client.delete_file(&id).await.map_err(from_link)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Starts `EXPORT USER DATA [FOR user]`; resolves to the job id.
    #[wasm_bindgen(js_name = startExport)]
    pub fn start_export(&self, user: Option<String>) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let job = client
                .start_export(user.as_deref())
                .await
                .map_err(from_link)?;
            Ok(JsValue::from_str(&job))
        })
    }

    /// Resolves to the JSON text of `SHOW EXPORT`'s rows.
    pub fn exports(&self) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move { json_text(&client.exports().await.map_err(from_link)?) })
    }

    /// Polls until the export finished (or `timeout_ms`); resolves to its JSON text.
    #[wasm_bindgen(js_name = waitForExport)]
    pub fn wait_for_export(&self, job_id: String, timeout_ms: f64) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let timeout = std::time::Duration::from_millis(timeout_ms.max(0.0) as u64);
            let export = client
                .wait_for_export(&job_id, timeout)
                .await
                .map_err(from_link)?;
            json_text(&export)
        })
    }

    /// Resolves to the ZIP (`Uint8Array`) at an export's `download_url`.
    #[wasm_bindgen(js_name = downloadExport)]
    pub fn download_export(&self, url: String) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let bytes = client.download_export(&url).await.map_err(from_link)?;
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// Resolves to the JSON text of `{"status":"ok"|"unreachable"|"auth_failed",...}`; never
    /// rejects.
    pub fn health(&self) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move { json_text(&HealthSpec::from(client.health().await)) })
    }

    /// Subscribes; resolves to a `WasmSubscription` once the server acknowledged, or rejects
    /// with the server's code. `on_event(eventJson, rowsJson?)` is called for every event;
    /// with `materialize`, `rowsJson` is the current result after each change and after the
    /// initial load.
    pub fn subscribe(
        &self,
        sql: String,
        options_json: Option<String>,
        on_event: js_sys::Function,
        materialize: bool,
    ) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            let spec: LiveOptionsSpec = match options_json.as_deref() {
                None | Some("") => LiveOptionsSpec::default(),
                Some(text) => serde_json::from_str(text)
                    .map_err(|e| error("INVALID_INPUT", &format!("live options: {e}")))?,
            };
            let options = spec
                .into_options()
                .map_err(|message| error("INVALID_INPUT", &message))?;
            let mut subscription = client.subscribe(sql, options).await.map_err(from_link)?;
            let id = subscription.id().to_string();
            let stop = subscription.stop_handle();
            let (done_tx, done_rx) = oneshot::channel::<()>();
            wasm_bindgen_futures::spawn_local(async move {
                let mut rows = LiveRows::new();
                while let Some(event) = subscription.next().await {
                    let changed = materialize && rows.apply(&event);
                    let loading = matches!(event, LiveEvent::InitialRows { has_more: true, .. });
                    let rows_json = if changed && !loading {
                        serde_json::to_string(&rows.rows())
                            .map(|t| JsValue::from_str(&t))
                            .unwrap_or(JsValue::UNDEFINED)
                    } else {
                        JsValue::UNDEFINED
                    };
                    let event_json = serde_json::to_string(&event).unwrap_or_default();
                    // A throwing callback must not end the subscription.
                    let _ =
                        on_event.call2(&JsValue::NULL, &JsValue::from_str(&event_json), &rows_json);
                }
                let _ = done_tx.send(());
            });
            Ok(JsValue::from(WasmSubscription {
                id,
                stop,
                done: Rc::new(RefCell::new(Some(done_rx))),
            }))
        })
    }
}

#[wasm_bindgen]
pub struct WasmSubscription {
    id: String,
    stop: StopHandle,
    done: Rc<RefCell<Option<oneshot::Receiver<()>>>>,
}

#[wasm_bindgen]
impl WasmSubscription {
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// Ends the subscription; resolves once its connection is closed and no callback follows.
    pub fn unsubscribe(&self) -> js_sys::Promise {
        self.stop.stop();
        let done = self.done.borrow_mut().take();
        future_to_promise(async move {
            if let Some(done) = done {
                let _ = done.await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
