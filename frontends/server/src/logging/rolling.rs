//! `server.log` with rotation by day, hour or size, keeping at most `max_files` files (the
//! current one included). A rotated file is renamed `server.log.<stamp>`, where the stamp sorts
//! by time, and the oldest beyond the limit are deleted. The clock is injectable for tests.

use chrono::{DateTime, Utc};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// When the file starts anew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    Daily,
    Hourly,
    /// At `max_bytes`.
    Size,
    Never,
}

impl Rotation {
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "daily" => Rotation::Daily,
            "hourly" => Rotation::Hourly,
            "size" => Rotation::Size,
            "never" => Rotation::Never,
            other => {
                return Err(format!(
                    "logging.rotation = '{other}' must be daily, hourly, size or never"
                ));
            }
        })
    }

    /// The period a time falls in, as the stamp of the file that period writes.
    fn period(self, at: DateTime<Utc>) -> String {
        match self {
            Rotation::Daily => at.format("%Y-%m-%d").to_string(),
            Rotation::Hourly => at.format("%Y-%m-%d-%H").to_string(),
            Rotation::Size | Rotation::Never => String::new(),
        }
    }
}

pub type Clock = Box<dyn Fn() -> DateTime<Utc> + Send>;

pub struct RollingFile {
    dir: PathBuf,
    rotation: Rotation,
    max_bytes: u64,
    max_files: usize,
    clock: Clock,
    file: File,
    size: u64,
    period: String,
}

const NAME: &str = "server.log";

impl RollingFile {
    pub fn open(
        dir: &Path,
        rotation: Rotation,
        max_bytes: u64,
        max_files: usize,
        clock: Clock,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(NAME);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let meta = file.metadata()?;
        // A file left by an earlier run belongs to the period it was last written in.
        let written: DateTime<Utc> = if meta.len() == 0 {
            clock()
        } else {
            meta.modified()
                .map(DateTime::from)
                .unwrap_or_else(|_| clock())
        };
        let this = Self {
            dir: dir.to_path_buf(),
            rotation,
            max_bytes: max_bytes.max(1),
            max_files: max_files.max(1),
            period: rotation.period(written),
            size: meta.len(),
            clock,
            file,
        };
        this.prune()?;
        Ok(this)
    }

    fn due(&self, incoming: usize) -> Option<String> {
        match self.rotation {
            Rotation::Never => None,
            Rotation::Size => (self.size > 0 && self.size + incoming as u64 > self.max_bytes)
                .then(|| (self.clock)().format("%Y-%m-%d-%H%M%S%.6f").to_string()),
            Rotation::Daily | Rotation::Hourly => {
                let now = self.rotation.period((self.clock)());
                (now != self.period).then_some(now)
            }
        }
    }

    fn roll(&mut self, stamp: String) -> io::Result<()> {
        if self.size == 0 {
            // Nothing written in the old period: no file to keep.
            if matches!(self.rotation, Rotation::Daily | Rotation::Hourly) {
                self.period = stamp;
            }
            return Ok(());
        }
        self.file.flush()?;
        let old_stamp = match self.rotation {
            Rotation::Daily | Rotation::Hourly => std::mem::replace(&mut self.period, stamp),
            _ => stamp,
        };
        let mut target = self.dir.join(format!("{NAME}.{old_stamp}"));
        let mut n = 1;
        while target.exists() {
            target = self.dir.join(format!("{NAME}.{old_stamp}.{n}"));
            n += 1;
        }
        std::fs::rename(self.dir.join(NAME), &target)?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(NAME))?;
        self.size = 0;
        self.prune()
    }

    /// Deletes the oldest rotated files beyond `max_files - 1`.
    fn prune(&self) -> io::Result<()> {
        let mut rotated: Vec<PathBuf> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{NAME}.")))
            })
            .collect();
        rotated.sort();
        let keep = self.max_files - 1;
        if rotated.len() > keep {
            for old in &rotated[..rotated.len() - keep] {
                std::fs::remove_file(old)?;
            }
        }
        Ok(())
    }
}

impl Write for RollingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(stamp) = self.due(buf.len()) {
            self.roll(stamp)?;
        }
        self.file.write_all(buf)?;
        self.size += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn size_rotation_keeps_max_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = RollingFile::open(dir.path(), Rotation::Size, 100, 3, Box::new(Utc::now))
            .expect("open");
        for i in 0..40 {
            writeln!(log, "line {i:04} of the size rotation test").expect("write");
        }
        let names = files(dir.path());
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(&"server.log".to_string()));
        let current = std::fs::read_to_string(dir.path().join("server.log")).expect("read");
        assert!(
            current.contains("line 0039"),
            "the newest line is in the current file"
        );
        assert!(current.len() <= 100);
    }

    #[test]
    fn daily_rotation_follows_the_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let day = Arc::new(AtomicI64::new(1));
        let clock_day = day.clone();
        let clock: Clock = Box::new(move || {
            Utc.with_ymd_and_hms(2026, 3, clock_day.load(Ordering::SeqCst) as u32, 12, 0, 0)
                .single()
                .unwrap_or_else(Utc::now)
        });
        let mut log = RollingFile::open(dir.path(), Rotation::Daily, 0, 2, clock).expect("open");
        writeln!(log, "first").expect("write");
        for d in 2..=5 {
            day.store(d, Ordering::SeqCst);
            writeln!(log, "day {d}").expect("write");
        }
        let names = files(dir.path());
        assert_eq!(
            names,
            vec!["server.log", "server.log.2026-03-04"],
            "{names:?}"
        );
        let current = std::fs::read_to_string(dir.path().join("server.log")).expect("read");
        assert_eq!(current, "day 5\n");
    }
}
