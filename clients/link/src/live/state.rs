//! The protocol state of one subscription, independent of any socket: what to send when
//! (re)subscribing, what each server message means, which pages to pull, and the last `_seq`
//! delivered, from which a reconnect resumes. Pure, so the resume rules are unit-tested.

use super::event::LiveEvent;
use kalamdb_types::ws::{
    ChangeType, ClientMessage, RowObject, ServerMessage, SubscriptionOptions, SubscriptionRequest,
    ws_codes,
};
use serde_json::Value;

/// The `_seq` column every live row carries.
pub const SEQ_COLUMN: &str = "_seq";

/// The `_seq` of a live row (sent as a string, numbers accepted).
pub fn row_seq(row: &RowObject) -> Option<i64> {
    match row.get(SEQ_COLUMN)? {
        Value::String(text) => text.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// How handling one server message ended.
#[derive(Debug, PartialEq)]
pub(crate) enum End {
    /// The subscription is over; report this error.
    Fatal { code: String, message: String },
    /// The server gave up on this connection; reconnect and resume.
    Reconnect(String),
}

/// What to do after one server message.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Outcome {
    pub events: Vec<LiveEvent>,
    pub replies: Vec<ClientMessage>,
    pub end: Option<End>,
}

#[derive(Debug)]
pub(crate) struct SubscriptionState {
    id: String,
    sql: String,
    options: SubscriptionOptions,
    /// Highest `_seq` delivered so far.
    last_seq: Option<i64>,
    /// `from_seq_id` of the current attempt: initial rows at or before it were delivered already.
    resume_from: Option<i64>,
    /// The current attempt's ack arrived.
    acked: bool,
    /// Some attempt was acknowledged before (so an ack now is a resume).
    acked_before: bool,
}

impl SubscriptionState {
    pub fn new(id: String, sql: String, options: SubscriptionOptions) -> Self {
        Self {
            id,
            sql,
            last_seq: None,
            resume_from: None,
            acked: false,
            acked_before: false,
            options,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    #[cfg(test)]
    pub fn last_seq(&self) -> Option<i64> {
        self.last_seq
    }

    pub fn is_acked(&self) -> bool {
        self.acked
    }

    /// The `subscribe` message of a new attempt: the caller's options the first time, then
    /// `from_seq_id` = the last delivered `_seq`, so the server sends exactly what was missed.
    pub fn subscribe_message(&mut self) -> ClientMessage {
        let mut options = self.options.clone();
        if let Some(seq) = self.last_seq {
            options.from_seq_id = Some(seq);
            options.last_rows = None;
        }
        self.resume_from = options.from_seq_id;
        self.acked = false;
        ClientMessage::Subscribe {
            subscription: SubscriptionRequest {
                id: self.id.clone(),
                sql: self.sql.clone(),
                options,
            },
        }
    }

    fn note_seqs<'a>(&mut self, rows: impl IntoIterator<Item = &'a RowObject>) {
        for seq in rows.into_iter().filter_map(row_seq) {
            self.last_seq = Some(self.last_seq.map_or(seq, |last| last.max(seq)));
        }
    }

    pub fn on_message(&mut self, message: ServerMessage) -> Outcome {
        let mut out = Outcome::default();
        match message {
            ServerMessage::SubscriptionAck {
                subscription_id,
                total_rows,
                schema,
                ..
            } if subscription_id == self.id => {
                let resumed_from = self.resume_from.filter(|_| self.acked_before);
                self.acked = true;
                self.acked_before = true;
                out.events.push(LiveEvent::Ack {
                    subscription_id,
                    total_rows,
                    schema,
                    resumed_from,
                });
            }
            ServerMessage::InitialDataBatch {
                subscription_id,
                mut rows,
                batch_control,
            } if subscription_id == self.id => {
                // The server sends only rows after `from_seq_id`; anything else would repeat a
                // row the caller already has.
                if let Some(from) = self.resume_from {
                    rows.retain(|row| row_seq(row).is_none_or(|seq| seq > from));
                }
                self.note_seqs(&rows);
                let has_more = batch_control.has_more;
                out.events.push(LiveEvent::InitialRows {
                    rows,
                    batch_num: batch_control.batch_num,
                    has_more,
                });
                if has_more {
                    out.replies.push(ClientMessage::NextBatch {
                        subscription_id: self.id.clone(),
                        last_seq_id: self.last_seq.or(batch_control.last_seq_id),
                    });
                }
            }
            ServerMessage::Change {
                subscription_id,
                change_type,
                rows,
                old_values,
            } if subscription_id == self.id => {
                let rows = rows.unwrap_or_default();
                let old_values = old_values.unwrap_or_default();
                self.note_seqs(rows.iter().chain(&old_values));
                out.events.push(match change_type {
                    ChangeType::Insert => LiveEvent::Insert { rows },
                    ChangeType::Update => LiveEvent::Update { rows, old_values },
                    ChangeType::Delete => LiveEvent::Delete { old_values },
                });
            }
            ServerMessage::Error {
                subscription_id,
                code,
                message,
            } => {
                let ours = subscription_id.as_deref().is_none_or(|id| id == self.id);
                // Without a subscription id, SUBSCRIPTION_FAILED means the connection was
                // dropped as too slow: resuming is the documented remedy.
                if subscription_id.is_none() && code == ws_codes::SUBSCRIPTION_FAILED {
                    out.end = Some(End::Reconnect(format!("{code}: {message}")));
                } else if ours {
                    out.end = Some(End::Fatal { code, message });
                }
            }
            ServerMessage::AuthError { message } => {
                out.end = Some(End::Fatal {
                    code: "INVALID_CREDENTIALS".into(),
                    message,
                });
            }
            // Other subscriptions' messages, pongs and a repeated auth_success change nothing.
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalamdb_types::ws::{BatchControl, BatchStatus};
    use serde_json::json;

    fn row(id: i64, seq: i64) -> RowObject {
        let value = json!({"id": id.to_string(), "_seq": seq.to_string()});
        value.as_object().cloned().unwrap_or_default()
    }

    fn control(batch_num: usize, has_more: bool) -> BatchControl {
        BatchControl {
            batch_num,
            has_more,
            status: if has_more {
                BatchStatus::Loading
            } else {
                BatchStatus::Ready
            },
            last_seq_id: None,
        }
    }

    fn ack(id: &str) -> ServerMessage {
        ServerMessage::SubscriptionAck {
            subscription_id: id.into(),
            total_rows: 0,
            batch_control: control(0, false),
            schema: vec![],
        }
    }

    fn batch(id: &str, rows: Vec<RowObject>, num: usize, has_more: bool) -> ServerMessage {
        ServerMessage::InitialDataBatch {
            subscription_id: id.into(),
            rows,
            batch_control: control(num, has_more),
        }
    }

    fn options(message: &ClientMessage) -> SubscriptionOptions {
        match message {
            ClientMessage::Subscribe { subscription } => subscription.options.clone(),
            _ => SubscriptionOptions::default(),
        }
    }

    fn state() -> SubscriptionState {
        SubscriptionState::new(
            "s1".into(),
            "SELECT * FROM app.t".into(),
            SubscriptionOptions {
                batch_size: Some(2),
                last_rows: Some(5),
                from_seq_id: None,
            },
        )
    }

    #[test]
    fn first_subscribe_uses_the_callers_options() {
        let mut s = state();
        let first = options(&s.subscribe_message());
        assert_eq!(first.last_rows, Some(5));
        assert_eq!(first.from_seq_id, None);
    }

    #[test]
    fn pages_are_pulled_until_the_load_is_complete() {
        let mut s = state();
        s.subscribe_message();
        s.on_message(ack("s1"));
        let out = s.on_message(batch("s1", vec![row(1, 10), row(2, 11)], 0, true));
        assert_eq!(
            out.replies,
            vec![ClientMessage::NextBatch {
                subscription_id: "s1".into(),
                last_seq_id: Some(11)
            }]
        );
        let out = s.on_message(batch("s1", vec![row(3, 12)], 1, false));
        assert!(out.replies.is_empty());
        assert_eq!(s.last_seq(), Some(12));
    }

    #[test]
    fn a_reconnect_resumes_after_the_last_delivered_seq() {
        let mut s = state();
        s.subscribe_message();
        s.on_message(ack("s1"));
        s.on_message(batch("s1", vec![row(1, 10)], 0, false));
        s.on_message(ServerMessage::Change {
            subscription_id: "s1".into(),
            change_type: ChangeType::Insert,
            rows: Some(vec![row(2, 20)]),
            old_values: None,
        });
        let again = options(&s.subscribe_message());
        assert_eq!(again.from_seq_id, Some(20));
        assert_eq!(again.last_rows, None, "last_rows would replay rows");
        assert_eq!(again.batch_size, Some(2));
        let out = s.on_message(ack("s1"));
        assert!(matches!(
            out.events.as_slice(),
            [LiveEvent::Ack {
                resumed_from: Some(20),
                ..
            }]
        ));
        // A row at or before the resume point is not delivered twice.
        let out = s.on_message(batch("s1", vec![row(2, 20), row(3, 21)], 0, false));
        match out.events.as_slice() {
            [LiveEvent::InitialRows { rows, .. }] => {
                assert_eq!(rows.iter().filter_map(row_seq).collect::<Vec<_>>(), [21]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn deletes_advance_the_resume_point() {
        let mut s = state();
        s.subscribe_message();
        s.on_message(ServerMessage::Change {
            subscription_id: "s1".into(),
            change_type: ChangeType::Delete,
            rows: None,
            old_values: Some(vec![row(1, 30)]),
        });
        assert_eq!(s.last_seq(), Some(30));
    }

    #[test]
    fn errors_end_or_reconnect() {
        let mut s = state();
        s.subscribe_message();
        let out = s.on_message(ServerMessage::Error {
            subscription_id: Some("s1".into()),
            code: "INVALID_SQL".into(),
            message: "bad".into(),
        });
        assert_eq!(
            out.end,
            Some(End::Fatal {
                code: "INVALID_SQL".into(),
                message: "bad".into()
            })
        );
        let out = s.on_message(ServerMessage::Error {
            subscription_id: None,
            code: "SUBSCRIPTION_FAILED".into(),
            message: "client too slow".into(),
        });
        assert!(matches!(out.end, Some(End::Reconnect(_))));
        let out = s.on_message(ServerMessage::Error {
            subscription_id: Some("other".into()),
            code: "NOT_FOUND".into(),
            message: "x".into(),
        });
        assert_eq!(out, Outcome::default());
    }
}
