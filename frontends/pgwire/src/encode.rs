//! Outcomes in PostgreSQL's terms: RowDescription fields with the type OID of each KalamDB
//! type, DataRows (Arrow cells through `arrow-pg`, in text or binary as the client asked), and
//! command tags (`INSERT 0 2`, `UPDATE 1`, `CREATE TABLE`).

use crate::text;
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

/// How a column's cells are encoded: most by `arrow-pg`; those whose text PostgreSQL prints
/// differently from it, or whose PostgreSQL type Arrow does not have, here.
enum Kind {
    Arrow,
    /// JSON or UUID held as Arrow text.
    TextAs,
    Float8,
    Float4,
    Time,
    /// Microseconds per unit, and whether the zone is UTC (a `timestamptz`).
    Timestamp {
        per_unit: i64,
        utc: bool,
        divide: bool,
    },
}

fn kind(field: &FieldInfo, array: &dyn Array) -> Kind {
    use datafusion::arrow::datatypes::TimeUnit;
    if (*field.datatype() == Type::JSON || *field.datatype() == Type::UUID)
        && is_text(array.data_type())
    {
        return Kind::TextAs;
    }
    match array.data_type() {
        DataType::Float64 => Kind::Float8,
        DataType::Float32 => Kind::Float4,
        DataType::Time64(TimeUnit::Microsecond) => Kind::Time,
        DataType::Timestamp(unit, tz) => {
            let utc = match tz.as_deref() {
                None => false,
                Some("UTC" | "+00:00" | "Z" | "+00") => true,
                Some(_) => return Kind::Arrow,
            };
            let (per_unit, divide) = match unit {
                TimeUnit::Second => (1_000_000, false),
                TimeUnit::Millisecond => (1_000, false),
                TimeUnit::Microsecond => (1, false),
                TimeUnit::Nanosecond => (1_000, true),
            };
            Kind::Timestamp {
                per_unit,
                utc,
                divide,
            }
        }
        _ => Kind::Arrow,
    }
}

fn timestamp_micros(array: &dyn Array, row: usize, per_unit: i64, divide: bool) -> Option<i64> {
    use datafusion::arrow::datatypes::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    if array.is_null(row) {
        return None;
    }
    let raw = match array.data_type() {
        DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Second, _) => {
            array.as_primitive::<TimestampSecondType>().value(row)
        }
        DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, _) => {
            array.as_primitive::<TimestampMillisecondType>().value(row)
        }
        DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, _) => {
            array.as_primitive::<TimestampMicrosecondType>().value(row)
        }
        _ => array.as_primitive::<TimestampNanosecondType>().value(row),
    };
    Some(if divide {
        raw.div_euclid(per_unit)
    } else {
        raw.saturating_mul(per_unit)
    })
}

