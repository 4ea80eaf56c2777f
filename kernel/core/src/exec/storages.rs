//! Storages: CREATE/ALTER/DROP STORAGE, SHOW STORAGES, STORAGE CHECK. A storage's type must be
//! provided by a registered `StorageBackendFactory`; its path templates are checked here.

use super::access::require;
use super::result::{message_result, rows_result};
use super::system_tables::ViewBuilder;
use crate::catalog::model::StorageRecord;
use crate::engine::{Engine, Session, now_micros};
use crate::error::{KalamError, Result};
use crate::plugin::{StorageBackend, StorageConfig};
use crate::sql::statement::{StorageChange, StorageSpec};
use futures::TryStreamExt;
use kalamdb_types::wire::QueryResult;
use kalamdb_types::{Role, StorageId};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use std::sync::Arc;
use std::time::Instant;

const PLACEHOLDERS: [&str; 4] = ["namespace", "tableName", "shard", "userId"];

fn placeholders(template: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or_else(|| {
            KalamError::InvalidDefinition(format!("template '{template}' has an unclosed '{{'"))
        })?;
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(KalamError::InvalidDefinition(format!(
                "template '{template}' uses unknown placeholder {{{name}}}; use {{namespace}}, {{tableName}}, {{shard}}, {{userId}}"
            )));
        }
        out.push(name);
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// Checks the ordering rules: shared `{namespace}` then `{tableName}`; user needs `{userId}`,
/// in the order `{namespace}` → `{tableName}` → `{shard}` → `{userId}`.
pub fn validate_templates(shared: &str, user: &str) -> Result<()> {
    let s = placeholders(shared)?;
    if s != ["namespace", "tableName"] {
        return Err(KalamError::InvalidDefinition(format!(
            "SHARED_TABLES_TEMPLATE '{shared}' must contain {{namespace}} then {{tableName}}, and no user placeholders"
        )));
    }
    let u = placeholders(user)?;
    if !u.contains(&"userId") {
        return Err(KalamError::InvalidDefinition(format!(
            "USER_TABLES_TEMPLATE '{user}' must contain {{userId}}"
        )));
    }
    let rank = |p: &str| PLACEHOLDERS.iter().position(|x| *x == p).unwrap_or(0);
    if u.windows(2).any(|w| rank(w[0]) >= rank(w[1])) {
        return Err(KalamError::InvalidDefinition(format!(
            "USER_TABLES_TEMPLATE '{user}' must keep the order {{namespace}} → {{tableName}} → {{shard}} → {{userId}}, each at most once"
        )));
    }
    Ok(())
}

fn check_json(what: &str, text: &str) -> Result<()> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(KalamError::InvalidDefinition(format!(
            "{what} must be a JSON object, e.g. '{{\"key\":\"value\"}}'"
        ))),
    }
}

impl Engine {
    fn storage_config(record: &StorageRecord) -> StorageConfig {
        StorageConfig {
            storage_id: record.storage_id.to_string(),
            base_directory: record.base_directory.clone(),
            credentials: record.credentials.clone(),
            config: record.config.clone(),
        }
    }

    /// A live backend for a storage row.
    pub fn storage_backend(&self, record: &StorageRecord) -> Result<Arc<dyn StorageBackend>> {
        self.cold.storage_backend(record)
    }

