//! Command-line arguments and how they resolve into a server URL, credentials and an output
//! format.

use clap::{Parser, ValueEnum};
use kalam_link::Auth;
use std::path::PathBuf;

pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";
pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8080;
/// The user of a fresh server, used when neither `--user` nor `--token` is given.
pub const DEFAULT_USER: &str = "root";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Box tables with row counts and timing.
    Table,
    /// The server's JSON response, pretty-printed.
    Json,
    /// A header line and one line per row.
    Csv,
}

#[derive(Debug, Parser)]
#[command(
    name = "kalam",
    version,
    about = "Interactive SQL terminal for KalamDB",
    long_about = "Interactive SQL terminal for KalamDB.\n\nRuns SQL given with --command or --file, \
                  or opens an interactive shell when neither is given.",
    after_help = "Examples:\n  kalam --url http://127.0.0.1:8080 --user root --password\n  \
                  kalam -c 'SELECT * FROM system.namespaces' --json\n  \
                  kalam --file schema.sql --csv\n\n\
                  Exit status: 0 success, 1 SQL error, 2 connection or authentication failure, \
                  3 a --file statement failed (ON_ERROR_STOP, on by default)."
)]
pub struct Args {
    /// Server URL [default: http://127.0.0.1:8080; also KALAM_URL]
    #[arg(short = 'u', long, value_name = "URL", conflicts_with_all = ["host", "port"])]
    pub url: Option<String>,

    /// Server host, used with --port instead of --url [default: 127.0.0.1]
    #[arg(short = 'H', long, value_name = "HOST")]
    pub host: Option<String>,

    /// Server port, used with --host instead of --url [default: 8080]
    #[arg(short = 'p', long, value_name = "PORT")]
    pub port: Option<u16>,

    /// User to log in as [default: root; also KALAM_USER]
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Password; give the flag without a value to be prompted. Also read from KALAM_PASSWORD.
    #[arg(long, value_name = "PASSWORD", num_args = 0..=1)]
    pub password: Option<Option<String>>,

    /// JWT access token to use instead of user and password
    #[arg(long, value_name = "TOKEN", env = "KALAM_TOKEN", hide_env_values = true,
          conflicts_with_all = ["user", "password"])]
    pub token: Option<String>,

    /// Run this SQL and exit
    #[arg(short = 'c', long, value_name = "SQL", conflicts_with = "file")]
    pub command: Option<String>,

    /// Run the SQL in this file ('-' for standard input) and exit
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Set a variable: -v ON_ERROR_STOP=0 lets a --file script go on after a failing statement
    /// (it stops at the first error by default)
    #[arg(short = 'v', long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,

    /// Output format [default: table]
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Same as --format json
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// Same as --format csv
    #[arg(long)]
    pub csv: bool,

    /// Do not color output (also when NO_COLOR is set)
    #[arg(long)]
    pub no_color: bool,

    /// Do not show the progress spinner of slow queries
    #[arg(long)]
    pub no_spinner: bool,

    /// Settings file [default: ~/.kalam/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// After logging in with a password, save the session's tokens (never the password) in
    /// ~/.kalam/credentials.toml so later runs need no password
    #[arg(long, conflicts_with = "token")]
    pub save_credentials: bool,
}

