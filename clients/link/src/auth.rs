//! Credentials and the token pair a basic-auth client keeps between requests.

use chrono::{DateTime, Duration, Utc};
use kalamdb_types::wire::LoginResponse;
use std::fmt;

/// How the client authenticates.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials: only `/health` and the auth endpoints will answer.
    #[default]
    None,
    /// User and password: the client logs in at `/v1/api/auth/login` and sends the access token
    /// as `Bearer`, refreshing it before it expires.
    Basic { user: String, password: String },
    /// A JWT access token obtained elsewhere, sent as `Bearer` as is.
    Jwt(String),
}

impl Auth {
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Self {
        Auth::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    pub fn jwt(token: impl Into<String>) -> Self {
        Auth::Jwt(token.into())
    }

    /// The user name of basic credentials.
    pub fn user(&self) -> Option<&str> {
        match self {
            Auth::Basic { user, .. } => Some(user),
            _ => None,
        }
    }
}

// Never print secrets, not even in debug logs.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { user, .. } => {
                write!(f, "Auth::Basic {{ user: {user:?}, password: *** }}")
            }
            Auth::Jwt(_) => f.write_str("Auth::Jwt(***)"),
        }
    }
}

/// Access tokens are renewed this long before they expire, so a request never races expiry.
pub(crate) const RENEW_MARGIN: Duration = Duration::seconds(60);

/// The tokens of the last successful login or refresh.
#[derive(Clone, Debug)]
pub(crate) struct TokenPair {
    pub access_token: String,
    /// `None` when the server sent a time this client could not parse: then the token is used
    /// until the server refuses it.
    pub access_expires_at: Option<DateTime<Utc>>,
    pub refresh_token: String,
    pub refresh_expires_at: Option<DateTime<Utc>>,
}

impl TokenPair {
    pub fn from_login(login: &LoginResponse) -> Self {
        Self {
            access_token: login.access_token.clone(),
            access_expires_at: parse_time(&login.expires_at),
            refresh_token: login.refresh_token.clone(),
            refresh_expires_at: parse_time(&login.refresh_expires_at),
        }
    }

    /// The access token may still be used at `now`.
    pub fn access_usable(&self, now: DateTime<Utc>) -> bool {
        self.access_expires_at
            .is_none_or(|exp| now + RENEW_MARGIN < exp)
    }

    /// The refresh token may still be used at `now`.
    pub fn refresh_usable(&self, now: DateTime<Utc>) -> bool {
        !self.refresh_token.is_empty()
            && self
                .refresh_expires_at
                .is_none_or(|exp| now + RENEW_MARGIN < exp)
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(access: Option<DateTime<Utc>>, refresh: Option<DateTime<Utc>>) -> TokenPair {
        TokenPair {
            access_token: "a".into(),
            access_expires_at: access,
            refresh_token: "r".into(),
            refresh_expires_at: refresh,
        }
    }

    #[test]
    fn tokens_are_renewed_before_expiry() {
        let now = Utc::now();
        assert!(pair(Some(now + Duration::hours(1)), None).access_usable(now));
        assert!(!pair(Some(now + Duration::seconds(30)), None).access_usable(now));
        assert!(!pair(Some(now - Duration::seconds(1)), None).access_usable(now));
        assert!(pair(None, None).access_usable(now));
        assert!(!pair(None, Some(now)).refresh_usable(now));
        assert!(pair(None, Some(now + Duration::days(1))).refresh_usable(now));
    }

    #[test]
    fn login_times_are_rfc3339() {
        let t = parse_time("2030-01-02T03:04:05Z");
        assert_eq!(t.map(|t| t.timestamp()), Some(1_893_553_445));
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!(
            "{:?} {:?}",
            Auth::basic("alice", "hunter2"),
            Auth::jwt("eyJ.x.y")
        );
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("eyJ"));
        assert!(text.contains("alice"));
    }
}
