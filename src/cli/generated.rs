//! What is generated from the clap definition itself, so it never drifts from the flags:
//! shell completions (`sgconv completions SHELL`, clap_complete) and man pages (`sgconv man
//! [COMMAND]`, clap_mangen).

use std::process::ExitCode;

use clap::CommandFactory;

use super::Cli;
use super::io::{fail, write_stdout};

/// Print the completion script for `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "sgconv", &mut script);
    print(&script)
}

/// Print the man page of `sgconv` (section 1), or of one of its commands (`sgconv-convert`,
/// as git names its pages); an unknown command is a usage error.
pub(crate) fn man(command: Option<&str>) -> ExitCode {
    // No `help` command in the pages (clap_mangen's own `generate_to` does the same).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let page = match command {
        None => cmd,
        // Built, a command's display name is `sgconv-convert` and its bin name
        // `sgconv convert`: the page's title and synopsis.
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                return fail(
                    format!(
                        "man: no command {name:?}; expected one of: {}",
                        names.join(", ")
                    ),
                    2,
                );
            }
        },
    };
    let examples = page.get_after_help().map(|h| h.to_string());
    let mut roff = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page.after_help(None::<&str>)).render(&mut roff) {
        return fail(format!("rendering the man page: {e}"), 70);
    }
    let mut roff = String::from_utf8_lossy(&roff).into_owned();
    if let Some(examples) = examples {
        let section = examples_section(&examples);
        match roff.find("\n.SH VERSION") {
            Some(at) => roff.insert_str(at.saturating_add(1), &section),
            None => roff.push_str(&section),
        }
    }
    print(roff.as_bytes())
}

/// An `EXAMPLES` section of the `--help` examples, lines kept as they are (`.nf`), in roff:
/// `\` is `\e`, `-` is `\-` (a hyphen would typeset as a dash), `'` is the page's `\*(Aq`
/// (a typewriter quote; clap_mangen defines it), and a line's leading `.` is `\&.`.
fn examples_section(help: &str) -> String {
    let mut out = String::from(".SH EXAMPLES\n.nf\n");
    for line in help.lines().filter(|l| l.trim_end() != "Examples:") {
        let escaped = line
            .trim()
            .replace('\\', "\\e")
            .replace('-', "\\-")
            .replace('\'', "\\*(Aq");
        if escaped.starts_with('.') {
            out.push_str("\\&");
        }
        out.push_str(&escaped);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out
}

fn print(bytes: &[u8]) -> ExitCode {
    match write_stdout(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}
