//! `\copy`, psql's client-side copy, in CSV:
//!
//! - `\copy TABLE [(COLS)] TO 'FILE'|STDOUT CSV [HEADER]` and `\copy (SELECT ...) TO ...` write
//!   the rows as RFC 4180 CSV: NULL as an empty field, an empty string as `""`. A file is
//!   written to `FILE.part` and renamed when complete, so an error never leaves half a file.
//! - `\copy TABLE [(COLS)] FROM 'FILE' CSV [HEADER]` reads the whole file first (a malformed
//!   line or a wrong field count stops the copy before any row is sent), then inserts it in
//!   batches of [`BATCH_ROWS`] rows, each one `INSERT` the server applies all or nothing. An
//!   unquoted empty field is NULL; every other field is sent as a string literal, which the
//!   server casts to the column's type.
//! - A table copied without a column list has the columns of `SELECT *` minus the system
//!   columns `_seq` and `_deleted`.
//!
//! Options may also be written `WITH (FORMAT csv, HEADER, DELIMITER ';')`. Only CSV is read and
//! written; psql's default text format is refused with a message saying to add `CSV`.

use super::Shell;
use kalam_link::QueryResult;
use std::io::Write;
use std::path::PathBuf;

/// Rows per INSERT of `\copy ... FROM`.
pub const BATCH_ROWS: usize = 500;
/// SQL text per INSERT stays under this (the server's statement limit is 1 MiB).
const BATCH_BYTES: usize = 512 * 1024;

/// A parsed `\copy` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySpec {
    pub source: Source,
    pub columns: Vec<String>,
    pub direction: Direction,
    /// `None`: standard output (TO STDOUT).
    pub file: Option<PathBuf>,
    pub header: bool,
    pub delimiter: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Table(String),
    Query(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    To,
    From,
}

/// One word of the command line: a word, a `'quoted string'`, or a `(group)`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Group(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated quoted string".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        value.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        value.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Quoted(value));
        } else if c == '(' {
            let (mut depth, mut quoted, start) = (0usize, false, i + 1);
            loop {
                match chars.get(i) {
                    None => return Err("unbalanced parentheses".into()),
                    Some('\'') => quoted = !quoted,
                    Some('(') if !quoted => depth += 1,
                    Some(')') if !quoted => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            out.push(Token::Group(chars[start..i].iter().collect()));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        }
    }
    Ok(out)
}

