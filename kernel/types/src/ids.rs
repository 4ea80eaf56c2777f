//! Typed identifiers. Names fold to lower case when they come from unquoted SQL; the newtypes
//! keep whatever they are given, so folding happens once, in the SQL front end.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a name as given.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_string())
            }
        }
    };
}

string_id!(
    /// A namespace (PostgreSQL's schema): `app` in `app.messages`.
    NamespaceId
);
string_id!(
    /// A table's name inside its namespace: `messages` in `app.messages`.
    TableName
);
string_id!(
    /// A user's id; the login name. `sub` in tokens.
    UserId
);
string_id!(
    /// A storage's id in `system.storages`, e.g. `local`.
    StorageId
);
string_id!(
    /// A job's id in `system.jobs`, e.g. `FL-...`.
    JobId
);

/// A fully qualified table: namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableId {
    pub namespace: NamespaceId,
    pub table: TableName,
}

impl TableId {
    pub fn new(namespace: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            namespace: NamespaceId::new(namespace),
            table: TableName::new(table),
        }
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.namespace, self.table)
    }
}

/// The shard a user's rows live in: `hash(user_id) mod user_shards`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ShardId(pub u32);

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{:02}", self.0)
    }
}

impl ShardId {
    /// The stable shard of a user: FNV-1a over the id's bytes, modulo the shard count.
    /// FNV is fixed forever here because the shard is part of the on-disk layout.
    pub fn of_user(user: &UserId, user_shards: u32) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in user.as_str().as_bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Self((hash % u64::from(user_shards.max(1))) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_is_stable_and_in_range() {
        let alice = UserId::new("alice");
        let first = ShardId::of_user(&alice, 8);
        assert_eq!(first, ShardId::of_user(&alice, 8));
        assert!(first.0 < 8);
        // Pinned: the shard is on-disk layout, a change here would orphan data.
        assert_eq!(ShardId::of_user(&UserId::new("alice"), 8).0, 7);
        assert_eq!(format!("{}", ShardId(3)), "s03");
    }
}
