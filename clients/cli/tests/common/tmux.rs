//! Drives `kalam` in a real terminal: a detached tmux session on a private socket, fed with
//! `send-keys` and read with `capture-pane`. When tmux is missing the tests print a note and
//! skip, unless `KALAM_REQUIRE_TMUX` is set (then they fail).

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long to wait for text to appear on the screen.
pub const WAIT: Duration = Duration::from_secs(30);

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A tmux server with one pane running a command; killed on drop.
pub struct Tmux {
    socket: String,
}

/// True when tmux can be used; prints why not (or panics under `KALAM_REQUIRE_TMUX`).
pub fn available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let note = "tmux not found: interactive tests need it (apt-get install -y tmux)";
        if std::env::var_os("KALAM_REQUIRE_TMUX").is_some() {
            panic!("{note}");
        }
        eprintln!("SKIPPED: {note}");
    }
    ok
}

impl Tmux {
    /// Starts `command` (a shell command line) in a 200x50 terminal. When it ends, the pane
    /// shows `[exited N]` and stays open.
    pub fn start(command: &str) -> Tmux {
        Tmux::start_sized(command, 200, 50)
    }

    /// Like [`Tmux::start`] in a terminal of `width` x `height`.
    pub fn start_sized(command: &str, width: u16, height: u16) -> Tmux {
        let socket = format!(
            "kalam-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let tmux = Tmux { socket };
        // The wrapping shell traps Ctrl-C (so it survives one sent to kalam) with a command,
        // which kalam does not inherit: kalam keeps the default SIGINT disposition.
        let script = format!("trap 'true' INT; {command}; echo \"[exited $?]\"; sleep 600");
        let (width, height) = (width.to_string(), height.to_string());
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &width,
            "-y",
            &height,
            "sh",
            "-c",
            &script,
        ]);
        assert!(out.status.success(), "tmux new-session failed: {out:?}");
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        // tmux reads an argument ending in `;` as a command separator, so semicolons are sent
        // as a hex key code.
        for (i, piece) in text.split(';').enumerate() {
            if i > 0 {
                self.run(&["send-keys", "-t", "t", "-H", "3b"]);
            }
            if !piece.is_empty() {
                self.run(&["send-keys", "-t", "t", "-l", piece]);
            }
        }
    }

    /// Presses keys by tmux name: `Enter`, `Tab`, `C-c`, `C-d` ...
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types a line and presses Enter.
    pub fn line(&self, text: &str) {
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    /// The screen and scrollback, wrapped lines joined.
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-J", "-S", "-2000", "-t", "t"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `check`; panics with the screen after [`WAIT`].
    pub fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if started.elapsed() > WAIT {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `text` is on the screen `count` times or more.
    pub fn wait_for_n(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{count}x {text:?}"), |s| {
            s.matches(text).count() >= count
        })
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_n(text, 1)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// A shell command line that runs `kalam` with `args` and a private `HOME`.
pub fn kalam_command(home: &std::path::Path, args: &[&str]) -> String {
    let mut line = format!(
        "env -u KALAM_TOKEN -u KALAM_PASSWORD -u KALAM_URL -u KALAM_USER -u NO_COLOR HOME='{}' TERM=xterm-256color '{}'",
        home.display(),
        env!("CARGO_BIN_EXE_kalam")
    );
    for arg in args {
        line.push_str(&format!(" '{}'", arg.replace('\'', "'\\''")));
    }
    line
}
