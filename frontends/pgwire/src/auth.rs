//! Start-up and login. The PG user is the KalamDB user; its role and USER-table partition
//! come with the login exactly as over HTTP.
//!
//! SCRAM-SHA-256 checks the client's proof against the verifier stored with the user (set
//! with the password; a user from before pgwire gets one at its next HTTP login). Cleartext,
//! checked against the bcrypt hash, is only offered when configured, and only to loopback
//! peers. Failures count toward the same lockout as HTTP logins.

use crate::AuthMethod;
use crate::Shared;
use crate::scram::{self, Exchange};
use crate::session::Conn;
use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use kalamdb_core::auth::login::LoginError;
use kalamdb_core::catalog::model::UserRecord;
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, ConnectionGuard, ConnectionHandle, METADATA_USER, PgWireConnectionState,
    PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

pub(crate) const SCRAM_MECHANISM: &str = "SCRAM-SHA-256";

/// The start-up handler.
pub(crate) struct Startup {
    shared: Arc<Shared>,
    keys: RandomPidSecretKeyGenerator,
}

/// A SCRAM exchange between its two client messages, with the verifier text it checks
/// against (empty for a decoy).
struct Pending(Mutex<Option<(Exchange, String)>>);

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message,
    )))
}

fn failed(user: &str) -> PgWireError {
    fatal(
        "28P01",
        format!("password authentication failed for user \"{user}\""),
    )
}

fn login_error(user: &str, err: LoginError) -> PgWireError {
    match err {
        LoginError::InvalidCredentials => failed(user),
        LoginError::Locked => fatal(
            "28000",
            format!(
                "role \"{user}\" is locked after too many failed logins; try again in 15 minutes"
            ),
        ),
        LoginError::SetupRequired => fatal(
            "28000",
            "the server is not set up: set root's password first (KALAMDB_ROOT_PASSWORD or POST /v1/api/auth/setup)".into(),
        ),
        LoginError::Internal(e) => {
            tracing::error!("pgwire login failed: {e}");
            fatal("XX000", "internal error during login; see the server log".into())
        }
    }
}

/// Cleartext passwords cross no network: only a loopback peer may send one.
fn cleartext_allowed(peer: std::net::IpAddr) -> bool {
    match peer {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
        v4 => v4.is_loopback(),
    }
}

