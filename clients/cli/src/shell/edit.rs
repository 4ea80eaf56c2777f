//! `\e [FILE]`: edits the statement being typed (else the last one sent, else FILE) in
//! `$VISUAL`, `$EDITOR` or `vi`, as psql does. When the editor exits, text that ends with `;`
//! runs at once; text without one becomes the statement being typed, to finish at the prompt.

use super::Shell;
use crate::statement;
use std::path::{Path, PathBuf};
use std::process::Command;

impl Shell<'_> {
    /// Returns the edited SQL when it is complete (to run); otherwise leaves it in
    /// `self.edited` for the prompt and returns `None`.
    pub(super) fn edit(&mut self, buffer: &str, file: Option<&Path>) -> Option<String> {
        let (path, temporary) = match file {
            Some(path) => (path.to_path_buf(), false),
            None => {
                let initial = if buffer.trim().is_empty() {
                    self.last_sql.clone().unwrap_or_default()
                } else {
                    buffer.to_string()
                };
                let path = scratch_file();
                if let Err(e) = std::fs::write(&path, initial) {
                    eprintln!("could not write {}: {e}", path.display());
                    self.edited = Some(buffer.to_string());
                    return None;
                }
                (path, true)
            }
        };
        let edited = run_editor(&path).and_then(|()| {
            std::fs::read_to_string(&path)
                .map_err(|e| format!("could not read {}: {e}", path.display()))
        });
        if temporary {
            let _ = std::fs::remove_file(&path);
        }
        match edited {
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) if statement::is_complete(&text) => Some(text),
            Ok(text) => {
                let mut text = text.trim_end().to_string();
                text.push('\n');
                println!("{}", text.trim_end());
                self.edited = Some(text);
                None
            }
            Err(message) => {
                eprintln!("{message}");
                self.edited = Some(buffer.to_string());
                None
            }
        }
    }
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, run through `sh` so the variable may hold arguments.
fn run_editor(path: &Path) -> Result<(), String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| format!("could not start the editor '{editor}': {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor '{editor}' ended with {status}; nothing was run"
        ))
    }
}

fn scratch_file() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("kalam-edit-{}-{n}.sql", std::process::id()))
}
