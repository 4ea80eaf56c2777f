//! WebSocket messages of `/v1/ws` (API.md). Every message is a JSON object tagged by `type`.

use crate::wire::SchemaField;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `authenticate.protocol`: what the client wants the server to send.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    #[serde(default = "json_name")]
    pub serialization: String,
    #[serde(default = "none_name")]
    pub compression: String,
}

fn json_name() -> String {
    "json".into()
}

fn none_name() -> String {
    "none".into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rows: Option<usize>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_i64_lenient"
    )]
    pub from_seq_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionRequest {
    pub id: String,
    pub sql: String,
    #[serde(default)]
    pub options: SubscriptionOptions,
}

/// Client → server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Authenticate {
        #[serde(default)]
        method: Option<String>,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        protocol: Option<Protocol>,
    },
    Subscribe {
        subscription: SubscriptionRequest,
    },
    NextBatch {
        subscription_id: String,
        #[serde(default, with = "opt_i64_lenient")]
        last_seq_id: Option<i64>,
    },
    Unsubscribe {
        subscription_id: String,
    },
    Ping,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Loading,
    LoadingBatch,
    Ready,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchControl {
    pub batch_num: usize,
    pub has_more: bool,
    pub status: BatchStatus,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_i64_lenient"
    )]
    pub last_seq_id: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    Insert,
    Update,
    Delete,
}

/// A row in WebSocket messages: column name → wire cell, always with `_seq`.
pub type RowObject = Map<String, Value>;

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    AuthSuccess {
        user: String,
        role: String,
        protocol: Protocol,
    },
    AuthError {
        message: String,
    },
    SubscriptionAck {
        subscription_id: String,
        total_rows: usize,
        batch_control: BatchControl,
        schema: Vec<SchemaField>,
    },
    InitialDataBatch {
        subscription_id: String,
        rows: Vec<RowObject>,
        batch_control: BatchControl,
    },
    Change {
        subscription_id: String,
        change_type: ChangeType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rows: Option<Vec<RowObject>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_values: Option<Vec<RowObject>>,
    },
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subscription_id: Option<String>,
        code: String,
        message: String,
    },
    Pong,
}

/// WebSocket error codes of API.md.
pub mod ws_codes {
    pub const AUTH_REQUIRED: &str = "AUTH_REQUIRED";
    pub const INVALID_SUBSCRIPTION_ID: &str = "INVALID_SUBSCRIPTION_ID";
    pub const SUBSCRIPTION_LIMIT_EXCEEDED: &str = "SUBSCRIPTION_LIMIT_EXCEEDED";
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const INVALID_SQL: &str = "INVALID_SQL";
    pub const UNSUPPORTED: &str = "UNSUPPORTED";
    pub const SUBSCRIPTION_FAILED: &str = "SUBSCRIPTION_FAILED";
    pub const MESSAGE_TOO_LARGE: &str = "MESSAGE_TOO_LARGE";
    pub const RATE_LIMIT_EXCEEDED: &str = "RATE_LIMIT_EXCEEDED";
    pub const PROTOCOL: &str = "PROTOCOL";
}

/// `_seq` values may arrive as JSON numbers or strings (they are BIGINTs); both are accepted,
/// and they are sent as strings.
mod opt_i64_lenient {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Lenient {
            N(i64),
            S(String),
        }
        match Option::<Lenient>::deserialize(d)? {
            None => Ok(None),
            Some(Lenient::N(n)) => Ok(Some(n)),
            Some(Lenient::S(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a _seq id"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_snake_case() {
        let msg: ClientMessage = serde_json::from_str(
            r#"{"type":"subscribe","subscription":{"id":"s1","sql":"SELECT 1","options":{"from_seq_id":"12"}}}"#,
        )
        .unwrap_or(ClientMessage::Ping);
        match msg {
            ClientMessage::Subscribe { subscription } => {
                assert_eq!(subscription.options.from_seq_id, Some(12))
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = serde_json::to_string(&ServerMessage::Pong).unwrap_or_default();
        assert_eq!(text, r#"{"type":"pong"}"#);
    }
}
