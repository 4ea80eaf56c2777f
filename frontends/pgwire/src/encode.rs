//! Outcomes in PostgreSQL's terms: RowDescription fields with the type OID of each KalamDB
//! type, DataRows (Arrow cells through `arrow-pg`, in text or binary as the client asked), and
//! command tags (`INSERT 0 2`, `UPDATE 1`, `CREATE TABLE`).

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use futures::stream;
use kalamdb_core::exec::output::Output;
use kalamdb_core::exec::result::wire_type;
use kalamdb_core::sql::Statement;
use kalamdb_types::KalamDataType;
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{DataRowEncoder, FieldInfo, QueryResponse, Response, Tag};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;
use postgres_types::{IsNull, ToSql};
use std::sync::Arc;

/// The PostgreSQL type of a result column. KalamDB's JSON, FILE and UUID columns are text in
/// Arrow; they are reported as `json` and `uuid`, as a PostgreSQL table would report them.
pub(crate) fn pg_type(field: &Field) -> Type {
    match wire_type(field) {
        KalamDataType::Json | KalamDataType::File => Type::JSON,
        KalamDataType::Uuid if is_text(field.data_type()) => Type::UUID,
        _ => {
            arrow_pg::datatypes::field_into_pg_type(&Arc::new(field.clone())).unwrap_or(Type::TEXT)
        }
    }
}

fn is_text(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// RowDescription fields of `schema`, each in the format the client asked for.
pub(crate) fn fields(schema: &Schema, format: &Format) -> Vec<FieldInfo> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            FieldInfo::new(
                f.name().clone(),
                None,
                None,
                pg_type(f),
                format.format_for(i),
            )
        })
        .collect()
}

/// Text fields named `names` (rows KalamDB already rendered: SHOW, DESCRIBE).
pub(crate) fn text_fields(names: &[String], format: &Format) -> Vec<FieldInfo> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| FieldInfo::new(n.clone(), None, None, Type::TEXT, format.format_for(i)))
        .collect()
}

/// A text cell in a column typed `json` or `uuid`: the same bytes in the text format; in the
/// binary format JSON is its text and a UUID its 16 bytes.
#[derive(Debug)]
struct TextAs<'a>(Option<&'a str>);

impl ToSql for TextAs<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let Some(s) = self.0 else {
            return Ok(IsNull::Yes);
        };
        if *ty == Type::UUID {
            let hex: String = s.chars().filter(|c| *c != '-').collect();
            if hex.len() != 32 {
                return Err(format!("invalid UUID \"{s}\"").into());
            }
            for i in 0..16 {
                let byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                    .map_err(|_| format!("invalid UUID \"{s}\""))?;
                out.extend_from_slice(&[byte]);
            }
        } else {
            out.extend_from_slice(s.as_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

impl pgwire::types::ToSqlText for TextAs<'_> {
    fn to_sql_text(
        &self,
        _ty: &Type,
        out: &mut bytes::BytesMut,
        _options: &pgwire::types::format::FormatOptions,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Some(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }
}

fn text_cell(array: &dyn Array, row: usize) -> Option<&str> {
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(row)),
        DataType::Utf8View => Some(array.as_string_view().value(row)),
        _ => None,
    }
}

/// The DataRows of `batch`.
fn batch_rows(batch: &RecordBatch, fields: &Arc<Vec<FieldInfo>>) -> PgWireResult<Vec<DataRow>> {
    let schema = batch.schema();
    let mut encoder = DataRowEncoder::new(fields.clone());
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        for (col, field) in fields.iter().enumerate() {
            let array = batch.column(col);
            let special = (*field.datatype() == Type::JSON || *field.datatype() == Type::UUID)
                && is_text(array.data_type());
            if special {
                encoder.encode_field_with_type_and_format(
                    &TextAs(text_cell(array.as_ref(), row)),
                    field.datatype(),
                    field.format(),
                    field.format_options(),
                )?;
            } else {
                arrow_pg::encoder::encode_value(
                    &mut encoder,
                    array,
                    row,
                    schema.field(col),
                    field,
                )?;
            }
        }
        rows.push(encoder.take_row());
    }
    Ok(rows)
}

