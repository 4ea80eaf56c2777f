//! `\set`, `\unset` and `\pset`. Variables are psql's: `\set NAME VALUE` stores text, `\set`
//! alone lists them; SQL typed at the prompt, `\i` scripts and `\watch` get them interpolated as
//! `:name`, `:'name'` and `:"name"` ([`crate::interpolate`]). The shell itself reads
//! `ON_ERROR_STOP` (on unless set to off). `\pset format aligned|csv|json`
//! and `\pset null TEXT` change how results print; `\pset` alone lists the options.

use super::Shell;
use crate::args::Format;

pub const ON_ERROR_STOP: &str = "ON_ERROR_STOP";

impl Shell<'_> {
    /// Whether a failing `\i` statement ends the script.
    pub(super) fn stop_on_error(&self) -> bool {
        self.vars
            .get(ON_ERROR_STOP)
            .is_none_or(|value| !is_off(value))
    }

    pub(super) fn set(&mut self, assignment: Option<(String, String)>) {
        match assignment {
            None => {
                for (name, value) in &self.vars {
                    println!("{name} = '{}'", value.replace('\'', "''"));
                }
            }
            Some((name, value)) => {
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    eprintln!("\\set: invalid variable name: \"{name}\"");
                    return;
                }
                let name = if name.eq_ignore_ascii_case(ON_ERROR_STOP) {
                    ON_ERROR_STOP.to_string()
                } else {
                    name
                };
                if name == ON_ERROR_STOP && !value.is_empty() && !is_on(&value) && !is_off(&value) {
                    eprintln!(
                        "unrecognized value \"{value}\" for \"{ON_ERROR_STOP}\": Boolean expected"
                    );
                    return;
                }
                self.vars.insert(name, value);
            }
        }
    }

    pub(super) fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }

    pub(super) fn pset(&mut self, option: Option<&str>, value: Option<&str>) {
        let display = &mut self.printer.display;
        match (option, value) {
            (None, _) => {
                println!("format   {}", format_name(display.format));
                println!("null     '{}'", display.null.replace('\'', "''"));
            }
            (Some("format"), None) => {
                println!("Output format is {}.", format_name(display.format));
            }
            (Some("format"), Some(value)) => {
                let format = match value.to_ascii_lowercase().as_str() {
                    "aligned" | "table" => Format::Table,
                    "csv" => Format::Csv,
                    "json" => Format::Json,
                    _ => {
                        eprintln!(
                            "\\pset: allowed formats are aligned, csv, json (not \"{value}\")"
                        );
                        return;
                    }
                };
                display.format = format;
                println!("Output format is {}.", format_name(format));
            }
            (Some("null"), value) => {
                if let Some(value) = value {
                    display.null = value.to_string();
                }
                println!("Null display is \"{}\".", display.null);
            }
            (Some(other), _) => {
                eprintln!("\\pset: unknown option: {other} (kalam knows format and null)");
            }
        }
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "aligned",
        Format::Csv => "csv",
        Format::Json => "json",
    }
}

fn is_on(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "on" | "1" | "true" | "yes"
    )
}

fn is_off(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "off" | "0" | "false" | "no"
    )
}
