//! `\watch [SECONDS]`: runs a query again and again, as psql does: the statement being typed,
//! else the last one sent. Each run prints a header with the time and the interval, then the
//! result. Ctrl-C (while waiting or while the query runs) or a failing run ends it.

use super::Shell;
use crate::query::{self, Outcome};
use kalam_link::chrono::{SecondsFormat, Utc};
use std::time::Duration;

impl Shell<'_> {
    /// `\watch` with an empty query buffer: the last statement sent.
    pub(super) fn watch_last(&mut self, seconds: f64) {
        match self.last_sql.clone() {
            Some(sql) => self.watch(&sql, seconds),
            None => eprintln!("\\watch cannot be used with an empty query"),
        }
    }

    pub(super) fn watch(&mut self, sql: &str, seconds: f64) {
        self.last_sql = Some(sql.to_string());
        let session = self.session;
        let client = &session.client;
        let interval = Duration::from_secs_f64(seconds);
        let every = format_interval(seconds);
        let sql = &crate::interpolate::interpolate(sql, &self.vars);
        loop {
            let started = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
            let outcome = query::run(
                self.runtime,
                client,
                sql,
                self.namespace.as_deref(),
                self.printer.spinner,
            );
            match outcome {
                Outcome::Done(Ok(response)) => {
                    self.printer.text(&format!("{started} (every {every})\n"));
                    self.printer.response(&response);
                }
                Outcome::Done(Err(err)) => {
                    self.printer.error(client.url(), &err, Some(sql));
                    return;
                }
                Outcome::Cancelled => return,
            }
            let interrupted = self.runtime.block_on(async {
                tokio::select! {
                    () = tokio::time::sleep(interval) => false,
                    _ = tokio::signal::ctrl_c() => true,
                }
            });
            if interrupted {
                return;
            }
        }
    }
}

/// `2s`, `0.5s`.
fn format_interval(seconds: f64) -> String {
    if seconds.fract() == 0.0 {
        format!("{seconds:.0}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::format_interval;

    #[test]
    fn intervals_print_like_psql() {
        assert_eq!(format_interval(2.0), "2s");
        assert_eq!(format_interval(0.5), "0.5s");
    }
}
