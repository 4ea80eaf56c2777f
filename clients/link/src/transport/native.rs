//! Native HTTP transport over `reqwest` (rustls for https), plus tokio's `spawn` and `sleep`.

use super::{BytesReply, HttpReply, TransportOptions};
use crate::error::{KalamLinkError, Result, root_cause};

pub(crate) struct HttpTransport {
    http: reqwest::Client,
}

impl HttpTransport {
    pub fn new(options: &TransportOptions) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("kalam-link/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KalamLinkError::Transport {
                url: String::new(),
                reason: root_cause(&e),
                source: Box::new(e),
            })?;
        Ok(Self { http })
    }

    pub async fn get(&self, url: &str, bearer: Option<&str>) -> Result<HttpReply> {
        let mut request = self.http.get(url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        send(url, request).await
    }

    pub async fn post_json(
        &self,
        url: &str,
        body: String,
        bearer: Option<&str>,
    ) -> Result<HttpReply> {
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        send(url, request).await
    }
}

impl HttpTransport {
    /// Any method with an optional raw body; the answer's bytes.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        bearer: Option<&str>,
    ) -> Result<BytesReply> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| {
            KalamLinkError::Transport {
                url: url.into(),
                reason: e.to_string(),
                source: Box::new(e),
            }
        })?;
        let mut request = self.http.request(method, url);
        if let Some(kind) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, kind);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| map_error(url, e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| map_error(url, e))?
            .to_vec();
        Ok(BytesReply { status, body })
    }

    /// `POST` of a body of `length` bytes read from `body` as it goes (an upload from disk).
    pub async fn post_stream<S>(
        &self,
        url: &str,
        content_type: &str,
        length: u64,
        body: S,
        bearer: Option<&str>,
    ) -> Result<BytesReply>
    where
        S: futures::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
    {
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::CONTENT_LENGTH, length)
            // An upload may take longer than a query: no whole-request limit.
            .timeout(std::time::Duration::from_secs(24 * 3600))
            .body(reqwest::Body::wrap_stream(body));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| map_error(url, e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| map_error(url, e))?
            .to_vec();
        Ok(BytesReply { status, body })
    }

    /// `GET` whose body goes to `sink` chunk by chunk; `progress(done, total)` after each.
    /// An error answer's body is returned instead of written.
    pub async fn download(
        &self,
        url: &str,
        bearer: Option<&str>,
        sink: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<BytesReply> {
        let mut request = self
            .http
            .get(url)
            .timeout(std::time::Duration::from_secs(24 * 3600));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let mut response = request.send().await.map_err(|e| map_error(url, e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let body = response
                .bytes()
                .await
                .map_err(|e| map_error(url, e))?
                .to_vec();
            return Ok(BytesReply { status, body });
        }
        let total = response.content_length();
        let mut done = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| map_error(url, e))? {
            sink.write_all(&chunk)
                .map_err(|e| KalamLinkError::Transport {
                    url: url.into(),
                    reason: format!("could not write the download: {e}"),
                    source: Box::new(e),
                })?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        Ok(BytesReply {
            status,
            body: Vec::new(),
        })
    }
}

async fn send(url: &str, request: reqwest::RequestBuilder) -> Result<HttpReply> {
    let response = request.send().await.map_err(|e| map_error(url, e))?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| map_error(url, e))?;
    Ok(HttpReply { status, body })
}

fn map_error(url: &str, err: reqwest::Error) -> KalamLinkError {
    let reason = root_cause(&err);
    if err.is_timeout() {
        KalamLinkError::Timeout { url: url.into() }
    } else if err.is_connect() {
        KalamLinkError::Unreachable {
            url: url.into(),
            reason,
            source: Box::new(err),
        }
    } else {
        KalamLinkError::Transport {
            url: url.into(),
            reason,
            source: Box::new(err),
        }
    }
}

/// Runs a subscription's task on the current tokio runtime; an error (not a panic) outside one.
pub(crate) fn spawn<F>(task: F) -> Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime =
        tokio::runtime::Handle::try_current().map_err(|e| KalamLinkError::Subscription {
            code: "SUBSCRIPTION_FAILED".into(),
            message: format!("subscribe must be called inside a tokio runtime: {e}"),
        })?;
    runtime.spawn(task);
    Ok(())
}

pub(crate) async fn sleep(duration: std::time::Duration) {
    tokio::time::sleep(duration).await;
}

/// Milliseconds on a clock that only moves forward, for liveness checks.
pub(crate) fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}
