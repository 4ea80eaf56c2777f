//! `/v1/files`: the caller's user files (API.md). Upload is `multipart/form-data` with one or
//! more `file` fields (a `name` field names the file after it; else the part's file name),
//! streamed into the storage part by part; download streams the object back with its type,
//! name, ETag (the SHA-256) and single HTTP byte ranges; delete removes record and bytes.
//! Errors are `{"error": kind, "message": ...}`: 401 `unauthorized`, 404 `not_found`,
//! 413 `file_too_large`, 403 `quota_exceeded`, 400 `bad_request`, 416 `range_not_satisfiable`,
//! 500 `internal`.

use super::AppState;
use super::bearer::{Credential, credential};
use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use kalamdb_core::files::{FileError, FileRecord};
use kalamdb_core::object_store::{GetOptions, GetRange};
use kalamdb_types::UserId;
use serde::Serialize;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
}

fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(ErrorBody {
            error: kind,
            message: message.into(),
        }),
    )
        .into_response()
}

fn file_error(e: FileError) -> Response {
    let message = e.to_string();
    match e {
        FileError::NotFound(_) => error(StatusCode::NOT_FOUND, "not_found", message),
        FileError::TooLarge { .. } => {
            error(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", message)
        }
        FileError::Quota { .. } => error(StatusCode::FORBIDDEN, "quota_exceeded", message),
        FileError::Invalid(_) => error(StatusCode::BAD_REQUEST, "bad_request", message),
        FileError::Kalam(e) => {
            tracing::warn!("user file request failed: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        }
    }
}

/// The caller, from an access token.
fn caller(state: &AppState, headers: &HeaderMap) -> Result<UserId, Response> {
    let Credential::Bearer(token) = credential(headers) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing Authorization header",
        ));
    };
    match state
        .engine
        .auth
        .authenticate(&token, kalamdb_core::auth::TokenKind::Access)
    {
        Ok(user) => Ok(user.user_id),
        Err(e) => Err(error(StatusCode::UNAUTHORIZED, "unauthorized", e.message())),
    }
}

#[derive(Serialize)]
struct Uploaded {
    id: String,
    name: String,
    mime: String,
    size: u64,
    sha256: String,
}

impl From<FileRecord> for Uploaded {
    fn from(f: FileRecord) -> Self {
        Self {
            id: f.id,
            name: f.name,
            mime: f.mime,
            size: f.size,
            sha256: f.sha256,
        }
    }
}

#[derive(Serialize)]
struct UploadBody {
    files: Vec<Uploaded>,
}

/// `POST /v1/files`. Files committed before a later part fails stay committed and are listed
/// in `system.user_files`; the failing one leaves nothing.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let user = match caller(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut files = Vec::new();
    let mut next_name: Option<String> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", e.body_text()),
        };
        match field.name() {
            Some("name") => {
                // At most 1 KiB: the body has no overall limit on this route.
                let mut text = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) if text.len() + chunk.len() <= 1024 => {
                            text.extend_from_slice(&chunk)
                        }
                        Ok(Some(_)) => {
                            return error(
                                StatusCode::BAD_REQUEST,
                                "bad_request",
                                "the 'name' field is longer than 1024 bytes",
                            );
                        }
                        Ok(None) => break,
                        Err(e) => {
                            return error(StatusCode::BAD_REQUEST, "bad_request", e.body_text());
                        }
                    }
                }
                next_name = Some(String::from_utf8_lossy(&text).into_owned());
                continue;
            }
            Some("file") => {}
            other => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!(
                        "unknown form field '{}': send the bytes as 'file' and an optional 'name'",
                        other.unwrap_or_default()
                    ),
                );
            }
        }
        let name = next_name
            .take()
            .or_else(|| field.file_name().map(str::to_string))
            .unwrap_or_else(|| "file".to_string());
        let mime = field
            .content_type()
            .map(str::to_string)
            .unwrap_or_else(|| "application/octet-stream".to_string());
        let mut upload = match state.engine.begin_upload(&user).await {
            Ok(u) => u,
            Err(e) => return file_error(e),
        };
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if let Err(e) = upload.write(&chunk).await {
                        let _ = upload.abort().await;
                        return file_error(e);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = upload.abort().await;
                    return error(StatusCode::BAD_REQUEST, "bad_request", e.body_text());
                }
            }
        }
        match upload.commit(&state.engine, &name, &mime).await {
            Ok(record) => files.push(Uploaded::from(record)),
            Err(e) => return file_error(e),
        }
    }
    if files.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "no 'file' field in the form: send multipart/form-data with the bytes as 'file'",
        );
    }
    Json(UploadBody { files }).into_response()
}

