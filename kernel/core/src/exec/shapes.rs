//! Query-shape statistics: per user and normalized statement (literals replaced by `?`, lists
//! of them folded), how often it ran, its mean and 95th-percentile latency, and the rows it
//! read from tables against the rows it returned. Kept in memory, bounded in total and per
//! user (a user sending endless distinct statements only replaces their own least-run
//! shapes), like PostgreSQL's `pg_stat_statements`.

use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use kalamdb_types::UserId;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// Longest shape text kept (longer ones are cut, with `...`).
const MAX_SHAPE_CHARS: usize = 2000;
/// Latency histogram: bucket `i` holds durations up to `GROWTH^i` microseconds.
const BUCKETS: usize = 96;
const GROWTH: f64 = 1.25;

/// Words after which `(` opens a list or a subquery, not a call: the shape keeps a space.
const SPACED_BEFORE_PAREN: &[Keyword] = &[
    Keyword::IN,
    Keyword::VALUES,
    Keyword::AS,
    Keyword::FROM,
    Keyword::JOIN,
    Keyword::ON,
    Keyword::USING,
    Keyword::OVER,
    Keyword::WHERE,
    Keyword::AND,
    Keyword::OR,
    Keyword::NOT,
    Keyword::EXISTS,
    Keyword::SELECT,
    Keyword::BY,
    Keyword::WITH,
    Keyword::INTO,
    Keyword::ANY,
    Keyword::ALL,
    Keyword::SET,
    Keyword::THEN,
    Keyword::ELSE,
    Keyword::WHEN,
];

/// The statement with literals replaced by `?` and `?, ?, ...` folded into one `?`.
pub fn normalize(sql: &str) -> String {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return sql.chars().take(MAX_SHAPE_CHARS).collect();
    };
    // The text comes from the parsed statement (keywords already upper case), so words stay
    // as they are; only literals change.
    // Each piece, and whether it is a name (a call's parenthesis follows it without a space).
    let mut out: Vec<(String, bool)> = Vec::with_capacity(tokens.len());
    for token in tokens {
        let name = matches!(&token, Token::Word(w) if !SPACED_BEFORE_PAREN.contains(&w.keyword) || w.quote_style.is_some());
        let text = match token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::DollarQuotedString(_) => "?".to_string(),
            other => other.to_string(),
        };
        // `?, ?` → `?`, so IN lists of any length are one shape.
        let n = out.len();
        if text == "?" && n >= 2 && out[n - 1].0 == "," && out[n - 2].0 == "?" {
            out.pop();
            continue;
        }
        out.push((text, name));
    }
    let mut shape = String::with_capacity(sql.len());
    let (mut glue, mut after_name) = (true, false);
    for (piece, name) in &out {
        let tight =
            matches!(piece.as_str(), "." | "," | ")" | "::") || (piece == "(" && after_name);
        if !glue && !tight {
            shape.push(' ');
        }
        shape.push_str(piece);
        glue = matches!(piece.as_str(), "." | "(" | "::");
        after_name = *name;
    }
    if shape.len() > MAX_SHAPE_CHARS {
        let mut cut = MAX_SHAPE_CHARS;
        while !shape.is_char_boundary(cut) {
            cut -= 1;
        }
        shape.truncate(cut);
        shape.push_str("...");
    }
    shape
}

/// Rows the table scans of a physical plan hold (KalamDB's providers read at planning time,
/// so this is known before the plan runs).
pub fn rows_scanned(plan: &Arc<dyn ExecutionPlan>) -> u64 {
    let mut n = 0;
    if let Some(source) = plan.downcast_ref::<DataSourceExec>()
        && let Some(memory) = source.data_source().downcast_ref::<MemorySourceConfig>()
    {
        n += memory
            .partitions()
            .iter()
            .flatten()
            .map(|b| b.num_rows() as u64)
            .sum::<u64>();
    }
    for child in plan.children() {
        n += rows_scanned(child);
    }
    n
}

/// One shape's counters.
#[derive(Clone, Debug)]
pub struct ShapeStat {
    pub count: u64,
    pub total_micros: u64,
    pub rows_scanned: u64,
    pub rows_returned: u64,
    histogram: [u32; BUCKETS],
}

impl Default for ShapeStat {
    fn default() -> Self {
        Self {
            count: 0,
            total_micros: 0,
            rows_scanned: 0,
            rows_returned: 0,
            histogram: [0; BUCKETS],
        }
    }
}

impl ShapeStat {
    fn record(&mut self, micros: u64, scanned: u64, returned: u64) {
        self.count += 1;
        self.total_micros = self.total_micros.saturating_add(micros);
        self.rows_scanned = self.rows_scanned.saturating_add(scanned);
        self.rows_returned = self.rows_returned.saturating_add(returned);
        let bucket = if micros <= 1 {
            0
        } else {
            ((micros as f64).ln() / GROWTH.ln()).ceil() as usize
        };
        let slot = &mut self.histogram[bucket.min(BUCKETS - 1)];
        *slot = slot.saturating_add(1);
    }

    pub fn mean_micros(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_micros as f64 / self.count as f64
        }
    }

    /// The 95th percentile, as the upper bound of its histogram bucket (within 25%).
    pub fn p95_micros(&self) -> f64 {
        let total: u64 = self.histogram.iter().map(|c| u64::from(*c)).sum();
        if total == 0 {
            return 0.0;
        }
        let rank = (total as f64 * 0.95).ceil() as u64;
        let mut seen = 0u64;
        for (i, c) in self.histogram.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                return GROWTH.powi(i as i32).min(self.max_plausible());
            }
        }
        self.mean_micros()
    }

    /// A percentile never exceeds the total time spent.
    fn max_plausible(&self) -> f64 {
        self.total_micros.max(1) as f64
    }
}

