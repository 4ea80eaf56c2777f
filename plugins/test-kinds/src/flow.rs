//! `test_sql`: runs the statement in its `sql` argument as the flow's owner. A change trigger's
//! `NEW.<col>` placeholders are replaced by the new row's values (text quoted).

use kalamdb_plugin_api::{
    BoxFuture, FlowAction, FlowHost, FlowInput, FlowOutcome, FlowTrigger, PluginError, Result,
    Value,
};
use std::collections::BTreeMap;

pub struct SqlAction;

fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Text(s) | Value::Decimal(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.display(),
    }
}

fn bind(sql: &str, input: &FlowInput) -> String {
    let mut out = sql.to_string();
    if let FlowTrigger::Change { new: Some(row), .. } = &input.trigger {
        // Longer names first, so `NEW.id` does not eat the front of `NEW.idx`.
        let mut names: Vec<&String> = row.keys().collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        for name in names {
            out = out.replace(&format!("NEW.{name}"), &literal(&row[name]));
        }
    }
    out
}

impl FlowAction for SqlAction {
    fn name(&self) -> &str {
        "test_sql"
    }

    fn validate(&self, arguments: &BTreeMap<String, String>) -> Result<()> {
        match arguments.get("sql") {
            Some(sql) if !sql.trim().is_empty() => Ok(()),
            _ => Err(PluginError::InvalidConfig(
                "test_sql needs an argument sql = '<statement>'".into(),
            )),
        }
    }

    fn run<'a>(
        &'a self,
        input: &'a FlowInput,
        host: &'a dyn FlowHost,
    ) -> BoxFuture<'a, Result<FlowOutcome>> {
        Box::pin(async move {
            self.validate(&input.arguments)?;
            let sql = bind(&input.arguments["sql"], input);
            let affected = host.execute_sql(&input.run_as, &sql).await?;
            Ok(FlowOutcome {
                affected,
                message: format!("{affected} row(s) affected"),
            })
        })
    }
}
