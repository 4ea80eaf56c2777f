//! Login with lockout, token issue and verification, and first-run setup.

use super::Auth;
use super::jwt::{self, Claims, TokenError, TokenKind};
use super::password;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_base::{Session, now_micros};
use kalamdb_catalog::model::UserRecord;
use kalamdb_types::{Role, UserId};

/// Failed logins before the account locks, and for how long.
pub const MAX_FAILED_LOGINS: u32 = 5;
pub const LOCKOUT_MICROS: i64 = 15 * 60 * 1_000_000;

#[derive(Debug)]
pub enum LoginError {
    /// Unknown user or wrong password: one answer for both.
    InvalidCredentials,
    Locked,
    SetupRequired,
    Internal(KalamError),
}

#[derive(Debug)]
pub enum SetupError {
    AlreadyConfigured,
    Invalid(String),
    Internal(KalamError),
}

/// A freshly issued token pair.
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub refresh_expires_at: i64,
}

impl Auth {
    pub fn needs_setup(&self) -> bool {
        self.catalog
            .user(&UserId::new("root"))
            .is_none_or(|root| root.password_hash.is_none())
    }

    /// Checks a user's password, counting failures toward the lockout. Only the login
    /// counters are written, on the record as it is after the (slow) bcrypt check, so a DROP
    /// USER, role change or password reset that ran meanwhile is never undone.
    /// On success the login's session is opened in the same record write (see
    /// `auth::sessions`), and its first tokens come back with the record.
    pub async fn login(&self, user: &str, pw: &str) -> Result<(UserRecord, TokenPair), LoginError> {
        let (record, sid) = self.check_login(user, pw, true).await?;
        let sid = sid.unwrap_or_default();
        let tokens = self.session_tokens(&record, &sid);
        Ok((record, tokens))
    }

    /// [`Self::login`] for a front end whose connection is the session (pgwire): the same
    /// password check and lockout, no login session and no tokens.
    pub async fn check_password(&self, user: &str, pw: &str) -> Result<UserRecord, LoginError> {
        self.check_login(user, pw, false).await.map(|(r, _)| r)
    }

    /// Records the outcome of a SCRAM login whose proof was checked against `verifier` (the
    /// record's verifier when the exchange began): resets or bumps the failure counter and locks
    /// the account after [`MAX_FAILED_LOGINS`], as a password login does. A password changed
    /// meanwhile makes the proof, checked against the old verifier, a failure. `Some((record,
    /// ok))`; `None` when the account is gone.
    pub async fn record_login(
        &self,
        user: &UserId,
        proof_ok: bool,
        verifier: &str,
    ) -> Result<Option<(UserRecord, bool)>, LoginError> {
        let now = now_micros();
        self.catalog
            .update_user(user, |current| {
                let ok = proof_ok && current.scram_verifier.as_deref() == Some(verifier);
                Self::count_attempt(current, ok, now);
                Ok(ok)
            })
            .await
            .map_err(LoginError::Internal)
    }

    /// Whether `user` is locked out now.
    pub fn is_locked(&self, user: &UserRecord) -> bool {
        user.locked_until.is_some_and(|until| until > now_micros())
    }

    fn count_attempt(current: &mut UserRecord, ok: bool, now: i64) {
        if ok {
            current.failed_login_attempts = 0;
            current.locked_until = None;
            current.last_login_at = Some(now);
        } else {
            current.failed_login_attempts += 1;
            if current.failed_login_attempts >= MAX_FAILED_LOGINS {
                current.locked_until = Some(now + LOCKOUT_MICROS);
                current.failed_login_attempts = 0;
            }
        }
    }

    async fn check_login(
        &self,
        user: &str,
        pw: &str,
        open: bool,
    ) -> Result<(UserRecord, Option<String>), LoginError> {
        let id = UserId::new(user);
        let Some(record) = self.catalog.user(&id) else {
            return Err(LoginError::InvalidCredentials);
        };
        let Some(hash) = record.password_hash.clone() else {
            if id.as_str() == "root" && pw.is_empty() {
                return Err(LoginError::SetupRequired);
            }
            return Err(LoginError::InvalidCredentials);
        };
        let now = now_micros();
        if record.locked_until.is_some_and(|until| until > now) {
            return Err(LoginError::Locked);
        }
        let verified = password::verify(pw.to_string(), hash.clone()).await;
        // A record from before pgwire learns its SCRAM verifier from the first good login.
        let scram = (verified && record.scram_verifier.is_none()).then(|| password::scram(pw));
        let updated = self
            .catalog
            .update_user(&id, |current| {
                // The password checked is no longer the user's: treat it as a failure.
                let ok = verified && current.password_hash.as_deref() == Some(hash.as_str());
                Self::count_attempt(current, ok, now);
                if !ok {
                    return Ok(None);
                }
                if current.scram_verifier.is_none() {
                    current.scram_verifier = scram;
                }
                Ok(Some(open.then(|| self.open_session(current))))
            })
            .await
            .map_err(LoginError::Internal)?;
        match updated {
            Some((record, Some(sid))) => Ok((record, sid)),
            // Dropped while the password was being checked, or a wrong password.
            None | Some((_, None)) => Err(LoginError::InvalidCredentials),
        }
    }

