//! HS256 JSON Web Tokens. Only HS256 is accepted: `alg: none` and every other algorithm are
//! refused before the signature is looked at. Tokens carry no password material.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const ISSUER: &str = "kalamdb";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    pub role: String,
    pub token_type: TokenKind,
    /// The account's creation time (microseconds): a name dropped and created again is
    /// another account, and its old tokens are refused. 0 in tokens of older versions.
    #[serde(default, rename = "acc")]
    pub account: i64,
    /// The account's token generation when issued (see `UserRecord::token_generation`).
    #[serde(default, rename = "gen")]
    pub generation: u32,
    /// The login session the token belongs to (`None` in tokens of older versions).
    #[serde(default, rename = "sid", skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Refresh tokens: which rotation of the session's refresh token this is.
    #[serde(default, rename = "rot")]
    pub rotation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
    WrongKind,
    /// Well signed, but its account was dropped or its tokens were revoked.
    Revoked,
    /// A refresh token that was already exchanged came back: its session is ended.
    Reused,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Malformed => "Invalid token",
            TokenError::BadSignature => "Invalid token signature",
            TokenError::Expired => "Token expired",
            TokenError::WrongKind => "Invalid token type",
            TokenError::Revoked => "Token revoked",
            TokenError::Reused => {
                "Refresh token already used: the session was ended for safety; log in again"
            }
        }
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

fn mac(secret: &[u8]) -> Option<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(secret).ok()
}

pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let signature = match mac(secret) {
        Some(mut m) => {
            m.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
        }
        None => String::new(),
    };
    format!("{signing_input}.{signature}")
}

/// Verifies signature, issuer, expiry (against `now` seconds) and kind.
pub fn verify(token: &str, secret: &[u8], kind: TokenKind, now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header_bytes = URL_SAFE_NO_PAD
        .decode(h)
        .map_err(|_| TokenError::Malformed)?;
    let header: Header =
        serde_json::from_slice(&header_bytes).map_err(|_| TokenError::Malformed)?;
    if header.alg != "HS256" {
        return Err(TokenError::BadSignature);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| TokenError::BadSignature)?;
    let mut m = mac(secret).ok_or(TokenError::BadSignature)?;
    m.update(h.as_bytes());
    m.update(b".");
    m.update(p.as_bytes());
    m.verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(p)
        .map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
    if claims.iss != ISSUER {
        return Err(TokenError::BadSignature);
    }
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    if claims.token_type != kind {
        return Err(TokenError::WrongKind);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(kind: TokenKind, exp: i64) -> Claims {
        Claims {
            sub: "alice".into(),
            iss: ISSUER.into(),
            exp,
            iat: 0,
            role: "user".into(),
            token_type: kind,
            account: 0,
            generation: 0,
            session: None,
            rotation: 0,
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let secret = b"a-secret-that-is-long-enough-for-tests";
        let token = sign(&claims(TokenKind::Access, 100), secret);
        assert_eq!(
            verify(&token, secret, TokenKind::Access, 50).map(|c| c.sub),
            Ok("alice".into())
        );
        assert_eq!(
            verify(&token, secret, TokenKind::Access, 100),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&token, b"other", TokenKind::Access, 50),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify(&token, secret, TokenKind::Refresh, 50),
            Err(TokenError::WrongKind)
        );
        // alg: none
        let parts: Vec<&str> = token.split('.').collect();
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let forged = format!("{none}.{}.", parts[1]);
        assert_eq!(
            verify(&forged, secret, TokenKind::Access, 50),
            Err(TokenError::BadSignature)
        );
    }
}
