//! The simple and extended query protocols over the engine's one execute path: the same
//! parser, permission checks and dispatcher as HTTP; only the encoding differs.

use crate::Shared;
use crate::encode;
use crate::error::{error, kalam};
use crate::local::{self, Local};
use crate::params;
use crate::session::Conn;
use async_trait::async_trait;
use datafusion::arrow::datatypes::Field;
use futures::sink::{Sink, SinkExt};
use kalamdb_core::exec::batch::MAX_SQL_BYTES;
use kalamdb_core::sql::{Statement, parse_statement, split_statements};
use kalamdb_core::value::Value;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{
    DescribePortalResponse, DescribeResponse, DescribeStatementResponse, FieldInfo, Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::NoticeResponse;
use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

/// A statement parsed at Parse time.
#[derive(Clone, Debug)]
pub(crate) enum Prepared {
    /// A connection statement (`SET`, `BEGIN`, ...), answered by [`local`].
    Local(String),
    /// A KalamDB statement, its text, and its parameter types once described.
    Kalam {
        sql: String,
        statement: Statement,
        types: Arc<OnceLock<Vec<Type>>>,
    },
}

fn conn<C: ClientInfo>(client: &C) -> PgWireResult<Arc<Conn>> {
    client
        .session_extensions()
        .get::<Conn>()
        .ok_or_else(|| error("08P01", "the connection is not logged in"))
}

fn prepare(sql: &str) -> PgWireResult<Prepared> {
    if local::is_local(sql) {
        return Ok(Prepared::Local(sql.to_string()));
    }
    let statement = match parse_statement(sql) {
        // Catalog introspection is read in PostgreSQL's dialect, as psql and drivers write it.
        Ok(Statement::Query(_)) if crate::catalog::is_introspection(sql) => {
            match crate::catalog::compat_read(sql) {
                Some(read) => Statement::Query(Box::new(read)),
                None => parse_statement(sql).map_err(|e| kalam(&e.into(), sql))?,
            }
        }
        Ok(statement) => statement,
        // What KalamDB's parser refuses may still be a read in PostgreSQL's dialect.
        Err(err) => match crate::catalog::compat_read(sql) {
            Some(read) if matches!(err, kalamdb_core::sql::SqlError::Syntax(_)) => {
                Statement::Query(Box::new(read))
            }
            _ => return Err(kalam(&err.into(), sql)),
        },
    };
    Ok(Prepared::Kalam {
        sql: sql.to_string(),
        statement,
        types: Arc::default(),
    })
}

/// Statements allowed inside `BEGIN ... COMMIT`: the ones that change nothing.
fn reads_only(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Query(_)
            | Statement::ShowNamespaces
            | Statement::ShowTables { .. }
            | Statement::DescribeTable { .. }
            | Statement::ShowStorages
            | Statement::ShowPlugins
            | Statement::ShowCaches
            | Statement::ShowStats { .. }
            | Statement::ShowAdvice
            | Statement::ShowFlows
            | Statement::ShowExports
            | Statement::Use { .. }
    )
}

/// Listing statements: their columns are known only by running them (they change nothing).
fn is_listing(statement: &Statement) -> bool {
    reads_only(statement) && !matches!(statement, Statement::Query(_) | Statement::Use { .. })
}

pub(crate) struct Handler {
    shared: Arc<Shared>,
    parser: Arc<Parser>,
}

