//! The caller's files (`/v1/files`, `system.user_files`) and exports of everything they own
//! (`EXPORT USER DATA`, `SHOW EXPORT`, `/v1/exports/...`), on every target. Native targets
//! also stream an upload from a path and a download into a writer, with progress.

use crate::KalamClient;
use crate::error::{KalamLinkError, Result};
use crate::row::QueryResultExt;
use crate::transport::BytesReply;
use kalamdb_types::wire::AuthErrorBody;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One of the caller's files, as `POST /v1/files` answers it and `system.user_files` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Deserialize)]
struct UploadAnswer {
    files: Vec<FileInfo>,
}

/// One row of `SHOW EXPORT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportInfo {
    pub job_id: String,
    /// `queued`, `running`, `completed`, `failed` or `expired`.
    pub status: String,
    /// Microseconds since the epoch.
    pub created_at: i64,
    /// Bytes of the ZIP, while it exists.
    pub size: Option<u64>,
    /// `/v1/exports/<user>/<job id>`, once completed.
    pub download_url: Option<String>,
    /// What the ZIP holds, or why the export failed.
    pub message: Option<String>,
}

impl ExportInfo {
    /// Whether the job is still queued or running.
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "running")
    }
}

const BOUNDARY: &str = "kalam-link-0f8e4b3c9d2a7615";

/// The multipart text before a `file` part's bytes and after them.
fn multipart_frame(name: &str, mime: &str) -> (String, String) {
    let clean: String = name
        .chars()
        .map(|c| {
            if c == '"' || c == '\r' || c == '\n' {
                '_'
            } else {
                c
            }
        })
        .collect();
    (
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{clean}\"\r\nContent-Type: {mime}\r\n\r\n"
        ),
        format!("\r\n--{BOUNDARY}--\r\n"),
    )
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A files or exports endpoint's answer: the body on success, else the server's error.
fn checked(url: &str, reply: BytesReply) -> Result<Vec<u8>> {
    if (200..300).contains(&reply.status) {
        return Ok(reply.body);
    }
    let text = String::from_utf8_lossy(&reply.body).to_string();
    match serde_json::from_str::<AuthErrorBody>(&text) {
        Ok(body) if reply.status == 401 => Err(KalamLinkError::Auth {
            kind: body.error,
            message: body.message,
            status: reply.status,
        }),
        Ok(body) => Err(KalamLinkError::Server {
            code: body.error,
            message: body.message,
            details: None,
            status: reply.status,
        }),
        Err(_) => Err(KalamLinkError::UnexpectedResponse {
            url: url.into(),
            status: reply.status,
            body: text.chars().take(200).collect(),
        }),
    }
}

fn uploaded(url: &str, body: Vec<u8>) -> Result<FileInfo> {
    let answer: UploadAnswer =
        serde_json::from_slice(&body).map_err(|_| KalamLinkError::UnexpectedResponse {
            url: url.into(),
            status: 200,
            body: String::from_utf8_lossy(&body).chars().take(200).collect(),
        })?;
    answer
        .files
        .into_iter()
        .next()
        .ok_or_else(|| KalamLinkError::UnexpectedResponse {
            url: url.into(),
            status: 200,
            body: "no file in the answer".into(),
        })
}

