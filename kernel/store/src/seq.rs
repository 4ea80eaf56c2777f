//! `_seq` values: snowflake ids, 41 bits of milliseconds since 2024-01-01, 10 bits of node id
//! and 12 bits of sequence. The generator is monotonic across threads: a value is never issued
//! twice and never goes backwards, even if the wall clock does.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 2024-01-01T00:00:00Z in Unix milliseconds.
pub const EPOCH_MS: i64 = 1_704_067_200_000;

pub struct SeqGenerator {
    node: i64,
    last: AtomicI64,
}

impl SeqGenerator {
    pub fn new(node: u16) -> Self {
        Self {
            node: i64::from(node & 0x3ff),
            last: AtomicI64::new(0),
        }
    }

    /// The next id, strictly greater than every id issued before by this generator.
    pub fn next(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(EPOCH_MS);
        let base = ((now - EPOCH_MS).max(0) << 22) | (self.node << 12);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = if base > last { base } else { last + 1 };
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }

    /// Makes every later id greater than `floor` (the largest id issued before a restart).
    pub fn raise_floor(&self, floor: i64) {
        self.last.fetch_max(floor, Ordering::AcqRel);
    }

    /// Milliseconds since the Unix epoch at which `seq` was issued.
    pub fn unix_millis(seq: i64) -> i64 {
        (seq >> 22) + EPOCH_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_strictly_increasing() {
        let generator = SeqGenerator::new(1);
        let mut prev = 0;
        for _ in 0..10_000 {
            let id = generator.next();
            assert!(id > prev);
            prev = id;
        }
        let ms = SeqGenerator::unix_millis(prev);
        assert!(ms > EPOCH_MS);
    }

    #[test]
    fn a_floor_from_the_future_keeps_ids_above_it() {
        // As after a restart whose clock went back an hour.
        let generator = SeqGenerator::new(1);
        let floor = generator.next() + (3_600_000 << 22);
        generator.raise_floor(floor);
        assert!(generator.next() > floor);
        assert!(generator.next() > floor + 1);
    }
}
