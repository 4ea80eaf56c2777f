//! The `~/.kalam` directory (under `$HOME`): `config.toml`, `credentials.toml` and `history`.
//! The directory is created with mode 0700 and private files with mode 0600, because history and
//! saved tokens are as sensitive as a password.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of private files: owner read and write only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Where `kalam` keeps its files.
#[derive(Clone, Debug)]
pub struct KalamHome {
    dir: PathBuf,
}

impl KalamHome {
    /// `$HOME/.kalam`; `None` when no home directory is known.
    pub fn from_env() -> Option<Self> {
        dirs::home_dir().map(|home| Self {
            dir: home.join(".kalam"),
        })
    }

    #[cfg(test)]
    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn credentials(&self) -> PathBuf {
        self.dir.join("credentials.toml")
    }

    pub fn history(&self) -> PathBuf {
        self.dir.join("history")
    }

    /// Creates the directory (mode 0700) when missing.
    pub fn ensure_dir(&self) -> io::Result<()> {
        if self.dir.is_dir() {
            return Ok(());
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
    }
}

/// Makes sure `path` exists with mode 0600 (also fixing the mode of an existing file), so a
/// later write never leaves it readable by others.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    let _: File = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_FILE_MODE))
}

/// Writes `contents` to `path` with mode 0600, replacing what was there.
pub fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    ensure_private_file(path)?;
    fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_0600_even_when_they_existed() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let home = KalamHome::at(dir.path().join(".kalam"));
        home.ensure_dir()?;
        let dir_mode = fs::metadata(dir.path().join(".kalam"))?
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let path = home.credentials();
        fs::write(&path, "old")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
        write_private(&path, "new")?;
        assert_eq!(fs::read_to_string(&path)?, "new");
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }
}
