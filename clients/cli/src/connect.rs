//! Start-up: choose the credentials (command line, `KALAM_PASSWORD`/`KALAM_TOKEN`, or the
//! saved tokens of `~/.kalam/credentials.toml`), check the server and the login through
//! kalam-link's health check before any prompt opens, offer the first-run setup, and save the
//! tokens when `--save-credentials` asks for it.

use crate::args::Args;
use crate::credentials::{CredentialStore, SavedLogin, Usable};
use crate::home::KalamHome;
use crate::output::Exit;
use crate::setup;
use kalam_link::chrono::Utc;
use kalam_link::{Auth, HealthStatus, KalamClient, KalamLinkError};
use tokio::runtime::Runtime;

/// A checked connection.
pub struct Session {
    pub client: KalamClient,
    /// The server's version (`unknown` when `/health` is closed to this client).
    pub version: String,
    /// Who is logged in (`None` for a bare `--token`).
    pub user: Option<String>,
}

/// Connects or prints why not. `explicit` tells whether the command line (or environment)
/// named credentials; only then are saved credentials ignored.
pub fn connect(
    runtime: &Runtime,
    args: &Args,
    home: Option<&KalamHome>,
    explicit: bool,
) -> Result<Session, Exit> {
    let url = args.server_url();
    let saved = if explicit {
        None
    } else {
        saved_auth(runtime, &url, home)?
    };
    let from_store = saved.is_some();
    let (auth, user) = match saved {
        Some(found) => found,
        None => {
            let auth = args
                .auth(std::env::var("KALAM_PASSWORD").ok(), || {
                    rpassword::prompt_password("Password: ")
                })
                .map_err(|e| {
                    eprintln!("could not read the password: {e}");
                    Exit::ConnectionFailure
                })?;
            (auth, args.user_name().map(str::to_string))
        }
    };
    let client = build(&url, auth)?;
    let version = match runtime.block_on(client.health()) {
        HealthStatus::Ok(version) => version,
        HealthStatus::ServerUnreachable { url, reason } => {
            eprintln!("could not connect to server at {url}: {reason}");
            return Err(Exit::ConnectionFailure);
        }
        HealthStatus::AuthFailed(message) => {
            let needs_setup = runtime
                .block_on(client.setup_status())
                .is_ok_and(|s| s.needs_setup);
            if needs_setup {
                return after_setup(runtime, &client, args, home, user);
            }
            // psql's habit: no password given and the server wants one, so ask for it.
            if let (Some(name), false) = (&user, from_store)
                && args.password.is_none()
                && args.token.is_none()
                && std::env::var_os("KALAM_PASSWORD").is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdin())
            {
                let password = rpassword::prompt_password(format!("Password for user {name}: "))
                    .map_err(|e| {
                        eprintln!("could not read the password: {e}");
                        Exit::ConnectionFailure
                    })?;
                let client = build(&url, Auth::basic(name, password))?;
                return match runtime.block_on(client.health()) {
                    HealthStatus::Ok(version) => {
                        established(runtime, client, version, user, args, home)
                    }
                    HealthStatus::AuthFailed(message) => {
                        eprintln!("authentication failed for user '{name}' at {url}: {message}");
                        Err(Exit::ConnectionFailure)
                    }
                    other => {
                        eprintln!("{other}");
                        Err(Exit::ConnectionFailure)
                    }
                };
            }
            match (&user, from_store) {
                (Some(user), true) => eprintln!(
                    "the saved credentials of '{user}' for {url} were refused: {message}. \
                     Log in again with --user {user} --password --save-credentials"
                ),
                (Some(user), false) => eprintln!(
                    "authentication failed for user '{user}' at {url}: {message} \
                     (give --password, or --password without a value to be prompted)"
                ),
                (None, _) => eprintln!("authentication failed at {url}: {message}"),
            }
            return Err(Exit::ConnectionFailure);
        }
        other => {
            eprintln!("{other}");
            return Err(Exit::ConnectionFailure);
        }
    };
    established(runtime, client, version, user, args, home)
}

/// The session of a checked login, its tokens saved first when `--save-credentials` asks.
fn established(
    runtime: &Runtime,
    client: KalamClient,
    version: String,
    user: Option<String>,
    args: &Args,
    home: Option<&KalamHome>,
) -> Result<Session, Exit> {
    if args.save_credentials {
        save(runtime, &client, home)?;
    }
    Ok(Session {
        client,
        version,
        user,
    })
}

