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

/// Under `EXECUTE AS USER` only USER and STREAM tables may be touched.
fn check_impersonation(session: &Session, entry: &TableEntry) -> Result<()> {
    if session.impersonated_by.is_some() && entry.def.table_type == TableType::Shared {
        return Err(KalamError::Denied(format!(
            "EXECUTE AS USER works on USER and STREAM tables only; {} is a SHARED table",
            entry.def.id
        )));
    }
    Ok(())
}

/// May the session read this table?
pub fn check_read_as(session: &Session, entry: &TableEntry) -> Result<()> {
    check_impersonation(session, entry)?;
    check_read(session.role, entry)
}

/// May the session write rows of this table?
pub fn check_write_as(session: &Session, entry: &TableEntry) -> Result<()> {
    check_impersonation(session, entry)?;
    check_write(session.role, entry)
}

/// May `role` read this table?
pub fn check_read(role: Role, entry: &TableEntry) -> Result<()> {
    if entry.def.table_type != TableType::Shared {
        return Ok(());
    }
    let needed = match level(entry) {
        AccessLevel::Public => Role::User,
        AccessLevel::Private | AccessLevel::Restricted => Role::Service,
        AccessLevel::Dba => Role::Dba,
    };
    require(
        role,
        needed,
        &format!("reading {} table {}", level(entry).as_str(), entry.def.id),
    )
}

/// May `role` write rows of this table?
pub fn check_write(role: Role, entry: &TableEntry) -> Result<()> {
    if entry.def.table_type != TableType::Shared {
        return Ok(());
    }
    let needed = match level(entry) {
        AccessLevel::Dba => Role::Dba,
        _ => Role::Service,
    };
    require(
        role,
        needed,
        &format!("writing shared table {}", entry.def.id),
    )
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
                && let Err(e) = check_read_as(session, &hot.entry)
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