impl Handler {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            parser: Arc::new(Parser),
        }
    }

    /// Answers a connection statement.
    async fn local(&self, conn: &Conn, sql: &str, format: &Format) -> PgWireResult<Response> {
        let answer = local::answer(
            &self.shared.engine,
            conn,
            sql,
            &self.shared.settings.server_version,
        )
        .await
        .unwrap_or_else(|| Err(error("42601", format!("unsupported statement: {sql}"))))?;
        Ok(match answer {
            Local::Tag(t) => Response::Execution(Tag::new(t)),
            Local::Begin => {
                conn.set_block(true);
                Response::TransactionStart(Tag::new("BEGIN"))
            }
            Local::End { commit } => {
                conn.set_block(false);
                Response::TransactionEnd(Tag::new(if commit { "COMMIT" } else { "ROLLBACK" }))
            }
            Local::Show { name, value } => {
                let fields = encode::text_fields(&[name], format);
                let mut encoder =
                    pgwire::api::results::DataRowEncoder::new(Arc::new(fields.clone()));
                encoder.encode_field(&Some(value))?;
                encode::rows_response(fields, vec![encoder.take_row()])
            }
        })
    }

    /// Runs a KalamDB statement for the connection's session.
    async fn run<C>(
        &self,
        client: &mut C,
        conn: &Conn,
        sql: &str,
        statement: Statement,
        params: Vec<Value>,
        format: &Format,
    ) -> PgWireResult<Response>
    where
        C: Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if conn.in_block() && !reads_only(&statement) {
            return Err(error(
                "0A000",
                "KalamDB commits every statement on its own and has no multi-statement transactions: this statement is refused inside BEGIN ... COMMIT so that a ROLLBACK cannot seem to undo it; run it outside a transaction block (autocommit mode in your driver)",
            ));
        }
        if let Some(admit) = &self.shared.settings.admit {
            let (user, role) = {
                let session = conn.session.lock().await;
                (session.user.clone(), session.role)
            };
            admit(&user, role).map_err(|m| error("53400", m))?;
        }
        let command = encode::Command::of(&statement);
        let output = {
            let mut session = conn.session.lock().await;
            self.shared
                .engine
                .execute_output(&mut session, statement, &params)
                .await
                .map_err(|e| kalam(&e, sql))?
        };
        if command.news()
            && let kalamdb_core::exec::output::Output::Result(r) = &output
            && r.rows.is_none()
            && let Some(message) = &r.message
        {
            client
                .send(PgWireBackendMessage::NoticeResponse(NoticeResponse::from(
                    ErrorInfo::new("NOTICE".into(), "00000".into(), message.clone()),
                )))
                .await?;
        }
        encode::response(command, output, format)
    }

    /// The columns of a prepared statement's rows, without running it (listings excepted).
    async fn result_fields(
        &self,
        conn: &Conn,
        prepared: &Prepared,
        format: &Format,
    ) -> PgWireResult<(Vec<Option<Field>>, Option<Vec<FieldInfo>>)> {
        match prepared {
            Prepared::Local(sql) => Ok((
                Vec::new(),
                local::show_name(sql).map(|name| encode::text_fields(&[name], format)),
            )),
            Prepared::Kalam { sql, statement, .. } => {
                let mut session = conn.session.lock().await;
                if is_listing(statement) {
                    let out = self
                        .shared
                        .engine
                        .execute_output(&mut session, statement.clone(), &[])
                        .await
                        .map_err(|e| kalam(&e, sql))?;
                    let fields = match out {
                        kalamdb_core::exec::output::Output::Rows { schema, .. } => {
                            encode::fields(&schema, format)
                        }
                        kalamdb_core::exec::output::Output::Result(r) => {
                            let names: Vec<String> =
                                r.schema.iter().map(|f| f.name.clone()).collect();
                            encode::text_fields(&names, format)
                        }
                    };
                    return Ok((Vec::new(), Some(fields)));
                }
                let description = self
                    .shared
                    .engine
                    .describe(&session, statement)
                    .await
                    .map_err(|e| kalam(&e, sql))?;
                let fields = description.schema.map(|s| encode::fields(&s, format));
                Ok((description.params, fields))
            }
        }
    }
}

/// The PostgreSQL type a parameter is described with.
fn param_type(ty: Option<&Field>) -> Type {
    ty.map(encode::pg_type).unwrap_or(Type::TEXT)
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn(client)?;
        if query.len() > MAX_SQL_BYTES {
            return Err(error(
                "54000",
                format!(
                    "the query is {} bytes; the limit is {MAX_SQL_BYTES} bytes",
                    query.len()
                ),
            ));
        }
        let pieces = split_statements(query);
        let most = self.shared.engine.config.limits.max_statements_per_request;
        if pieces.len() > most {
            return Err(error(
                "54000",
                format!(
                    "the query has {} statements; the limit is {most}: send them in several queries",
                    pieces.len()
                ),
            ));
        }
        let format = encode::all_text();
        let mut responses = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            let outcome = match prepare(piece) {
                Ok(Prepared::Local(sql)) => self.local(&conn, &sql, &format).await,
                Ok(Prepared::Kalam { sql, statement, .. }) => {
                    self.run(client, &conn, &sql, statement, Vec::new(), &format)
                        .await
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(r) => responses.push(r),
                // PostgreSQL stops a multi-statement query at its first error.
                Err(PgWireError::UserError(info)) => {
                    responses.push(Response::Error(info));
                    break;
                }
                Err(other) => return Err(other),
            }
        }
        if responses.is_empty() {
            responses.push(Response::EmptyQuery);
        }
        Ok(responses)
    }
}

