//! sqlparser's errors in PostgreSQL's words: `syntax error at or near "SELEKT"`.

use sqlparser::parser::ParserError;

pub fn translate(err: &ParserError) -> String {
    let text = match err {
        ParserError::ParserError(s) | ParserError::TokenizerError(s) => s.as_str(),
        ParserError::RecursionLimitExceeded => return "statement is too deeply nested".into(),
    };
    if let Some(pos) = text.find("found: ") {
        let rest = &text[pos + 7..];
        let token = rest.split(" at Line:").next().unwrap_or(rest).trim();
        if token == "EOF" {
            return "syntax error at end of input".into();
        }
        return format!("syntax error at or near \"{token}\"");
    }
    format!("syntax error: {text}")
}
