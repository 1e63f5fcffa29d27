//! The crate's layers, checked by reading the source.
//!
//! sgconv is built in five layers. A module may use what sits in a lower layer; it may not use
//! what sits above it, and it may use a module of its own layer only where the table
//! [`WITHIN_LAYER`] says so (with the reason). From the bottom:
//!
//! 0. **Vocabulary** — the words every other part speaks and that decide nothing: the model of
//!    a security group (`model/`), the provider ids (`id.rs`, generated from the one list of
//!    dialects in `registry.rs`), what a target can express (`caps.rs`), and the `text_enum!`
//!    macro that reads enums from their names (`text_enum.rs`).
//! 1. **Meaning** — `semantics/`: which packets a group allows, as sets of packet boxes, and
//!    how two such sets differ. It knows the model and nothing else.
//! 2. **Records and text** — the loss report (`report/`), errors (`error.rs`), reading and
//!    writing JSON/YAML (`codec.rs`) and the converted document as text (`output.rs`).
//! 3. **The two sides of the middle**, side by side and blind to each other: `fit/` turns a
//!    canonical document into one a target can hold, knowing the target only through its
//!    declared capabilities; `providers/` holds the dialects, each of which maps its own wire
//!    shapes to and from the model. A dialect (a module `src/registry.rs` registers:
//!    `providers/gcore`, `providers/huawei`, `providers/scaleway`, any future one) never uses
//!    another; all of them may use the shared provider code (every other module of
//!    `providers/`: `mod.rs`, `read.rs`, `envelope.rs`, ..., and `canonical.rs`, sgconv's own
//!    format, which the envelope is made of), which in turn names no dialect (the registry's
//!    macro does that, in one place).
//! 4. **The pipeline** — `convert.rs` (import → fit → export → verify → decide), `verify.rs`,
//!    `diff.rs`, and the crate root `lib.rs`, which is only the public facade.
//!
//! Above the library is the **binary** (`src/main.rs`, `src/cli/`): a separate crate that can
//! only use the library's public API, and the only code that may use clap, exit codes, or
//! print to stdout/stderr.
//!
//! What is read: every `use` declaration (with its `{...}` trees expanded) and every path in
//! code that starts with `crate::`, `super::`, `self::` or the name of a child module; comments
//! and string literals are blanked first, so a doc link is not an import. A path through the
//! crate root's re-exports (`crate::Report`) counts as using the facade (layer 4): code below
//! the pipeline names the module that defines what it uses.
//!
//! Two more rules are checked here: no library file mentions clap, `std::process::exit`,
//! `ExitCode` or prints; and below the pipeline only a dialect's own files name its
//! `ProviderId` variant — a dialect never decides by which provider is on the other side, and
//! the fit pass decides from capabilities, never from a provider's name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The layers, bottom first: (layer, top-level modules of `src/`).
const LAYERS: &[(u8, &[&str])] = &[
    (0, &["registry", "id", "caps", "model", "text_enum"]),
    (1, &["semantics"]),
    (2, &["codec", "error", "output", "progress", "report"]),
    (3, &["fit", "providers"]),
    (4, &["convert", "detect", "diff", "lint", "plan", "verify"]),
];

/// The crate root (`lib.rs`): the facade, at the top of the pipeline layer.
const ROOT: &str = "lib";

/// Registered dialects that count as shared provider code: `canonical` is sgconv's own
/// format, which the shared envelope and `CANONICAL_VERSION` are made of. Every other module
/// `src/registry.rs` names is a dialect of its own; every module of `providers/` it does not
/// name is shared code.
const SHARED_DIALECTS: &[&str] = &["canonical"];

/// The modules under `providers/` that are dialects (from the registry).
fn dialects() -> &'static BTreeSet<String> {
    static DIALECTS: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    DIALECTS.get_or_init(|| {
        registry()
            .into_iter()
            .map(|(_, module)| module)
            .filter(|m| !SHARED_DIALECTS.contains(&m.as_str()))
            .collect()
    })
}

