//! WebAssembly WebSocket connection over the global `WebSocket` constructor: the browser's, or
//! in Node the `ws` package's (the TypeScript SDK installs it as `globalThis.WebSocket` when
//! Node has none). Event objects are read by property, not by class, so both work.

use super::wasm::js_error_text;
use crate::error::{KalamLinkError, Result};
use futures::StreamExt;
use futures::channel::mpsc;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;

enum Event {
    Open,
    Message(String),
    Error(String),
    Closed(String),
}

type Handler = Closure<dyn FnMut(JsValue)>;

pub(crate) struct WsConnection {
    url: String,
    socket: web_sys::WebSocket,
    events: mpsc::UnboundedReceiver<Event>,
    /// Kept alive as long as the socket may call them.
    _handlers: [Handler; 4],
}

fn property(value: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The text of a message event's `data`: a string, or UTF-8 bytes of an ArrayBuffer.
fn message_text(event: &JsValue) -> String {
    let data = property(event, "data");
    if let Some(text) = data.as_string() {
        return text;
    }
    let bytes = js_sys::Uint8Array::new(&data).to_vec();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn handler(tx: &mpsc::UnboundedSender<Event>, make: fn(&JsValue) -> Event) -> Handler {
    let tx = tx.clone();
    Closure::wrap(Box::new(move |event: JsValue| {
        let _ = tx.unbounded_send(make(&event));
    }) as Box<dyn FnMut(JsValue)>)
}

impl WsConnection {
    pub async fn connect(url: &str) -> Result<Self> {
        let unreachable = |reason: String| KalamLinkError::Unreachable {
            url: url.into(),
            source: reason.clone().into(),
            reason,
        };
        let socket = web_sys::WebSocket::new(url).map_err(|e| unreachable(js_error_text(&e)))?;
        socket.set_binary_type(web_sys::BinaryType::Arraybuffer);
        let (tx, events) = mpsc::unbounded();
        let handlers = [
            handler(&tx, |_| Event::Open),
            handler(&tx, |e| Event::Message(message_text(e))),
            handler(&tx, |e| {
                let message = property(e, "message").as_string();
                Event::Error(message.unwrap_or_else(|| "WebSocket error".into()))
            }),
            handler(&tx, |e| {
                let code = property(e, "code").as_f64().unwrap_or(0.0);
                let reason = property(e, "reason").as_string().unwrap_or_default();
                Event::Closed(format!("closed with code {code}: {reason}"))
            }),
        ];
        use wasm_bindgen::JsCast;
        socket.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        socket.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        socket.set_onerror(Some(handlers[2].as_ref().unchecked_ref()));
        socket.set_onclose(Some(handlers[3].as_ref().unchecked_ref()));
        let mut connection = Self {
            url: url.into(),
            socket,
            events,
            _handlers: handlers,
        };
        match connection.events.next().await {
            Some(Event::Open) => Ok(connection),
            Some(Event::Error(reason) | Event::Closed(reason)) => Err(unreachable(reason)),
            Some(Event::Message(_)) | None => Err(unreachable("connection not opened".into())),
        }
    }

    pub async fn send(&mut self, text: String) -> Result<()> {
        self.socket.send_with_str(&text).map_err(|e| {
            let reason = js_error_text(&e);
            KalamLinkError::Transport {
                url: self.url.clone(),
                source: reason.clone().into(),
                reason,
            }
        })
    }

    /// The next text message; `None` once the connection is closed or broken. Cancel-safe.
    pub async fn recv(&mut self) -> Option<String> {
        loop {
            match self.events.next().await? {
                Event::Message(text) => return Some(text),
                Event::Open => continue,
                Event::Error(_) | Event::Closed(_) => return None,
            }
        }
    }

    pub async fn close(&mut self) {
        let _ = self.socket.close();
    }
}

impl Drop for WsConnection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}
