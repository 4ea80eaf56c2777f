//! JSON shapes exchanged with the TypeScript wrapper: `Auth.basic(...)` / `Auth.jwt(...)`
//! objects, `live()` options, and the health outcome.

use kalam_link::{Auth, HealthStatus, ReconnectPolicy, SubscribeOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// What `authProvider` resolves to: `{type:"basic",user,password}`, `{type:"jwt",token}` or
/// `{type:"none"}` (`username` is accepted for `user`).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AuthSpec {
    Basic {
        #[serde(alias = "username")]
        user: String,
        password: String,
    },
    Jwt {
        token: String,
    },
    None,
}

impl From<AuthSpec> for Auth {
    fn from(spec: AuthSpec) -> Self {
        match spec {
            AuthSpec::Basic { user, password } => Auth::basic(user, password),
            AuthSpec::Jwt { token } => Auth::jwt(token),
            AuthSpec::None => Auth::None,
        }
    }
}

/// `live()` / `subscribe()` options as the TypeScript types name them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LiveOptionsSpec {
    pub batch_size: Option<usize>,
    pub last_rows: Option<usize>,
    /// A `_seq` as string (exact) or number.
    pub from_seq_id: Option<Value>,
    /// `false` turns reconnecting off.
    pub reconnect: Option<bool>,
    pub max_reconnect_attempts: Option<u32>,
    pub reconnect_delay_ms: Option<u64>,
    pub max_reconnect_delay_ms: Option<u64>,
}

impl LiveOptionsSpec {
    pub fn into_options(self) -> Result<SubscribeOptions, String> {
        let from_seq_id = match &self.from_seq_id {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                s.parse::<i64>()
                    .map_err(|_| format!("fromSeqId '{s}' is not an integer"))?,
            ),
            Some(Value::Number(n)) => Some(
                n.as_i64()
                    .ok_or_else(|| format!("fromSeqId {n} is not an integer"))?,
            ),
            Some(other) => return Err(format!("fromSeqId {other} is not an integer")),
        };
        let defaults = ReconnectPolicy::default();
        Ok(SubscribeOptions {
            batch_size: self.batch_size,
            last_rows: self.last_rows,
            from_seq_id,
            reconnect: ReconnectPolicy {
                enabled: self.reconnect.unwrap_or(true),
                max_attempts: self.max_reconnect_attempts,
                initial_delay: self
                    .reconnect_delay_ms
                    .map_or(defaults.initial_delay, Duration::from_millis),
                max_delay: self
                    .max_reconnect_delay_ms
                    .map_or(defaults.max_delay, Duration::from_millis),
                jitter: defaults.jitter,
            },
        })
    }
}

/// `health()`'s answer: `{status:"ok",version}`, `{status:"unreachable",url,reason}` or
/// `{status:"auth_failed",message}`.
#[derive(Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HealthSpec {
    Ok { version: String },
    Unreachable { url: String, reason: String },
    AuthFailed { message: String },
}

impl From<HealthStatus> for HealthSpec {
    fn from(status: HealthStatus) -> Self {
        match status {
            HealthStatus::Ok(version) => HealthSpec::Ok { version },
            HealthStatus::ServerUnreachable { url, reason } => {
                HealthSpec::Unreachable { url, reason }
            }
            HealthStatus::AuthFailed(message) => HealthSpec::AuthFailed { message },
            other => HealthSpec::Unreachable {
                url: String::new(),
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_objects_become_credentials() {
        let basic: AuthSpec =
            serde_json::from_str(r#"{"type":"basic","user":"alice","password":"pw"}"#)
                .unwrap_or(AuthSpec::None);
        assert_eq!(Auth::from(basic).user(), Some("alice"));
        let alias: AuthSpec =
            serde_json::from_str(r#"{"type":"basic","username":"bob","password":"pw"}"#)
                .unwrap_or(AuthSpec::None);
        assert_eq!(Auth::from(alias).user(), Some("bob"));
        let jwt: AuthSpec =
            serde_json::from_str(r#"{"type":"jwt","token":"a.b.c"}"#).unwrap_or(AuthSpec::None);
        assert!(matches!(Auth::from(jwt), Auth::Jwt(t) if t == "a.b.c"));
        assert!(serde_json::from_str::<AuthSpec>(r#"{"type":"oauth"}"#).is_err());
    }

    #[test]
    fn live_options_keep_exact_seq_ids() {
        let spec: LiveOptionsSpec = serde_json::from_str(
            r#"{"batchSize":10,"fromSeqId":"9007199254740993","reconnect":false}"#,
        )
        .unwrap_or_default();
        let options = spec.into_options().unwrap_or_default();
        assert_eq!(options.batch_size, Some(10));
        assert_eq!(options.from_seq_id, Some(9_007_199_254_740_993));
        assert!(!options.reconnect.enabled);
        let bad: LiveOptionsSpec =
            serde_json::from_str(r#"{"fromSeqId":"soon"}"#).unwrap_or_default();
        assert!(bad.into_options().is_err());
    }

    #[test]
    fn health_outcomes_are_tagged() {
        let down = HealthSpec::from(HealthStatus::ServerUnreachable {
            url: "http://127.0.0.1:1".into(),
            reason: "refused".into(),
        });
        assert_eq!(
            serde_json::to_string(&down).unwrap_or_default(),
            r#"{"status":"unreachable","url":"http://127.0.0.1:1","reason":"refused"}"#
        );
    }
}