impl Args {
    /// `--url`, else `http://HOST:PORT` from `--host`/`--port`, else the default.
    pub fn server_url(&self) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        if self.host.is_none() && self.port.is_none() {
            return DEFAULT_URL.to_string();
        }
        let host = self.host.as_deref().unwrap_or(DEFAULT_HOST);
        let host = if host.contains("://") {
            host.to_string()
        } else {
            format!("http://{host}")
        };
        format!("{host}:{}", self.port.unwrap_or(DEFAULT_PORT))
    }

    /// `--json`/`--csv`/`--format`, if any of them was given.
    pub fn output_format(&self) -> Option<Format> {
        if self.json {
            Some(Format::Json)
        } else if self.csv {
            Some(Format::Csv)
        } else {
            self.format
        }
    }

    /// `KALAM_URL` and `KALAM_USER` for what the command line left out (psql's `PGHOST`/`PGUSER`).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        if self.url.is_none() && self.host.is_none() && self.port.is_none() {
            self.url = get("KALAM_URL").filter(|u| !u.is_empty());
        }
        if self.user.is_none() && self.token.is_none() {
            self.user = get("KALAM_USER").filter(|u| !u.is_empty());
        }
    }

    /// True when the command line names credentials (user, password or token), so saved
    /// credentials are not used.
    pub fn gives_credentials(&self) -> bool {
        self.user.is_some() || self.password.is_some() || self.token.is_some()
    }

    /// The user credentials are for (`None` with `--token`).
    pub fn user_name(&self) -> Option<&str> {
        if self.token.is_some() {
            None
        } else {
            Some(self.user.as_deref().unwrap_or(DEFAULT_USER))
        }
    }

    /// Credentials; `prompt` asks for a password when `--password` was given without a value.
    pub fn auth(
        &self,
        env_password: Option<String>,
        prompt: impl FnOnce() -> std::io::Result<String>,
    ) -> std::io::Result<Auth> {
        if let Some(token) = &self.token {
            return Ok(Auth::jwt(token.clone()));
        }
        let password = match &self.password {
            Some(Some(password)) => password.clone(),
            Some(None) => prompt()?,
            None => env_password.unwrap_or_default(),
        };
        Ok(Auth::basic(
            self.user_name().unwrap_or(DEFAULT_USER),
            password,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("kalam").chain(args.iter().copied()))
    }

    #[test]
    fn url_resolution() -> Result<(), clap::Error> {
        assert_eq!(parse(&[])?.server_url(), DEFAULT_URL);
        assert_eq!(
            parse(&["-u", "http://db:9000"])?.server_url(),
            "http://db:9000"
        );
        assert_eq!(parse(&["-H", "db"])?.server_url(), "http://db:8080");
        assert_eq!(
            parse(&["-p", "9001"])?.server_url(),
            "http://127.0.0.1:9001"
        );
        assert_eq!(
            parse(&["--host", "https://db", "--port", "443"])?.server_url(),
            "https://db:443"
        );
        assert!(parse(&["-u", "http://db:9000", "-p", "1"]).is_err());
        Ok(())
    }

    #[test]
    fn format_flags() -> Result<(), clap::Error> {
        assert_eq!(parse(&[])?.output_format(), None);
        assert_eq!(parse(&["--json"])?.output_format(), Some(Format::Json));
        assert_eq!(parse(&["--csv"])?.output_format(), Some(Format::Csv));
        assert_eq!(
            parse(&["--format", "csv"])?.output_format(),
            Some(Format::Csv)
        );
        assert!(parse(&["--json", "--csv"]).is_err());
        assert!(parse(&["-c", "SELECT 1", "-f", "x.sql"]).is_err());
        Ok(())
    }

    #[test]
    fn credentials() -> Result<(), Box<dyn std::error::Error>> {
        let no_prompt = || -> std::io::Result<String> { Err(std::io::Error::other("no prompt")) };
        let auth = parse(&["--user", "alice", "--password", "pw"])?.auth(None, no_prompt)?;
        assert!(
            matches!(auth, Auth::Basic { ref user, ref password } if user == "alice" && password == "pw")
        );
        let auth = parse(&[])?.auth(Some("env-pw".into()), no_prompt)?;
        assert!(
            matches!(auth, Auth::Basic { ref user, ref password } if user == "root" && password == "env-pw")
        );
        let auth = parse(&["--password"])?.auth(None, || Ok("typed".into()))?;
        assert!(matches!(auth, Auth::Basic { ref password, .. } if password == "typed"));
        let auth = parse(&["--token", "t.o.k"])?.auth(None, no_prompt)?;
        assert!(matches!(auth, Auth::Jwt(ref t) if t == "t.o.k"));
        assert!(parse(&["--token", "t", "--user", "bob"]).is_err());
        Ok(())
    }
}
