//! `FLUSH_POLICY = 'rows:N[,interval:S]'`: a flush job starts once N rows were written since
//! the last flush, or S seconds after it when rows are pending.

/// A parsed flush policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushPolicy {
    pub rows: Option<u64>,
    pub interval_secs: Option<u64>,
}

impl FlushPolicy {
    /// Parses a validated policy text (see `check_flush_policy`).
    pub fn parse(text: &str) -> Self {
        let mut policy = Self::default();
        for part in text.split(',') {
            if let Some((key, value)) = part.trim().split_once(':')
                && let Ok(n) = value.trim().parse::<u64>()
            {
                match key.trim() {
                    "rows" => policy.rows = Some(n),
                    "interval" => policy.interval_secs = Some(n),
                    _ => {}
                }
            }
        }
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::FlushPolicy;

    #[test]
    fn parses_rows_and_interval() {
        assert_eq!(
            FlushPolicy::parse("rows:100,interval:60"),
            FlushPolicy {
                rows: Some(100),
                interval_secs: Some(60)
            }
        );
        assert_eq!(FlushPolicy::parse("interval:5").rows, None);
    }
}
