//! The rustyline helper of the shell: Tab completion from the [`Catalog`], aware of the
//! current namespace and of the earlier lines of a statement being typed.

use super::catalog::Catalog;
use super::complete;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

#[derive(Default)]
pub struct KalamHelper {
    pub catalog: Catalog,
    pub namespace: Option<String>,
    /// Earlier lines of the statement being typed.
    pub pending: String,
}

impl Completer for KalamHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete::complete(
            &self.catalog,
            self.namespace.as_deref(),
            &self.pending,
            line,
            pos,
        ))
    }
}

impl Hinter for KalamHelper {
    type Hint = String;
}

impl Highlighter for KalamHelper {}

impl Validator for KalamHelper {}

impl Helper for KalamHelper {}
