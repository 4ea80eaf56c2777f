//! CSV output: per result with rows, a header line then one line per row (RFC 4180 quoting,
//! NULL as an empty field). Results without rows (DDL/DML) print nothing here; results are
//! separated by an empty line.

use super::{cell, has_rows};
use kalam_link::{QueryResponse, QueryResult};

pub fn render_response(response: &QueryResponse) -> String {
    response
        .results
        .iter()
        .filter(|r| has_rows(r))
        .map(render_result)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn render_result(result: &QueryResult) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail for I/O reasons; the record lengths always match the header.
    let _ = writer.write_record(result.schema.iter().map(|f| f.name.as_str()));
    for row in result.rows.iter().flatten() {
        let fields = row
            .iter()
            .enumerate()
            .map(|(i, value)| cell::text(result.schema.get(i), value).unwrap_or_default());
        let _ = writer.write_record(fields);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(value: serde_json::Value) -> QueryResult {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn header_then_rows() {
        let r = result(json!({
            "schema": [
                {"name":"id","data_type":"BigInt","index":0},
                {"name":"body","data_type":"Text","index":1},
                {"name":"at","data_type":"Timestamp","index":2}
            ],
            "rows": [["1","hello, world",1714564800000000_i64],["2",null,null],["3","say \"hi\"",null]],
            "row_count": 3
        }));
        let text = render_response(&QueryResponse {
            results: vec![
                result(json!({"message":"Using namespace 'app'","row_count":0})),
                r,
            ],
            took: 0.5,
        });
        assert_eq!(
            text,
            "id,body,at\n1,\"hello, world\",2024-05-01T12:00:00Z\n2,,\n3,\"say \"\"hi\"\"\",\n"
        );
    }

    #[test]
    fn results_are_separated_by_a_blank_line() {
        let one = result(
            json!({"schema":[{"name":"a","data_type":"Int","index":0}],"rows":[[1]],"row_count":1}),
        );
        let text = render_response(&QueryResponse {
            results: vec![one.clone(), one],
            took: 0.5,
        });
        assert_eq!(text, "a\n1\n\na\n1\n");
    }
}