fn build(url: &str, auth: Auth) -> Result<KalamClient, Exit> {
    KalamClient::builder(url).auth(auth).build().map_err(|e| {
        eprintln!("could not connect to server at {url}: {e}");
        Exit::ConnectionFailure
    })
}

/// Runs the setup offer, then connects again with the credentials it set.
fn after_setup(
    runtime: &Runtime,
    client: &KalamClient,
    args: &Args,
    home: Option<&KalamHome>,
    user: Option<String>,
) -> Result<Session, Exit> {
    let user = user.unwrap_or_else(|| "root".to_string());
    match setup::offer(runtime, client, &user) {
        Ok(Some(auth)) => {
            let client = build(client.url(), auth)?;
            match runtime.block_on(client.health()) {
                HealthStatus::Ok(version) => {
                    established(runtime, client, version, Some(user), args, home)
                }
                other => {
                    eprintln!("{other}");
                    Err(Exit::ConnectionFailure)
                }
            }
        }
        Ok(None) => {
            eprintln!("user '{user}' does not exist yet; log in as root or the new DBA user");
            Err(Exit::ConnectionFailure)
        }
        Err(message) => {
            eprintln!("{message}");
            Err(Exit::ConnectionFailure)
        }
    }
}

/// The saved login for `url`, refreshed when its access token expired.
fn saved_auth(
    runtime: &Runtime,
    url: &str,
    home: Option<&KalamHome>,
) -> Result<Option<(Auth, Option<String>)>, Exit> {
    if std::env::var_os("KALAM_PASSWORD").is_some() {
        return Ok(None);
    }
    let Some(home) = home else { return Ok(None) };
    let path = home.credentials();
    let mut store = CredentialStore::load(&path).map_err(|e| {
        eprintln!("{e}");
        Exit::ConnectionFailure
    })?;
    let url = url.trim().trim_end_matches('/');
    let Some(saved) = store.get(url).cloned() else {
        return Ok(None);
    };
    let expired = || {
        eprintln!(
            "the saved credentials of '{}' for {url} have expired. \
             Log in again with --user {} --password --save-credentials",
            saved.user, saved.user
        );
        Exit::ConnectionFailure
    };
    let access = match saved.usable(Utc::now()) {
        Usable::Access(token) => token.to_string(),
        Usable::Expired => return Err(expired()),
        Usable::Refresh(refresh_token) => {
            let client = build(url, Auth::None)?;
            match runtime.block_on(client.refresh(refresh_token)) {
                Ok(login) => {
                    store.put(url, SavedLogin::from_login(&login));
                    if let Err(e) = store.save(&path) {
                        eprintln!("{e}");
                    }
                    login.access_token
                }
                Err(err) if err.is_connection_error() => {
                    eprintln!("could not connect to server at {url}: {}", reason(&err));
                    return Err(Exit::ConnectionFailure);
                }
                Err(_) => return Err(expired()),
            }
        }
    };
    Ok(Some((Auth::jwt(access), Some(saved.user.clone()))))
}

/// Logs in once more to get a token pair and saves it.
fn save(runtime: &Runtime, client: &KalamClient, home: Option<&KalamHome>) -> Result<(), Exit> {
    let Some(home) = home else {
        eprintln!("cannot save credentials: no home directory (set HOME)");
        return Err(Exit::ConnectionFailure);
    };
    let login = runtime.block_on(client.login()).map_err(|e| {
        eprintln!("could not save credentials: {e}");
        Exit::ConnectionFailure
    })?;
    let path = home.credentials();
    let result = home
        .ensure_dir()
        .map_err(|e| format!("could not create the directory of {}: {e}", path.display()))
        .and_then(|()| CredentialStore::load(&path))
        .and_then(|mut store| {
            store.put(client.url(), SavedLogin::from_login(&login));
            store.save(&path)
        });
    match result {
        Ok(()) => {
            eprintln!(
                "Saved the session's tokens for {} in {}",
                client.url(),
                path.display()
            );
            Ok(())
        }
        Err(e) => {
            eprintln!("{e}");
            Err(Exit::ConnectionFailure)
        }
    }
}

fn reason(err: &KalamLinkError) -> String {
    match err {
        KalamLinkError::Unreachable { reason, .. } | KalamLinkError::Transport { reason, .. } => {
            reason.clone()
        }
        other => other.to_string(),
    }
}
