//! DataFusion errors in the kernel's terms, with PostgreSQL's wording where it has one.

use crate::error::KalamError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use kalamdb_sql::syntax_error;

/// The DataFusion catalog KalamDB registers its namespaces in.
pub const CATALOG_NAME: &str = "kalam";

pub fn translate(err: DataFusionError) -> KalamError {
    match err {
        DataFusionError::External(inner) => match inner.downcast::<KalamError>() {
            Ok(kalam) => *kalam,
            Err(other) => match other.downcast::<DataFusionError>() {
                Ok(df) => translate(*df),
                Err(other) => KalamError::Execution(other.to_string()),
            },
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            translate(*inner)
        }
        DataFusionError::Shared(shared) => translate_ref(&shared),
        DataFusionError::SQL(parser, _) => KalamError::Syntax(syntax_error::translate(&parser)),
        DataFusionError::SchemaError(schema, _) => match *schema {
            SchemaError::FieldNotFound { field, .. } => {
                KalamError::Execution(format!("column \"{}\" does not exist", field.name()))
            }
            SchemaError::AmbiguousReference { field } => KalamError::Execution(format!(
                "column reference \"{}\" is ambiguous",
                field.name()
            )),
            other => KalamError::Execution(other.to_string()),
        },
        DataFusionError::Plan(msg) => plan_message(&msg),
        DataFusionError::NotImplemented(msg) => KalamError::Unsupported(msg),
        DataFusionError::Execution(msg) => KalamError::Execution(msg),
        DataFusionError::ArrowError(e, _) => KalamError::Execution(e.to_string()),
        DataFusionError::Internal(msg) => KalamError::Internal(msg),
        other => KalamError::Execution(other.message().to_string()),
    }
}

fn translate_ref(err: &DataFusionError) -> KalamError {
    match err {
        DataFusionError::External(inner) => match inner.downcast_ref::<KalamError>() {
            Some(k) => KalamError::Execution(k.to_string()),
            None => KalamError::Execution(inner.to_string()),
        },
        other => KalamError::Execution(other.message().to_string()),
    }
}

fn plan_message(msg: &str) -> KalamError {
    // "table 'kalam.app.x' not found"
    if let Some(start) = msg.find("table '")
        && let Some(len) = msg[start + 7..].find("' not found")
    {
        let name = &msg[start + 7..start + 7 + len];
        let name = name
            .strip_prefix(&format!("{}.", CATALOG_NAME))
            .unwrap_or(name);
        return KalamError::TableNotFound(name.to_string());
    }
    if let Some(start) = msg.find("Invalid function '") {
        let rest = &msg[start + 18..];
        let name = rest.split('\'').next().unwrap_or(rest);
        return KalamError::Execution(format!("function {name}() does not exist"));
    }
    KalamError::Execution(msg.to_string())
}
