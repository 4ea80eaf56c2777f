//! Abuse limits: token buckets keyed by user (queries) or by client address (logins), and
//! bounded slots of open WebSocket connections per user.
//! A bucket holds up to `burst` tokens and refills at `per_second`; a request takes one.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Buckets kept before idle (full) ones are dropped.
const MAX_TRACKED_KEYS: usize = 100_000;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` = 0 disables the limit.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Takes a token for `key`; false when the bucket is empty.
    pub fn allow(&self, key: &str) -> bool {
        self.allow_at(key, Instant::now())
    }

    pub fn allow_at(&self, key: &str, now: Instant) -> bool {
        if !self.enabled() {
            return true;
        }
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_TRACKED_KEYS {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * self.per_second;
        *tokens = (*tokens + refill).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Open connections per key (user), bounded; a slot is given back when its guard drops.
pub struct ConnectionSlots {
    most: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One held connection slot.
pub struct Slot {
    key: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl ConnectionSlots {
    pub fn new(most: usize) -> Self {
        Self {
            most: most.max(1),
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn most(&self) -> usize {
        self.most
    }

    /// A slot for `key`, or `None` when it already holds the most.
    pub fn take(&self, key: &str) -> Option<Slot> {
        let mut open = self.open.lock();
        let n = open.entry(key.to_string()).or_insert(0);
        if *n >= self.most {
            return None;
        }
        *n += 1;
        Some(Slot {
            key: key.to_string(),
            open: self.open.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock();
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;
    use std::time::{Duration, Instant};

    #[test]
    fn a_bucket_empties_and_refills() {
        let limiter = RateLimiter::new(2.0, 3.0);
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.allow_at("alice", t0)));
        assert!(!limiter.allow_at("alice", t0), "burst used up");
        assert!(limiter.allow_at("bob", t0), "buckets are per key");
        assert!(limiter.allow_at("alice", t0 + Duration::from_millis(500)));
        assert!(!limiter.allow_at("alice", t0 + Duration::from_millis(500)));
    }

    #[test]
    fn zero_disables() {
        let limiter = RateLimiter::new(0.0, 1.0);
        let t0 = Instant::now();
        assert!((0..1000).all(|_| limiter.allow_at("x", t0)));
    }
}