/// `'...'` with quotes doubled.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl KalamClient {
    /// Uploads one file from memory; `mime` defaults to `application/octet-stream`.
    pub async fn upload_file(
        &self,
        name: &str,
        mime: Option<&str>,
        bytes: &[u8],
    ) -> Result<FileInfo> {
        let url = self.endpoint("/v1/files");
        let (head, tail) = multipart_frame(name, mime.unwrap_or("application/octet-stream"));
        let mut body = Vec::with_capacity(head.len() + bytes.len() + tail.len());
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(tail.as_bytes());
        let bearer = self.bearer().await?;
        let reply = self
            .transport()
            .request(
                "POST",
                &url,
                Some(&content_type()),
                Some(body),
                bearer.as_deref(),
            )
            .await?;
        uploaded(&url, checked(&url, reply)?)
    }

    /// The caller's files, oldest first (`system.user_files`).
    pub async fn list_files(&self) -> Result<Vec<FileInfo>> {
        let response = self
            .query("SELECT id, name, mime, size, sha256 FROM system.user_files ORDER BY created_at, id")
            .await?;
        let Some(result) = response.results.first() else {
            return Ok(Vec::new());
        };
        result
            .row_views()
            .into_iter()
            .map(|row| {
                Ok(FileInfo {
                    id: row.get_str("id")?.unwrap_or_default().to_string(),
                    name: row.get_str("name")?.unwrap_or_default().to_string(),
                    mime: row.get_str("mime")?.unwrap_or_default().to_string(),
                    size: row.get_i64("size")?.unwrap_or_default().max(0) as u64,
                    sha256: row.get_str("sha256")?.unwrap_or_default().to_string(),
                })
            })
            .collect()
    }

    /// A file's bytes.
    pub async fn download_file(&self, id: &str) -> Result<Vec<u8>> {
        self.get_bytes(&format!("/v1/files/{}", path_segment(id)))
            .await
    }

    /// Deletes a file (its record and its bytes).
    pub async fn delete_file(&self, id: &str) -> Result<()> {
        let url = self.endpoint(&format!("/v1/files/{}", path_segment(id)));
        let bearer = self.bearer().await?;
        let reply = self
            .transport()
            .request("DELETE", &url, None, None, bearer.as_deref())
            .await?;
        checked(&url, reply).map(|_| ())
    }

    /// Starts an export of everything the caller owns (`EXPORT USER DATA`), or of `user`'s
    /// (admins); the job id (`UE-...`).
    pub async fn start_export(&self, user: Option<&str>) -> Result<String> {
        let sql = match user {
            Some(u) => format!("EXPORT USER DATA FOR {}", quoted(u)),
            None => "EXPORT USER DATA".to_string(),
        };
        let response = self.query(&sql).await?;
        let message = response
            .results
            .first()
            .and_then(|r| r.message.clone())
            .unwrap_or_default();
        message
            .rsplit(' ')
            .next()
            .filter(|id| id.starts_with("UE-"))
            .map(str::to_string)
            .ok_or_else(|| KalamLinkError::UnexpectedResponse {
                url: self.endpoint("/v1/api/sql"),
                status: 200,
                body: message.clone(),
            })
    }

    /// The caller's exports, newest first (`SHOW EXPORT`).
    pub async fn exports(&self) -> Result<Vec<ExportInfo>> {
        let response = self.query("SHOW EXPORT").await?;
        let Some(result) = response.results.first() else {
            return Ok(Vec::new());
        };
        result
            .row_views()
            .into_iter()
            .map(|row| {
                Ok(ExportInfo {
                    job_id: row.get_str("job_id")?.unwrap_or_default().to_string(),
                    status: row.get_str("status")?.unwrap_or_default().to_string(),
                    created_at: row.get_i64("created_at")?.unwrap_or_default(),
                    size: row.get_i64("size")?.map(|s| s.max(0) as u64),
                    download_url: row.get_str("download_url")?.map(str::to_string),
                    message: row.get_str("message")?.map(str::to_string),
                })
            })
            .collect()
    }

    /// Polls `SHOW EXPORT` until job `job_id` is no longer queued or running, or `timeout`.
    pub async fn wait_for_export(&self, job_id: &str, timeout: Duration) -> Result<ExportInfo> {
        let deadline = crate::transport::now_ms() + timeout.as_secs_f64() * 1000.0;
        loop {
            let found = self
                .exports()
                .await?
                .into_iter()
                .find(|e| e.job_id == job_id);
            match found {
                Some(export) if !export.is_active() => return Ok(export),
                None => {
                    return Err(KalamLinkError::Server {
                        code: "not_found".into(),
                        message: format!("Export '{job_id}' not found (SHOW EXPORT lists yours)"),
                        details: None,
                        status: 404,
                    });
                }
                Some(_) if crate::transport::now_ms() > deadline => {
                    return Err(KalamLinkError::Timeout {
                        url: format!("export {job_id}"),
                    });
                }
                Some(_) => crate::transport::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// The ZIP of a completed export, by its `download_url`.
    pub async fn download_export(&self, download_url: &str) -> Result<Vec<u8>> {
        self.get_bytes(download_url).await
    }

    async fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let url = self.endpoint(path);
        let bearer = self.bearer().await?;
        let reply = self
            .transport()
            .request("GET", &url, None, None, bearer.as_deref())
            .await?;
        checked(&url, reply)
    }
}

/// An id as one URL path segment (ids are plain; anything else is percent-encoded).
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(not(target_arch = "wasm32"))]
impl KalamClient {
    /// Uploads the file at `path` without reading it into memory; `name` defaults to the
    /// path's file name and `mime` to `application/octet-stream`.
    pub async fn upload_path(
        &self,
        path: &std::path::Path,
        name: Option<&str>,
        mime: Option<&str>,
    ) -> Result<FileInfo> {
        use futures::StreamExt;
        let io = |e: std::io::Error| KalamLinkError::Transport {
            url: path.display().to_string(),
            reason: e.to_string(),
            source: Box::new(e),
        };
        let file = tokio::fs::File::open(path).await.map_err(io)?;
        let size = file.metadata().await.map_err(io)?.len();
        let name = name.map(str::to_string).unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "file".into())
        });
        let (head, tail) = multipart_frame(&name, mime.unwrap_or("application/octet-stream"));
        let length = head.len() as u64 + size + tail.len() as u64;
        let chunks = futures::stream::unfold(file, |mut file| async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 1 << 20];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(buf), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        });
        let body = futures::stream::iter([Ok(head.into_bytes())])
            .chain(chunks)
            .chain(futures::stream::iter([Ok(tail.into_bytes())]));
        let url = self.endpoint("/v1/files");
        let bearer = self.bearer().await?;
        let reply = self
            .transport()
            .post_stream(&url, &content_type(), length, body, bearer.as_deref())
            .await?;
        uploaded(&url, checked(&url, reply)?)
    }

    /// Streams a file's bytes into `sink`; `progress(done, total)` after each chunk.
    pub async fn download_file_to(
        &self,
        id: &str,
        sink: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.download_to(&format!("/v1/files/{}", path_segment(id)), sink, progress)
            .await
    }

    /// Streams an export's ZIP into `sink`; `progress(done, total)` after each chunk.
    pub async fn download_export_to(
        &self,
        download_url: &str,
        sink: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.download_to(download_url, sink, progress).await
    }

    async fn download_to(
        &self,
        path: &str,
        sink: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        let url = self.endpoint(path);
        let bearer = self.bearer().await?;
        let mut written = 0u64;
        let mut counting = |done: u64, total: Option<u64>| {
            written = done;
            progress(done, total);
        };
        let reply = self
            .transport()
            .download(&url, bearer.as_deref(), sink, &mut counting)
            .await?;
        checked(&url, reply)?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_break_the_multipart_frame() {
        let (head, tail) = multipart_frame("a\"b\r\nc.txt", "text/plain");
        assert!(head.contains("filename=\"a_b__c.txt\""), "{head}");
        assert!(tail.ends_with(&format!("--{BOUNDARY}--\r\n")));
    }

    #[test]
    fn ids_are_one_path_segment() {
        assert_eq!(path_segment("F-12ab"), "F-12ab");
        assert_eq!(path_segment("../x y"), "..%2Fx%20y");
    }

    #[test]
    fn error_answers_keep_the_servers_kind_and_message() {
        let reply = BytesReply {
            status: 413,
            body: br#"{"error":"file_too_large","message":"too big"}"#.to_vec(),
        };
        match checked("u", reply) {
            Err(KalamLinkError::Server {
                code,
                message,
                status,
                ..
            }) => {
                assert_eq!(
                    (code.as_str(), message.as_str(), status),
                    ("file_too_large", "too big", 413)
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
