//! The spinner of slow queries: an indicatif bar drawn on stderr through a small ANSI terminal
//! of our own. indicatif pads a line to the terminal's full width, which leaves the cursor in
//! the last column; the `^C` the terminal echoes on Ctrl-C would then wrap onto a new line and
//! the spinner could no longer be cleared. Reporting a narrower width keeps the echo on the
//! spinner's line, so clearing it removes both.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use std::io::{self, Write};

/// Columns the spinner claims; its text (`⠋ running… 12.3s`) is far shorter.
const WIDTH: u16 = 40;

/// A spinner on stderr. Call only when stderr is a terminal.
pub fn start() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::term_like(Box::new(Stderr)));
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style.tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "));
    }
    bar
}

#[derive(Debug)]
struct Stderr;

fn write(text: &str) -> io::Result<()> {
    io::stderr().lock().write_all(text.as_bytes())
}

fn moved(n: usize, code: char) -> io::Result<()> {
    if n == 0 {
        Ok(())
    } else {
        write(&format!("\x1b[{n}{code}"))
    }
}

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        WIDTH
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        moved(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        moved(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        moved(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        moved(n, 'D')
    }

    fn write_line(&self, line: &str) -> io::Result<()> {
        write(&format!("{line}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        write(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        write("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}
