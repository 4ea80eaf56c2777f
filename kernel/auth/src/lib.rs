//! Authentication: password hashing ([`password`]), HS256 tokens ([`jwt`]), the login,
//! lockout and first-run setup rules ([`login`]), and login sessions with rotating refresh
//! tokens ([`sessions`]).

pub mod jwt;
pub mod login;
pub mod password;
pub mod scram;
pub mod sessions;

pub use jwt::{Claims, TokenError, TokenKind};

use kalamdb_catalog::Catalog;
use std::sync::Arc;

/// The auth component: logins, tokens, sessions and setup, over the catalog's user records.
/// It owns what it needs (the catalog, the signing secret, the token lifetime and the bcrypt
/// cost); the engine exposes its methods under the same names.
pub struct Auth {
    catalog: Arc<Catalog>,
    jwt_secret: Vec<u8>,
    jwt_expiry_hours: u64,
    bcrypt_cost: u32,
}

impl Auth {
    pub fn new(
        catalog: Arc<Catalog>,
        jwt_secret: Vec<u8>,
        jwt_expiry_hours: u64,
        bcrypt_cost: u32,
    ) -> Self {
        Self {
            catalog,
            jwt_secret,
            jwt_expiry_hours,
            bcrypt_cost,
        }
    }
}
pub use login::{LoginError, SetupError};
