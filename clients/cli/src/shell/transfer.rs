//! `\upload`, `\download` and `\export`: the caller's files and the ZIP of everything they own,
//! through kalam-link. Downloads go to a temporary name beside the target and are renamed
//! when complete, so an interrupted one never leaves a truncated file under the real name;
//! a progress bar is drawn on stderr when it is a terminal.

use super::Shell;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kalam_link::{KalamClient, KalamLinkError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long `\export` waits for the server to write the ZIP.
const EXPORT_WAIT: Duration = Duration::from_secs(3600);

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// `target` when it is a file path, `target/name` when it is a folder, `./name` without one.
fn destination(target: Option<&Path>, name: &str) -> PathBuf {
    let name = Path::new(name)
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "download".into());
    match target {
        Some(t) if t.is_dir() => t.join(name),
        Some(t) => t.to_path_buf(),
        None => PathBuf::from(name),
    }
}

/// What a download fetches.
enum Source<'a> {
    File(&'a str),
    Export(&'a str),
}

/// Streams into `<path>.part`, then renames it to `path`; the bytes written.
async fn download_into(
    client: &KalamClient,
    source: Source<'_>,
    path: &Path,
) -> Result<u64, String> {
    let mut part = path.as_os_str().to_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    let file = std::fs::File::create(&part).map_err(|e| format!("{}: {e}", part.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let bar = progress_bar();
    let mut progress = |done: u64, total: Option<u64>| {
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(done);
    };
    let outcome = match source {
        Source::File(id) => {
            client
                .download_file_to(id, &mut writer, &mut progress)
                .await
        }
        Source::Export(url) => {
            client
                .download_export_to(url, &mut writer, &mut progress)
                .await
        }
    };
    bar.finish_and_clear();
    let finished = outcome.map_err(|e| e.to_string()).and_then(|n| {
        use std::io::Write;
        writer
            .flush()
            .and_then(|_| writer.get_ref().sync_all())
            .map_err(|e| format!("{}: {e}", part.display()))?;
        Ok(n)
    });
    match finished {
        Ok(n) => {
            std::fs::rename(&part, path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

impl Shell<'_> {
    fn client(&self) -> &KalamClient {
        &self.session.client
    }

    fn report(&self, err: &KalamLinkError) {
        self.printer.error(self.client().url(), err, None);
    }

    pub(super) fn upload(&mut self, path: &Path) {
        if !path.is_file() {
            eprintln!("\\upload: {} is not a file", path.display());
            return;
        }
        let client = self.client().clone();
        match self.runtime.block_on(client.upload_path(path, None, None)) {
            Ok(file) => println!(
                "Uploaded {} ({} bytes) as {}, sha256 {}.",
                file.name, file.size, file.id, file.sha256
            ),
            Err(e) => self.report(&e),
        }
    }

    pub(super) fn download(&mut self, id: &str, target: Option<&Path>) {
        let client = self.client().clone();
        let files = match self.runtime.block_on(client.list_files()) {
            Ok(files) => files,
            Err(e) => return self.report(&e),
        };
        let Some(file) = files.into_iter().find(|f| f.id == id) else {
            eprintln!(
                "\\download: no file with id \"{id}\" (SELECT * FROM system.user_files lists yours)"
            );
            return;
        };
        let path = destination(target, &file.name);
        let done = self
            .runtime
            .block_on(download_into(&client, Source::File(&file.id), &path));
        match done {
            Ok(n) => println!(
                "Downloaded {} ({n} bytes) to {}.",
                file.name,
                path.display()
            ),
            Err(e) => eprintln!("\\download: {e}"),
        }
    }

    pub(super) fn export(&mut self, target: Option<&Path>) {
        let client = self.client().clone();
        let job = match self.runtime.block_on(client.start_export(None)) {
            Ok(job) => job,
            Err(e) => return self.report(&e),
        };
        println!("User data export started. Job ID: {job}");
        let spinner = if std::io::stderr().is_terminal() {
            let s = crate::spinner::start();
            s.set_message("writing the export…");
            s.enable_steady_tick(Duration::from_millis(100));
            Some(s)
        } else {
            None
        };
        let finished = self
            .runtime
            .block_on(client.wait_for_export(&job, EXPORT_WAIT));
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        let export = match finished {
            Ok(export) => export,
            Err(e) => return self.report(&e),
        };
        let Some(url) = export.download_url.clone() else {
            eprintln!(
                "\\export: export {job} {}: {}",
                export.status,
                export.message.unwrap_or_default()
            );
            return;
        };
        let user = self.session.user.clone().unwrap_or_else(|| "user".into());
        let path = destination(target, &format!("kalamdb-export-{user}-{job}.zip"));
        let done = self
            .runtime
            .block_on(download_into(&client, Source::Export(&url), &path));
        match done {
            Ok(n) => println!("Saved the export ({n} bytes) to {}.", path.display()),
            Err(e) => eprintln!("\\export: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(destination(None, "a.txt"), PathBuf::from("a.txt"));
        assert_eq!(
            destination(Some(dir.path()), "../a.txt"),
            dir.path().join("a.txt")
        );
        assert_eq!(
            destination(Some(&dir.path().join("b.bin")), "a.txt"),
            dir.path().join("b.bin")
        );
    }
}
