//! What [`KalamClient::health`](crate::KalamClient::health) found, in the three cases a CLI
//! tells apart: the server answers and accepts the credentials, nobody answers, or the server
//! refuses the credentials.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HealthStatus {
    /// The server is up (and, when credentials were given, accepted them). Holds the server's
    /// version, or `unknown` when `/health` is not open to this client (it answers loopback only).
    Ok(String),
    /// No KalamDB server answered at `url`.
    ServerUnreachable { url: String, reason: String },
    /// The server is up but refused the credentials; holds its message.
    AuthFailed(String),
}

impl HealthStatus {
    pub fn is_ok(&self) -> bool {
        matches!(self, HealthStatus::Ok(_))
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HealthStatus::Ok(version) => write!(f, "server ok, version {version}"),
            HealthStatus::ServerUnreachable { url, reason } => {
                write!(f, "server unreachable at {url}: {reason}")
            }
            HealthStatus::AuthFailed(message) => write!(f, "authentication failed: {message}"),
        }
    }
}
