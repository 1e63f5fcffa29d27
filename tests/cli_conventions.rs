//! The command line's conventions, as its peers (ripgrep, jq, fd) have them: completions and
//! man pages generated from the clap definition, the provider told by the document when
//! `--from` is left out, colour only on a terminal and never with `NO_COLOR`, progress only
//! on a terminal, and an example in each command's `--help`.
//!
//! The terminal cases run sgconv on a pseudo-terminal through util-linux `script`; where it is
//! missing they say so and check nothing more.

mod common;

use std::process::{Command, Output, Stdio};

use common::PassStdin;

const HUAWEI: &str = "tests/fixtures/huawei/create_tcp_single_port.json";
const GCORE_BODY: &str = "tests/fixtures/gcore/v1_create_rule_body_tcp.json";
const SCALEWAY: &str = "tests/fixtures/scaleway/wrapped_list_rules_ordered_mixed.json";
const COMMANDS: &[&str] = &["convert", "diff", "lint", "providers", "completions", "man"];
/// The environment variable that makes progress start at once (instead of after a second).
const PROGRESS_AFTER: &str = "SGCONV_PROGRESS_AFTER_MS";

fn sgconv(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgconv"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove(PROGRESS_AFTER)
        .stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    sgconv(args).output().expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// Whether a program is on PATH (it answers `--version`).
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

// ---------------------------------------------------------------------------------------
// Completions and man pages

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        assert!(out.stderr.is_empty(), "{shell}");
        let script = text(&out.stdout);
        for word in ["convert", "lint", "rule-budget", "input-format", "color"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// The bash script is valid bash, and completes `--to` with the provider names.
#[test]
fn bash_completion_runs() {
    if !have("bash") {
        println!("skipped: no bash on PATH");
        return;
    }
    let script = run(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sgconv.bash");
    std::fs::write(&path, script).expect("write");
    // Source the script and ask its function what follows `sgconv convert --to `.
    let probe = format!(
        "source {}; COMP_WORDS=(sgconv convert --to ''); COMP_CWORD=3; COMP_LINE='sgconv convert --to '; \
         COMP_POINT=${{#COMP_LINE}}; _sgconv sgconv '' --to; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let words = text(&out.stdout);
    for provider in ["canonical", "gcore-v1", "gcore-v2", "huawei", "scaleway"] {
        assert!(
            words.lines().any(|w| w == provider),
            "{provider} in {words:?}"
        );
    }
}

#[test]
fn man_pages_for_sgconv_and_each_command() {
    let main = text(&run(&["man"]).stdout);
    assert!(main.contains(".TH sgconv 1"), "{main}");
    for command in COMMANDS {
        assert!(
            main.contains(&format!("sgconv\\-{}(1)", command.replace('-', "\\-"))),
            "the page lists {command}"
        );
        let out = run(&["man", command]);
        assert_eq!(out.status.code(), Some(0), "{command}");
        let page = text(&out.stdout);
        assert!(
            page.contains(&format!(".TH sgconv-{command} 1")),
            "{command}: {page}"
        );
        assert!(page.contains(".SH EXAMPLES\n.nf\nsgconv "), "{command}");
    }
    let convert = text(&run(&["man", "convert"]).stdout);
    for flag in ["\\-\\-from", "\\-\\-rule\\-budget", "\\-\\-color"] {
        assert!(convert.contains(flag), "{flag}");
    }
    let out = run(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("convert, diff, lint"));
}

/// groff typesets every page without a warning (`-ww` turns them all on).
#[test]
fn man_pages_typeset_cleanly() {
    if !have("groff") {
        println!("skipped: no groff on PATH");
        return;
    }
    let mut pages = vec![run(&["man"]).stdout];
    pages.extend(COMMANDS.iter().map(|c| run(&["man", c]).stdout));
    for page in pages {
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .pass_stdin_bytes(&page);
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
}

#[test]
fn each_command_has_an_example_in_its_help() {
    for command in COMMANDS {
        for flag in ["--help", "-h"] {
            let help = text(&run(&[command, flag]).stdout);
            assert!(
                help.contains(&format!("Examples:\n  sgconv {command}")),
                "{command} {flag}: {help}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The provider, told by the document

#[test]
fn one_provider_reads_it_whole_so_it_is_the_provider() {
    let told = run(&["convert", "--to", "gcore-v2", HUAWEI]);
    let given = run(&["convert", "--from", "huawei", "--to", "gcore-v2", HUAWEI]);
    assert_eq!(told.status.code(), Some(0), "{}", text(&told.stderr));
    assert_eq!(told.stdout, given.stdout);
    assert_eq!(told.stderr, given.stderr);
    assert!(text(&told.stderr).starts_with("sgconv: huawei -> gcore-v2: "));
}

#[test]
fn several_providers_is_a_usage_error_naming_them() {
    let out = run(&["convert", "--to", "scaleway", GCORE_BODY]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "sgconv: error: no --from given, and gcore-v1, gcore-v2 and huawei each read the input \
         whole; give --from with the one it is\n"
    );
}

#[test]
fn no_provider_is_a_usage_error_with_each_ones_reason() {
    let out = sgconv(&["convert", "--to", "huawei"]).pass_stdin_bytes(br#"{"rulez": []}"#);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("sgconv: error: no --from given, and no provider reads the input whole"),
        "{err}"
    );
    for provider in ["canonical", "gcore-v1", "gcore-v2", "huawei", "scaleway"] {
        assert!(
            err.contains(&format!("\n  {provider}: ")),
            "{provider}: {err}"
        );
    }
}

#[test]
fn diff_and_lint_tell_the_provider_too() {
    let out = run(&["diff", HUAWEI, SCALEWAY, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        (&diff["from"], &diff["to"]),
        (&"huawei".into(), &"scaleway".into())
    );
    let out = run(&["diff", "--from", "huawei", HUAWEI, GCORE_BODY]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no --to given"));

    let out = run(&["lint", "--format", "json", "--fail-on", "never", HUAWEI]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lint: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(lint["from"], "huawei");
    let out = run(&["lint", HUAWEI, SCALEWAY]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("lint them separately"));
}

// ---------------------------------------------------------------------------------------
// Colour and progress

/// A summary with every colour the summary has: narrowed entries and a NARROWED verdict.
const NARROWING: &[&str] = &[
    "convert",
    "--from",
    "canonical",
    "--to",
    "gcore-v1",
    "tests/fixtures/canonical/allow_only_mixed.yaml",
];

#[test]
fn no_escape_codes_off_a_terminal() {
    let plain = run(NARROWING);
    assert_eq!(plain.status.code(), Some(0));
    let err = text(&plain.stderr);
    assert!(err.contains("NARROWED"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
    let never = run(&[NARROWING, &["--color", "never"]].concat());
    assert_eq!(never.stderr, plain.stderr);
    // The same summary, coloured on request: only the escape codes differ.
    let always = text(&run(&[NARROWING, &["--color", "always"]].concat()).stderr);
    assert!(
        always.contains("\x1b[1m\x1b[33mNARROWED\x1b[0m"),
        "{always:?}"
    );
    assert_eq!(strip_escapes(&always), err);
}

/// Off a terminal, a run with progress due at once draws none: stderr is the summary alone.
#[test]
fn no_progress_off_a_terminal() {
    let plain = run(NARROWING);
    let due = sgconv(NARROWING)
        .env(PROGRESS_AFTER, "0")
        .output()
        .expect("runs");
    assert_eq!(due.status.code(), Some(0));
    assert_eq!(text(&due.stderr), text(&plain.stderr));
    assert!(!due.stderr.contains(&b'\r'));
}

/// `sgconv ARGS` with stderr on a pseudo-terminal (stdout into `out`): what the terminal
/// showed, or `None` without `script`.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    if !have("script") {
        println!("skipped: no util-linux `script` on PATH for a pseudo-terminal");
        return None;
    }
    let quote = |s: &str| {
        assert!(!s.contains('\''), "{s}");
        format!("'{s}'")
    };
    let mut line: Vec<String> = vec!["env".into()];
    line.extend(env.iter().map(|(k, v)| quote(&format!("{k}={v}"))));
    line.push(quote(env!("CARGO_BIN_EXE_sgconv")));
    line.extend(args.iter().map(|a| quote(a)));
    line.extend(["-o".into(), "/dev/null".into()]);
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line.join(" "), "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove(PROGRESS_AFTER)
        .stdin(Stdio::null())
        .output()
        .expect("script");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    Some(text(&out.stdout))
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let Some(coloured) = on_terminal(NARROWING, &[]) else {
        return;
    };
    assert!(
        coloured.contains("\x1b[1m\x1b[33mNARROWED\x1b[0m"),
        "{coloured:?}"
    );
    for no_color in ["1", "true"] {
        let plain = on_terminal(NARROWING, &[("NO_COLOR", no_color)]).unwrap_or_default();
        assert!(plain.contains("NARROWED"), "{plain:?}");
        assert!(!plain.contains('\x1b'), "NO_COLOR={no_color}: {plain:?}");
        assert_eq!(plain, strip_escapes(&coloured));
    }
    // An empty NO_COLOR is unset (no-color.org); `--color never` wins on a terminal.
    let empty = on_terminal(NARROWING, &[("NO_COLOR", "")]).unwrap_or_default();
    assert_eq!(empty, coloured);
    let never = on_terminal(&[NARROWING, &["--color", "never"]].concat(), &[]).unwrap_or_default();
    assert!(!never.contains('\x1b'), "{never:?}");
}

#[test]
fn progress_on_a_terminal_and_not_with_quiet() {
    let Some(shown) = on_terminal(NARROWING, &[(PROGRESS_AFTER, "0"), ("NO_COLOR", "1")]) else {
        return;
    };
    // Each stage redrawn over the last with `\r`, then erased before the summary.
    for stage in [
        "rules read, fitting",
        "rules written, verifying",
        "verifying 1/1 groups",
    ] {
        assert!(shown.contains(stage), "{stage}: {shown:?}");
    }
    let summary_at = shown
        .find("sgconv: canonical -> gcore-v1")
        .expect("summary");
    let erased = shown.get(..summary_at).unwrap_or_default();
    assert!(erased.ends_with(" \r"), "the line is blanked: {erased:?}");
    assert!(
        !shown.contains('\x1b'),
        "no escape codes in progress: {shown:?}"
    );
    let quiet = on_terminal(
        &[NARROWING, &["-q"]].concat(),
        &[(PROGRESS_AFTER, "0"), ("NO_COLOR", "1")],
    );
    assert_eq!(quiet.as_deref(), Some(""), "-q: nothing on the terminal");
}

/// `text` without ANSI SGR sequences (`ESC [ ... m`).
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
