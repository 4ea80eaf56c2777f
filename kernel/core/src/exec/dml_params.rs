//! The types of `$n` placeholders in INSERT, UPDATE and DELETE, for the extended query
//! protocol's Describe: a placeholder takes the type of the column it is stored in (VALUES
//! position, SET target) or compared with (`col = $1`, `col IN ($1, $2)`,
//! `col BETWEEN $1 AND $2`). One met nowhere stays unknown and is coerced where it is used.

use crate::catalog::TableEntry;
use crate::catalog::schema::arrow_schema;
use crate::engine::{Engine, Session};
use crate::error::Result;
use crate::sql::Statement;
use crate::sql::parser::fold;
use datafusion::arrow::datatypes::{Field, SchemaRef};
use datafusion::sql::sqlparser::ast::{
    self, AssignmentTarget, Expr, FromTable, ObjectNamePart, SetExpr, TableObject, Visit, Visitor,
};
use std::ops::ControlFlow;

/// `$n` → its 1-based number.
fn placeholder(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(v) => match &v.value {
            ast::Value::Placeholder(p) => p.strip_prefix('$')?.parse().ok().filter(|n| *n >= 1),
            _ => None,
        },
        Expr::Nested(inner) => placeholder(inner),
        Expr::Cast { .. } => None,
        _ => None,
    }
}

/// The column's Arrow field, with the KalamDB type in its metadata (JSON, UUID, FILE).
fn column_type(schema: &SchemaRef, name: &str) -> Option<Field> {
    schema.field_with_name(name).ok().cloned()
}

fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) => Some(fold(i)),
        Expr::CompoundIdentifier(parts) => parts.last().map(fold),
        Expr::Nested(inner) => column_name(inner),
        _ => None,
    }
}

struct Types {
    schema: SchemaRef,
    found: Vec<Option<Field>>,
}

impl Types {
    fn set(&mut self, n: usize, ty: Option<Field>) {
        if self.found.len() < n {
            self.found.resize(n, None);
        }
        if self.found[n - 1].is_none() {
            self.found[n - 1] = ty;
        }
    }

    /// `col <op> $n` and the like.
    fn compare(&mut self, column: &Expr, other: &Expr) {
        if let (Some(col), Some(n)) = (column_name(column), placeholder(other)) {
            let ty = column_type(&self.schema, &col);
            self.set(n, ty);
        }
    }
}

impl Visitor for Types {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::BinaryOp { left, right, .. } => {
                self.compare(left, right);
                self.compare(right, left);
            }
            Expr::InList { expr, list, .. } => {
                for item in list {
                    self.compare(expr, item);
                }
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                self.compare(expr, low);
                self.compare(expr, high);
            }
            Expr::Value(_) => {
                if let Some(n) = placeholder(expr) {
                    self.set(n, None);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The parameter types of a DML statement, by position.
pub(super) fn param_types(
    engine: &Engine,
    session: &Session,
    statement: &Statement,
) -> Result<Vec<Option<Field>>> {
    let (entry, stored): (std::sync::Arc<TableEntry>, Vec<(usize, Option<Field>)>) = match statement
    {
        Statement::Insert(insert) => {
            let TableObject::TableName(name) = &insert.table else {
                return Ok(Vec::new());
            };
            let entry = engine.dml_table(session, name)?;
            let schema = arrow_schema(&entry.def);
            let targets: Vec<Option<Field>> = if insert.columns.is_empty() {
                entry
                    .def
                    .columns
                    .iter()
                    .map(|c| column_type(&schema, &c.name))
                    .collect()
            } else {
                insert
                    .columns
                    .iter()
                    .map(|c| match c.0.last() {
                        Some(ObjectNamePart::Identifier(i)) => column_type(&schema, &fold(i)),
                        _ => None,
                    })
                    .collect()
            };
            let mut stored = Vec::new();
            if let Some(source) = &insert.source
                && let SetExpr::Values(values) = source.body.as_ref()
            {
                for row in &values.rows {
                    for (i, e) in row.content.iter().enumerate() {
                        if let Some(n) = placeholder(e) {
                            stored.push((n, targets.get(i).cloned().flatten()));
                        }
                    }
                }
            }
            (entry, stored)
        }
        Statement::Update(update) => {
            let (name, _) = Engine::target_table(&update.table)?;
            let entry = engine.dml_table(session, name)?;
            let schema = arrow_schema(&entry.def);
            let mut stored = Vec::new();
            for a in &update.assignments {
                if let (AssignmentTarget::ColumnName(col), Some(n)) =
                    (&a.target, placeholder(&a.value))
                {
                    let ty = match col.0.last() {
                        Some(ObjectNamePart::Identifier(i)) => column_type(&schema, &fold(i)),
                        _ => None,
                    };
                    stored.push((n, ty));
                }
            }
            (entry, stored)
        }
        Statement::Delete(delete) => {
            let tables = match &delete.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let [table] = tables.as_slice() else {
                return Ok(Vec::new());
            };
            let (name, _) = Engine::target_table(table)?;
            (engine.dml_table(session, name)?, Vec::new())
        }
        _ => return Ok(Vec::new()),
    };
    let mut types = Types {
        schema: arrow_schema(&entry.def),
        found: Vec::new(),
    };
    for (n, ty) in stored {
        types.set(n, ty);
    }
    let _ = match statement {
        Statement::Insert(i) => i.visit(&mut types),
        Statement::Update(u) => u.visit(&mut types),
        Statement::Delete(d) => d.visit(&mut types),
        _ => ControlFlow::Continue(()),
    };
    Ok(types.found)
}