/// The shapes of every user.
pub struct QueryShapes {
    enabled: bool,
    capacity: usize,
    per_user: usize,
    map: Mutex<Shapes>,
}

#[derive(Default)]
struct Shapes {
    by_user: HashMap<UserId, HashMap<String, ShapeStat>>,
    total: usize,
}

impl Shapes {
    /// Removes the least-run shape of `user`, or of everyone when `user` is None (a scan of
    /// every shape: only when the total bound is reached by a new shape).
    fn evict_least_run(&mut self, user: Option<&UserId>) {
        let least = |shapes: &HashMap<String, ShapeStat>| {
            shapes
                .iter()
                .min_by_key(|(_, st)| st.count)
                .map(|(s, st)| (st.count, s.clone()))
        };
        let victim = match user {
            Some(u) => self
                .by_user
                .get(u)
                .and_then(least)
                .map(|(_, s)| (u.clone(), s)),
            None => self
                .by_user
                .iter()
                .filter_map(|(u, shapes)| least(shapes).map(|(n, s)| (n, u, s)))
                .min_by_key(|(n, _, _)| *n)
                .map(|(_, u, s)| (u.clone(), s)),
        };
        if let Some((u, s)) = victim
            && let Some(shapes) = self.by_user.get_mut(&u)
        {
            shapes.remove(&s);
            self.total -= 1;
            if shapes.is_empty() {
                self.by_user.remove(&u);
            }
        }
    }
}

impl QueryShapes {
    pub fn new(enabled: bool, capacity: usize, per_user: usize) -> Self {
        Self {
            enabled,
            capacity: capacity.max(1),
            per_user: per_user.max(1),
            map: Mutex::new(Shapes::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn record(&self, user: &UserId, shape: String, micros: u64, scanned: u64, returned: u64) {
        if !self.enabled {
            return;
        }
        let mut all = self.map.lock();
        let known = all
            .by_user
            .get(user)
            .is_some_and(|shapes| shapes.contains_key(&shape));
        if !known {
            if all.by_user.get(user).map_or(0, |s| s.len()) >= self.per_user {
                all.evict_least_run(Some(user));
            } else if all.total >= self.capacity {
                all.evict_least_run(None);
            }
            all.total += 1;
        }
        all.by_user
            .entry(user.clone())
            .or_default()
            .entry(shape)
            .or_default()
            .record(micros, scanned, returned);
    }

    /// Every shape with its user, or only `viewer`'s.
    pub fn all(&self, viewer: Option<&UserId>) -> Vec<(UserId, String, ShapeStat)> {
        let all = self.map.lock();
        let mut out: Vec<(UserId, String, ShapeStat)> = all
            .by_user
            .iter()
            .filter(|(u, _)| viewer.is_none_or(|v| *u == v))
            .flat_map(|(u, shapes)| {
                shapes
                    .iter()
                    .map(move |(s, st)| (u.clone(), s.clone(), st.clone()))
            })
            .collect();
        out.sort_by(|a, b| b.2.count.cmp(&a.2.count).then_with(|| a.1.cmp(&b.1)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_become_placeholders_and_lists_fold() {
        assert_eq!(
            normalize("SELECT * FROM app.t WHERE id = 5 AND name = 'x'"),
            "SELECT * FROM app.t WHERE id = ? AND name = ?"
        );
        assert_eq!(
            normalize("SELECT count(*), f(a, 2) FROM t WHERE x IN (1, 2)"),
            "SELECT count(*), f(a, ?) FROM t WHERE x IN (?)"
        );
        assert_eq!(
            normalize("SELECT * FROM app.t WHERE id IN (1, 2, 3)"),
            normalize("SELECT * FROM app.t WHERE id IN (7)")
        );
        assert_eq!(
            normalize("SELECT * FROM app.t WHERE id = $1"),
            "SELECT * FROM app.t WHERE id = $1"
        );
    }

    #[test]
    fn percentile_and_mean_follow_the_samples() {
        let mut s = ShapeStat::default();
        for _ in 0..95 {
            s.record(100, 10, 1);
        }
        for _ in 0..5 {
            s.record(100_000, 10, 1);
        }
        assert!((s.mean_micros() - (95.0 * 100.0 + 5.0 * 100_000.0) / 100.0).abs() < 1e-6);
        let p95 = s.p95_micros();
        assert!((100.0..=125.0).contains(&p95), "p95 {p95}");
        assert_eq!((s.rows_scanned, s.rows_returned), (1000, 100));
    }

    #[test]
    fn one_user_cannot_push_out_the_others() {
        let shapes = QueryShapes::new(true, 10, 3);
        let bob = UserId::new("bob");
        shapes.record(&bob, "SELECT 1".into(), 10, 0, 1);
        shapes.record(&bob, "SELECT 1".into(), 10, 0, 1);
        let eve = UserId::new("eve");
        for i in 0..50 {
            shapes.record(&eve, format!("SELECT {i}"), 10, 0, 1);
        }
        assert_eq!(shapes.all(Some(&bob)).len(), 1);
        let all = shapes.all(None);
        assert_eq!(all.iter().filter(|(u, _, _)| *u == eve).count(), 3);
        assert!(
            all.iter()
                .any(|(u, s, st)| *u == bob && s == "SELECT 1" && st.count == 2)
        );
    }
}
