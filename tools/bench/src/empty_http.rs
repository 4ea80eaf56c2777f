//! The empty-handler limit: a minimal HTTP/1.1 responder on 127.0.0.1 in this process that
//! answers every request with a fixed, valid `/v1/api/sql` success body, measured with the same
//! client (`kalam-link`) as the real scenarios. It is the ceiling any HTTP scenario can reach
//! on this machine with this client.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const BODY: &str = r#"{"status":"success","results":[{"row_count":0,"message":"ok"}],"took":0.0}"#;

/// A running responder; stopped on drop.
pub struct EmptyServer {
    pub url: String,
    task: JoinHandle<()>,
}

impl Drop for EmptyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start() -> Result<EmptyServer, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket));
        }
    });
    Ok(EmptyServer {
        url: format!("http://{addr}"),
        task,
    })
}

/// Answers keep-alive requests on one connection until it closes.
async fn serve(mut socket: TcpStream) {
    let _ = socket.set_nodelay(true);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // A complete request: headers, then content-length bytes of body.
        while let Some(len) = request_len(&buf) {
            buf.drain(..len);
            if socket.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Length of the first complete request in `buf`, if it is all there.
fn request_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let body_len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buf.len() >= head_end + body_len).then_some(head_end + body_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_framed_by_content_length() {
        let req = b"POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcGET";
        assert_eq!(request_len(req), Some(41));
        assert_eq!(
            request_len(b"POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\nab"),
            None
        );
        assert_eq!(request_len(b"GET / HTTP/1.1\r\n\r\n"), Some(18));
    }

    #[tokio::test]
    async fn kalam_link_gets_a_success_answer() {
        let server = start().await;
        let Ok(server) = server else {
            panic!("could not start: {:?}", server.err())
        };
        let client = kalam_link::KalamClient::builder(&server.url)
            .build()
            .map_err(|e| e.to_string());
        let Ok(client) = client else {
            panic!("{client:?}")
        };
        for _ in 0..3 {
            let r = client.query("SELECT 1").await.map(|r| r.results.len());
            assert_eq!(r.ok(), Some(1));
        }
    }
}
