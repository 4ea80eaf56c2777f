//! A panicking handler is answered as a 500 with the SQL API's error shape, and the server goes
//! on serving everyone else; the panic's text is logged, never sent.

use super::sql::error_response;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use futures::FutureExt;
use kalamdb_types::ErrorCode;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

pub async fn catch_panics(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let path = request.uri().path().to_string();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            tracing::error!("handler for {path} panicked: {text}");
            error_response(
                start,
                ErrorCode::InternalError,
                "internal error: the request failed; it was logged on the server".into(),
                None,
            )
        }
    }
}
