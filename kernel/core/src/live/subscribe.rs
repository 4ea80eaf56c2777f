//! Creating a subscription: its SQL (one table, plain columns or `*`, an optional WHERE), the
//! initial snapshot in pages, and the hand-over to live changes. Changes committed while the
//! snapshot is loading are buffered and delivered after the last page, minus those the
//! snapshot already contains (by primary key and `_seq`), so nothing is lost or sent twice.

use super::LiveConnection;
use super::feed::{ChangeEvent, ChangeKind};
use crate::catalog::TableEntry;
use crate::catalog::schema::SEQ_COLUMN;
use crate::engine::{Engine, Session, now_micros};
use crate::error::KalamError;
use crate::exec::access::{Caller, Intent, authorize};
use crate::exec::result::{cell_json, schema_fields, wire_type};
use crate::exec::rows::rows_to_batch;
use crate::sql::parser::fold;
use crate::value::StoredRow;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::common::DFSchema;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::sql::sqlparser::ast::{self, ObjectNamePart, SelectItem, SetExpr, TableFactor};
use kalamdb_types::ws::{
    BatchControl, BatchStatus, ChangeType, RowObject, ServerMessage, SubscriptionRequest, ws_codes,
};
use kalamdb_types::{TableId, TableType, UserId};
use parking_lot::Mutex;
use serde_json::Value as Json;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_BATCH_SIZE: usize = 1000;
pub const MAX_BATCH_SIZE: usize = 10_000;

/// A subscription failure: a WebSocket error code and a message.
#[derive(Debug)]
pub struct SubscribeError {
    pub code: &'static str,
    pub message: String,
}

fn fail(code: &'static str, message: impl Into<String>) -> SubscribeError {
    SubscribeError {
        code,
        message: message.into(),
    }
}

fn from_kalam(err: KalamError) -> SubscribeError {
    let code = match &err {
        KalamError::Syntax(_) | KalamError::TooComplex { .. } => ws_codes::INVALID_SQL,
        KalamError::Unsupported(_) => ws_codes::UNSUPPORTED,
        KalamError::TableNotFound(_) | KalamError::NotFound(_) => ws_codes::NOT_FOUND,
        KalamError::PermissionDenied { .. } | KalamError::Denied(_) => ws_codes::UNAUTHORIZED,
        _ => ws_codes::SUBSCRIPTION_FAILED,
    };
    fail(code, err.to_string())
}

struct State {
    loading: bool,
    pages: VecDeque<Vec<RowObject>>,
    batch_num: usize,
    buffer: Vec<ChangeEvent>,
    /// Row identity → `_seq` of the version the snapshot sent.
    snapshot: HashMap<String, i64>,
}

pub struct Subscription {
    pub live_id: String,
    pub subscription_id: String,
    pub connection: Arc<LiveConnection>,
    pub table: TableId,
    /// Partition owner (USER/STREAM) or `None` (SHARED).
    pub owner: Option<UserId>,
    pub sql: String,
    pub created_at: i64,
    pub changes_sent: AtomicU64,
    /// `created_at` of the table subscribed to: a table dropped and created again under the
    /// name is another table.
    table_created_at: i64,
    /// The catalog's authority stamp when the subscription's right to read was last checked.
    authority_checked: AtomicU64,
    columns: Vec<String>,
    filter: Option<Arc<dyn PhysicalExpr>>,
    pk: Option<u32>,
    state: Mutex<State>,
}

/// The parsed parts of a subscription's SQL.
struct Parsed {
    table: TableId,
    columns: Option<Vec<String>>,
    selection: Option<ast::Expr>,
}

