//! Generated ids and the clock: the same generators serve SQL functions, column defaults, job,
//! audit and session ids.

use kalamdb_store::seq::SeqGenerator;
use std::sync::OnceLock;

fn snowflake() -> &'static SeqGenerator {
    static GEN: OnceLock<SeqGenerator> = OnceLock::new();
    GEN.get_or_init(|| SeqGenerator::new(2))
}

/// A new snowflake id (time-ordered 64-bit integer).
pub fn snowflake_id() -> i64 {
    snowflake().next()
}

/// A new UUID version 7 (time-ordered), hyphenated.
pub fn uuid_v7() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// A new ULID: 48 bits of milliseconds and 80 random bits, Crockford base32.
pub fn ulid() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    // Monotonic within the process (the ULID spec's monotonic mode): two ids made in the same
    // millisecond still sort in the order they were made.
    static LAST: std::sync::Mutex<u128> = std::sync::Mutex::new(0);
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u128;
    let random: u128 = rand::random::<u128>() & ((1u128 << 80) - 1);
    let value = {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = (ms << 80) | random;
        *last = if fresh > *last { fresh } else { *last + 1 };
        *last
    };
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Now, in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

#[cfg(test)]
mod ulid_tests {
    #[test]
    fn ulids_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..2000).map(|_| super::ulid()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
    }
}