impl Startup {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            keys: RandomPidSecretKeyGenerator::default(),
        }
    }

    /// Logged in as `user`: the connection gets its session, cancel keys and parameters.
    async fn finish<C>(&self, client: &mut C, user: &UserRecord) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let slot = crate::UserSlot::take(&self.shared, &user.user_id).ok_or_else(|| {
            fatal(
                "53300",
                format!("too many connections for role \"{}\"", user.user_id),
            )
        })?;
        client.session_extensions().insert(slot);
        let mut session = self.shared.engine.auth.session_for(user);
        session.client_ip = Some(client.socket_addr().ip().to_string());
        client.session_extensions().insert(Conn::new(session));
        let (pid, secret) = self.keys.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let (handle, guard) = self.shared.connections.register(pid, secret);
        client
            .session_extensions()
            .insert::<Arc<ConnectionHandle>>(handle);
        client.session_extensions().insert::<ConnectionGuard>(guard);
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = self.shared.settings.server_version.clone();
        parameters.is_superuser = user.role.is_admin();
        parameters.time_zone = "UTC".into();
        finish_authentication(client, &parameters).await
    }

    fn user_name<C: ClientInfo>(client: &C) -> String {
        client
            .metadata()
            .get(METADATA_USER)
            .cloned()
            .unwrap_or_default()
    }
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let method = self.shared.settings.auth;
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                let open = self.shared.open.load(std::sync::atomic::Ordering::SeqCst);
                if open > self.shared.settings.max_connections {
                    return Err(fatal("53300", "sorry, too many clients already".into()));
                }
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                let request = match method {
                    AuthMethod::Scram => {
                        client
                            .session_extensions()
                            .insert(Pending(Mutex::new(None)));
                        Authentication::SASL(vec![SCRAM_MECHANISM.into()])
                    }
                    AuthMethod::Cleartext if cleartext_allowed(client.socket_addr().ip()) => {
                        Authentication::CleartextPassword
                    }
                    AuthMethod::Cleartext => {
                        return Err(fatal(
                            "28000",
                            "cleartext password login is accepted only from loopback: connect from this machine, or set [pgwire] auth = \"scram\"".into(),
                        ));
                    }
                };
                client
                    .send(PgWireBackendMessage::Authentication(request))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let user_name = Self::user_name(client);
                match method {
                    AuthMethod::Cleartext => {
                        let password = message.into_password()?.password;
                        let user = self
                            .shared
                            .engine
                            .auth
                            .check_password(&user_name, &password)
                            .await
                            .map_err(|e| login_error(&user_name, e))?;
                        self.finish(client, &user).await?;
                    }
                    AuthMethod::Scram => {
                        let pending = client
                            .session_extensions()
                            .get::<Pending>()
                            .ok_or_else(|| failed(&user_name))?;
                        let exchange = pending.0.lock().unwrap_or_else(|e| e.into_inner()).take();
                        match exchange {
                            None => {
                                let first = message.into_sasl_initial_response()?;
                                if first.auth_method != SCRAM_MECHANISM {
                                    return Err(fatal(
                                        "28000",
                                        format!(
                                            "SASL mechanism \"{}\" is not offered; use {SCRAM_MECHANISM}",
                                            first.auth_method
                                        ),
                                    ));
                                }
                                let data = first.data.unwrap_or_default();
                                let record = self
                                    .shared
                                    .engine
                                    .catalog
                                    .user(&kalamdb_types::UserId::new(&user_name));
                                if record.as_ref().is_some_and(|r| r.scram_verifier.is_none()) {
                                    tracing::warn!(
                                        "pgwire: user '{user_name}' has no SCRAM verifier yet: it gets one at its next HTTP login or ALTER USER ... SET PASSWORD"
                                    );
                                }
                                let text = record
                                    .as_ref()
                                    .and_then(|r| r.scram_verifier.clone())
                                    .unwrap_or_default();
                                let verifier = kalamdb_core::auth::scram::Verifier::parse(&text);
                                let (exchange, server_first) =
                                    scram::server_first(&data, &user_name, verifier)
                                        .map_err(|m| fatal("08P01", m))?;
                                *pending.0.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some((exchange, text));
                                client
                                    .send(PgWireBackendMessage::Authentication(
                                        Authentication::SASLContinue(server_first.into()),
                                    ))
                                    .await?;
                            }
                            Some((exchange, checked)) => {
                                let last = message.into_sasl_response()?;
                                let auth = &self.shared.engine.auth;
                                let id = kalamdb_types::UserId::new(&user_name);
                                if let Some(record) = self.shared.engine.catalog.user(&id)
                                    && auth.is_locked(&record)
                                {
                                    return Err(login_error(&user_name, LoginError::Locked));
                                }
                                let outcome = exchange.server_final(&last.data);
                                let record = auth
                                    .record_login(&id, outcome.is_ok(), &checked)
                                    .await
                                    .map_err(|e| login_error(&user_name, e))?;
                                let server_final = match (outcome, record) {
                                    (Ok(f), Some((r, true))) => (f, r),
                                    _ => return Err(failed(&user_name)),
                                };
                                client
                                    .send(PgWireBackendMessage::Authentication(
                                        Authentication::SASLFinal(server_final.0.into()),
                                    ))
                                    .await?;
                                self.finish(client, &server_final.1).await?;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::cleartext_allowed;

    #[test]
    fn cleartext_only_from_loopback() {
        for ok in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(cleartext_allowed(ok.parse().unwrap()), "{ok}");
        }
        for refused in [
            "10.0.0.5",
            "192.168.1.2",
            "::ffff:10.0.0.5",
            "2001:db8::1",
            "0.0.0.0",
        ] {
            assert!(!cleartext_allowed(refused.parse().unwrap()), "{refused}");
        }
    }
}
