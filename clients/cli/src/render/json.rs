//! JSON output: the server's response (`status`, `results`, `took`), pretty-printed, so
//! scripts see exactly the wire contract of API.md.

use kalam_link::QueryResponse;

pub fn render_response(response: &QueryResponse) -> String {
    let wire = response.to_wire();
    // Serializing plain JSON values cannot fail; fall back to the compact form regardless.
    serde_json::to_string_pretty(&wire)
        .or_else(|_| serde_json::to_string(&wire))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalam_link::QueryResult;
    use serde_json::{Value, json};

    #[test]
    fn json_is_the_wire_response() {
        let result: QueryResult = serde_json::from_value(json!({
            "schema": [{"name":"id","data_type":"BigInt","index":0}],
            "rows": [["1"]], "row_count": 1
        }))
        .unwrap_or_default();
        let text = render_response(&QueryResponse {
            results: vec![result],
            took: 1.5,
        });
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(parsed["status"], "success");
        assert_eq!(parsed["results"][0]["rows"][0][0], "1");
        assert_eq!(parsed["results"][0]["schema"][0]["name"], "id");
        assert_eq!(parsed["took"], 1.5);
    }
}