fn parse(sql: &str) -> Result<Parsed, SubscribeError> {
    let statement = crate::sql::parse_statement(sql).map_err(|e| from_kalam(e.into()))?;
    let crate::sql::Statement::Query(stmt) = statement else {
        return Err(fail(
            ws_codes::INVALID_SQL,
            "a subscription is a SELECT statement",
        ));
    };
    let ast::Statement::Query(query) = *stmt else {
        return Err(fail(
            ws_codes::INVALID_SQL,
            "a subscription is a SELECT statement",
        ));
    };
    let SetExpr::Select(select) = *query.body else {
        return Err(fail(
            ws_codes::UNSUPPORTED,
            "subscriptions support SELECT ... FROM one table [WHERE ...]",
        ));
    };
    if select.from.len() != 1 || !select.from[0].joins.is_empty() || select.having.is_some() {
        return Err(fail(
            ws_codes::UNSUPPORTED,
            "subscriptions read one table, without joins or HAVING",
        ));
    }
    let TableFactor::Table { name, .. } = &select.from[0].relation else {
        return Err(fail(ws_codes::UNSUPPORTED, "subscriptions read a table"));
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(fold(i)),
            _ => None,
        })
        .collect();
    let table = match parts.as_slice() {
        [ns, t] => TableId::new(ns.clone(), t.clone()),
        _ => {
            return Err(fail(
                ws_codes::INVALID_SQL,
                format!(
                    "name the table with its namespace, e.g. app.{}",
                    parts.last().cloned().unwrap_or_default()
                ),
            ));
        }
    };
    let mut columns = Vec::new();
    let mut all = false;
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(_) => all = true,
            SelectItem::UnnamedExpr(ast::Expr::Identifier(i)) => columns.push(fold(i)),
            other => {
                return Err(fail(
                    ws_codes::UNSUPPORTED,
                    format!("subscriptions select plain columns or *, not {other}"),
                ));
            }
        }
    }
    Ok(Parsed {
        table,
        columns: if all { None } else { Some(columns) },
        selection: select.selection.clone(),
    })
}

fn seq_of(obj: &RowObject) -> Option<i64> {
    obj.get(SEQ_COLUMN)
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
}

impl kalamdb_live::Subscriber for Subscription {
    fn live_id(&self) -> &str {
        &self.live_id
    }

    fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    fn connection(&self) -> &LiveConnection {
        &self.connection
    }

    fn table(&self) -> &TableId {
        &self.table
    }

    fn owner(&self) -> Option<&UserId> {
        self.owner.as_ref()
    }

    fn authority_lost(
        &self,
        entry: &TableEntry,
        catalog: &crate::catalog::Catalog,
        stamp: u64,
    ) -> Option<String> {
        Subscription::authority_lost(self, entry, catalog, stamp)
    }

    fn offer(&self, event: &ChangeEvent, entry: &TableEntry) {
        Subscription::offer(self, event, entry)
    }
}

impl Subscription {
    /// The row as a wire object with the subscription's columns and `_seq`.
    fn object(&self, entry: &TableEntry, row: &StoredRow, only: Option<&[u32]>) -> RowObject {
        let mut obj = RowObject::new();
        let Ok(batch) = rows_to_batch(entry, std::slice::from_ref(row), None) else {
            return obj;
        };
        let schema = batch.schema();
        for name in &self.columns {
            let Some(col) = entry.def.column(name) else {
                continue;
            };
            if let Some(ids) = only
                && !ids.contains(&col.id)
            {
                continue;
            }
            if let Ok(i) = schema.index_of(name) {
                obj.insert(
                    name.clone(),
                    cell_json(batch.column(i), 0, &wire_type(schema.field(i))),
                );
            }
        }
        obj.insert(SEQ_COLUMN.into(), Json::String(row.seq.to_string()));
        obj
    }

    fn matches(&self, entry: &TableEntry, row: &StoredRow) -> bool {
        let Some(filter) = &self.filter else {
            return true;
        };
        let Ok(batch) = rows_to_batch(entry, std::slice::from_ref(row), None) else {
            return false;
        };
        match filter.evaluate(&batch).and_then(|v| v.into_array(1)) {
            Ok(array) => {
                let Some(b) = array.as_boolean_opt() else {
                    return false;
                };
                b.len() == 1 && b.is_valid(0) && b.value(0)
            }
            Err(_) => false,
        }
    }

    fn identity(&self, row: &StoredRow) -> String {
        match self.pk.and_then(|id| row.get(id)) {
            Some(v) => v.display(),
            None => row.seq.to_string(),
        }
    }

    /// Offers a committed change: buffered while loading, else delivered.
    /// Why the subscriber may no longer read the table (`None`: it still may). Rechecked only
    /// when a table or user record changed since the last check (`stamp`): the table was
    /// dropped (and perhaps created again), the account was dropped or re-created, its
    /// password or role changed, or its role no longer reads the table's access level.
    pub fn authority_lost(
        &self,
        entry: &TableEntry,
        catalog: &crate::catalog::Catalog,
        stamp: u64,
    ) -> Option<String> {
        if self.authority_checked.load(Ordering::Acquire) == stamp {
            return None;
        }
        if entry.def.created_at != self.table_created_at {
            return Some(format!("table {} was dropped", self.table));
        }
        let connection = &self.connection;
        let Some(user) = catalog.user(&connection.user) else {
            return Some(format!("user '{}' was dropped", connection.user));
        };
        if user.created_at != connection.account_created_at
            || user.token_generation != connection.token_generation
        {
            return Some(format!(
                "the credentials of '{}' changed: authenticate again",
                connection.user
            ));
        }
        if let Err(e) = authorize(Caller::role(user.role), entry, Intent::Subscribe) {
            return Some(e.to_string());
        }
        self.authority_checked.store(stamp, Ordering::Release);
        None
    }

