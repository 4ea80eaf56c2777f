//! A minimal interactive shell: statements may span lines and run when a line ends them with
//! `;`; `USE ns` is remembered and sent with later statements; `\q` (or Ctrl-D) quits,
//! Ctrl-C drops the statement being typed.

use crate::app::{Exit, Printer};
use crate::statement;
use kalam_link::KalamClient;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use tokio::runtime::Runtime;

const HELP: &str = "\
Type SQL ending with ';' to run it; statements may span lines.
  \\q, quit, exit   leave the shell (Ctrl-D too)
  \\?, help         this help
  Ctrl-C           discard the statement being typed";

pub fn run(
    runtime: &Runtime,
    client: &KalamClient,
    printer: &Printer,
    user: Option<&str>,
    version: &str,
) -> Exit {
    let mut editor = match DefaultEditor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("could not start the interactive shell: {e}");
            return Exit::SqlError;
        }
    };
    let who = user.map(|u| format!(" as {u}")).unwrap_or_default();
    println!(
        "Connected to KalamDB {version} at {}{who}. Type \\? for help, \\q to quit.",
        client.url()
    );
    let mut buffer = String::new();
    let mut namespace: Option<String> = None;
    loop {
        let prompt = if buffer.is_empty() {
            format!("{}> ", namespace.as_deref().unwrap_or("kalam"))
        } else {
            "    -> ".to_string()
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                let command = line.trim();
                if matches!(command, "\\q" | "quit" | "exit") && buffer.is_empty()
                    || command == "\\q"
                {
                    break;
                }
                if buffer.is_empty() && matches!(command, "\\?" | "\\h" | "help") {
                    println!("{HELP}");
                    continue;
                }
                if buffer.is_empty() && command.is_empty() {
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if statement::is_complete(&buffer) {
                    let sql = std::mem::take(&mut buffer);
                    let _ = editor.add_history_entry(sql.trim());
                    execute(runtime, client, printer, &sql, &mut namespace);
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("could not read input: {e}");
                return Exit::SqlError;
            }
        }
    }
    Exit::Ok
}

fn execute(
    runtime: &Runtime,
    client: &KalamClient,
    printer: &Printer,
    sql: &str,
    namespace: &mut Option<String>,
) {
    match runtime.block_on(client.query_with(sql, Vec::new(), namespace.as_deref())) {
        Ok(response) => {
            printer.response(&response);
            // HTTP is stateless: remember the namespace a successful USE selected.
            if let Some(ns) = statement::split(sql)
                .into_iter()
                .filter_map(statement::use_namespace)
                .next_back()
            {
                *namespace = Some(ns);
            }
        }
        Err(err) => {
            printer.error(client.url(), &err);
        }
    }
}
