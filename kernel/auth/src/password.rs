//! Passwords are hashed with bcrypt at a configurable cost, on blocking threads.

use kalamdb_base::error::{KalamError, Result};

pub async fn hash(password: String, cost: u32) -> Result<String> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(KalamError::internal)?
        .map_err(KalamError::internal)
}

/// The SCRAM-SHA-256 verifier stored beside the bcrypt hash (see [`crate::scram`]).
pub fn scram(password: &str) -> String {
    crate::scram::Verifier::generate(password).encode()
}

pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .unwrap_or(false)
}
