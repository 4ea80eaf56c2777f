//! KalamDB errors as PostgreSQL ErrorResponses: the SQLSTATE PostgreSQL gives the same
//! failure, the message split into message and DETAIL as PostgreSQL splits it, and for a
//! syntax error the position of the offending token.

use kalamdb_core::error::KalamError;
use pgwire::error::{ErrorInfo, PgWireError};

/// An ErrorResponse with `code` and `message`.
pub(crate) fn error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(info(code, message.into())))
}

fn info(code: &str, message: String) -> ErrorInfo {
    let (message, detail) = match message.split_once("\nDETAIL: ") {
        Some((m, d)) => (m.to_string(), Some(d.to_string())),
        None => (message, None),
    };
    let mut info = ErrorInfo::new("ERROR".into(), code.into(), message);
    info.detail = detail;
    info
}

/// `err`, met while running `sql`.
pub(crate) fn kalam(err: &KalamError, sql: &str) -> PgWireError {
    let message = match err {
        // Internal details go to the log, not to the client.
        KalamError::Internal(_) | KalamError::Storage(_) => {
            tracing::error!("pgwire: statement failed: {err}");
            "internal error; see the server log".to_string()
        }
        other => other.to_string(),
    };
    let mut info = info(err.sqlstate(), message);
    if matches!(err, KalamError::Syntax(_)) {
        info.position = syntax_position(&info.message, sql).map(|p| p.to_string());
    }
    PgWireError::UserError(Box::new(info))
}

/// The 1-based character position PostgreSQL reports with `syntax error at or near "X"`: the
/// first place the token appears in the statement (the end, for "at end of input").
fn syntax_position(message: &str, sql: &str) -> Option<usize> {
    if message.contains("at end of input") {
        return Some(sql.trim_end().chars().count() + 1);
    }
    let token = message.split("at or near \"").nth(1)?.strip_suffix('"')?;
    let lower = sql.to_lowercase();
    let at = lower.find(&token.to_lowercase())?;
    Some(sql[..at].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_the_token() {
        assert_eq!(
            syntax_position("syntax error at or near \"FORM\"", "SELECT 1 FORM t"),
            Some(10)
        );
        assert_eq!(
            syntax_position("syntax error at end of input", "SELECT * FROM"),
            Some(14)
        );
    }

    #[test]
    fn detail_is_split_off() {
        let err = KalamError::DuplicateKey {
            table: "t".into(),
            column: "id".into(),
            value: "1".into(),
        };
        let PgWireError::UserError(info) = kalam(&err, "INSERT ...") else {
            panic!("not a user error")
        };
        assert_eq!(info.code, "23505");
        assert_eq!(
            info.message,
            "duplicate key value violates unique constraint \"t_pkey\""
        );
        assert_eq!(info.detail.as_deref(), Some("Key (id)=(1) already exists."));
    }
}
