//! Login with lockout, token issue and verification, and first-run setup.

use super::jwt::{self, Claims, TokenError, TokenKind};
use super::password;
use crate::catalog::model::UserRecord;
use crate::engine::{Engine, Session, now_micros};
use crate::error::{KalamError, Result};
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

impl Engine {
    pub fn needs_setup(&self) -> bool {
        self.catalog
            .user(&UserId::new("root"))
            .is_none_or(|root| root.password_hash.is_none())
    }

    /// Checks a user's password, counting failures toward the lockout.
    pub async fn login(&self, user: &str, pw: &str) -> Result<UserRecord, LoginError> {
        let id = UserId::new(user);
        let Some(mut record) = self.catalog.user(&id) else {
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
        if !password::verify(pw.to_string(), hash).await {
            record.failed_login_attempts += 1;
            if record.failed_login_attempts >= MAX_FAILED_LOGINS {
                record.locked_until = Some(now + LOCKOUT_MICROS);
                record.failed_login_attempts = 0;
            }
            self.catalog
                .put_user(record)
                .await
                .map_err(LoginError::Internal)?;
            return Err(LoginError::InvalidCredentials);
        }
        record.failed_login_attempts = 0;
        record.locked_until = None;
        record.last_login_at = Some(now);
        self.catalog
            .put_user(record.clone())
            .await
            .map_err(LoginError::Internal)?;
        Ok(record)
    }

    pub fn issue_tokens(&self, user: &UserRecord) -> TokenPair {
        let now = chrono::Utc::now().timestamp();
        let access_ttl = (self.config.jwt_expiry_hours.max(1) * 3600) as i64;
        let refresh_ttl = access_ttl * 7;
        let claims = |kind, exp| Claims {
            sub: user.user_id.to_string(),
            iss: jwt::ISSUER.into(),
            exp,
            iat: now,
            role: user.role.to_string(),
            token_type: kind,
        };
        TokenPair {
            access_token: jwt::sign(
                &claims(TokenKind::Access, now + access_ttl),
                &self.jwt_secret,
            ),
            refresh_token: jwt::sign(
                &claims(TokenKind::Refresh, now + refresh_ttl),
                &self.jwt_secret,
            ),
            expires_at: now + access_ttl,
            refresh_expires_at: now + refresh_ttl,
        }
    }

    /// The live user behind a token of `kind`; the role comes from the catalog, not the token.
    pub fn authenticate(&self, token: &str, kind: TokenKind) -> Result<UserRecord, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let claims = jwt::verify(token, &self.jwt_secret, kind, now)?;
        self.catalog
            .user(&UserId::new(claims.sub))
            .ok_or(TokenError::BadSignature)
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
        let cost = self.config.bcrypt_cost;
        let root_hash = password::hash(root_password.to_string(), cost)
            .await
            .map_err(SetupError::Internal)?;
        let user_hash = password::hash(pw.to_string(), cost)
            .await
            .map_err(SetupError::Internal)?;
        let now = now_micros();
        let mut root = self
            .catalog
            .user_record(&UserId::new("root"))
            .ok_or_else(|| SetupError::Internal(KalamError::Internal("root is missing".into())))?;
        root.password_hash = Some(root_hash);
        root.updated_at = now;
        self.catalog
            .put_user(root)
            .await
            .map_err(SetupError::Internal)?;
        let record = UserRecord::new(id, Role::Dba, Some(user_hash), email, now);
        self.catalog
            .put_user(record.clone())
            .await
            .map_err(SetupError::Internal)?;
        Ok(record)
    }
}
