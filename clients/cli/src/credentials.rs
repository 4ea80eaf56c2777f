//! Saved logins in `~/.kalam/credentials.toml` (mode 0600): per server URL, the user and the
//! token pair of a login, never a password. `--save-credentials` writes an entry; a later run
//! without `--user`/`--password`/`--token` uses it, refreshing the access token when it has
//! expired and the refresh token is still valid.
//!
//! ```toml
//! [servers."http://127.0.0.1:8080"]
//! user = "root"
//! access_token = "eyJ..."
//! expires_at = "2030-01-01T00:00:00Z"
//! refresh_token = "eyJ..."
//! refresh_expires_at = "2030-01-07T00:00:00Z"
//! ```

use crate::home::write_private;
use kalam_link::LoginResponse;
use kalam_link::chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Tokens are treated as expired this long before their expiry time.
const MARGIN: Duration = Duration::seconds(60);

/// One saved login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedLogin {
    pub user: String,
    pub access_token: String,
    pub expires_at: String,
    pub refresh_token: String,
    pub refresh_expires_at: String,
}

/// What a saved login is good for now.
#[derive(Debug, PartialEq, Eq)]
pub enum Usable<'a> {
    /// The access token is valid.
    Access(&'a str),
    /// The access token expired; this refresh token can get a new pair.
    Refresh(&'a str),
    /// Both expired: the user must log in again.
    Expired,
}

impl SavedLogin {
    pub fn from_login(login: &LoginResponse) -> Self {
        Self {
            user: login.user.id.clone(),
            access_token: login.access_token.clone(),
            expires_at: login.expires_at.clone(),
            refresh_token: login.refresh_token.clone(),
            refresh_expires_at: login.refresh_expires_at.clone(),
        }
    }

    pub fn usable(&self, now: DateTime<Utc>) -> Usable<'_> {
        let valid = |at: &str| {
            DateTime::parse_from_rfc3339(at).is_ok_and(|t| now + MARGIN < t.with_timezone(&Utc))
        };
        if valid(&self.expires_at) {
            Usable::Access(&self.access_token)
        } else if !self.refresh_token.is_empty() && valid(&self.refresh_expires_at) {
            Usable::Refresh(&self.refresh_token)
        } else {
            Usable::Expired
        }
    }
}

/// The whole credentials file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialStore {
    #[serde(default)]
    servers: BTreeMap<String, SavedLogin>,
}

impl CredentialStore {
    /// Reads the file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                format!(
                    "invalid credentials file {}: {}",
                    path.display(),
                    e.message()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("could not read {}: {e}", path.display())),
        }
    }

    /// Writes the file with mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = toml::to_string(self).map_err(|e| e.to_string())?;
        write_private(path, &text).map_err(|e| format!("could not write {}: {e}", path.display()))
    }

    pub fn get(&self, url: &str) -> Option<&SavedLogin> {
        self.servers.get(url)
    }

    pub fn put(&mut self, url: &str, login: SavedLogin) {
        self.servers.insert(url.to_string(), login);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn login(expires: DateTime<Utc>, refresh_expires: DateTime<Utc>) -> SavedLogin {
        SavedLogin {
            user: "alice".into(),
            access_token: "access".into(),
            expires_at: expires.to_rfc3339(),
            refresh_token: "refresh".into(),
            refresh_expires_at: refresh_expires.to_rfc3339(),
        }
    }

    #[test]
    fn expired_access_tokens_are_refreshed_until_the_refresh_token_expires() {
        let now = Utc::now();
        let hour = Duration::hours(1);
        assert_eq!(
            login(now + hour, now + hour).usable(now),
            Usable::Access("access")
        );
        assert_eq!(
            login(now - hour, now + hour).usable(now),
            Usable::Refresh("refresh")
        );
        assert_eq!(login(now - hour, now - hour).usable(now), Usable::Expired);
        let mut garbled = login(now + hour, now + hour);
        garbled.expires_at = "soon".into();
        assert_eq!(garbled.usable(now), Usable::Refresh("refresh"));
    }

    #[test]
    fn the_file_round_trips_with_mode_0600() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("credentials.toml");
        assert_eq!(CredentialStore::load(&path)?, CredentialStore::default());
        let mut store = CredentialStore::default();
        let saved = login(Utc::now(), Utc::now());
        store.put("http://127.0.0.1:8080", saved.clone());
        store.save(&path)?;
        let mode = std::fs::metadata(&path)?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path)?;
        assert!(!text.contains("password"), "{text}");
        let back = CredentialStore::load(&path)?;
        assert_eq!(back.get("http://127.0.0.1:8080"), Some(&saved));
        assert_eq!(back.get("http://other:1"), None);
        Ok(())
    }
}