/// Parses the text after `\copy`.
pub fn parse(text: &str) -> Result<CopySpec, String> {
    let usage = "\\copy TABLE [(COLUMNS)] FROM|TO 'FILE' CSV [HEADER], or \\copy (SELECT ...) TO 'FILE' CSV";
    let words = tokens(text.trim().trim_end_matches(';'))?;
    let mut rest = words.iter().peekable();
    let source = match rest.next() {
        Some(Token::Group(query)) => Source::Query(query.trim().to_string()),
        Some(Token::Word(table)) => Source::Table(table.clone()),
        _ => return Err(format!("\\copy: a table or (query) comes first: {usage}")),
    };
    let mut columns = Vec::new();
    if let (Source::Table(_), Some(Token::Group(list))) = (&source, rest.peek()) {
        columns = list
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        rest.next();
    }
    let direction = match rest.next() {
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("to") => Direction::To,
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("from") => Direction::From,
        _ => return Err(format!("\\copy: FROM or TO expected: {usage}")),
    };
    if matches!(source, Source::Query(_)) && direction == Direction::From {
        return Err("\\copy: a query can only be copied TO a file".into());
    }
    let file = match rest.next() {
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("stdout") => None,
        Some(Token::Word(w))
            if w.eq_ignore_ascii_case("stdin") || w.eq_ignore_ascii_case("pstdin") =>
        {
            return Err("\\copy: FROM STDIN is not supported; name a file".into());
        }
        Some(Token::Quoted(path) | Token::Word(path)) => Some(PathBuf::from(path)),
        _ => return Err(format!("\\copy: a file name expected: {usage}")),
    };
    if file.is_none() && direction == Direction::From {
        return Err("\\copy: FROM needs a file".into());
    }
    let (mut csv, mut header, mut delimiter) = (false, false, b',');
    let mut options: Vec<Token> = Vec::new();
    for token in rest {
        match token {
            Token::Group(list) => {
                for item in list.split(',') {
                    options.extend(tokens(item)?);
                }
            }
            other => options.push(other.clone()),
        }
    }
    let mut options = options.into_iter().peekable();
    while let Some(token) = options.next() {
        let Token::Word(word) = &token else {
            return Err(format!("\\copy: unexpected {token:?}"));
        };
        match word.to_ascii_lowercase().as_str() {
            "with" => {}
            "csv" => csv = true,
            "format" => match options.next() {
                Some(Token::Word(f) | Token::Quoted(f)) if f.eq_ignore_ascii_case("csv") => {
                    csv = true
                }
                Some(Token::Word(f) | Token::Quoted(f)) => {
                    return Err(format!("\\copy: format {f} is not supported; use CSV"));
                }
                _ => return Err("\\copy: FORMAT needs a value (csv)".into()),
            },
            "header" => {
                header = true;
                if let Some(Token::Word(v)) = options.peek()
                    && ["true", "false", "on", "off"].contains(&v.to_ascii_lowercase().as_str())
                {
                    header = matches!(v.to_ascii_lowercase().as_str(), "true" | "on");
                    options.next();
                }
            }
            "delimiter" => match options.next() {
                Some(Token::Quoted(d)) if d.len() == 1 && d != "\"" && d != "\n" => {
                    delimiter = d.as_bytes()[0];
                }
                _ => {
                    return Err(
                        "\\copy: DELIMITER must be one character, e.g. DELIMITER ';'".into(),
                    );
                }
            },
            other => {
                return Err(format!(
                    "\\copy: unknown option {other}: use CSV, HEADER, DELIMITER"
                ));
            }
        }
    }
    if !csv {
        return Err(
            "\\copy: only CSV is supported: add CSV (e.g. \\copy t TO 'f.csv' CSV HEADER)".into(),
        );
    }
    Ok(CopySpec {
        source,
        columns,
        direction,
        file,
        header,
        delimiter,
    })
}

/// One CSV field as `\copy ... TO` writes it.
fn write_field(out: &mut String, value: Option<&str>, delimiter: u8) {
    let Some(value) = value else { return };
    let delimiter = char::from(delimiter);
    let quote = value.is_empty()
        || value.contains(|c| c == delimiter || c == '"' || c == '\n' || c == '\r')
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace);
    if quote {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The result as CSV text.
pub fn to_csv(result: &QueryResult, header: bool, delimiter: u8) -> String {
    let mut out = String::new();
    let separator = char::from(delimiter);
    if header {
        for (i, field) in result.schema.iter().enumerate() {
            if i > 0 {
                out.push(separator);
            }
            write_field(&mut out, Some(&field.name), delimiter);
        }
        out.push('\n');
    }
    for row in result.rows.iter().flatten() {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                out.push(separator);
            }
            let text = crate::render::cell::text(result.schema.get(i), value);
            write_field(&mut out, text.as_deref(), delimiter);
        }
        out.push('\n');
    }
    out
}

/// One parsed CSV record: its first line number and fields (`None`: unquoted empty, NULL).
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<Option<String>>,
}

/// Parses CSV text (RFC 4180; `\r\n` or `\n`; quoted fields may span lines).
pub fn parse_csv(text: &str, delimiter: u8) -> Result<Vec<Record>, String> {
    let delimiter = char::from(delimiter);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start_line = line;
        let mut fields = Vec::new();
        loop {
            let mut value = String::new();
            let mut quoted = false;
            if chars.peek() == Some(&'"') {
                quoted = true;
                chars.next();
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!("line {start_line}: unterminated quoted field"));
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            value.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            value.push(c);
                        }
                    }
                }
            }
            while let Some(&c) = chars.peek() {
                if c == delimiter || c == '\n' || c == '\r' {
                    break;
                }
                if quoted {
                    return Err(format!(
                        "line {line}: unexpected text after a closing quote"
                    ));
                }
                value.push(c);
                chars.next();
            }
            fields.push(if quoted || !value.is_empty() {
                Some(value)
            } else {
                None
            });
            match chars.next() {
                Some(c) if c == delimiter => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        // A blank line is not a record.
        if !(fields.len() == 1 && fields[0].is_none()) {
            records.push(Record {
                line: start_line,
                fields,
            });
        }
    }
    Ok(records)
}