/// The DataRows of `batch`.
fn batch_rows(batch: &RecordBatch, fields: &Arc<Vec<FieldInfo>>) -> PgWireResult<Vec<DataRow>> {
    use datafusion::arrow::datatypes::{Float32Type, Float64Type, Time64MicrosecondType};
    let schema = batch.schema();
    let kinds: Vec<Kind> = fields
        .iter()
        .enumerate()
        .map(|(col, f)| kind(f, batch.column(col).as_ref()))
        .collect();
    let mut encoder = DataRowEncoder::new(fields.clone());
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        for (col, field) in fields.iter().enumerate() {
            let array = batch.column(col);
            let a = array.as_ref();
            let null = a.is_null(row);
            let (ty, format, options) = (field.datatype(), field.format(), field.format_options());
            match &kinds[col] {
                Kind::Arrow => arrow_pg::encoder::encode_value(
                    &mut encoder,
                    array,
                    row,
                    schema.field(col),
                    field,
                )?,
                Kind::TextAs => encoder.encode_field_with_type_and_format(
                    &TextAs(text_cell(a, row)),
                    ty,
                    format,
                    options,
                )?,
                Kind::Float8 => encoder.encode_field_with_type_and_format(
                    &text::Float8((!null).then(|| a.as_primitive::<Float64Type>().value(row))),
                    ty,
                    format,
                    options,
                )?,
                Kind::Float4 => encoder.encode_field_with_type_and_format(
                    &text::Float4((!null).then(|| a.as_primitive::<Float32Type>().value(row))),
                    ty,
                    format,
                    options,
                )?,
                Kind::Time => encoder.encode_field_with_type_and_format(
                    &text::Time(
                        (!null).then(|| a.as_primitive::<Time64MicrosecondType>().value(row)),
                    ),
                    ty,
                    format,
                    options,
                )?,
                Kind::Timestamp {
                    per_unit,
                    utc,
                    divide,
                } => encoder.encode_field_with_type_and_format(
                    &text::Timestamp {
                        micros: timestamp_micros(a, row, *per_unit, *divide),
                        utc: *utc,
                    },
                    ty,
                    format,
                    options,
                )?,
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

/// What a statement's command tag says, read off the statement before it moves into the
/// engine (so the statement need not be kept, or copied, for its tag).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Command {
    Insert,
    Update,
    Delete,
    /// A fixed tag; `news`: its message says more than the tag (a job ID, a path) and goes
    /// out as a NOTICE.
    Word {
        word: &'static str,
        news: bool,
    },
}

impl Command {
    pub fn of(statement: &Statement) -> Command {
        let (word, news) = match statement {
            Statement::Insert(_) => return Command::Insert,
            Statement::Update(_) => return Command::Update,
            Statement::Delete(_) => return Command::Delete,
            Statement::CreateNamespace { .. } => ("CREATE SCHEMA", false),
            Statement::DropNamespace { .. } => ("DROP SCHEMA", false),
            Statement::Use { .. } => ("SET", false),
            Statement::CreateTable(_) => ("CREATE TABLE", false),
            Statement::DropTable { .. } => ("DROP TABLE", false),
            Statement::AlterTable { .. } => ("ALTER TABLE", true),
            Statement::CreateUser(_) => ("CREATE ROLE", false),
            Statement::AlterUser { .. } => ("ALTER ROLE", false),
            Statement::DropUser { .. } => ("DROP ROLE", false),
            Statement::CreateStorage(_) => ("CREATE STORAGE", true),
            Statement::AlterStorage { .. } => ("ALTER STORAGE", true),
            Statement::DropStorage { .. } => ("DROP STORAGE", true),
            Statement::CreateFlow(_) => ("CREATE FLOW", true),
            Statement::AlterFlow { .. } => ("ALTER FLOW", true),
            Statement::DropFlow { .. } => ("DROP FLOW", true),
            _ => ("OK", true),
        };
        Command::Word { word, news }
    }

    /// Whether the statement's message goes out as a NOTICE.
    pub fn news(self) -> bool {
        matches!(self, Command::Word { news: true, .. })
    }

    /// The tag of the statement when it returned no rows.
    fn tag(self, rows: usize) -> Tag {
        match self {
            Command::Insert => Tag::new("INSERT").with_oid(0).with_rows(rows),
            Command::Update => Tag::new("UPDATE").with_rows(rows),
            Command::Delete => Tag::new("DELETE").with_rows(rows),
            Command::Word { word, .. } => Tag::new(word),
        }
    }
}

/// A query response of `fields` and `rows`, tagged `SELECT n`.
pub(crate) fn rows_response(fields: Vec<FieldInfo>, rows: Vec<DataRow>) -> Response {
    let count = rows.len();
    let mut response = QueryResponse::new(Arc::new(fields), stream::iter(rows.into_iter().map(Ok)));
    response.set_command_tag(&format!("SELECT {count}"));
    Response::Query(response)
}

/// The response to a statement's outcome.
pub(crate) fn response(
    command: Command,
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
            None => Ok(Response::Execution(command.tag(result.row_count))),
        },
    }
}

/// Whether every column is asked for in text (the simple protocol always is).
pub(crate) fn all_text() -> Format {
    Format::UnifiedText
}
