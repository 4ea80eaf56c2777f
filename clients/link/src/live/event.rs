//! [`LiveEvent`]: what a subscription delivers, in the order the server sent it, plus the
//! client's own connection events.

use kalamdb_types::wire::SchemaField;
use kalamdb_types::ws::RowObject;
use serde::{Serialize, Serializer};

/// One event of a [`LiveSubscription`](super::LiveSubscription). Rows are objects of wire
/// cells (BIGINT as text, TIMESTAMP as microseconds), always with `_seq`.
///
/// Serialized (for the TypeScript SDK) as `{"type":"ack",...}`, `{"type":"insert",...}` ...;
/// `_seq` values are written as strings because they exceed JavaScript's safe integers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LiveEvent {
    /// The server accepted the subscription; sent again after every reconnect.
    Ack {
        subscription_id: String,
        /// Rows of the initial load that follows (after a resume: rows changed since).
        total_rows: usize,
        schema: Vec<SchemaField>,
        /// After a reconnect: the `_seq` this subscription resumed strictly after.
        #[serde(serialize_with = "opt_seq_text")]
        resumed_from: Option<i64>,
    },
    /// One page of the initial load (further pages are requested automatically).
    InitialRows {
        rows: Vec<RowObject>,
        batch_num: usize,
        /// More pages follow; the load is complete when this is false.
        has_more: bool,
    },
    Insert {
        rows: Vec<RowObject>,
    },
    /// New rows, and for each the changed columns' old values with the key and `_seq`.
    Update {
        rows: Vec<RowObject>,
        old_values: Vec<RowObject>,
    },
    Delete {
        old_values: Vec<RowObject>,
    },
    /// The connection dropped; the client reconnects after `retry_in_ms` and resumes.
    Disconnected {
        reason: String,
        /// 1 for the first retry after a drop.
        attempt: u32,
        retry_in_ms: u64,
    },
    /// The subscription ended with this error (the server's WebSocket code, or
    /// `INVALID_CREDENTIALS` when the login was refused); no event follows it.
    Error {
        code: String,
        message: String,
    },
}

impl LiveEvent {
    /// True for the events that carry rows.
    pub fn has_rows(&self) -> bool {
        matches!(
            self,
            LiveEvent::InitialRows { .. }
                | LiveEvent::Insert { .. }
                | LiveEvent::Update { .. }
                | LiveEvent::Delete { .. }
        )
    }
}

fn opt_seq_text<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_tagged_with_seq_as_text() {
        let ack = LiveEvent::Ack {
            subscription_id: "s1".into(),
            total_rows: 2,
            schema: vec![],
            resumed_from: Some(9_007_199_254_740_993),
        };
        let text = serde_json::to_string(&ack).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"type":"ack","subscription_id":"s1","total_rows":2,"schema":[],"resumed_from":"9007199254740993"}"#
        );
        let gone = LiveEvent::Disconnected {
            reason: "closed".into(),
            attempt: 1,
            retry_in_ms: 200,
        };
        let text = serde_json::to_string(&gone).unwrap_or_default();
        assert!(text.starts_with(r#"{"type":"disconnected""#), "{text}");
    }
}
