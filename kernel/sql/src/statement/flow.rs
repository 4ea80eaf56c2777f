//! KFlow statements: CREATE / ALTER / DROP / SHOW / RUN FLOW.

use super::TableRef;
use kalamdb_types::NamespaceId;
use std::collections::BTreeMap;

/// A flow's name as written: `ns.name` or `name` (resolved against the session's namespace).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRef {
    pub namespace: Option<NamespaceId>,
    pub name: String,
}

impl std::fmt::Display for FlowRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// Which changes fire a trigger flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeKinds {
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
}

impl std::fmt::Display for ChangeKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (self.insert, "INSERT"),
            (self.update, "UPDATE"),
            (self.delete, "DELETE"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        write!(f, "{}", names.join(" OR "))
    }
}

/// What fires a flow.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowTriggerSpec {
    /// `ON INSERT|UPDATE|DELETE [OR ...] TO t [WHERE predicate]`.
    Change {
        kinds: ChangeKinds,
        table: TableRef,
        /// The predicate's text, with `NEW.col` / `OLD.col` references.
        predicate: Option<String>,
    },
    /// `ON SCHEDULE EVERY n unit [STARTS 'timestamp']`.
    Schedule {
        every_secs: u64,
        /// The first run, as written (parsed by the engine).
        starts: Option<String>,
    },
}

/// The action after `DO`: a `FlowAction` plugin by name, with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowActionSpec {
    pub action: String,
    pub arguments: BTreeMap<String, String>,
    /// The action as written, for `system.flows.action`.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateFlow {
    pub flow: FlowRef,
    pub if_not_exists: bool,
    pub trigger: FlowTriggerSpec,
    pub action: FlowActionSpec,
}

/// `ALTER FLOW name ...`.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowChange {
    Enable,
    Disable,
    /// `SET SCHEDULE EVERY n unit`.
    Every(u64),
}