    /// The live user behind a token of `kind`; the role comes from the catalog, not the token.
    ///
    /// A token is refused once its account is gone: dropped, or dropped and created again under
    /// the same name (the token names the account's creation time), and once the account's
    /// token generation moved on (a password or role change revokes every token issued before).
    pub fn authenticate(&self, token: &str, kind: TokenKind) -> Result<UserRecord, TokenError> {
        self.authenticate_until(token, kind).map(|(user, _)| user)
    }

    /// [`Self::authenticate`], with the token's expiry (Unix seconds): a long-lived connection
    /// ends when its token does.
    pub fn authenticate_until(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<(UserRecord, i64), TokenError> {
        self.verify_token(token, kind)
            .map(|(user, claims)| (user, claims.exp))
    }

    /// The account behind a token and the token's claims, with every check of
    /// [`Self::authenticate`]: signature, expiry, kind, account, generation, and that its
    /// login session is still open.
    pub(crate) fn verify_token(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<(UserRecord, Claims), TokenError> {
        let now = chrono::Utc::now().timestamp();
        let claims = jwt::verify(token, &self.jwt_secret, kind, now)?;
        let user = self
            .catalog
            .user(&UserId::new(claims.sub.clone()))
            .ok_or(TokenError::Revoked)?;
        let same_account = if claims.account != 0 {
            claims.account == user.created_at
        } else {
            // Issued before tokens named their account: only if not older than the account.
            claims.iat >= user.created_at / 1_000_000
        };
        if !same_account || claims.generation != user.token_generation {
            return Err(TokenError::Revoked);
        }
        if let Some(sid) = &claims.session
            && !user.sessions.iter().any(|g| &g.id == sid)
        {
            return Err(TokenError::Revoked);
        }
        Ok((user, claims))
    }

    /// A session for an authenticated user.
    pub fn session_for(&self, user: &UserRecord) -> Session {
        Session::new(user.user_id.clone(), user.role)
    }

    /// First run: sets root's password and creates a dba user.
    pub async fn setup(
        &self,
        user: &str,
        pw: &str,
        root_password: &str,
        email: Option<String>,
    ) -> Result<UserRecord, SetupError> {
        if !self.needs_setup() {
            return Err(SetupError::AlreadyConfigured);
        }
        if pw.is_empty() || root_password.is_empty() {
            return Err(SetupError::Invalid(
                "password and root_password must not be empty".into(),
            ));
        }
        if user == "root" || user.is_empty() {
            return Err(SetupError::Invalid(
                "choose a user name other than 'root' for the administrator".into(),
            ));
        }
        let id = UserId::new(user);
        if self.catalog.user(&id).is_some() {
            return Err(SetupError::Invalid(format!("user '{user}' already exists")));
        }
        let cost = self.bcrypt_cost;
        let root_hash = password::hash(root_password.to_string(), cost)
            .await
            .map_err(SetupError::Internal)?;
        let user_hash = password::hash(pw.to_string(), cost)
            .await
            .map_err(SetupError::Internal)?;
        let now = now_micros();
        // Two concurrent setups both got past the check above: the first to set root's
        // password wins, atomically; the other is told setup is done.
        let claimed = self
            .catalog
            .update_user(&UserId::new("root"), |root| {
                if root.password_hash.is_some() {
                    return Ok(false);
                }
                root.password_hash = Some(root_hash);
                root.scram_verifier = Some(password::scram(root_password));
                root.updated_at = now;
                Ok(true)
            })
            .await
            .map_err(SetupError::Internal)?;
        match claimed {
            Some((_, true)) => {}
            Some((_, false)) => return Err(SetupError::AlreadyConfigured),
            None => {
                return Err(SetupError::Internal(KalamError::Internal(
                    "root is missing".into(),
                )));
            }
        }
        let record = UserRecord {
            scram_verifier: Some(password::scram(pw)),
            ..UserRecord::new(id, Role::Dba, Some(user_hash), email, now)
        };
        let created = self
            .catalog
            .create_user(record.clone())
            .await
            .map_err(SetupError::Internal)?;
        if !created {
            return Err(SetupError::Invalid(format!("user '{user}' already exists")));
        }
        Ok(record)
    }
}