/// Uses inside one layer that are allowed: (from, to, why). `providers::*` stands for any
/// dialect, `*` for any module of the layer.
const WITHIN_LAYER: &[(&str, &str, &str)] = &[
    (
        "id",
        "registry",
        "ProviderId is generated from the registry's one list",
    ),
    (
        "model",
        "text_enum",
        "the model's enums are read by their names",
    ),
    (
        "caps",
        "model",
        "capabilities are stated in the model's terms (directions, protocols, platform blocks)",
    ),
    (
        "codec",
        "error",
        "a decoding error carries an error::Location",
    ),
    ("output", "codec", "an output is text in a codec::Format"),
    ("output", "error", "writing an output can fail"),
    (
        "providers::*",
        "providers",
        "every dialect uses the shared reading, envelope and Provider trait",
    ),
    (
        "convert",
        "verify",
        "a conversion is verified before it is decided",
    ),
    (
        "diff",
        "convert",
        "diff reads both documents with convert's import",
    ),
    (
        "lint",
        "convert",
        "lint reads the document with convert's import",
    ),
    (
        "detect",
        "convert",
        "detection reads the document with convert's import, once per provider",
    ),
    (
        "plan",
        "convert",
        "a plan reads its inputs and converts its groups with convert's pipeline",
    ),
    (
        "plan",
        "verify",
        "a plan lists its end state's differences within verify's limit",
    ),
    (ROOT, "*", "the facade re-exports the pipeline"),
];

/// Known exceptions to the rules above: (from, to, what and how to remove it). Each one must
/// still be needed (the test fails on an allowance nothing uses), so removing the cause
/// forces removing the allowance.
const ALLOWANCES: &[(&str, &str, &str)] = &[];

// ---------------------------------------------------------------------------------------
// Reading the source

struct SourceFile {
    /// Relative to the repository, with `/`.
    path: String,
    /// The module path in its crate (`["providers", "gcore"]`); empty for a crate root.
    module: Vec<String>,
    /// Part of the binary (`main.rs`, `cli/`), a crate of its own.
    binary: bool,
    raw: String,
    /// `raw` with comments and string/char literals replaced by spaces (newlines kept).
    code: String,
}