/// A cell KalamDB rendered as JSON, as PostgreSQL text.
fn json_text(cell: &serde_json::Value) -> Option<String> {
    match cell {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(if *b { "t" } else { "f" }.into()),
        other => Some(other.to_string()),
    }
}

/// The command tag of a statement that returned no rows.
fn tag(statement: &Statement, rows: usize) -> Tag {
    let word = match statement {
        Statement::Insert(_) => return Tag::new("INSERT").with_oid(0).with_rows(rows),
        Statement::Update(_) => return Tag::new("UPDATE").with_rows(rows),
        Statement::Delete(_) => return Tag::new("DELETE").with_rows(rows),
        Statement::CreateNamespace { .. } => "CREATE SCHEMA",
        Statement::DropNamespace { .. } => "DROP SCHEMA",
        Statement::Use { .. } => "SET",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::DropTable { .. } => "DROP TABLE",
        Statement::AlterTable { .. } => "ALTER TABLE",
        Statement::CreateUser(_) => "CREATE ROLE",
        Statement::AlterUser { .. } => "ALTER ROLE",
        Statement::DropUser { .. } => "DROP ROLE",
        Statement::CreateStorage(_) => "CREATE STORAGE",
        Statement::AlterStorage { .. } => "ALTER STORAGE",
        Statement::DropStorage { .. } => "DROP STORAGE",
        Statement::CreateFlow(_) => "CREATE FLOW",
        Statement::AlterFlow { .. } => "ALTER FLOW",
        Statement::DropFlow { .. } => "DROP FLOW",
        _ => "OK",
    };
    Tag::new(word)
}

/// Whether a statement's message says more than its tag (a job ID, a path): sent as NOTICE.
pub(crate) fn message_is_news(statement: &Statement) -> bool {
    !matches!(
        statement,
        Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::CreateNamespace { .. }
            | Statement::DropNamespace { .. }
            | Statement::Use { .. }
            | Statement::CreateTable(_)
            | Statement::DropTable { .. }
            | Statement::CreateUser(_)
            | Statement::AlterUser { .. }
            | Statement::DropUser { .. }
    )
}

/// A query response of `fields` and `rows`, tagged `SELECT n`.
pub(crate) fn rows_response(fields: Vec<FieldInfo>, rows: Vec<DataRow>) -> Response {
    let count = rows.len();
    let mut response = QueryResponse::new(Arc::new(fields), stream::iter(rows.into_iter().map(Ok)));
    response.set_command_tag(&format!("SELECT {count}"));
    Response::Query(response)
}

/// The response to `statement`'s outcome.
pub(crate) fn response(
    statement: &Statement,
    output: Output,
    format: &Format,
) -> PgWireResult<Response> {
    match output {
        Output::Rows { schema, batches } => {
            let fields = Arc::new(fields(&schema, format));
            let mut rows = Vec::new();
            for batch in &batches {
                rows.extend(batch_rows(batch, &fields)?);
            }
            Ok(rows_response(Arc::unwrap_or_clone(fields), rows))
        }
        Output::Result(result) => match result.rows {
            Some(cells) => {
                let names: Vec<String> = result.schema.iter().map(|f| f.name.clone()).collect();
                let fields = text_fields(&names, format);
                let shared = Arc::new(fields.clone());
                let mut encoder = DataRowEncoder::new(shared);
                let mut rows = Vec::with_capacity(cells.len());
                for row in &cells {
                    for cell in row {
                        encoder.encode_field(&json_text(cell))?;
                    }
                    rows.push(encoder.take_row());
                }
                Ok(rows_response(fields, rows))
            }
            None => Ok(Response::Execution(tag(statement, result.row_count))),
        },
    }
}

/// Whether every column is asked for in text (the simple protocol always is).
pub(crate) fn all_text() -> Format {
    Format::UnifiedText
}
