//! `\upload`, `\download` and `\export`, fed to the shell through a pipe against the real
//! server: the downloaded bytes equal the uploaded ones, and the export lands as a ZIP.

mod common;
use common::{kalam, server};

fn shell(url: &str, cwd: &std::path::Path, input: &str) -> common::Run {
    let mut cmd = kalam();
    cmd.current_dir(cwd);
    common::shell_with(cmd, url, input)
}

#[test]
fn upload_download_and_export_round_trip() {
    let Some(server) = server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes: Vec<u8> = (0..2_500_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let source = dir.path().join("my data.bin");
    std::fs::write(&source, &bytes).expect("write");

    let out = shell(
        &server.url,
        dir.path(),
        &format!("\\upload {}\n", source.display()),
    );
    assert!(
        out.stdout
            .contains("Uploaded my data.bin (2500000 bytes) as "),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let id = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Uploaded "))
        .expect("the upload line")
        .split(" as ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .expect("file id")
        .to_string();

    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).expect("mkdir");
    let out = shell(&server.url, dir.path(), &format!("\\download {id} saved\n"));
    assert!(
        out.stdout
            .contains("Downloaded my data.bin (2500000 bytes)"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        std::fs::read(saved.join("my data.bin")).expect("saved file") == bytes,
        "downloaded bytes differ"
    );

    let out = shell(&server.url, dir.path(), "\\download F-nope\n");
    assert!(
        out.stderr.contains("no file with id \"F-nope\""),
        "{}",
        out.stderr
    );

    let out = shell(&server.url, dir.path(), "\\export backup.zip\n");
    assert!(
        out.stdout.contains("User data export started. Job ID: UE-"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("Saved the export ("),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let zip = std::fs::read(dir.path().join("backup.zip")).expect("the ZIP");
    assert_eq!(&zip[..2], b"PK");
    // The uploaded file is listed in the ZIP's directory.
    let name = format!("files/{id}/my data.bin");
    assert!(
        zip.windows(name.len()).any(|w| w == name.as_bytes()),
        "the export does not list {name}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
