//! The server side of a SCRAM-SHA-256 exchange (RFC 5802): the client-first message in,
//! server-first out; the client-final message in, server-final out when the proof holds.
//! The arithmetic is the auth crate's ([`kalamdb_core::auth::scram::Verifier`]).
//!
//! An unknown user, or one without a verifier, gets a made-up salt and a verifier no proof
//! matches, so the exchange reveals nothing about which users exist.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kalamdb_core::auth::scram::{ITERATIONS, Verifier};

/// An exchange waiting for the client-final message.
pub struct Exchange {
    verifier: Verifier,
    /// Whether the verifier is the user's (false: made up, nothing matches).
    real: bool,
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

fn attribute<'a>(message: &'a str, name: char) -> Option<&'a str> {
    message.split(',').find_map(|part| {
        let mut chars = part.chars();
        (chars.next() == Some(name) && chars.next() == Some('=')).then(|| &part[2..])
    })
}

/// A made-up, stable salt for `user` (the same on every try, as a real one would be).
fn decoy_salt(user: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(format!("kalamdb-scram-decoy:{user}").as_bytes())[..16].to_vec()
}

/// Reads the client-first message and answers the server-first one.
pub fn server_first(
    data: &[u8],
    user: &str,
    verifier: Option<Verifier>,
) -> Result<(Exchange, String), String> {
    let text = std::str::from_utf8(data).map_err(|_| "SCRAM message is not UTF-8".to_string())?;
    // gs2-header: cbind-flag "," [authzid] ","
    let mut parts = text.splitn(3, ',');
    let (flag, authzid, bare) = match (parts.next(), parts.next(), parts.next()) {
        (Some(f), Some(a), Some(b)) => (f, a, b),
        _ => return Err("malformed SCRAM client-first message".into()),
    };
    if flag.starts_with("p=") {
        return Err(
            "SCRAM channel binding is not offered (the connection has no TLS): use SCRAM-SHA-256"
                .into(),
        );
    }
    let client_nonce = attribute(bare, 'r')
        .ok_or_else(|| "SCRAM client-first message has no nonce".to_string())?;
    let server_nonce: [u8; 18] = rand::random();
    let nonce = format!("{client_nonce}{}", STANDARD.encode(server_nonce));
    let (verifier, real) = match verifier {
        Some(v) => (v, true),
        None => (
            Verifier {
                iterations: ITERATIONS,
                salt: decoy_salt(user),
                stored_key: rand::random(),
                server_key: rand::random(),
            },
            false,
        ),
    };
    let server_first = format!(
        "r={nonce},s={},i={}",
        STANDARD.encode(&verifier.salt),
        verifier.iterations
    );
    Ok((
        Exchange {
            verifier,
            real,
            gs2_header: format!("{flag},{authzid},"),
            client_first_bare: bare.to_string(),
            server_first: server_first.clone(),
            nonce,
        },
        server_first,
    ))
}

impl Exchange {
    /// Checks the client-final message; `Ok(server-final message)` when the proof holds.
    pub fn server_final(&self, data: &[u8]) -> Result<String, ()> {
        let text = std::str::from_utf8(data).map_err(|_| ())?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or(())?;
        let channel = attribute(without_proof, 'c').ok_or(())?;
        if STANDARD.decode(channel).map_err(|_| ())? != self.gs2_header.as_bytes() {
            return Err(());
        }
        if attribute(without_proof, 'r') != Some(self.nonce.as_str()) {
            return Err(());
        }
        let proof = STANDARD.decode(proof).map_err(|_| ())?;
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        if !self.real || !self.verifier.check_proof(auth_message.as_bytes(), &proof) {
            return Err(());
        }
        let signature = self.verifier.server_signature(auth_message.as_bytes());
        Ok(format!("v={}", STANDARD.encode(signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_final(exchange: &Exchange, server_first: &str, password: &str) -> String {
        let nonce = attribute(server_first, 'r').unwrap();
        let salt = STANDARD
            .decode(attribute(server_first, 's').unwrap())
            .unwrap();
        let iterations: u32 = attribute(server_first, 'i').unwrap().parse().unwrap();
        let without_proof = format!("c={},r={nonce}", STANDARD.encode("n,,"));
        let auth = format!(
            "{},{server_first},{without_proof}",
            exchange.client_first_bare
        );
        let proof = Verifier::client_proof(password, &salt, iterations, auth.as_bytes());
        format!("{without_proof},p={}", STANDARD.encode(proof))
    }

    #[test]
    fn the_right_password_passes_and_a_wrong_one_does_not() {
        let verifier = Verifier::generate("s3cret");
        let (exchange, first) =
            server_first(b"n,,n=,r=abcdef", "alice", Some(verifier.clone())).unwrap();
        assert!(
            exchange
                .server_final(client_final(&exchange, &first, "s3cret").as_bytes())
                .is_ok()
        );
        assert!(
            exchange
                .server_final(client_final(&exchange, &first, "wrong").as_bytes())
                .is_err()
        );
    }

    #[test]
    fn an_unknown_user_never_passes_and_keeps_its_salt() {
        let (exchange, first) = server_first(b"n,,n=,r=xyz", "nobody", None).unwrap();
        let (_, again) = server_first(b"n,,n=,r=xyz", "nobody", None).unwrap();
        assert_eq!(attribute(&first, 's'), attribute(&again, 's'));
        assert!(
            exchange
                .server_final(client_final(&exchange, &first, "").as_bytes())
                .is_err()
        );
    }

    #[test]
    fn a_replayed_nonce_is_refused() {
        let verifier = Verifier::generate("pw");
        let (a, first_a) = server_first(b"n,,n=,r=n1", "u", Some(verifier.clone())).unwrap();
        let (b, _) = server_first(b"n,,n=,r=n1", "u", Some(verifier)).unwrap();
        let message = client_final(&a, &first_a, "pw");
        assert!(a.server_final(message.as_bytes()).is_ok());
        assert!(b.server_final(message.as_bytes()).is_err());
    }
}