/// A single `bytes=` range of a file of `size` bytes: `Ok(None)` for none (or several, which
/// are answered whole, as RFC 9110 allows), `Err` when it cannot be satisfied.
fn range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(text) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = text.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>().ok(), end.parse::<u64>().ok()) {
        (Some(s), Some(e)) if s <= e => s..(e + 1).min(size),
        (Some(s), None) if end.is_empty() => s..size,
        (None, Some(n)) if start.is_empty() && n > 0 => size.saturating_sub(n)..size,
        _ => return Err(()),
    };
    if range.start >= size || range.is_empty() {
        return Err(());
    }
    Ok(Some(range))
}

/// `GET /v1/files/{id}`.
pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match caller(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let record = match state.engine.file(&user, &id) {
        Ok(r) => r,
        Err(e) => return file_error(e),
    };
    let etag = format!("\"{}\"", record.sha256);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let wanted = match range(&headers, record.size) {
        Ok(r) => r,
        Err(()) => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{}", record.size))],
                Json(ErrorBody {
                    error: "range_not_satisfiable",
                    message: format!("the file has {} bytes", record.size),
                }),
            )
                .into_response();
        }
    };
    let store = match state.engine.file_store(&record.storage_id) {
        Ok(s) => s,
        Err(e) => return file_error(FileError::Kalam(e)),
    };
    let options = GetOptions {
        range: wanted.clone().map(GetRange::Bounded),
        ..GetOptions::default()
    };
    let path = kalamdb_core::object_store::path::Path::from(record.path.as_str());
    let got = match store.get_opts(&path, options).await {
        Ok(g) => g,
        Err(e) => {
            return file_error(FileError::Kalam(kalamdb_core::KalamError::storage(e)));
        }
    };
    let body = Body::from_stream(
        got.into_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other)),
    );
    let mut response = Response::new(body);
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&record.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let disposition = format!(
        "attachment; filename=\"{}\"",
        record.name.replace(['"', '\\'], "_")
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let length = match &wanted {
        Some(r) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) =
                HeaderValue::from_str(&format!("bytes {}-{}/{}", r.start, r.end - 1, record.size))
            {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r.end - r.start
        }
        None => record.size,
    };
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// `GET /v1/exports/{user_id}/{export_id}`: an `EXPORT USER DATA` ZIP, for its user or an
/// admin.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((owner, export_id)): Path<(String, String)>,
) -> Response {
    let user = match caller(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let admin = state
        .engine
        .catalog
        .user(&user)
        .is_some_and(|u| u.role.is_admin());
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Export '{export_id}' does not exist"),
        )
    };
    if owner != user.as_str() && !admin {
        return not_found();
    }
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
            && s != "."
            && s != ".."
    };
    if !plain(&owner) || !plain(&export_id) {
        return not_found();
    }
    let path = kalamdb_core::export::export_path(
        &state.engine.config.data_dir,
        &UserId::new(owner.clone()),
        &export_id,
    );
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(_) => return not_found(),
    };
    let length = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let chunks = futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let body = Body::from_stream(chunks);
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"kalamdb-{owner}-{export_id}.zip\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// `DELETE /v1/files/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match caller(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match state.engine.delete_file(&user, &id).await {
        Ok(record) => Json(serde_json::json!({
            "message": format!("File '{}' deleted", record.id)
        }))
        .into_response(),
        Err(e) => file_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::range;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn with(text: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(text).unwrap());
        h
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(range(&HeaderMap::new(), 10), Ok(None));
        assert_eq!(range(&with("bytes=0-3"), 10), Ok(Some(0..4)));
        assert_eq!(range(&with("bytes=5-"), 10), Ok(Some(5..10)));
        assert_eq!(range(&with("bytes=-3"), 10), Ok(Some(7..10)));
        assert_eq!(range(&with("bytes=8-100"), 10), Ok(Some(8..10)));
        assert_eq!(range(&with("bytes=10-"), 10), Err(()));
        assert_eq!(range(&with("bytes=5-2"), 10), Err(()));
        assert_eq!(range(&with("bytes=0-1,4-5"), 10), Ok(None));
        assert_eq!(range(&with("items=0-1"), 10), Ok(None));
    }
}