    pub fn offer(&self, event: &ChangeEvent, entry: &TableEntry) {
        let mut state = self.state.lock();
        if state.loading {
            state.buffer.push(event.clone());
            return;
        }
        drop(state);
        self.deliver(event, entry, None);
    }

    fn deliver(
        &self,
        event: &ChangeEvent,
        entry: &TableEntry,
        snapshot: Option<&HashMap<String, i64>>,
    ) {
        let id = self.identity(&event.new);
        if let Some(snap) = snapshot {
            match snap.get(&id) {
                Some(seq) if *seq >= event.new.seq => return,
                None if event.kind == ChangeKind::Delete => return,
                _ => {}
            }
        }
        let new_match = event.kind != ChangeKind::Delete && self.matches(entry, &event.new);
        let old_match = event.old.as_ref().is_some_and(|o| self.matches(entry, o));
        let message = match event.kind {
            ChangeKind::Insert if new_match => Some((
                ChangeType::Insert,
                Some(vec![self.object(entry, &event.new, None)]),
                None,
            )),
            ChangeKind::Update if new_match => {
                let old = event.old.as_ref().map(|o| {
                    let changed: Vec<u32> = o
                        .cells
                        .iter()
                        .filter(|(cid, v)| event.new.get(*cid) != Some(v) || Some(*cid) == self.pk)
                        .map(|(cid, _)| *cid)
                        .chain(
                            event
                                .new
                                .cells
                                .iter()
                                .filter(|(cid, _)| o.get(*cid).is_none())
                                .map(|(cid, _)| *cid),
                        )
                        .collect();
                    vec![self.object(entry, o, Some(&changed))]
                });
                Some((
                    ChangeType::Update,
                    Some(vec![self.object(entry, &event.new, None)]),
                    old,
                ))
            }
            ChangeKind::Update | ChangeKind::Delete if old_match => {
                let mut old = event
                    .old
                    .as_ref()
                    .map(|o| self.object(entry, o, None))
                    .unwrap_or_default();
                old.insert(SEQ_COLUMN.into(), Json::String(event.new.seq.to_string()));
                Some((ChangeType::Delete, None, Some(vec![old])))
            }
            _ => None,
        };
        if let Some((change_type, rows, old_values)) = message {
            if self.connection.push(ServerMessage::Change {
                subscription_id: self.subscription_id.clone(),
                change_type,
                rows,
                old_values,
            }) {
                self.changes_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// After the last page: delivers buffered changes the snapshot does not contain.
    fn finish_loading(&self, entry: &TableEntry) {
        let mut state = self.state.lock();
        let buffered = std::mem::take(&mut state.buffer);
        let snapshot = std::mem::take(&mut state.snapshot);
        for event in &buffered {
            self.deliver(event, entry, Some(&snapshot));
        }
        state.loading = false;
    }

    pub fn is_loading(&self) -> bool {
        self.state.lock().loading
    }

    fn control(&self, state: &State, last: Option<i64>) -> BatchControl {
        let has_more = !state.pages.is_empty();
        BatchControl {
            batch_num: state.batch_num,
            has_more,
            status: if !has_more {
                BatchStatus::Ready
            } else if state.batch_num == 0 {
                BatchStatus::Loading
            } else {
                BatchStatus::LoadingBatch
            },
            last_seq_id: last,
        }
    }
}

impl Engine {
    /// Creates a subscription for a connection; sends the ack and the first page.
    pub async fn subscribe(
        &self,
        connection: &Arc<LiveConnection>,
        request: SubscriptionRequest,
    ) -> Result<(), SubscribeError> {
        if request.id.is_empty() || request.id.len() > 128 {
            return Err(fail(
                ws_codes::INVALID_SUBSCRIPTION_ID,
                "subscription id must be 1 to 128 characters",
            ));
        }
        if self.live.find(&connection.id, &request.id).is_some() {
            return Err(fail(
                ws_codes::INVALID_SUBSCRIPTION_ID,
                format!(
                    "subscription id '{}' is already in use on this connection",
                    request.id
                ),
            ));
        }
        if self.live.count_for_connection(&connection.id) >= self.live.max_per_connection
            || self.live.count_for_user(&connection.user) >= self.live.max_per_user
        {
            return Err(fail(
                ws_codes::SUBSCRIPTION_LIMIT_EXCEEDED,
                format!(
                    "at most {} subscriptions per connection and {} per user",
                    self.live.max_per_connection, self.live.max_per_user
                ),
            ));
        }
        let parsed = parse(&request.sql)?;
        if parsed.table.namespace.as_str() == crate::exec::df_catalog::SYSTEM_SCHEMA {
            return Err(if connection.role.is_admin() {
                fail(
                    ws_codes::UNSUPPORTED,
                    "system tables have no change feed; query them over HTTP",
                )
            } else {
                fail(
                    ws_codes::UNAUTHORIZED,
                    format!("reading {} requires role dba or system", parsed.table),
                )
            });
        }
        let entry = self.catalog.table(&parsed.table).ok_or_else(|| {
            fail(
                ws_codes::NOT_FOUND,
                format!("relation \"{}\" does not exist", parsed.table),
            )
        })?;
        authorize(Caller::role(connection.role), &entry, Intent::Subscribe)
            .map_err(|e| fail(ws_codes::UNAUTHORIZED, e.to_string()))?;
        let columns: Vec<String> = match &parsed.columns {
            None => entry.def.columns.iter().map(|c| c.name.clone()).collect(),
            Some(cols) => {
                for c in cols {
                    if entry.def.column(c).is_none() && c != SEQ_COLUMN {
                        return Err(fail(
                            ws_codes::INVALID_SQL,
                            format!("column \"{c}\" does not exist"),
                        ));
                    }
                }
                cols.iter().filter(|c| *c != SEQ_COLUMN).cloned().collect()
            }
        };
        let session = Session::new(connection.user.clone(), connection.role);
        let filter = match &parsed.selection {
            None => None,
            Some(expr) => {
                let state = self.session_state(&session).map_err(from_kalam)?;
                let df_schema =
                    DFSchema::try_from_qualified_schema(entry.def.id.table.as_str(), &entry.schema)
                        .map_err(|e| from_kalam(e.into()))?;
                let logical = state
                    .create_logical_expr(&expr.to_string(), &df_schema)
                    .map_err(|e| {
                        fail(
                            ws_codes::INVALID_SQL,
                            crate::exec::df_error::translate(e).to_string(),
                        )
                    })?;
                Some(
                    state
                        .create_physical_expr(logical, &df_schema)
                        .map_err(|e| {
                            fail(
                                ws_codes::INVALID_SQL,
                                crate::exec::df_error::translate(e).to_string(),
                            )
                        })?,
                )
            }
        };
        let owner = match entry.def.table_type {
            TableType::User | TableType::Stream => Some(connection.user.clone()),
            _ => None,
        };
        let sub = Arc::new(Subscription {
            live_id: format!("LQ-{}", crate::exec::functions::snowflake_id()),
            subscription_id: request.id.clone(),
            connection: connection.clone(),
            table: entry.def.id.clone(),
            owner,
            sql: request.sql.clone(),
            created_at: now_micros(),
            changes_sent: AtomicU64::new(0),
            table_created_at: entry.def.created_at,
            authority_checked: AtomicU64::new(self.catalog.authority_stamp()),
            columns,
            filter,
            pk: entry.def.primary_key().map(|c| c.id),
            state: Mutex::new(State {
                loading: true,
                pages: VecDeque::new(),
                batch_num: 0,
                buffer: Vec::new(),
                snapshot: HashMap::new(),
            }),
        });
        // Registered before the snapshot is read: every later commit reaches the buffer.
        self.live.register(sub.clone());
        let snapshot = self
            .snapshot(&session, &entry, &sub, &parsed, &request)
            .await;
        let rows = match snapshot {
            Ok(rows) => rows,
            Err(e) => {
                self.live.remove(&sub.live_id);
                return Err(e);
            }
        };
        let total = rows.len();
        let batch_size = request
            .options
            .batch_size
            .unwrap_or(DEFAULT_BATCH_SIZE)
            .clamp(1, MAX_BATCH_SIZE);
        let mut schema = schema_fields(&entry.schema);
        schema.retain(|f| sub.columns.contains(&f.name) || f.name == SEQ_COLUMN);
        for (i, f) in schema.iter_mut().enumerate() {
            f.index = i;
        }
        let (first, control) = {
            let mut state = sub.state.lock();
            for row in &rows {
                if let Some(seq) = seq_of(row) {
                    let id = match sub
                        .pk
                        .and_then(|id| entry.def.columns.iter().find(|c| c.id == id))
                    {
                        Some(pk) => row.get(&pk.name).map(json_identity).unwrap_or_default(),
                        None => seq.to_string(),
                    };
                    state.snapshot.insert(id, seq);
                }
            }
            let mut pages: VecDeque<Vec<RowObject>> =
                rows.chunks(batch_size).map(|c| c.to_vec()).collect();
            let first = pages.pop_front().unwrap_or_default();
            state.pages = pages;
            let control = sub.control(&state, first.last().and_then(seq_of));
            (first, control)
        };
        let ready = control.status == BatchStatus::Ready;
        connection
            .send(ServerMessage::SubscriptionAck {
                subscription_id: request.id.clone(),
                total_rows: total,
                batch_control: control.clone(),
                schema,
            })
            .await;
        connection
            .send(ServerMessage::InitialDataBatch {
                subscription_id: request.id.clone(),
                rows: first,
                batch_control: control,
            })
            .await;
        if ready {
            sub.finish_loading(&entry);
        }
        Ok(())
    }

    /// Sends the next page of a loading subscription.
    pub async fn next_batch(
        &self,
        connection: &Arc<LiveConnection>,
        subscription_id: &str,
    ) -> Result<(), SubscribeError> {
        let sub = self
            .live
            .find(&connection.id, subscription_id)
            .ok_or_else(|| {
                fail(
                    ws_codes::INVALID_SUBSCRIPTION_ID,
                    format!("no subscription '{subscription_id}' on this connection"),
                )
            })?;
        let (rows, control) = {
            let mut state = sub.state.lock();
            if !state.loading {
                return Err(fail(
                    ws_codes::PROTOCOL,
                    format!("subscription '{subscription_id}' has no more initial data"),
                ));
            }
            let rows = state.pages.pop_front().unwrap_or_default();
            state.batch_num += 1;
            let control = sub.control(&state, rows.last().and_then(seq_of));
            (rows, control)
        };
        let ready = control.status == BatchStatus::Ready;
        connection
            .send(ServerMessage::InitialDataBatch {
                subscription_id: subscription_id.to_string(),
                rows,
                batch_control: control,
            })
            .await;
        if ready && let Some(entry) = self.catalog.table(&sub.table) {
            sub.finish_loading(&entry);
        }
        Ok(())
    }

    /// Ends one subscription of a connection (no reply).
    pub fn unsubscribe(&self, connection: &LiveConnection, subscription_id: &str) {
        if let Some(sub) = self.live.find(&connection.id, subscription_id) {
            self.live.remove(&sub.live_id);
        }
    }

    /// The snapshot rows as wire objects, oldest `_seq` first.
    async fn snapshot(
        &self,
        session: &Session,
        entry: &TableEntry,
        sub: &Subscription,
        parsed: &Parsed,
        request: &SubscriptionRequest,
    ) -> Result<Vec<RowObject>, SubscribeError> {
        let mut conditions = Vec::new();
        if let Some(sel) = &parsed.selection {
            conditions.push(format!("({sel})"));
        }
        if let Some(from) = request.options.from_seq_id {
            conditions.push(format!("_seq > {from}"));
        }
        let mut sql = format!(
            "SELECT * FROM \"{}\".\"{}\"",
            entry.def.id.namespace, entry.def.id.table
        );
        if !conditions.is_empty() {
            sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
        }
        let last_rows = request
            .options
            .last_rows
            .filter(|_| request.options.from_seq_id.is_none());
        match last_rows {
            Some(n) => sql.push_str(&format!(" ORDER BY _seq DESC LIMIT {n}")),
            None => sql.push_str(" ORDER BY _seq"),
        }
        let statement = match crate::sql::parse_statement(&sql).map_err(|e| from_kalam(e.into()))? {
            crate::sql::Statement::Query(s) => *s,
            _ => {
                return Err(fail(
                    ws_codes::SUBSCRIPTION_FAILED,
                    "snapshot query did not parse",
                ));
            }
        };
        let (schema, batches) = self
            .run_query(session, statement, &[])
            .await
            .map_err(from_kalam)?;
        let mut rows = Vec::new();
        let indexes: Vec<(String, usize)> = sub
            .columns
            .iter()
            .chain(std::iter::once(&SEQ_COLUMN.to_string()))
            .filter_map(|c| schema.index_of(c).ok().map(|i| (c.clone(), i)))
            .collect();
        for batch in &batches {
            for r in 0..batch.num_rows() {
                let mut obj = RowObject::new();
                for (name, i) in &indexes {
                    obj.insert(
                        name.clone(),
                        cell_json(batch.column(*i), r, &wire_type(schema.field(*i))),
                    );
                }
                rows.push(obj);
            }
        }
        if last_rows.is_some() {
            rows.reverse();
        }
        Ok(rows)
    }
}

/// The identity text of a primary-key cell as `Value::display` would print it.
fn json_identity(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
