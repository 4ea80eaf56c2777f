//! Starts `kalamdb-server` on 127.0.0.1:0 with a temporary data directory and a low bcrypt
//! cost; killed on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ROOT_PASSWORD: &str = "soak-root-password";

pub struct Server {
    child: Child,
    pub url: String,
    _data: tempfile::TempDir,
}

impl Server {
    pub fn start(binary: &Path) -> Result<Server, String> {
        let data = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let mut child = Command::new(binary)
            .env("KALAMDB_SERVER_HOST", "127.0.0.1")
            .env("KALAMDB_SERVER_PORT", "0")
            .env("KALAMDB_DATA_DIR", data.path())
            .env("KALAMDB_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("KALAMDB_BCRYPT_COST", "4")
            .env("KALAMDB_LOG_LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.trim().strip_prefix("KalamDB server listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "the server did not start within 60 s".to_string())?;
        Ok(Server {
            child,
            url,
            _data: data,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
