//! Authentication: password hashing ([`password`]), HS256 tokens ([`jwt`]), the login,
//! lockout and first-run setup rules ([`login`]), and login sessions with rotating refresh
//! tokens ([`sessions`]).

pub mod jwt;
pub mod login;
pub mod password;
pub mod sessions;

pub use jwt::{Claims, TokenError, TokenKind};
pub use login::{LoginError, SetupError};