/// The columns the server adds to `SELECT *` of a table (`_seq`, `_deleted`), which a copy
/// of the table leaves out, as psql's copies leave out system columns.
fn is_system_column(name: &str) -> bool {
    matches!(name, "_seq" | "_deleted")
}

fn drop_system_columns(result: &mut QueryResult) {
    let keep: Vec<bool> = result
        .schema
        .iter()
        .map(|f| !is_system_column(&f.name))
        .collect();
    let mut index = 0;
    result.schema.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    for (i, field) in result.schema.iter_mut().enumerate() {
        field.index = i;
    }
    for row in result.rows.iter_mut().flatten() {
        let mut index = 0;
        row.retain(|_| {
            index += 1;
            keep.get(index - 1).copied().unwrap_or(true)
        });
    }
}

/// `'text'` with quotes doubled.
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The INSERT statements for `records`: (first line, last line, rows, SQL).
pub fn inserts(
    table: &str,
    columns: &[String],
    records: &[Record],
) -> Vec<(usize, usize, usize, String)> {
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut out = Vec::new();
    let mut sql = String::new();
    let mut first_line = 0;
    let mut rows = 0;
    for record in records {
        if rows == 0 {
            sql.clone_from(&head);
            first_line = record.line;
        } else {
            sql.push_str(", ");
        }
        let values: Vec<String> = record
            .fields
            .iter()
            .map(|f| f.as_deref().map_or_else(|| "NULL".to_string(), literal))
            .collect();
        sql.push('(');
        sql.push_str(&values.join(", "));
        sql.push(')');
        rows += 1;
        if rows == BATCH_ROWS || sql.len() >= BATCH_BYTES {
            out.push((first_line, record.line, rows, std::mem::take(&mut sql)));
            rows = 0;
        }
    }
    if rows > 0 {
        let last = records.last().map_or(first_line, |r| r.line);
        out.push((first_line, last, rows, sql));
    }
    out
}