fn sources() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no files under src/");
    files
        .into_iter()
        .map(|file| {
            let rel = file
                .strip_prefix(root.join("src"))
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let binary = rel == "main.rs" || rel.starts_with("cli/");
            let raw = std::fs::read_to_string(&file).expect("readable source");
            let code = blank_comments_and_strings(&raw);
            SourceFile {
                path: format!("src/{rel}"),
                module: module_of(&rel),
                binary,
                raw,
                code,
            }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `providers/gcore/mod.rs` → `[providers, gcore]`; `lib.rs` and `main.rs` → `[]`.
fn module_of(rel: &str) -> Vec<String> {
    let rel = rel.strip_suffix(".rs").expect(".rs file");
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Replace comments, string literals (plain, raw, byte) and char literals with spaces,
/// keeping newlines, so that what is left is code.
fn blank_comments_and_strings(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out: Vec<char> = c.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for ch in out.iter_mut().take(to).skip(from) {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
    };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        match c[i] {
            '/' if next == Some('/') => {
                let end = c[i..]
                    .iter()
                    .position(|&ch| ch == '\n')
                    .map_or(c.len(), |p| i + p);
                blank(&mut out, i, end);
                i = end;
            }
            '/' if next == Some('*') => {
                let mut depth = 0usize;
                let mut j = i;
                while j < c.len() {
                    if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                        depth += 1;
                        j += 2;
                    } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            'r' | 'b' if i == 0 || !ident(c[i - 1]) => {
                // r"..", r#".."#, br"..", b"..", b'x'
                let mut j = i + 1;
                if c[i] == 'b' && c.get(j) == Some(&'r') {
                    j += 1;
                }
                let raw = c[i] == 'r' || c.get(i + 1) == Some(&'r');
                let mut hashes = 0;
                while raw && c.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if c.get(j) == Some(&'"') && (raw || c[i] == 'b') {
                    let end = if raw {
                        let mut k = j + 1;
                        loop {
                            if k >= c.len() {
                                break c.len();
                            }
                            if c[k] == '"' && (1..=hashes).all(|h| c.get(k + h) == Some(&'#')) {
                                break k + 1 + hashes;
                            }
                            k += 1;
                        }
                    } else {
                        string_end(&c, j)
                    };
                    blank(&mut out, i, end);
                    i = end;
                } else {
                    i += 1;
                }
            }
            '"' => {
                let end = string_end(&c, i);
                blank(&mut out, i, end);
                i = end;
            }
            '\'' => {
                // A char literal ('x', '\n', '\u{1F600}'), or a lifetime ('a).
                if next == Some('\\') {
                    // The closing quote, after the escaped character.
                    let end = c
                        .get(i + 3..)
                        .and_then(|rest| rest.iter().position(|&ch| ch == '\''))
                        .map_or(c.len(), |p| i + 3 + p + 1);
                    blank(&mut out, i, end);
                    i = end;
                } else if c.get(i + 2) == Some(&'\'') {
                    blank(&mut out, i, i + 3);
                    i += 3;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out.into_iter().collect()
}

/// The index after the closing quote of the string opening at `open`.
fn string_end(c: &[char], open: usize) -> usize {
    let mut k = open + 1;
    while k < c.len() {
        match c[k] {
            '\\' => k += 2,
            '"' => return k + 1,
            _ => k += 1,
        }
    }
    c.len()
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    line: usize,
}

fn tokens(code: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let c: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < c.len() {
            let ch = c[i];
            if ch.is_whitespace() {
                i += 1;
            } else if ch.is_alphanumeric() || ch == '_' {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push(Token {
                    text: c[start..i].iter().collect(),
                    line: n + 1,
                });
            } else if ch == ':' && c.get(i + 1) == Some(&':') {
                out.push(Token {
                    text: "::".into(),
                    line: n + 1,
                });
                i += 2;
            } else {
                out.push(Token {
                    text: ch.to_string(),
                    line: n + 1,
                });
                i += 1;
            }
        }
    }
    out
}

/// A path a file uses, resolved to the module it names.
#[derive(Debug, Clone)]
struct Use {
    line: usize,
    /// As written (`super::read::ReadRule`).
    written: String,
    /// Absolute, from the crate root (`providers::read::ReadRule`).
    absolute: Vec<String>,
}

/// Every module path of the library (from its files).
fn library_modules(files: &[SourceFile]) -> BTreeSet<Vec<String>> {
    files
        .iter()
        .filter(|f| !f.binary)
        .map(|f| f.module.clone())
        .collect()
}

/// The paths `file` uses. `modules` are the crate's module paths, for telling a child
/// module from an external crate.
fn uses(file: &SourceFile, modules: &BTreeSet<Vec<String>>) -> Vec<Use> {
    let toks = tokens(&file.code);
    let mut out = Vec::new();
    // Inline modules (`mod tests { ... }`): (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text.as_str();
        let here: Vec<String> = file
            .module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(m, _)| m.clone()))
            .collect();
        match t {
            "{" => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
                i += 1;
            }
            "}" => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            "mod" => {
                if let Some(name) = toks.get(i + 1)
                    && toks.get(i + 2).is_some_and(|t| t.text == "{")
                {
                    pending_mod = Some(name.text.clone());
                }
                i += 1;
            }
            "use" if toks.get(i + 1).is_some_and(|t| t.text != "<") => {
                // (`use` in a `use<..>` bound is not an import.)
                let line = toks[i].line;
                let mut j = i + 1;
                let mut trees = Vec::new();
                use_tree(&toks, &mut j, Vec::new(), &mut trees);
                for path in trees {
                    if let Some(absolute) = resolve(&path, &here, modules) {
                        out.push(Use {
                            line,
                            written: path.join("::"),
                            absolute,
                        });
                    }
                }
                i = j;
            }
            _ => {
                let after_sep = i > 0 && matches!(toks[i - 1].text.as_str(), "::" | ".");
                let starts_path = toks.get(i + 1).is_some_and(|t| t.text == "::");
                if starts_path && !after_sep && is_ident(t) {
                    let mut path = vec![t.to_owned()];
                    let mut j = i + 1;
                    while toks.get(j).is_some_and(|t| t.text == "::")
                        && toks.get(j + 1).is_some_and(|t| is_ident(&t.text))
                    {
                        path.push(toks[j + 1].text.clone());
                        j += 2;
                    }
                    if let Some(absolute) = resolve(&path, &here, modules) {
                        out.push(Use {
                            line: toks[i].line,
                            written: path.join("::"),
                            absolute,
                        });
                    }
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Parse one use tree at `*j`, appending each full path to `out`; stops after the tree.
fn use_tree(toks: &[Token], j: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        let Some(t) = toks.get(*j) else { return };
        match t.text.as_str() {
            "::" => *j += 1,
            "{" => {
                *j += 1;
                loop {
                    match toks.get(*j).map(|t| t.text.as_str()) {
                        Some("}") => {
                            *j += 1;
                            return;
                        }
                        Some(",") => *j += 1,
                        None => return,
                        _ => use_tree(toks, j, path.clone(), out),
                    }
                }
            }
            "*" => {
                *j += 1;
                out.push(path);
                return;
            }
            "as" => {
                *j += 2;
                out.push(path);
                return;
            }
            ";" | "," | "}" => {
                if t.text == ";" {
                    *j += 1;
                }
                out.push(path);
                return;
            }
            "self" if !path.is_empty() => *j += 1, // `x::{self}` is `x`
            name => {
                path.push(name.to_owned());
                *j += 1;
            }
        }
    }
}

/// Resolve `path` written in module `here` to a path from the crate root; `None` when it
/// names something outside the crate (std, serde, a local variable's method...).
fn resolve(
    path: &[String],
    here: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let first = path.first()?.as_str();
    let mut base: Vec<String> = here.to_vec();
    let rest: &[String] = match first {
        "crate" => {
            base.clear();
            &path[1..]
        }
        "self" => &path[1..],
        "super" => {
            let mut k = 0;
            while path.get(k).is_some_and(|s| s == "super") {
                base.pop();
                k += 1;
            }
            &path[k..]
        }
        child => {
            let mut candidate = here.to_vec();
            candidate.push(child.to_owned());
            if !modules.contains(&candidate) {
                return None;
            }
            path
        }
    };
    base.extend(rest.iter().cloned());
    Some(base)
}

// ---------------------------------------------------------------------------------------
// Layers and units

/// The unit a module belongs to (its top-level module, or `providers::<dialect>`), and the
/// unit's layer; `None` for a module no layer lists.
fn unit_of(module: &[String]) -> Option<(String, u8)> {
    let Some(top) = module.first() else {
        return Some((ROOT.to_owned(), 4));
    };
    let layer = LAYERS
        .iter()
        .find(|(_, mods)| mods.contains(&top.as_str()))?
        .0;
    if top == "providers"
        && let Some(sub) = module.get(1)
        && dialects().contains(sub)
    {
        return Some((format!("providers::{sub}"), layer));
    }
    Some((top.clone(), layer))
}

/// The library module an absolute path names: its longest prefix that is a module.
fn module_named<'a>(path: &[String], modules: &'a BTreeSet<Vec<String>>) -> &'a Vec<String> {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].to_vec()))
        .expect("the crate root is a module")
}

fn pattern_matches(pattern: &str, unit: &str) -> bool {
    pattern == "*"
        || pattern == unit
        || (pattern == "providers::*" && unit.starts_with("providers::"))
}

fn listed(table: &[(&str, &str, &str)], from: &str, to: &str) -> bool {
    table
        .iter()
        .any(|(f, t, _)| pattern_matches(f, from) && pattern_matches(t, to))
}

struct Edge {
    from: String,
    to: String,
    file: String,
    line: usize,
    written: String,
}

/// Every use from one library unit to another.
fn edges(files: &[SourceFile]) -> Vec<Edge> {
    let modules = library_modules(files);
    let mut out = Vec::new();
    for file in files.iter().filter(|f| !f.binary) {
        let (from, _) = unit_of(&file.module)
            .unwrap_or_else(|| panic!("{} is in no layer: add it to LAYERS", file.path));
        for u in uses(file, &modules) {
            let target = module_named(&u.absolute, &modules);
            let (to, _) = unit_of(target).expect("every module has a layer");
            if to != from {
                out.push(Edge {
                    from: from.clone(),
                    to,
                    file: file.path.clone(),
                    line: u.line,
                    written: u.written,
                });
            }
        }
    }
    out
}

fn layer(unit: &str) -> u8 {
    if unit == ROOT {
        return 4;
    }
    let top = unit.split("::").next().expect("a name");
    LAYERS
        .iter()
        .find(|(_, mods)| mods.contains(&top))
        .expect("a layer")
        .0
}

// ---------------------------------------------------------------------------------------
// The tests

#[test]
fn every_file_is_in_a_layer() {
    let missing: Vec<String> = sources()
        .iter()
        .filter(|f| !f.binary && unit_of(&f.module).is_none())
        .map(|f| f.path.clone())
        .collect();
    assert!(
        missing.is_empty(),
        "files in no layer (add their module to LAYERS in tests/layers.rs): {missing:?}"
    );
}

#[test]
fn no_use_runs_upward_or_across() {
    let mut bad = String::new();
    for e in edges(&sources()) {
        let (lf, lt) = (layer(&e.from), layer(&e.to));
        let why = if lt > lf {
            "upward"
        } else if lt == lf && !listed(WITHIN_LAYER, &e.from, &e.to) {
            if listed(ALLOWANCES, &e.from, &e.to) {
                continue;
            }
            "across"
        } else {
            continue;
        };
        let facade = if e.to == ROOT {
            " (through the crate root's re-export: name the defining module)"
        } else {
            ""
        };
        writeln!(
            bad,
            "{}:{}: {} (layer {lf}) uses {} (layer {lt}), {why}: `{}`{facade}",
            e.file, e.line, e.from, e.to, e.written
        )
        .expect("write to string");
    }
    assert!(bad.is_empty(), "layer violations:\n{bad}");
}

#[test]
fn no_import_circle() {
    let edges = edges(&sources());
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &edges {
        if !listed(ALLOWANCES, &e.from, &e.to) {
            graph.entry(&e.from).or_default().insert(&e.to);
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = stack.iter().position(|s| *s == n) {
            let mut circle = stack[at..].to_vec();
            circle.push(n);
            return Some(circle);
        }
        if !done.insert(n) {
            return None;
        }
        stack.push(n);
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        let mut stack = Vec::new();
        if let Some(circle) = visit(n, &graph, &mut stack, &mut done) {
            panic!("import circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn every_allowance_is_still_needed() {
    let edges = edges(&sources());
    for (from, to, why) in ALLOWANCES {
        assert!(
            edges
                .iter()
                .any(|e| pattern_matches(from, &e.from) && pattern_matches(to, &e.to)),
            "the allowance {from} -> {to} is no longer used; remove it from tests/layers.rs ({why})"
        );
    }
}

/// Only the binary may use clap, exit the process or print: the library returns values.
#[test]
fn only_the_binary_has_a_command_line() {
    let mut bad = Vec::new();
    for f in sources().iter().filter(|f| !f.binary) {
        for (n, line) in f.raw.lines().enumerate() {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .collect();
            if words.contains(&"clap") || line.contains("process::exit") {
                bad.push(format!("{}:{}: {}", f.path, n + 1, line.trim()));
            }
        }
        let toks = tokens(&f.code);
        for (i, t) in toks.iter().enumerate() {
            let next = toks.get(i + 1).map(|t| t.text.as_str());
            let banned = match t.text.as_str() {
                "println" | "print" | "eprintln" | "eprint" | "dbg" => next == Some("!"),
                "ExitCode" | "stdout" | "stderr" => true,
                _ => false,
            };
            if banned {
                bad.push(format!("{}:{}: `{}`", f.path, t.line, t.text));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the library mentions the command line (clap, exit, printing belong to src/cli):\n{}",
        bad.join("\n")
    );
}

/// The dialects of `src/registry.rs`: (ProviderId variant, module under `providers/`).
fn registry() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/registry.rs"))
            .expect("src/registry.rs");
    // `gcore { GcoreV1 = "gcore-v1" => gcore::Gcore::V1, GcoreV2 = ... },`: every
    // `Variant = "name" => module::...` in it.
    let list: Vec<(String, String)> = text
        .split(['{', ',', '}'])
        .filter_map(|part| {
            let (variant, rest) = part.trim().split_once(" = \"")?;
            let (_, implementation) = rest.split_once("=>")?;
            let module = implementation.trim().split("::").next()?;
            Some((variant.to_owned(), module.to_owned()))
        })
        .collect();
    assert!(list.len() >= 4, "could not read the registry: {list:?}");
    list
}

/// Below the pipeline, a `ProviderId` variant is named only by that dialect's own files.
#[test]
fn no_provider_names_another() {
    let registry = registry();
    let variants: BTreeSet<&str> = registry.iter().map(|(v, _)| v.as_str()).collect();
    let mut bad = Vec::new();
    for f in sources().iter().filter(|f| !f.binary) {
        let Some((unit, layer)) = unit_of(&f.module) else {
            continue;
        };
        if layer >= 4 || unit == "id" {
            // The pipeline may name providers (convert_document's source is `canonical`);
            // id.rs is generated from the registry.
            continue;
        }
        // The dialect whose files these are: `providers/gcore/*` → gcore, `canonical.rs` →
        // canonical; none elsewhere.
        let own = match f.module.as_slice() {
            [p, m, ..] if p == "providers" => Some(m.as_str()),
            _ => None,
        };
        let toks = tokens(&f.code);
        for w in toks.windows(3) {
            if w[0].text == "ProviderId" && w[1].text == "::" && variants.contains(&*w[2].text) {
                let owner = registry
                    .iter()
                    .find(|(v, _)| *v == w[2].text)
                    .map(|(_, m)| m.as_str());
                if owner != own {
                    bad.push(format!(
                        "{}:{}: ProviderId::{} (a dialect of providers/{})",
                        f.path,
                        w[0].line,
                        w[2].text,
                        owner.unwrap_or("?")
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "code below the pipeline names a provider that is not its own (declare the behaviour \
         in capabilities instead):\n{}",
        bad.join("\n")
    );
}

/// Structs in `providers/` that derive `Deserialize` themselves rather than through
/// `wire_struct!`, each with the reason it cannot drop an unknown key in the codec's strict
/// pass: (file, struct, reason).
/// Terraform's JSON output format asks readers to ignore the keys a newer minor version adds
/// (<https://developer.hashicorp.com/terraform/internals/json-format>): its envelope structs
/// are read leniently on purpose (`read::decode_quiet`); each resource's attributes are kept
/// whole and every one a dialect does not know is reported unread by the dialect.
const TERRAFORM_JSON: &str = "Terraform's JSON envelope: unknown keys of a newer minor version are ignored by design; resource attributes are checked by the dialects";

const OWN_DESERIALIZE: &[(&str, &str, &str)] = &[
    (
        "src/providers/terraform/json.rs",
        "Document",
        TERRAFORM_JSON,
    ),
    ("src/providers/terraform/json.rs", "Values", TERRAFORM_JSON),
    ("src/providers/terraform/json.rs", "Module", TERRAFORM_JSON),
    (
        "src/providers/terraform/json.rs",
        "ShowResource",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/terraform/json.rs",
        "ResourceChange",
        TERRAFORM_JSON,
    ),
    ("src/providers/terraform/json.rs", "Change", TERRAFORM_JSON),
    (
        "src/providers/terraform/json.rs",
        "Configuration",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/terraform/json.rs",
        "ConfigModule",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/terraform/json.rs",
        "ModuleCall",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/terraform/json.rs",
        "ConfigResource",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/terraform/json.rs",
        "StateResource",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/terraform/json.rs",
        "Instance",
        TERRAFORM_JSON,
    ),
    (
        "src/providers/canonical.rs",
        "WireIn",
        "deny_unknown_fields: sgconv's own format refuses unknown keys always",
    ),
    (
        "src/providers/envelope.rs",
        "Keys",
        "read with serde_json directly; its item keys are checked by hand",
    ),
    (
        "src/providers/envelope.rs",
        "Item",
        "read with serde_json directly, after `Keys` listed its unknown keys",
    ),
    (
        "src/providers/envelope.rs",
        "Envelope",
        "read with serde_json directly, after `Keys` listed its unknown keys",
    ),
    ("src/providers/read.rs", "Borrowed", "a string, no keys"),
    (
        "src/providers/scaleway/wire.rs",
        "Checked",
        "try_from a wire_struct (`WireRule`), no keys of its own",
    ),
    (
        "src/providers/wire_struct.rs",
        "Lenient",
        "the macro's own readers",
    ),
    (
        "src/providers/wire_struct.rs",
        "Strict",
        "the macro's own readers",
    ),
];

/// Every struct a dialect decodes is defined with `wire_struct!`, so that the codec's strict
/// first pass refuses (and the second lists as unread) a key it does not declare: a plain
/// derive would drop it silently in the strict pass.
#[test]
fn every_wire_shape_reads_strictly_first() {
    let mut bad = Vec::new();
    let mut seen = BTreeSet::new();
    for f in sources()
        .iter()
        .filter(|f| f.path.starts_with("src/providers/"))
    {
        let toks = tokens(&f.code);
        for (i, w) in toks.windows(2).enumerate() {
            if w[0].text != "derive" || w[1].text != "(" {
                continue;
            }
            let args: Vec<&str> = toks[i + 2..]
                .iter()
                .take_while(|t| t.text != ")")
                .map(|t| t.text.as_str())
                .collect();
            if !args.contains(&"Deserialize") {
                continue;
            }
            let name = toks[i..]
                .windows(2)
                .find(|p| p[0].text == "struct" || p[0].text == "enum")
                .map(|p| p[1].text.clone())
                .unwrap_or_default();
            let listed = OWN_DESERIALIZE
                .iter()
                .any(|(file, s, _)| *file == f.path && *s == name);
            seen.insert((f.path.clone(), name.clone()));
            if !listed {
                bad.push(format!("{}:{}: {name}", f.path, w[0].line));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "these derive Deserialize outside `wire_struct!` (define them with the macro, or list \
         them in OWN_DESERIALIZE with the reason):\n{}",
        bad.join("\n")
    );
    let stale: Vec<_> = OWN_DESERIALIZE
        .iter()
        .filter(|(file, s, _)| !seen.contains(&((*file).to_owned(), (*s).to_owned())))
        .collect();
    assert!(stale.is_empty(), "listed but not found: {stale:?}");
}

// ---------------------------------------------------------------------------------------
// The reader itself

#[test]
fn the_reader_sees_uses_and_not_comments() {
    let code = blank_comments_and_strings(
        "use crate::a::{b::C, d::{self, E}};\n// use crate::x;\nlet s = \"crate::y::z\";\n\
         let r = r#\"crate::w\"#; let c = '\"'; let q = '\\''; fn f<'a>(x: &'a str) { super::q::r(x) }\n\
         mod tests { use super::*; }",
    );
    let file = SourceFile {
        path: "src/m/n.rs".into(),
        module: vec!["m".into(), "n".into()],
        binary: false,
        raw: String::new(),
        code,
    };
    let modules: BTreeSet<Vec<String>> = [
        vec![],
        vec!["a".into()],
        vec!["m".into()],
        vec!["m".into(), "n".into()],
    ]
    .into_iter()
    .collect();
    let got: Vec<String> = uses(&file, &modules)
        .into_iter()
        .map(|u| u.absolute.join("::"))
        .collect();
    assert_eq!(
        got,
        ["a::b::C", "a::d", "a::d::E", "m::q::r", "m::n"],
        "{got:?}"
    );
}
