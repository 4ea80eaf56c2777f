//! Authentication: password hashing ([`password`]), HS256 tokens ([`jwt`]), and the login,
//! lockout and first-run setup rules ([`login`]).

pub mod jwt;
pub mod login;
pub mod password;

pub use jwt::{Claims, TokenError, TokenKind};
pub use login::{LoginError, SetupError};
