//! Order-preserving binary keys and column family names.
//!
//! - USER table CF `user.sNN.ns.table`, key = `user prefix ++ pk`.
//! - SHARED table CF `shared.ns.table`, key = `pk`.
//! - STREAM table CF `stream.ns.table`, key = `user prefix ++ _seq`.
//! - user prefix = big-endian u16 length ++ user id bytes, so a user's rows are one contiguous
//!   range and no user's range is a prefix of another's.
//! - integer pk = big-endian i64 with the sign bit flipped (orders like the numbers);
//!   text pk = its UTF-8 bytes (the key's last component, so it needs no terminator).

use crate::error::{Result, StoreError};
use kalamdb_plugin_api::Value;
use kalamdb_types::{ShardId, TableId, UserId};

pub const CF_NAMESPACES: &str = "system.namespaces";
pub const CF_TABLES: &str = "system.tables";
pub const CF_STORAGES: &str = "system.storages";
pub const CF_USERS: &str = "system.users";
pub const CF_META: &str = "system.meta";

pub const CF_JOBS: &str = "system.jobs";
pub const CF_AUDIT: &str = "system.audit_log";
/// Statistics counters (see `counters`).
pub const CF_STATS: &str = "system.stats";
/// The advisor's findings.
pub const CF_ADVICE: &str = "system.advice";
/// KFlow definitions and run state.
pub const CF_FLOWS: &str = "system.flows";
/// The durable queue of row changes waiting for trigger flows (see `flowq`).
pub const CF_FLOW_EVENTS: &str = "system.flow_events";

/// `system.user_files`: one record per stored file, key `user prefix ‖ file id`.
pub const CF_USER_FILES: &str = "system.user_files";

/// System column families every store has.
pub const SYSTEM_CFS: &[&str] = &[
    CF_NAMESPACES,
    CF_TABLES,
    CF_STORAGES,
    CF_USERS,
    CF_META,
    CF_JOBS,
    CF_AUDIT,
    CF_STATS,
    CF_ADVICE,
    CF_FLOWS,
    CF_FLOW_EVENTS,
    CF_USER_FILES,
];

pub fn user_table_cf(shard: ShardId, table: &TableId) -> String {
    format!("user.{shard}.{}.{}", table.namespace, table.table)
}

pub fn shared_table_cf(table: &TableId) -> String {
    format!("shared.{}.{}", table.namespace, table.table)
}

pub fn stream_table_cf(table: &TableId) -> String {
    format!("stream.{}.{}", table.namespace, table.table)
}

/// The key prefix of one user's rows.
pub fn user_prefix(user: &UserId) -> Vec<u8> {
    let bytes = user.as_str().as_bytes();
    let mut out = Vec::with_capacity(2 + bytes.len() + 8);
    out.extend_from_slice(&(bytes.len().min(u16::MAX as usize) as u16).to_be_bytes());
    out.extend_from_slice(bytes);
    out
}

/// Order-preserving encoding of an i64.
pub fn encode_i64(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1u64 << 63)).to_be_bytes()
}

/// Inverse of [`encode_i64`].
pub fn decode_i64(bytes: &[u8]) -> Option<i64> {
    let arr: [u8; 8] = bytes.try_into().ok()?;
    Some((u64::from_be_bytes(arr) ^ (1u64 << 63)) as i64)
}

/// Appends the encoding of a primary-key value.
pub fn push_pk(out: &mut Vec<u8>, pk: &Value) -> Result<()> {
    match pk {
        Value::Int(i) => out.extend_from_slice(&encode_i64(*i)),
        Value::Text(s) => out.extend_from_slice(s.as_bytes()),
        Value::Null => {
            return Err(StoreError::InvalidValue(
                "primary key value must not be NULL".into(),
            ));
        }
        other => {
            return Err(StoreError::InvalidValue(format!(
                "value {} cannot be a primary key",
                other.display()
            )));
        }
    }
    Ok(())
}

/// The full key of a USER-table row.
pub fn user_row_key(user: &UserId, pk: &Value) -> Result<Vec<u8>> {
    let mut key = user_prefix(user);
    push_pk(&mut key, pk)?;
    Ok(key)
}

/// The full key of a SHARED-table row.
pub fn shared_row_key(pk: &Value) -> Result<Vec<u8>> {
    let mut key = Vec::with_capacity(16);
    push_pk(&mut key, pk)?;
    Ok(key)
}

/// The full key of a STREAM-table row.
pub fn stream_row_key(user: &UserId, seq: i64) -> Vec<u8> {
    let mut key = user_prefix(user);
    key.extend_from_slice(&encode_i64(seq));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_sort_like_numbers() {
        let values = [i64::MIN, -5, -1, 0, 1, 42, i64::MAX];
        let encoded: Vec<_> = values.iter().map(|v| encode_i64(*v)).collect();
        let mut sorted = encoded.clone();
        sorted.sort();
        assert_eq!(encoded, sorted);
        for v in values {
            assert_eq!(decode_i64(&encode_i64(v)), Some(v));
        }
    }

    #[test]
    fn user_ranges_are_disjoint_and_contiguous() {
        let a = user_row_key(&UserId::new("ab"), &Value::Int(1)).unwrap_or_default();
        let b = user_row_key(&UserId::new("abc"), &Value::Int(1)).unwrap_or_default();
        assert!(a.starts_with(&user_prefix(&UserId::new("ab"))));
        assert!(!b.starts_with(&user_prefix(&UserId::new("ab"))));
        let k1 = user_row_key(&UserId::new("u"), &Value::Int(-3)).unwrap_or_default();
        let k2 = user_row_key(&UserId::new("u"), &Value::Int(7)).unwrap_or_default();
        assert!(k1 < k2);
    }

    #[test]
    fn text_keys_round_trip() {
        let key = shared_row_key(&Value::Text("hello".into())).unwrap_or_default();
        assert_eq!(key, b"hello");
        assert!(shared_row_key(&Value::Null).is_err());
    }

    #[test]
    fn cf_names_follow_the_layout() {
        let t = TableId::new("app", "messages");
        assert_eq!(user_table_cf(ShardId(3), &t), "user.s03.app.messages");
        assert_eq!(shared_table_cf(&t), "shared.app.messages");
    }
}
