//! Login sessions: every login opens one, and its tokens name it (claim `sid`). Refresh
//! tokens rotate: each exchange issues the next rotation (claim `rot`) and only the latest may
//! be used. A refresh token presented a second time means it was copied: the session is ended
//! at once, for the thief and the owner alike (OAuth's refresh-token reuse detection). Logout
//! ends the session of the token it is given, so its access and refresh tokens stop working.
//! An account keeps at most [`MAX_SESSIONS`] open sessions; logging in past that ends the oldest.

use super::Auth;
use super::jwt::{self, Claims, TokenError, TokenKind};
use super::login::TokenPair;
use kalamdb_base::error::{KalamError, Result};
use kalamdb_catalog::model::{SessionGrant, UserRecord};

/// Open sessions per account.
pub const MAX_SESSIONS: usize = 64;

/// What a refresh did to its session.
enum Exchange {
    Rotated(u32),
    Replayed,
    Gone,
}

impl Auth {
    fn token_lifetimes(&self) -> (i64, i64) {
        let access = (self.jwt_expiry_hours.max(1) * 3600) as i64;
        (access, access * 7)
    }

    /// Signs an access and a refresh token for `user` in session `sid` at `rotation`.
    fn sign_pair(&self, user: &UserRecord, sid: &str, rotation: u32) -> TokenPair {
        let now = chrono::Utc::now().timestamp();
        let (access_ttl, refresh_ttl) = self.token_lifetimes();
        let claims = |kind, exp| Claims {
            sub: user.user_id.to_string(),
            iss: jwt::ISSUER.into(),
            exp,
            iat: now,
            role: user.role.to_string(),
            token_type: kind,
            account: user.created_at,
            generation: user.token_generation,
            session: Some(sid.to_string()),
            rotation,
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

    /// Adds a new session to a user record being written (a login's own atomic update, so a
    /// login writes the record once); returns the session id. Expired sessions go, and past
    /// [`MAX_SESSIONS`] the oldest.
    pub(crate) fn open_session(&self, record: &mut UserRecord) -> String {
        let now = chrono::Utc::now().timestamp();
        let (_, refresh_ttl) = self.token_lifetimes();
        let sid = kalamdb_base::ids::ulid();
        record.sessions.retain(|g| g.expires_at > now);
        if record.sessions.len() >= MAX_SESSIONS {
            record.sessions.remove(0);
        }
        record.sessions.push(SessionGrant {
            id: sid.clone(),
            rotation: 0,
            expires_at: now + refresh_ttl,
        });
        sid
    }

    /// The first tokens of a session [`Self::open_session`] opened.
    pub(crate) fn session_tokens(&self, record: &UserRecord, sid: &str) -> TokenPair {
        self.sign_pair(record, sid, 0)
    }

    /// Opens a session for `user` in an update of its own (a refresh token from before
    /// sessions existed) and returns its first tokens.
    async fn start_session(&self, user: &UserRecord) -> Result<TokenPair> {
        let opened = self
            .catalog
            .update_user(&user.user_id, |record| Ok(self.open_session(record)))
            .await?;
        match opened {
            Some((record, sid)) => Ok(self.session_tokens(&record, &sid)),
            None => Err(KalamError::NotFound(format!(
                "role \"{}\" does not exist",
                user.user_id
            ))),
        }
    }

    /// Exchanges a refresh token for the session's next tokens.
    pub async fn refresh_session(
        &self,
        token: &str,
    ) -> Result<(UserRecord, TokenPair), TokenError> {
        let (user, claims) = self.verify_token(token, TokenKind::Refresh)?;
        let Some(sid) = claims.session else {
            // A token of a version before sessions: open one.
            let pair = self
                .start_session(&user)
                .await
                .map_err(|_| TokenError::Revoked)?;
            return Ok((user, pair));
        };
        let now = chrono::Utc::now().timestamp();
        let (_, refresh_ttl) = self.token_lifetimes();
        let exchanged = self
            .catalog
            .update_user(&user.user_id, |record| {
                let Some(i) = record.sessions.iter().position(|g| g.id == sid) else {
                    return Ok(Exchange::Gone);
                };
                if record.sessions[i].rotation != claims.rotation {
                    record.sessions.remove(i);
                    return Ok(Exchange::Replayed);
                }
                let grant = &mut record.sessions[i];
                grant.rotation += 1;
                grant.expires_at = now + refresh_ttl;
                Ok(Exchange::Rotated(grant.rotation))
            })
            .await
            .map_err(|_| TokenError::Revoked)?;
        match exchanged {
            Some((record, Exchange::Rotated(rotation))) => {
                let pair = self.sign_pair(&record, &sid, rotation);
                Ok((record, pair))
            }
            Some((_, Exchange::Replayed)) => {
                tracing::warn!(
                    "refresh token of session {sid} of '{}' was used twice: session ended",
                    user.user_id
                );
                Err(TokenError::Reused)
            }
            Some((_, Exchange::Gone)) | None => Err(TokenError::Revoked),
        }
    }

    /// Ends the session a token (access or refresh) belongs to; false when the token names no
    /// open session.
    pub async fn end_session(&self, token: &str) -> bool {
        let found = self
            .verify_token(token, TokenKind::Access)
            .or_else(|_| self.verify_token(token, TokenKind::Refresh));
        let Ok((
            user,
            Claims {
                session: Some(sid), ..
            },
        )) = found
        else {
            return false;
        };
        self.catalog
            .update_user(&user.user_id, |record| {
                record.sessions.retain(|g| g.id != sid);
                Ok(())
            })
            .await
            .is_ok_and(|r| r.is_some())
    }
}
