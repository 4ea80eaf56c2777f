//! Running one request the way a terminal user expects: a spinner with the elapsed time
//! (`⠋ running… 1.2s`) on stderr once it has taken longer than [`SPINNER_DELAY`], cleared when
//! it ends; and Ctrl-C abandoning it. HTTP has no cancel message, so Ctrl-C closes the
//! connection and stops waiting; the server may still finish the statement.

use crate::spinner;
use indicatif::ProgressBar;
use kalam_link::{KalamClient, QueryResponse, Result};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Queries faster than this never show a spinner.
pub const SPINNER_DELAY: Duration = Duration::from_millis(200);
const TICK: Duration = Duration::from_millis(100);

/// How a request ended.
pub enum Outcome {
    Done(Result<QueryResponse>),
    /// Ctrl-C was pressed before the answer arrived.
    Cancelled,
}

/// Runs `sql` (with `namespace` for unqualified names), showing the spinner when `spinner`.
pub fn run(
    runtime: &Runtime,
    client: &KalamClient,
    sql: &str,
    namespace: Option<&str>,
    spinner: bool,
) -> Outcome {
    runtime.block_on(async {
        let query = client.query_with(sql, Vec::new(), namespace);
        tokio::pin!(query);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let started = Instant::now();
        let mut ticks = tokio::time::interval(TICK);
        let mut bar: Option<ProgressBar> = None;
        let outcome = loop {
            tokio::select! {
                result = &mut query => break Outcome::Done(result),
                signal = &mut ctrl_c => {
                    // Without a signal handler Ctrl-C cannot be caught: wait for the answer.
                    if signal.is_err() {
                        break Outcome::Done(query.await);
                    }
                    break Outcome::Cancelled;
                }
                _ = ticks.tick() => {
                    let elapsed = started.elapsed();
                    if spinner && elapsed >= SPINNER_DELAY {
                        let bar = bar.get_or_insert_with(spinner::start);
                        bar.set_message(format!("running… {:.1}s", elapsed.as_secs_f64()));
                        bar.tick();
                    }
                }
            }
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        outcome
    })
}

/// Printed when Ctrl-C abandons a request.
pub const CANCELLED: &str = "Query cancelled (the server may still finish it).";
