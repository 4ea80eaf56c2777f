//! SELECT, VALUES and EXPLAIN on DataFusion, with `$n` parameters bound after planning (cast
//! to the type the planner inferred, so a BIGINT sent as a JSON string still binds).

use super::access::check_plan;
use super::plan_cache::PlanKey;
use super::result::rows_result;
use super::rows::param_scalar;
use crate::engine::{Engine, Session};
use crate::error::{KalamError, Result};
use crate::value::Value;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use datafusion::common::ParamValues;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast;
use futures::StreamExt;
use kalamdb_types::wire::QueryResult;
use std::sync::Arc;

/// What a read produced, and the rows its table scans read (for the query shape).
struct Read {
    schema: Arc<Schema>,
    batches: Vec<RecordBatch>,
    scanned: u64,
}

impl Engine {
    pub(crate) async fn query(
        &self,
        session: &Session,
        statement: ast::Statement,
        params: &[Value],
    ) -> Result<QueryResult> {
        let (schema, batches) = self.query_rows(session, statement, params).await?;
        rows_result(&schema, &batches)
    }

    /// A read with the statement timeout, the plan cache and the query-shape statistics: its
    /// output schema and batches.
    pub(crate) async fn query_rows(
        &self,
        session: &Session,
        statement: ast::Statement,
        params: &[Value],
    ) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
        let started = std::time::Instant::now();
        // Rendered once: the plan cache's key and the statistics' query shape.
        let sql =
            (self.plan_cache.enabled() || self.shapes.enabled()).then(|| statement.to_string());
        let shape = sql
            .as_deref()
            .filter(|_| self.shapes.enabled())
            .map(super::shapes::normalize);
        let run = self.read(session, statement, sql, params);
        let read = match self.config.limits.timeout_for(session.role) {
            Some(limit) => tokio::time::timeout(limit, run).await.map_err(|_| {
                KalamError::StatementTimeout {
                    limit_ms: limit.as_millis(),
                    role: session.role,
                }
            })??,
            None => run.await?,
        };
        if let Some(shape) = shape {
            let returned: usize = read.batches.iter().map(|b| b.num_rows()).sum();
            self.shapes.record(
                &session.user,
                shape,
                started.elapsed().as_micros() as u64,
                read.scanned,
                returned as u64,
            );
        }
        Ok((read.schema, read.batches))
    }

    /// Plans, checks and runs a read; returns the output schema and batches.
    pub(crate) async fn run_query(
        &self,
        session: &Session,
        statement: ast::Statement,
        params: &[Value],
    ) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
        let read = self.read(session, statement, None, params).await?;
        Ok((read.schema, read.batches))
    }

    /// [`Self::run_query`], with the statement's text when the caller rendered it already,
    /// and the rows its table scans read.
    async fn read(
        &self,
        session: &Session,
        statement: ast::Statement,
        sql: Option<String>,
        params: &[Value],
    ) -> Result<Read> {
        let state = self.session_state(session)?;
        let generation = self.catalog.generation();
        let key = self.plan_cache.enabled().then(|| PlanKey {
            user: session.user.to_string(),
            namespace: session.namespace.as_ref().map(|n| n.to_string()),
            sql: sql.unwrap_or_else(|| statement.to_string()),
        });
        let cached = key
            .as_ref()
            .and_then(|k| self.plan_cache.get(k, generation));
        let plan = match cached {
            Some(plan) => plan,
            None => {
                let plan = state
                    .statement_to_plan(DfStatement::Statement(Box::new(statement)))
                    .await?;
                match &plan {
                    LogicalPlan::Ddl(_) | LogicalPlan::Dml(_) | LogicalPlan::Copy(_) => {
                        return Err(KalamError::Unsupported(
                            "this statement is not supported here".into(),
                        ));
                    }
                    _ => {}
                }
                if let Some(key) = key {
                    self.plan_cache.put(key, generation, plan.clone());
                }
                plan
            }
        };
        // Access is checked at every execution: a role may have changed since planning.
        check_plan(&plan, session)?;
        let plan = bind_params(plan, params)?;
        let schema = Arc::new(plan.schema().as_arrow().clone());
        let physical = state.create_physical_plan(&plan).await?;
        let scanned = super::shapes::rows_scanned(&physical);
        let batches = self.collect_limited(physical, state.task.clone()).await?;
        Ok(Read {
            schema,
            batches,
            scanned,
        })
    }

    /// Runs a plan to the end, refusing a result past `max_result_rows` or `max_result_bytes`
    /// as soon as it gets there (the rest is never computed).
    async fn collect_limited(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task: Arc<TaskContext>,
    ) -> Result<Vec<RecordBatch>> {
        let limits = &self.config.limits;
        let mut stream = execute_stream(plan, task)?;
        let (mut rows, mut bytes) = (0usize, 0usize);
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows();
            bytes += batch.get_array_memory_size();
            if rows > limits.max_result_rows {
                return Err(KalamError::ResultTooLarge {
                    what: "rows",
                    limit: limits.max_result_rows,
                });
            }
            if bytes > limits.max_result_bytes {
                return Err(KalamError::ResultTooLarge {
                    what: "bytes",
                    limit: limits.max_result_bytes,
                });
            }
            batches.push(batch);
        }
        Ok(batches)
    }
}

fn bind_params(plan: LogicalPlan, params: &[Value]) -> Result<LogicalPlan> {
    let types = plan.get_parameter_types()?;
    if types.is_empty() {
        if !params.is_empty() {
            return Err(KalamError::InvalidParameter(format!(
                "{} parameter(s) given but the statement has no $n placeholders",
                params.len()
            )));
        }
        return Ok(plan);
    }
    let mut highest = 0usize;
    for name in types.keys() {
        let n: usize = name
            .trim_start_matches('$')
            .parse()
            .map_err(|_| KalamError::InvalidParameter(format!("unsupported placeholder {name}")))?;
        highest = highest.max(n);
    }
    if highest > params.len() {
        return Err(KalamError::InvalidParameter(format!(
            "there is no parameter ${}: {} parameter(s) given",
            params.len() + 1,
            params.len()
        )));
    }
    let mut values = Vec::with_capacity(params.len());
    for (i, value) in params.iter().enumerate() {
        let expected = types.get(&format!("${}", i + 1)).and_then(|t| t.as_ref());
        values.push(param_scalar(value, expected)?);
    }
    Ok(plan.with_param_values(ParamValues::from(values))?)
}