impl Shell<'_> {
    pub(super) fn copy(&mut self, text: &str) {
        let spec = match parse(text) {
            Ok(spec) => spec,
            Err(message) => {
                eprintln!("{message}");
                return;
            }
        };
        match spec.direction {
            Direction::To => self.copy_to(&spec),
            Direction::From => self.copy_from(&spec),
        }
    }

    fn copy_to(&mut self, spec: &CopySpec) {
        let sql = match &spec.source {
            Source::Query(query) => query.clone(),
            Source::Table(table) if spec.columns.is_empty() => format!("SELECT * FROM {table}"),
            Source::Table(table) => format!("SELECT {} FROM {table}", spec.columns.join(", ")),
        };
        let Some(mut result) = self.quiet(&sql) else {
            return;
        };
        if matches!(spec.source, Source::Table(_)) && spec.columns.is_empty() {
            drop_system_columns(&mut result);
        }
        let text = to_csv(&result, spec.header, spec.delimiter);
        let rows = result.rows.as_ref().map_or(0, Vec::len);
        match &spec.file {
            None => {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(text.as_bytes());
            }
            Some(path) => {
                let mut part = path.clone().into_os_string();
                part.push(".part");
                let part = PathBuf::from(part);
                let written = std::fs::write(&part, text.as_bytes())
                    .and_then(|()| std::fs::rename(&part, path));
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&part);
                    eprintln!("could not write {}: {e}", path.display());
                    return;
                }
            }
        }
        println!("COPY {rows}");
    }

    fn copy_from(&mut self, spec: &CopySpec) {
        let Source::Table(table) = &spec.source else {
            return;
        };
        let Some(path) = &spec.file else { return };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return;
            }
        };
        let mut records = match parse_csv(&text, spec.delimiter) {
            Ok(records) => records,
            Err(message) => {
                eprintln!("\\copy: {}: {message}; nothing was copied", path.display());
                return;
            }
        };
        if spec.header && !records.is_empty() {
            records.remove(0);
        }
        let columns = if spec.columns.is_empty() {
            let Some(result) = self.quiet(&format!("SELECT * FROM {table} LIMIT 0")) else {
                return;
            };
            result
                .schema
                .iter()
                .filter(|f| !is_system_column(&f.name))
                .map(|f| f.name.clone())
                .collect()
        } else {
            spec.columns.clone()
        };
        if let Some(bad) = records.iter().find(|r| r.fields.len() != columns.len()) {
            eprintln!(
                "\\copy: {}: line {}: {} fields, but the copy has {} columns ({}); nothing was copied",
                path.display(),
                bad.line,
                bad.fields.len(),
                columns.len(),
                columns.join(", ")
            );
            return;
        }
        let mut copied = 0usize;
        for (first, last, rows, sql) in inserts(table, &columns, &records) {
            if self.quiet(&sql).is_none() {
                eprintln!(
                    "\\copy: stopped at lines {first}-{last} of {}; the {copied} rows before them were copied",
                    path.display()
                );
                return;
            }
            copied += rows;
        }
        println!("COPY {copied}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commands_parse_like_psql() {
        let spec = parse("app.notes (id, body) FROM '/tmp/my notes.csv' WITH (FORMAT csv, HEADER)")
            .expect("parse");
        assert_eq!(spec.source, Source::Table("app.notes".into()));
        assert_eq!(spec.columns, vec!["id", "body"]);
        assert_eq!(spec.direction, Direction::From);
        assert_eq!(spec.file, Some(PathBuf::from("/tmp/my notes.csv")));
        assert!(spec.header);
        let spec = parse("(SELECT id FROM app.t WHERE body = 'a b') TO STDOUT CSV DELIMITER ';'")
            .expect("parse query");
        assert_eq!(
            spec.source,
            Source::Query("SELECT id FROM app.t WHERE body = 'a b'".into())
        );
        assert_eq!(
            (spec.file, spec.delimiter, spec.header),
            (None, b';', false)
        );
        assert!(parse("app.t TO 'x.csv'").unwrap_err().contains("add CSV"));
        assert!(parse("app.t FROM STDIN CSV").unwrap_err().contains("STDIN"));
        assert!(parse("(SELECT 1) FROM 'x' CSV").unwrap_err().contains("TO"));
        assert!(
            parse("app.t INTO 'x' CSV")
                .unwrap_err()
                .contains("FROM or TO")
        );
    }

    #[test]
    fn csv_round_trips_nulls_empty_strings_and_quotes() {
        let result: QueryResult = serde_json::from_value(json!({
            "schema": [
                {"name":"id","data_type":"BigInt","index":0},
                {"name":"body","data_type":"Text","index":1}
            ],
            "rows": [["1","a, \"b\"\nc"],["2",null],["3",""]],
            "row_count": 3
        }))
        .unwrap_or_default();
        let text = to_csv(&result, true, b',');
        assert_eq!(text, "id,body\n1,\"a, \"\"b\"\"\nc\"\n2,\n3,\"\"\n");
        let records = parse_csv(&text, b',').expect("parse");
        assert_eq!(records.len(), 4);
        assert_eq!(records[1].fields[1].as_deref(), Some("a, \"b\"\nc"));
        assert_eq!(records[2].line, 4);
        assert_eq!(records[2].fields[1], None);
        assert_eq!(records[3].fields[1].as_deref(), Some(""));
        assert!(parse_csv("\"open\n", b',').unwrap_err().contains("line 1"));
        assert!(
            parse_csv("1,\"x\"y\n", b',')
                .unwrap_err()
                .contains("after a closing quote")
        );
    }

    #[test]
    fn inserts_come_in_batches_with_their_lines() {
        let records: Vec<Record> = (0..(BATCH_ROWS + 1))
            .map(|i| Record {
                line: i + 2,
                fields: vec![
                    Some(i.to_string()),
                    if i == 0 { None } else { Some("it's".into()) },
                ],
            })
            .collect();
        let batches = inserts("app.t", &["id".into(), "body".into()], &records);
        assert_eq!(batches.len(), 2);
        assert_eq!((batches[0].0, batches[0].1), (2, BATCH_ROWS + 1));
        assert_eq!(batches[0].2, BATCH_ROWS);
        assert!(
            batches[0]
                .3
                .starts_with("INSERT INTO app.t (id, body) VALUES ('0', NULL), ('1', 'it''s')")
        );
        assert_eq!(
            (batches[1].0, batches[1].1),
            (BATCH_ROWS + 2, BATCH_ROWS + 2)
        );
    }
}
