//! What a statement produced, before a front end encodes it, and what a statement will take
//! and produce, before it runs (the extended query protocol's Describe).
//!
//! HTTP turns an [`Output`] into the JSON envelope of API.md; pgwire encodes the Arrow rows of
//! a read straight into PostgreSQL's row format, with no JSON in between. Both got it from the
//! one dispatcher ([`Engine::execute_output`]).

use super::dml_params;
use super::result::rows_result;
use crate::engine::{Engine, Session};
use crate::error::Result;
use crate::sql::Statement;
use crate::value::Value;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, SchemaRef};
use datafusion::sql::parser::Statement as DfStatement;
use kalamdb_types::wire::QueryResult;

/// A statement's outcome.
pub enum Output {
    /// The rows of a read, as DataFusion produced them.
    Rows {
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    },
    /// Anything else: a message with a row count, or rows already in the wire form (SHOW ...).
    Result(QueryResult),
}

impl Output {
    /// Rows returned, or rows affected.
    pub fn row_count(&self) -> usize {
        match self {
            Output::Rows { batches, .. } => batches.iter().map(|b| b.num_rows()).sum(),
            Output::Result(r) => r.row_count,
        }
    }

    /// The HTTP wire form.
    pub fn into_wire(self) -> Result<QueryResult> {
        match self {
            Output::Rows { schema, batches } => rows_result(&schema, &batches),
            Output::Result(r) => Ok(r),
        }
    }
}

/// What a statement takes and returns, known before it runs.
#[derive(Debug, Default)]
pub struct Description {
    /// The type of each `$n`, by position, as an Arrow field whose metadata carries the
    /// KalamDB type where Arrow's is not enough (JSON, UUID). `None`: the engine cannot tell;
    /// the value is taken as text and coerced where it is used.
    pub params: Vec<Option<Field>>,
    /// The columns of the rows it returns; `None` when it returns no rows, or when only
    /// running it tells (SHOW and DESCRIBE statements).
    pub schema: Option<SchemaRef>,
}

impl Engine {
    /// Plans `statement` for `session` without running it: parameter types and result
    /// columns. Reads are planned by DataFusion (and checked for access, as a run would);
    /// INSERT, UPDATE and DELETE take their parameter types from the columns they meet.
    pub async fn describe(&self, session: &Session, statement: &Statement) -> Result<Description> {
        match statement {
            Statement::Query(stmt) => {
                let state = self.session_state(session)?;
                let plan = state
                    .statement_to_plan(DfStatement::Statement(stmt.clone()))
                    .await?;
                super::access::check_plan(&plan, session)?;
                let types = plan.get_parameter_types()?;
                let mut params = vec![None; types.len()];
                for (name, ty) in types {
                    if let Some(i) = name
                        .strip_prefix('$')
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| *n >= 1)
                    {
                        if params.len() < i {
                            params.resize(i, None);
                        }
                        params[i - 1] = ty.map(|t| Field::new(name.clone(), t, true));
                    }
                }
                Ok(Description {
                    params,
                    schema: Some(std::sync::Arc::new(plan.schema().as_arrow().clone())),
                })
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => Ok(Description {
                params: dml_params::param_types(self, session, statement)?,
                schema: None,
            }),
            _ => Ok(Description::default()),
        }
    }

    /// Executes one typed statement, and audits it: [`Engine::execute`] without the JSON.
    pub async fn execute_output(
        &self,
        session: &mut Session,
        statement: Statement,
        params: &[Value],
    ) -> Result<Output> {
        let subject = crate::audit::describe(&statement);
        let counter = match &statement {
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                Some(&self.stats.rows_written)
            }
            Statement::Query(_) => Some(&self.stats.rows_read),
            _ => None,
        };
        let result = match statement {
            Statement::Query(stmt) => self
                .query_rows(session, *stmt, params)
                .await
                .map(|(schema, batches)| Output::Rows { schema, batches }),
            other => self
                .execute_unaudited(session, other, params)
                .await
                .map(Output::Result),
        };
        if let (Some(counter), Ok(r)) = (counter, &result) {
            counter.fetch_add(r.row_count() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        let outcome = result.as_ref().map(|_| ());
        if subject.is_some()
            || matches!(
                outcome,
                Err(crate::error::KalamError::PermissionDenied { .. })
            )
        {
            self.audit.statement(session, subject, &outcome).await;
        }
        result
    }
}
