//! The flow-action conformance suite: an action has a name, refuses invalid arguments with a
//! message, accepts valid ones, and reports an outcome (or an error with a message) for every
//! kind of trigger, never a panic, succeeding for at least one. It runs against a [`RecordingHost`] that records the action's requests.

use crate::error::{PluginError, Result};
use crate::flow::{BoxFuture, ChangeKind, FlowAction, FlowHost, FlowInput, FlowTrigger};
use crate::storage::StorageBackend;
use crate::value::Value;
use futures::FutureExt;
use kalamdb_types::{TableId, UserId};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A host that runs nothing: it records each SQL statement and answers one row affected.
#[derive(Default)]
pub struct RecordingHost {
    pub statements: Mutex<Vec<(UserId, String)>>,
}

impl FlowHost for RecordingHost {
    fn execute_sql<'a>(&'a self, user: &'a UserId, sql: &'a str) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            if let Ok(mut s) = self.statements.lock() {
                s.push((user.clone(), sql.to_string()));
            }
            Ok(1)
        })
    }

    fn execute_for_row<'a>(
        &'a self,
        user: &'a UserId,
        sql: &'a str,
        _trigger: &'a FlowTrigger,
    ) -> BoxFuture<'a, Result<u64>> {
        self.execute_sql(user, sql)
    }

    fn storage(&self, storage_id: &str) -> Result<Arc<dyn StorageBackend>> {
        Err(PluginError::NotFound(format!(
            "storage '{storage_id}' does not exist in the conformance host"
        )))
    }

    fn tables(&self) -> Vec<TableId> {
        vec![TableId::new("app", "t")]
    }
}

fn inputs(arguments: &BTreeMap<String, String>) -> Vec<FlowInput> {
    let row: BTreeMap<String, Value> = [
        ("id".to_string(), Value::Int(1)),
        ("body".to_string(), Value::Text("x".into())),
    ]
    .into_iter()
    .collect();
    let change = |kind, new: Option<_>, old: Option<_>| FlowTrigger::Change {
        table: TableId::new("app", "t"),
        kind,
        user: Some(UserId::new("alice")),
        new,
        old,
    };
    [
        change(ChangeKind::Insert, Some(row.clone()), None),
        change(ChangeKind::Update, Some(row.clone()), Some(row.clone())),
        change(ChangeKind::Delete, None, Some(row)),
        FlowTrigger::Schedule { due_micros: 0 },
        FlowTrigger::Manual {
            by: UserId::new("root"),
        },
    ]
    .into_iter()
    .map(|trigger| FlowInput {
        flow: "app.f".into(),
        run_as: UserId::new("alice"),
        trigger,
        arguments: arguments.clone(),
    })
    .collect()
}

/// Runs the suite. `valid` are arguments the action must accept, `invalid` ones it must refuse.
pub async fn run(
    action: &dyn FlowAction,
    valid: BTreeMap<String, String>,
    invalid: BTreeMap<String, String>,
) -> Result<(), String> {
    if action.name().is_empty() {
        return Err("an action needs a name".into());
    }
    match action.validate(&invalid) {
        Ok(()) => return Err(format!("validate accepted {invalid:?}")),
        Err(e) if e.to_string().is_empty() => {
            return Err("validate refused without a message".into());
        }
        Err(_) => {}
    }
    action
        .validate(&valid)
        .map_err(|e| format!("validate refused {valid:?}: {e}"))?;
    let host = RecordingHost::default();
    let mut succeeded = 0;
    for input in inputs(&valid) {
        let outcome = std::panic::AssertUnwindSafe(action.run(&input, &host))
            .catch_unwind()
            .await
            .map_err(|_| format!("run panicked on {:?}", input.trigger))?;
        match outcome {
            Ok(_) => succeeded += 1,
            Err(e) if e.to_string().is_empty() => {
                return Err(format!(
                    "run failed without a message on {:?}",
                    input.trigger
                ));
            }
            Err(_) => {}
        }
    }
    // An action may refuse some triggers, but with valid arguments and a working host it must
    // do its work for at least one.
    if succeeded == 0 {
        return Err("run failed on every kind of trigger with valid arguments".into());
    }
    Ok(())
}
