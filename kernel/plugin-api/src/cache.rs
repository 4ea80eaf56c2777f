//! `Cache`: anything that caches registers here, so `CLEAR CACHE` and `SHOW CACHES` reach all.

pub trait Cache: Send + Sync {
    /// The registered name, e.g. `plan`.
    fn name(&self) -> &str;
    /// Entries currently held.
    fn entries(&self) -> usize;
    /// Approximate bytes held; 0 when unknown.
    fn bytes(&self) -> usize {
        0
    }
    /// Drops every entry.
    fn clear(&self);
}
