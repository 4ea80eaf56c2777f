//! Who may do what. Statement-level rules come from the role matrix; reads are checked on the
//! logical plan, so every table a query touches is checked however the SQL spells it (joins,
//! subqueries, CTEs, UNION, EXPLAIN).

use super::provider::HotTableProvider;
use super::system_tables::SystemTableProvider;
use crate::catalog::TableEntry;
use crate::catalog::model::AccessLevel;
use crate::engine::Session;
use crate::error::{KalamError, Result};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::LogicalPlan;
use kalamdb_types::{Role, TableType};

/// Fails unless `role` is at least `required`.
pub fn require(role: Role, required: Role, action: &str) -> Result<()> {
    if role >= required {
        Ok(())
    } else {
        Err(KalamError::PermissionDenied {
            action: action.to_string(),
            required,
            actual: role,
        })
    }
}

fn level(entry: &TableEntry) -> AccessLevel {
    entry
        .def
        .options
        .access_level
        .unwrap_or(AccessLevel::Private)
}

/// What a caller wants to do with a table's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// A query reads them (each table scan of its plan), or a listing shows the table.
    Read,
    /// INSERT, UPDATE or DELETE.
    Write,
    /// A live query: checked when it starts and again whenever the caller's authority may
    /// have changed.
    Subscribe,
}

/// Who asks: a role, and whether the statement runs under `EXECUTE AS USER`.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub role: Role,
    pub impersonated: bool,
}

impl Caller {
    /// A caller acting as itself.
    pub fn role(role: Role) -> Self {
        Self {
            role,
            impersonated: false,
        }
    }
}

impl From<&Session> for Caller {
    fn from(session: &Session) -> Self {
        Self {
            role: session.role,
            impersonated: session.impersonated_by.is_some(),
        }
    }
}

/// The one access check on a table's rows, for queries, DML and live subscriptions alike.
/// USER and STREAM tables are always allowed: a caller only ever reaches its own partition (the
/// scope is fixed by the provider). SHARED tables need the role their `ACCESS_LEVEL` names, and
/// are off limits under `EXECUTE AS USER`.
pub fn authorize(caller: Caller, entry: &TableEntry, intent: Intent) -> Result<()> {
    let table_type = entry.def.table_type;
    if caller.impersonated && table_type == TableType::Shared {
        return Err(KalamError::Denied(format!(
            "EXECUTE AS USER works on USER and STREAM tables only; {} is a SHARED table",
            entry.def.id
        )));
    }
    if table_type != TableType::Shared {
        return Ok(());
    }
    let level = level(entry);
    match intent {
        Intent::Read | Intent::Subscribe => {
            let needed = match level {
                AccessLevel::Public => Role::User,
                AccessLevel::Private | AccessLevel::Restricted => Role::Service,
                AccessLevel::Dba => Role::Dba,
            };
            require(
                caller.role,
                needed,
                &format!("reading {} table {}", level.as_str(), entry.def.id),
            )
        }
        Intent::Write => {
            let needed = match level {
                AccessLevel::Dba => Role::Dba,
                _ => Role::Service,
            };
            require(
                caller.role,
                needed,
                &format!("writing shared table {}", entry.def.id),
            )
        }
    }
}

/// Checks every table scan in a plan, subqueries included.
pub fn check_plan(plan: &LogicalPlan, session: &Session) -> Result<()> {
    let role = session.role;
    let mut denied: Option<KalamError> = None;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) = source_as_provider(&scan.source)
        {
            let any: &dyn std::any::Any = provider.as_ref();
            if let Some(sys) = any.downcast_ref::<SystemTableProvider>() {
                // Every caller reads their own files (the view holds nothing else).
                if sys.table == super::system_tables::SystemTable::UserFiles {
                    return Ok(TreeNodeRecursion::Continue);
                }
                if session.impersonated_by.is_some() {
                    denied = Some(KalamError::Denied(format!(
                        "EXECUTE AS USER works on USER and STREAM tables only; system.{} is a system table",
                        sys.table.name()
                    )));
                    return Ok(TreeNodeRecursion::Stop);
                }
                if let Err(e) = require(
                    role,
                    Role::Dba,
                    &format!("reading system.{}", sys.table.name()),
                ) {
                    denied = Some(e);
                    return Ok(TreeNodeRecursion::Stop);
                }
            } else if let Some(hot) = any.downcast_ref::<HotTableProvider>()
                && let Err(e) = authorize(session.into(), &hot.entry, Intent::Read)
            {
                denied = Some(e);
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    match denied {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
