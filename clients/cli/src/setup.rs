//! First-run setup offered at start-up (API.md): when the server says it needs setup, an
//! interactive `kalam` asks whether to do it now, reads root's new password and the DBA user to
//! create, and calls `/v1/api/auth/setup`. Without a terminal it explains what to do instead.

use kalam_link::{Auth, KalamClient, SetupRequest};
use std::io::{BufRead, IsTerminal, Write};
use tokio::runtime::Runtime;

/// The default name of the DBA user created by setup.
const DEFAULT_DBA: &str = "dba";

/// Offers the setup. On success returns credentials for `user` (root or the new DBA user), or
/// `None` when `user` is someone else, who does not exist yet. `Err` carries the message to
/// print (setup declined, impossible or refused).
pub fn offer(runtime: &Runtime, client: &KalamClient, user: &str) -> Result<Option<Auth>, String> {
    let url = client.url();
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !interactive {
        return Err(format!(
            "the server at {url} needs setup: root has no password yet. Run kalam in a \
             terminal to set it up, or start the server with KALAMDB_ROOT_PASSWORD"
        ));
    }
    eprintln!("The server at {url} has not been set up: root has no password yet.");
    let answer = ask("Set it up now? [y/N] ")?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        return Err(format!(
            "setup declined; the server at {url} cannot be used until it is set up"
        ));
    }
    let root_password = new_password("New password for root: ")?;
    let dba = ask(&format!("Name of the DBA user to create [{DEFAULT_DBA}]: "))?;
    let dba = match dba.trim() {
        "" => DEFAULT_DBA.to_string(),
        name => name.to_string(),
    };
    let dba_password = new_password(&format!("Password for '{dba}': "))?;
    let email = ask(&format!("Email of '{dba}' (optional): "))?;
    let request = SetupRequest {
        user: dba.clone(),
        password: dba_password.clone(),
        root_password: root_password.clone(),
        email: Some(email.trim().to_string()).filter(|e| !e.is_empty()),
    };
    let message = runtime
        .block_on(client.setup(&request))
        .map_err(|e| format!("setup failed: {e}"))?;
    eprintln!("{message}");
    Ok(if user == "root" {
        Some(Auth::basic("root", root_password))
    } else if user == dba {
        Some(Auth::basic(dba, dba_password))
    } else {
        None
    })
}

fn ask(prompt: &str) -> Result<String, String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("could not read the answer: {e}"))?;
    Ok(line)
}

/// A password typed twice; empty or different entries are asked again (three tries).
fn new_password(prompt: &str) -> Result<String, String> {
    for _ in 0..3 {
        let first = rpassword::prompt_password(prompt)
            .map_err(|e| format!("could not read the password: {e}"))?;
        if first.is_empty() {
            eprintln!("The password must not be empty.");
            continue;
        }
        let again = rpassword::prompt_password("Repeat it: ")
            .map_err(|e| format!("could not read the password: {e}"))?;
        if first == again {
            return Ok(first);
        }
        eprintln!("The passwords differ.");
    }
    Err("no password set; setup abandoned".to_string())
}