    pub(crate) async fn create_storage(
        &self,
        session: &Session,
        spec: StorageSpec,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "CREATE STORAGE")?;
        let id = StorageId::new(spec.storage_id.clone());
        if self.catalog.storage(&id).is_some() {
            if spec.if_not_exists {
                return Ok(message_result(
                    format!("Storage '{id}' already exists, skipping"),
                    0,
                ));
            }
            return Err(KalamError::AlreadyExists(format!(
                "Storage '{id}' already exists"
            )));
        }
        let location = spec.location.clone().ok_or_else(|| {
            KalamError::InvalidDefinition(format!(
                "CREATE STORAGE {id} needs PATH '<directory>' (filesystem) or BUCKET 's3://bucket/prefix' (s3)"
            ))
        })?;
        let shared = spec
            .shared_tables_template
            .clone()
            .unwrap_or_else(|| "{namespace}/{tableName}".into());
        let user = spec
            .user_tables_template
            .clone()
            .unwrap_or_else(|| "{namespace}/{tableName}/{shard}/{userId}".into());
        validate_templates(&shared, &user)?;
        if let Some(c) = &spec.credentials {
            check_json("CREDENTIALS", c)?;
        }
        let mut config = match &spec.config {
            Some(c) => {
                check_json("CONFIG", c)?;
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(c)
                    .map_err(|e| KalamError::InvalidDefinition(e.to_string()))?
            }
            None => serde_json::Map::new(),
        };
        if let Some(region) = &spec.region {
            config.insert("region".into(), serde_json::Value::String(region.clone()));
        }
        let now = now_micros();
        let record = StorageRecord {
            storage_id: id.clone(),
            storage_name: spec.name.clone().unwrap_or_else(|| id.to_string()),
            description: spec.description.clone(),
            storage_type: spec.storage_type.clone(),
            base_directory: location,
            credentials: spec.credentials.clone(),
            config: (!config.is_empty()).then(|| serde_json::Value::Object(config).to_string()),
            shared_tables_template: shared,
            user_tables_template: user,
            created_at: now,
            updated_at: now,
        };
        let factory = self.registry.storage(&record.storage_type).ok_or_else(|| {
            KalamError::InvalidDefinition(format!(
                "Unknown storage type '{}'. Available: {}",
                record.storage_type,
                self.registry.storage_types().join(", ")
            ))
        })?;
        factory.validate(&Self::storage_config(&record))?;
        self.catalog.put_storage(record).await?;
        Ok(message_result(
            format!("Storage '{id}' created successfully"),
            0,
        ))
    }

    pub(crate) async fn alter_storage(
        &self,
        session: &Session,
        id: StorageId,
        change: StorageChange,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "ALTER STORAGE")?;
        let mut record = self
            .catalog
            .storage(&id)
            .ok_or_else(|| KalamError::NotFound(format!("Storage '{id}' does not exist")))?;
        match change {
            StorageChange::Name(v) => record.storage_name = v,
            StorageChange::Description(v) => record.description = Some(v),
            StorageChange::SharedTablesTemplate(v) => {
                validate_templates(&v, &record.user_tables_template)?;
                record.shared_tables_template = v;
            }
            StorageChange::UserTablesTemplate(v) => {
                validate_templates(&record.shared_tables_template, &v)?;
                record.user_tables_template = v;
            }
            StorageChange::Credentials(v) => {
                check_json("CREDENTIALS", &v)?;
                record.credentials = Some(v);
            }
            StorageChange::Config(v) => {
                check_json("CONFIG", &v)?;
                record.config = Some(v);
            }
        }
        record.updated_at = now_micros();
        self.catalog.put_storage(record).await?;
        Ok(message_result(
            format!("Storage '{id}' altered successfully"),
            0,
        ))
    }

    pub(crate) async fn drop_storage(
        &self,
        session: &Session,
        id: StorageId,
        if_exists: bool,
    ) -> Result<QueryResult> {
        require(session.role, Role::Dba, "DROP STORAGE")?;
        if self.catalog.storage(&id).is_none() {
            if if_exists {
                return Ok(message_result(
                    format!("Storage '{id}' does not exist, skipping"),
                    0,
                ));
            }
            return Err(KalamError::NotFound(format!(
                "Storage '{id}' does not exist"
            )));
        }
        if id.as_str() == "local" {
            return Err(KalamError::Denied(
                "the 'local' storage cannot be dropped".into(),
            ));
        }
        let users = self
            .catalog
            .tables()
            .iter()
            .filter(|t| t.def.options.storage_id == id)
            .count();
        if users > 0 {
            return Err(KalamError::Execution(format!(
                "Cannot drop storage '{id}': {users} table(s) still using it"
            )));
        }
        let routed = self
            .catalog
            .users()
            .iter()
            .filter(|u| u.storage_id.as_ref() == Some(&id))
            .count();
        if routed > 0 {
            return Err(KalamError::Execution(format!(
                "Cannot drop storage '{id}': {routed} user(s) still routed to it. Move them first with ALTER USER ... SET STORAGE_ID"
            )));
        }
        self.catalog.delete_storage(&id).await?;
        Ok(message_result(
            format!("Storage '{id}' dropped successfully"),
            0,
        ))
    }

    pub(crate) fn show_storages(&self, session: &Session) -> Result<QueryResult> {
        let admin = session.role.is_admin();
        let batch = super::system_tables::storages_view(&self.catalog.storages(), admin, admin)?;
        rows_result(&batch.schema(), &[batch])
    }

    /// Probes a storage: write, read, list and delete one object.
    pub(crate) async fn storage_check(
        &self,
        session: &Session,
        id: StorageId,
    ) -> Result<QueryResult> {
        require(session.role, Role::Service, "STORAGE CHECK")?;
        let record = self
            .catalog
            .storage(&id)
            .ok_or_else(|| KalamError::NotFound(format!("Storage '{id}' does not exist")))?;
        let start = Instant::now();
        let (mut readable, mut writable, mut listable, mut deletable) =
            (false, false, false, false);
        let mut error: Option<String> = None;
        match self.storage_backend(&record) {
            Err(e) => error = Some(e.to_string()),
            Ok(backend) => {
                let store = backend.object_store();
                let path = Path::from(format!(".kalamdb-check/{}", super::functions::ulid()));
                match store
                    .put(&path, PutPayload::from(b"kalamdb".to_vec()))
                    .await
                {
                    Ok(_) => writable = true,
                    Err(e) => error = Some(format!("write: {e}")),
                }
                if writable {
                    match store.get(&path).await {
                        Ok(r) => readable = r.bytes().await.is_ok(),
                        Err(e) => error = Some(format!("read: {e}")),
                    }
                    match store
                        .list(Some(&Path::from(".kalamdb-check")))
                        .try_collect::<Vec<_>>()
                        .await
                    {
                        Ok(items) => listable = items.iter().any(|m| m.location == path),
                        Err(e) => error = Some(format!("list: {e}")),
                    }
                    match store.delete(&path).await {
                        Ok(()) => deletable = true,
                        Err(e) => error = Some(format!("delete: {e}")),
                    }
                }
            }
        }
        let latency = start.elapsed().as_secs_f64() * 1000.0;
        let batch = ViewBuilder::default()
            .text("storage_id", vec![Some(id.to_string())])
            .boolean("readable", vec![Some(readable)])
            .boolean("writable", vec![Some(writable)])
            .boolean("listable", vec![Some(listable)])
            .boolean("deletable", vec![Some(deletable)])
            .int("latency_ms", vec![Some(latency.round() as i64)])
            .text("error", vec![error])
            .finish()?;
        rows_result(&batch.schema(), &[batch])
    }
}

#[cfg(test)]
mod tests {
    use super::validate_templates;

    #[test]
    fn template_rules() {
        assert!(
            validate_templates(
                "{namespace}/{tableName}",
                "{namespace}/{tableName}/{shard}/{userId}"
            )
            .is_ok()
        );
        assert!(
            validate_templates(
                "{namespace}/shared/{tableName}",
                "{namespace}/users/{tableName}/{userId}"
            )
            .is_ok()
        );
        assert!(validate_templates("{tableName}/{namespace}", "{userId}").is_err());
        assert!(validate_templates("{namespace}/{tableName}", "{namespace}/{tableName}").is_err());
        assert!(validate_templates("{namespace}/{tableName}", "{userId}/{namespace}").is_err());
        assert!(
            validate_templates("{namespace}/{tableName}", "{namespace}/{bogus}/{userId}").is_err()
        );
    }
}
