//! The shell's history in `~/.kalam/history` (mode 0600). Entries that carry secrets
//! (`PASSWORD '...'`, storage `CREDENTIALS`, tokens) are never stored, in memory or on disk.

use crate::home::{KalamHome, ensure_private_file};
use std::path::PathBuf;

/// Words that mark an entry as secret, compared case-insensitively.
const SECRET_MARKERS: &[&str] = &["password", "credentials", "secret", "token"];

/// True when `entry` must not be kept in the history.
pub fn is_secret(entry: &str) -> bool {
    let lower = entry.to_lowercase();
    SECRET_MARKERS.iter().any(|marker| lower.contains(marker))
}

/// The history file, created (mode 0600) so that rustyline's writes keep that mode; `None`
/// (after a note on stderr) when it cannot be, and the shell runs without a saved history.
pub fn prepare(home: Option<&KalamHome>) -> Option<PathBuf> {
    let home = home?;
    let path = home.history();
    match home.ensure_dir().and_then(|()| ensure_private_file(&path)) {
        Ok(()) => Some(path),
        Err(e) => {
            eprintln!("history is not saved: {}: {e}", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_the_history() {
        assert!(is_secret(
            "CREATE USER 'bob' WITH PASSWORD 'hunter2' ROLE user;"
        ));
        assert!(is_secret("alter user 'bob' set password 'x';"));
        assert!(is_secret(
            "CREATE STORAGE s3 TYPE s3 CREDENTIALS '{\"secret_access_key\":\"k\"}';"
        ));
        assert!(!is_secret("SELECT * FROM app.items;"));
        assert!(!is_secret("\\dt"));
    }
}
