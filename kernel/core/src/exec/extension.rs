//! SQL extensions a front end installs into every caller's DataFusion session: extra schemas
//! of the `kalam` catalog and functions (pgwire installs PostgreSQL's `pg_catalog` this way).
//! An extension only adds what a query may read; statements, permission checks and writes
//! stay the engine's.

use datafusion::catalog::{CatalogProviderList, SchemaProvider};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

/// A set of schemas and functions added to every caller's session.
pub trait SqlExtension: Send + Sync {
    /// For logs and errors.
    fn name(&self) -> &str;

    /// Schemas added to the `kalam` catalog, built over the caller's catalog list (whose
    /// listings show what the caller's role may read).
    fn schemas(&self, list: Arc<dyn CatalogProviderList>)
    -> Vec<(String, Arc<dyn SchemaProvider>)>;

    /// Scalar functions registered in the caller's session.
    fn udfs(&self) -> Vec<ScalarUDF> {
        Vec::new()
    }

    /// Other changes to the caller's session (type planners, ...).
    fn configure(&self, builder: SessionStateBuilder) -> SessionStateBuilder {
        builder
    }
}

/// The extra schemas of one caller's `kalam` catalog, set once the caller's list exists.
pub type ExtraSchemas = Arc<std::sync::OnceLock<Vec<(String, Arc<dyn SchemaProvider>)>>>;
