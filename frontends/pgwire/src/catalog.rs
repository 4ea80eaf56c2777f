//! PostgreSQL's `pg_catalog` for psql's `\dt` / `\d` and drivers' introspection, from
//! `datafusion-pg-catalog`: its schema provider over each caller's catalog list (so a caller
//! sees the namespaces and tables its role may list), its functions (`format_type`,
//! `pg_table_is_visible`, `pg_get_userbyid`, ...), and its planner for `regclass`-style types.
//! Installed into the engine as a [`SqlExtension`] when the front end starts.
//!
//! Queries that read the catalog, or that KalamDB's own parser refuses, are parsed with the
//! crate's PostgreSQL compatibility parser, which rewrites what psql sends
//! (`OPERATOR(pg_catalog.~)`, `'t'::regclass`) into what DataFusion plans.

use datafusion::catalog::{CatalogProviderList, SchemaProvider};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::ScalarUDF;
use datafusion::sql::sqlparser::ast;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::{
    self as pg, PgCatalogSchemaProvider, PgCatalogStaticTables,
};
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use kalamdb_core::exec::df_catalog::CATALOG_NAME;
use kalamdb_core::exec::extension::SqlExtension;
use std::sync::{Arc, LazyLock};

pub(crate) struct PgCatalog {
    tables: Arc<PgCatalogStaticTables>,
}

impl PgCatalog {
    pub fn new() -> Result<Self, String> {
        Ok(Self {
            tables: Arc::new(PgCatalogStaticTables::try_new().map_err(|e| e.to_string())?),
        })
    }
}

impl SqlExtension for PgCatalog {
    fn name(&self) -> &str {
        "pg_catalog"
    }

    fn schemas(
        &self,
        list: Arc<dyn CatalogProviderList>,
    ) -> Vec<(String, Arc<dyn SchemaProvider>)> {
        match PgCatalogSchemaProvider::try_new(list, self.tables.clone(), EmptyContextProvider) {
            Ok(schema) => vec![("pg_catalog".to_string(), Arc::new(schema))],
            Err(e) => {
                tracing::warn!("pg_catalog unavailable: {e}");
                Vec::new()
            }
        }
    }

    fn udfs(&self) -> Vec<ScalarUDF> {
        use datafusion_pg_catalog::pg_catalog::{
            array_bounds_udf, format_type, has_privilege_udf, pg_get_expr_udf, quote_ident_udf,
        };
        vec![
            pg::create_current_database_udf(CATALOG_NAME),
            pg::create_current_schema_udf(),
            pg::create_current_schemas_udf(),
            pg::create_pg_get_userbyid_udf(),
            has_privilege_udf::create_has_privilege_udf("has_table_privilege"),
            has_privilege_udf::create_has_privilege_udf("has_schema_privilege"),
            has_privilege_udf::create_has_privilege_udf("has_database_privilege"),
            has_privilege_udf::create_has_privilege_udf("has_any_column_privilege"),
            pg::create_pg_table_is_visible(),
            format_type::create_format_type_udf(),
            pg::create_session_user_udf(),
            pg_get_expr_udf::create_pg_get_expr_udf(),
            pg::create_pg_get_partkeydef_udf(),
            pg::create_pg_relation_is_publishable_udf(),
            pg::create_pg_get_statisticsobjdef_columns_udf(),
            pg::create_pg_encoding_to_char_udf(),
            pg::create_pg_backend_pid_udf(),
            pg::create_pg_relation_size_udf(),
            pg::create_pg_total_relation_size_udf(),
            pg::create_pg_stat_get_numscans(),
            pg::create_pg_get_constraintdef(),
            pg::create_pg_get_partition_ancestors_udf(),
            quote_ident_udf::create_quote_ident_udf(),
            quote_ident_udf::create_parse_ident_udf(),
            array_bounds_udf::create_array_upper_udf(),
            array_bounds_udf::create_array_lower_udf(),
        ]
    }

    fn configure(&self, builder: SessionStateBuilder) -> SessionStateBuilder {
        builder.with_type_planner(Arc::new(pg::oid_type_planner::PgOidTypePlanner))
    }
}

static PARSER: LazyLock<PostgresCompatibilityParser> =
    LazyLock::new(PostgresCompatibilityParser::new);

/// Whether a query looks like catalog introspection (what psql's backslash commands and
/// drivers send).
pub(crate) fn is_introspection(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    lower.contains("pg_")
        || lower.contains("information_schema")
        || lower.contains("::reg")
        || lower.contains("operator(")
}

/// `sql` as one read, parsed and rewritten by the compatibility parser; `None` when it is not
/// exactly one read.
pub(crate) fn compat_read(sql: &str) -> Option<ast::Statement> {
    let mut statements = PARSER.parse(sql).ok()?;
    if statements.len() != 1 {
        return None;
    }
    let statement = statements.pop()?;
    matches!(statement, ast::Statement::Query(_)).then_some(statement)
}
