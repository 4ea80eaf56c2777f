//! The catalog as DataFusion sees it: one catalog `kalam`, one schema per namespace plus
//! `system`. Providers are looked up per query, so DDL is visible at once.

use super::provider::HotTableProvider;
use super::system_tables::{SystemSources, SystemTable, SystemTableProvider};
use crate::catalog::Catalog;
use crate::store::HotStore;
use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::Result;
pub use kalamdb_base::df_error::CATALOG_NAME;
use kalamdb_types::{NamespaceId, Role, TableId};
use std::sync::Arc;
pub const SYSTEM_SCHEMA: &str = "system";

pub struct KalamCatalog {
    /// The engine's components the catalog and the system tables read.
    pub sources: SystemSources,
    /// The caller's role: listings (`information_schema`, what DataFusion enumerates) show only
    /// the tables it may read, as PostgreSQL's do. `None`: everything (the base state).
    pub listing_role: Option<Role>,
    /// Schemas SQL extensions add (see [`super::extension`]).
    pub extra: super::extension::ExtraSchemas,
}

impl KalamCatalog {
    pub fn new(sources: &SystemSources, listing_role: Option<Role>) -> Self {
        Self {
            sources: sources.clone(),
            listing_role,
            extra: Arc::default(),
        }
    }

    fn extra_schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        self.extra
            .get()?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
    }
}

impl std::fmt::Debug for KalamCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KalamCatalog")
    }
}

impl CatalogProvider for KalamCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .sources
            .catalog
            .namespaces()
            .into_iter()
            .map(|n| n.namespace_id.to_string())
            .collect();
        if self.listing_role.is_none_or(Role::is_admin) {
            names.push(SYSTEM_SCHEMA.to_string());
        }
        if let Some(extra) = self.extra.get() {
            names.extend(extra.iter().map(|(n, _)| n.clone()));
        }
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if let Some(schema) = self.extra_schema(name) {
            return Some(schema);
        }
        if name == SYSTEM_SCHEMA {
            return Some(Arc::new(SystemSchema {
                sources: self.sources.clone(),
            }));
        }
        let ns = NamespaceId::new(name);
        self.sources.catalog.namespace(&ns)?;
        Some(Arc::new(NamespaceSchema {
            namespace: ns,
            catalog: self.sources.catalog.clone(),
            store: self.sources.store.clone(),
            cold: self.sources.cold.clone(),
            listing_role: self.listing_role,
        }))
    }
}

struct NamespaceSchema {
    namespace: NamespaceId,
    catalog: Arc<Catalog>,
    store: Arc<HotStore>,
    cold: Arc<crate::cold::ColdStore>,
    listing_role: Option<Role>,
}

impl std::fmt::Debug for NamespaceSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NamespaceSchema({})", self.namespace)
    }
}

#[async_trait]
impl SchemaProvider for NamespaceSchema {
    fn table_names(&self) -> Vec<String> {
        self.catalog
            .tables_in(&self.namespace)
            .iter()
            .filter(|t| {
                self.listing_role.is_none_or(|role| {
                    super::access::authorize(
                        super::access::Caller::role(role),
                        t,
                        super::access::Intent::Read,
                    )
                    .is_ok()
                })
            })
            .map(|t| t.def.id.table.to_string())
            .collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let id = TableId::new(self.namespace.as_str(), name);
        Ok(self.catalog.table(&id).map(|entry| {
            Arc::new(HotTableProvider {
                entry,
                store: self.store.clone(),
                cold: self.cold.clone(),
            }) as Arc<dyn TableProvider>
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.catalog
            .table(&TableId::new(self.namespace.as_str(), name))
            .is_some()
    }
}

struct SystemSchema {
    sources: SystemSources,
}

impl std::fmt::Debug for SystemSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemSchema")
    }
}

#[async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        SystemTable::ALL
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(table) = SystemTable::from_name(name) else {
            return Ok(None);
        };
        let provider = SystemTableProvider::new(table, self.sources.clone())
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        Ok(Some(Arc::new(provider)))
    }

    fn table_exist(&self, name: &str) -> bool {
        SystemTable::from_name(name).is_some()
    }
}