/// Parse-time parsing: the statement is typed once and kept with the prepared statement.
pub(crate) struct Parser;

#[async_trait]
impl QueryParser for Parser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let pieces = split_statements(sql);
        match pieces.as_slice() {
            [] => Ok(None),
            [one] => prepare(one).map(Some),
            _ => Err(error(
                "42601",
                "cannot insert multiple commands into a prepared statement",
            )),
        }
    }

    fn get_parameter_types(&self, _stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        // Described by the handler, which has the session (see do_describe_statement).
        Ok(Vec::new())
    }

    fn get_result_schema(
        &self,
        _stmt: &Prepared,
        _column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}

/// The types the parameters are decoded as: the client's where it gave one, else the engine's.
fn merge_types(given: &[Option<Type>], engine: &[Option<Field>]) -> Vec<Type> {
    (0..given.len().max(engine.len()))
        .map(|i| {
            given
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN)
                .unwrap_or_else(|| param_type(engine.get(i).and_then(|t| t.as_ref())))
        })
        .collect()
}

impl Handler {
    /// The parameter types of a prepared statement: described once, then kept with it (a
    /// client encodes its values by what Describe said, whatever changed since).
    async fn bound_types(
        &self,
        conn: &Conn,
        stored: &StoredStatement<Prepared>,
    ) -> PgWireResult<Vec<Type>> {
        let Prepared::Kalam {
            sql,
            statement,
            types,
        } = &stored.statement
        else {
            return Ok(Vec::new());
        };
        if let Some(t) = types.get() {
            return Ok(t.clone());
        }
        let engine_types = if is_listing(statement) {
            Vec::new()
        } else {
            let session = conn.session.lock().await;
            self.shared
                .engine
                .describe(&session, statement)
                .await
                .map_err(|e| kalam(&e, sql))?
                .params
        };
        let merged = merge_types(&stored.parameter_types, &engine_types);
        Ok(types.get_or_init(|| merged).clone())
    }
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Prepared;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    async fn do_describe_statement<C>(
        &self,
        client: &mut C,
        target: &StoredStatement<Prepared>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn(client)?;
        let (engine_types, fields) = self
            .result_fields(&conn, &target.statement, &Format::UnifiedText)
            .await?;
        let types = match &target.statement {
            Prepared::Kalam { types, .. } => types
                .get_or_init(|| merge_types(&target.parameter_types, &engine_types))
                .clone(),
            Prepared::Local(_) => Vec::new(),
        };
        Ok(DescribeStatementResponse::new(
            types,
            fields.unwrap_or_default(),
        ))
    }

    async fn do_describe_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn(client)?;
        let (_, fields) = self
            .result_fields(
                &conn,
                &portal.statement.statement,
                &portal.result_column_format,
            )
            .await?;
        Ok(match fields {
            Some(f) => DescribePortalResponse::new(f),
            None => DescribePortalResponse::no_data(),
        })
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn(client)?;
        match &portal.statement.statement {
            Prepared::Local(sql) => self.local(&conn, sql, &portal.result_column_format).await,
            Prepared::Kalam { sql, statement, .. } => {
                let types = self.bound_types(&conn, &portal.statement).await?;
                let mut values = Vec::with_capacity(portal.parameters.len());
                for (i, raw) in portal.parameters.iter().enumerate() {
                    let ty = types.get(i).cloned().unwrap_or(Type::TEXT);
                    values.push(params::decode(
                        i + 1,
                        &ty,
                        raw.as_deref(),
                        portal.parameter_format.is_binary(i),
                    )?);
                }
                self.run(
                    client,
                    &conn,
                    sql,
                    statement.clone(),
                    values,
                    &portal.result_column_format,
                )
                .await
            }
        }
    }
}
