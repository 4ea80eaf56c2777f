//! The cache conformance suite: a cache has a name, counts what it holds, and holds nothing
//! after `clear` (what `CLEAR CACHE` relies on).

use crate::cache::Cache;

/// Runs the suite. `fill` must put at least one entry into the cache.
pub fn run(cache: &dyn Cache, fill: impl Fn()) -> Result<(), String> {
    if cache.name().is_empty() {
        return Err("a cache needs a name".into());
    }
    cache.clear();
    if cache.entries() != 0 {
        return Err(format!("{} entries after clear()", cache.entries()));
    }
    fill();
    if cache.entries() == 0 {
        return Err("entries() is 0 after the fill".into());
    }
    cache.clear();
    if cache.entries() != 0 {
        return Err(format!(
            "{} entries after clear() of a filled cache",
            cache.entries()
        ));
    }
    if cache.bytes() != 0 {
        return Err(format!("bytes() is {} after clear()", cache.bytes()));
    }
    // Clearing an empty cache is fine, and filling works again after it.
    cache.clear();
    fill();
    if cache.entries() == 0 {
        return Err("entries() is 0 after filling a cleared cache".into());
    }
    cache.clear();
    Ok(())
}
