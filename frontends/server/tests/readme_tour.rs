//! The README's "Five-minute tour", run as written: its first block starts the server (here the
//! test's binary with the same root password), the other `sh` blocks run in bash with their
//! curl lines pointed at that server, and what they print is checked against what the README
//! says: every statement succeeds, each user reads back only their own row, and the response it
//! shows is the one the server sends (all but `took`). Then the `kalam` CLI the README names
//! reads alice's rows. If the README changes so that this no longer holds, this test fails.

mod common;

use common::{Options, Server};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../../README.md");

/// The fenced blocks of the README section titled `title`: (language, text).
fn blocks(title: &str) -> Vec<(String, String)> {
    let start = README
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has no section '## {title}'"));
    let section = &README[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    let section = &section[..end];
    let mut out = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            out.push((lang.trim().to_string(), body.join("\n")));
        }
    }
    out
}

fn without_took(mut response: Value) -> Value {
    if let Some(object) = response.as_object_mut() {
        object.remove("took");
    }
    response
}

#[tokio::test]
async fn the_five_minute_tour_does_what_the_readme_says() {
    let tour = blocks("Five-minute tour");
    let (first_lang, first) = &tour[0];
    assert_eq!(
        (first_lang.as_str(), first.trim()),
        ("sh", "KALAMDB_ROOT_PASSWORD=secret make run"),
        "the tour should start with the server command"
    );
    let server = Server::start_with(Options {
        root_password: Some("secret".into()),
        ..Options::default()
    })
    .await;
    let script: String = tour[1..]
        .iter()
        .filter(|(lang, _)| lang == "sh")
        .map(|(_, text)| text.replace("localhost:8080", &format!("127.0.0.1:{}", server.port)))
        .collect::<Vec<_>>()
        .join("\n");
    let output = Command::new("bash")
        .args(["-e", "-c", &script])
        .output()
        .expect("bash and curl are needed to run the README tour (apt-get install curl)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the tour failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let responses: Vec<Value> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    // 4 set-up statements, 2 inserts, 2 selects.
    assert_eq!(responses.len(), 8, "{stdout}");
    for response in &responses {
        assert_eq!(response["status"], "success", "{response}");
    }
    let bodies = |r: &Value| r["results"][0]["rows"].clone();
    assert_eq!(
        bodies(&responses[6]),
        serde_json::json!([["hello from alice"]]),
        "alice sees only her row"
    );
    assert_eq!(
        bodies(&responses[7]),
        serde_json::json!([["hello from bob"]]),
        "bob sees only his row"
    );
    // The response the README shows is alice's SELECT, as the server sends it.
    let shown = tour
        .iter()
        .find(|(lang, _)| lang == "json")
        .map(|(_, text)| text.replace('\n', ""))
        .expect("the tour shows a response");
    let shown: Value = serde_json::from_str(&shown).expect("the README's response is JSON");
    assert_eq!(without_took(shown), without_took(responses[6].clone()));

    // The CLI of the "Clients" section, as alice.
    let kalam = Path::new(common::binary()).with_file_name("kalam");
    if !kalam.exists() {
        if std::env::var_os("KALAM_REQUIRE_SERVER").is_some() {
            panic!("{} is missing: cargo build -p kalam-cli", kalam.display());
        }
        eprintln!("SKIPPED the CLI part: {} is not built", kalam.display());
        return;
    }
    let out = Command::new(&kalam)
        .args(["--url", &server.url, "--user", "alice", "--csv"])
        .args(["-c", "SELECT body FROM app.messages"])
        .env("KALAM_PASSWORD", "alice-pw")
        .env(
            "HOME",
            server.data_dir.parent().unwrap_or(Path::new("/tmp")),
        )
        .output()
        .expect("run kalam");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "body\nhello from alice\n"
    );
}
