//! `~/.kalam/config.toml` (or `--config FILE`): defaults for options not given on the command
//! line. Every key is optional; an unknown key is an error that names it.
//!
//! ```toml
//! url = "http://127.0.0.1:8080"
//! user = "alice"
//! format = "table"      # table | json | csv
//! timing = true         # print "Took: X.XXX ms"
//! expanded = "off"      # off | on | auto
//! spinner = true
//! color = true
//! ```

use crate::args::{Args, Format};
use crate::render::Expanded;
use serde::Deserialize;
use std::path::Path;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Server URL used when neither `--url` nor `--host`/`--port` is given.
    pub url: Option<String>,
    /// User logged in as when `--user` and `--token` are not given.
    pub user: Option<String>,
    pub format: Option<FormatName>,
    /// Print `Took: X.XXX ms` after each result (`\timing` toggles it).
    pub timing: Option<bool>,
    pub expanded: Option<ExpandedName>,
    pub spinner: Option<bool>,
    pub color: Option<bool>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatName {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpandedName {
    Off,
    On,
    Auto,
}

impl Config {
    /// Reads `path`. A missing file is an empty config unless `required` (given with
    /// `--config`).
    pub fn load(path: &Path, required: bool) -> Result<Config, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default());
            }
            Err(e) => return Err(format!("could not read {}: {e}", path.display())),
        };
        toml::from_str(&text)
            .map_err(|e| format!("invalid config {}: {}", path.display(), e.message()))
    }

    /// Fills the options the command line left out.
    pub fn apply(&self, args: &mut Args) {
        if args.url.is_none() && args.host.is_none() && args.port.is_none() {
            args.url.clone_from(&self.url);
        }
        if args.user.is_none() && args.token.is_none() {
            args.user.clone_from(&self.user);
        }
        if args.output_format().is_none() {
            args.format = self.format.map(|f| match f {
                FormatName::Table => Format::Table,
                FormatName::Json => Format::Json,
                FormatName::Csv => Format::Csv,
            });
        }
        if self.color == Some(false) {
            args.no_color = true;
        }
        if self.spinner == Some(false) {
            args.no_spinner = true;
        }
    }

    pub fn expanded(&self) -> Expanded {
        match self.expanded {
            Some(ExpandedName::On) => Expanded::On,
            Some(ExpandedName::Auto) => Expanded::Auto,
            Some(ExpandedName::Off) | None => Expanded::Off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn config_fills_what_the_command_line_left_out() -> Result<(), Box<dyn std::error::Error>> {
        let config: Config = toml::from_str(
            "url = 'http://db:9000'\nuser = 'alice'\nformat = 'csv'\nspinner = false\nexpanded = 'auto'",
        )?;
        let mut args = Args::try_parse_from(["kalam"])?;
        config.apply(&mut args);
        assert_eq!(args.server_url(), "http://db:9000");
        assert_eq!(args.user.as_deref(), Some("alice"));
        assert_eq!(args.output_format(), Some(Format::Csv));
        assert!(args.no_spinner);
        assert_eq!(config.expanded(), Expanded::Auto);

        let mut args = Args::try_parse_from(["kalam", "-p", "1", "--user", "bob", "--json"])?;
        config.apply(&mut args);
        assert_eq!(args.server_url(), "http://127.0.0.1:1");
        assert_eq!(args.user.as_deref(), Some("bob"));
        assert_eq!(args.output_format(), Some(Format::Json));
        Ok(())
    }

    #[test]
    fn unknown_keys_and_missing_files() {
        let dir = tempfile::tempdir().ok();
        let dir = dir
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default();
        let path = dir.join("config.toml");
        assert!(Config::load(&path, false).is_ok());
        let missing = Config::load(&path, true).err().unwrap_or_default();
        assert!(missing.starts_with("could not read"), "{missing}");
        let _ = std::fs::write(&path, "colour = true\n");
        let err = Config::load(&path, false).err().unwrap_or_default();
        assert!(err.contains("colour"), "{err}");
    }
}
