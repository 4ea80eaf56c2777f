//! [`LiveRows`]: the current result of a live query, kept up to date from [`LiveEvent`]s.
//! Rows are matched by the primary-key columns of the ack's schema (flag `pk`); a table
//! without a primary key is matched by `_seq`, so its updates and deletes cannot be
//! recognised and only inserts are reflected. Rows keep the order they first appeared in.

use super::event::LiveEvent;
use super::state::SEQ_COLUMN;
use kalamdb_types::ws::RowObject;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Default)]
pub struct LiveRows {
    key_columns: Vec<String>,
    /// Arrival number → row; arrival numbers only grow, so iteration is arrival order.
    rows: BTreeMap<u64, RowObject>,
    positions: HashMap<String, u64>,
    next: u64,
}

impl LiveRows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event; returns true when the rows changed (or may have: every ack of the
    /// initial load counts, so a callback fires even for an empty result).
    pub fn apply(&mut self, event: &LiveEvent) -> bool {
        match event {
            LiveEvent::Ack { schema, .. } => {
                self.key_columns = schema
                    .iter()
                    .filter(|f| f.flags.iter().any(|flag| flag == "pk"))
                    .map(|f| f.name.clone())
                    .collect();
                false
            }
            LiveEvent::InitialRows { rows, .. } | LiveEvent::Insert { rows } => {
                for row in rows {
                    self.upsert(row.clone());
                }
                true
            }
            LiveEvent::Update { rows, old_values } => {
                // A changed primary key: the old key names the row to replace.
                for (row, old) in rows.iter().zip(old_values) {
                    let (old_key, new_key) = (self.key(old), self.key(row));
                    if !self.key_columns.is_empty() && old_key != new_key {
                        self.remove(&old_key);
                    }
                }
                for row in rows {
                    self.upsert(row.clone());
                }
                true
            }
            LiveEvent::Delete { old_values } => {
                for old in old_values {
                    let key = self.key(old);
                    self.remove(&key);
                }
                true
            }
            LiveEvent::Disconnected { .. } | LiveEvent::Error { .. } => false,
        }
    }

    /// The rows, in the order they first appeared.
    pub fn rows(&self) -> Vec<RowObject> {
        self.rows.values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn key(&self, row: &RowObject) -> String {
        let columns: Vec<&str> = if self.key_columns.is_empty() {
            vec![SEQ_COLUMN]
        } else {
            self.key_columns.iter().map(String::as_str).collect()
        };
        let parts: Vec<String> = columns
            .iter()
            .map(|c| row.get(*c).map(|v| v.to_string()).unwrap_or_default())
            .collect();
        parts.join("\u{1f}")
    }

    fn upsert(&mut self, row: RowObject) {
        let key = self.key(&row);
        match self.positions.get(&key) {
            Some(position) => {
                self.rows.insert(*position, row);
            }
            None => {
                self.positions.insert(key, self.next);
                self.rows.insert(self.next, row);
                self.next += 1;
            }
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some(position) = self.positions.remove(key) {
            self.rows.remove(&position);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalamdb_types::KalamDataType;
    use kalamdb_types::wire::SchemaField;
    use serde_json::json;

    fn obj(value: serde_json::Value) -> RowObject {
        value.as_object().cloned().unwrap_or_default()
    }

    fn ack() -> LiveEvent {
        LiveEvent::Ack {
            subscription_id: "s".into(),
            total_rows: 0,
            schema: vec![
                SchemaField {
                    name: "id".into(),
                    data_type: KalamDataType::BigInt,
                    index: 0,
                    flags: vec!["pk".into(), "nn".into()],
                },
                SchemaField {
                    name: "body".into(),
                    data_type: KalamDataType::Text,
                    index: 1,
                    flags: vec![],
                },
            ],
            resumed_from: None,
        }
    }

    fn bodies(rows: &LiveRows) -> Vec<String> {
        rows.rows()
            .iter()
            .map(|r| {
                r.get("body")
                    .and_then(|b| b.as_str())
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn changes_are_reconciled_by_primary_key() {
        let mut rows = LiveRows::new();
        rows.apply(&ack());
        rows.apply(&LiveEvent::InitialRows {
            rows: vec![
                obj(json!({"id":"1","body":"a","_seq":"1"})),
                obj(json!({"id":"2","body":"b","_seq":"2"})),
            ],
            batch_num: 0,
            has_more: false,
        });
        rows.apply(&LiveEvent::Update {
            rows: vec![obj(json!({"id":"1","body":"a2","_seq":"3"}))],
            old_values: vec![obj(json!({"id":"1","body":"a","_seq":"1"}))],
        });
        rows.apply(&LiveEvent::Insert {
            rows: vec![obj(json!({"id":"3","body":"c","_seq":"4"}))],
        });
        rows.apply(&LiveEvent::Delete {
            old_values: vec![obj(json!({"id":"2","body":"b","_seq":"5"}))],
        });
        assert_eq!(bodies(&rows), ["a2", "c"]);
        // A resume that re-sends a row changed while disconnected replaces it.
        rows.apply(&LiveEvent::InitialRows {
            rows: vec![obj(json!({"id":"3","body":"c2","_seq":"6"}))],
            batch_num: 0,
            has_more: false,
        });
        assert_eq!(bodies(&rows), ["a2", "c2"]);
    }
}
