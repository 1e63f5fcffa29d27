//! YAML 1.2 core schema only: plain scalars that YAML 1.1 reads otherwise are refused.
//!
//! YAML 1.2 resolves a plain scalar's type by the core schema (spec 1.2.2 section 10.3.2,
//! <https://yaml.org/spec/1.2.2/#1032-tag-resolution>); YAML 1.1 resolved more spellings
//! (<https://yaml.org/type/bool.html>, <https://yaml.org/type/int.html>,
//! <https://yaml.org/type/float.html>, <https://yaml.org/type/merge.html>). A document whose
//! meaning depends on which of the two a reader follows (`enabled: n` is `false` to one and
//! the string "n" to the other) is refused before it is deserialised, naming the scalar and
//! where it is. Quoted scalars and scalars tagged as strings are strings to both.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Tag};

use super::DecodeError;
use crate::error::Location;

/// What a scan that refused nothing saw.
pub(super) enum Scan {
    /// Every scalar was checked.
    Checked,
    /// The text stopped parsing here: what follows is unchecked. The deserialiser's own error
    /// is the better one to show; this one stands if the deserialiser reads the text anyway.
    Unparsed(DecodeError),
}

/// Refuse the first plain scalar (or `%YAML` directive) of `text` that YAML 1.1 and YAML 1.2
/// read differently. `budget` is the deserialiser's, so both parsers stop at the same limits.
pub(super) fn check_core_schema(
    text: &str,
    budget: Option<&serde_saphyr::Budget>,
) -> Result<Scan, DecodeError> {
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.emit_comments = false;
    if let Some(b) = budget {
        // As serde-saphyr derives its parser's limits from its budget.
        options.simple_key_max_lookahead = b.simple_key_max_lookahead;
        options.flow_nesting_limit = b.flow_nesting_limit;
        options.block_nesting_limit = options
            .block_nesting_limit
            .max(b.max_depth.saturating_add(1));
    }
    let mut stack: Vec<Frame<'_>> = Vec::new();
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = match next {
            Ok(next) => next,
            Err(e) => {
                let at = e.marker();
                return Ok(Scan::Unparsed(DecodeError {
                    location: Location {
                        path: path(&stack),
                        line: at.line(),
                        column: at.col().saturating_add(1),
                    },
                    message: format!(
                        "the YAML 1.2 core-schema check could not read on: {}",
                        e.info()
                    ),
                }));
            }
        };
        let refuse = |stack: &[Frame<'_>], message: String| {
            Err(DecodeError {
                location: Location {
                    path: path(stack),
                    line: span.start.line(),
                    column: span.start.col().saturating_add(1),
                },
                message,
            })
        };
        match event {
            Event::DocumentStart(_, Some(version)) if (version.major, version.minor) != (1, 2) => {
                // Placed on the directive's line (the event is placed at the `---` after it).
                let line = text
                    .lines()
                    .take(span.start.line())
                    .enumerate()
                    .filter(|(_, l)| l.starts_with("%YAML"))
                    .last()
                    .map_or(span.start.line(), |(i, _)| i.saturating_add(1));
                return Err(DecodeError {
                    location: Location {
                        path: ".".into(),
                        line,
                        column: 1,
                    },
                    message: format!(
                        "the document declares `%YAML {}.{}`; sgconv reads YAML 1.2 only \
                         (remove the directive or write %YAML 1.2)",
                        version.major, version.minor
                    ),
                });
            }
            Event::DocumentStart(..) => stack.clear(),
            Event::Scalar(value, style, _, tag) => {
                let key = matches!(stack.last(), Some(Frame::Map(None)));
                if style == ScalarStyle::Plain
                    && !tag.as_deref().is_some_and(is_string_tag)
                    && let Some(why) = two_readings(&value, key)
                {
                    return refuse(&stack, why);
                }
                done(&mut stack, Some(value));
            }
            Event::SequenceStart(..) => stack.push(Frame::Seq(0)),
            Event::MappingStart(..) => stack.push(Frame::Map(None)),
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
                done(&mut stack, None);
            }
            Event::Alias(_) => done(&mut stack, None),
            _ => {}
        }
    }
    Ok(Scan::Checked)
}

/// Where the scan is: a sequence at its current index, or a mapping (`None` while a key is
/// awaited, the key while in its value).
enum Frame<'a> {
    Seq(usize),
    Map(Option<Cow<'a, str>>),
}

/// A node ended (`key`: its text when it was a scalar): step the enclosing collection on.
fn done<'a>(stack: &mut [Frame<'a>], key: Option<Cow<'a, str>>) {
    match stack.last_mut() {
        Some(Frame::Seq(i)) => *i = i.saturating_add(1),
        Some(Frame::Map(awaited @ None)) => *awaited = Some(key.unwrap_or(Cow::Borrowed("?"))),
        Some(Frame::Map(value)) => *value = None,
        None => {}
    }
}

/// The JSON path of where the scan is, written as serde_path_to_error writes it.
fn path(stack: &[Frame<'_>]) -> String {
    let mut out = String::new();
    for frame in stack {
        match frame {
            Frame::Seq(i) => {
                let _ = write!(out, "[{i}]");
            }
            Frame::Map(Some(key)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Frame::Map(None) => {}
        }
    }
    if out.is_empty() { ".".into() } else { out }
}

/// `!!str` and the non-specific `!`: the scalar is a string whatever its spelling.
fn is_string_tag(tag: &Tag) -> bool {
    tag.is_yaml_core_schema_tag("str") || tag.parts() == ("", "!")
}

/// Why a plain scalar means one thing in YAML 1.1 and another in YAML 1.2 (the core schema),
/// with what to write instead; `None` when both read it alike.
fn two_readings(s: &str, key: bool) -> Option<String> {
    let quote = |s: &str| {
        if s.contains('\'') {
            format!("{s:?}")
        } else {
            format!("'{s}'")
        }
    };
    if let Some(b) = yaml11_bool(s) {
        return Some(format!(
            "`{s}` is the boolean {b} in YAML 1.1 but a string in YAML 1.2, which sgconv reads; \
             write {b} for the boolean, or quote it ({}) for the string",
            quote(s)
        ));
    }
    if key && s == "<<" {
        return Some(
            "`<<` is a merge key in YAML 1.1 but an ordinary key in YAML 1.2, which sgconv \
             reads; write the merged keys out"
                .into(),
        );
    }
    let (one, two, fix) = number_readings(s)?;
    Some(format!(
        "`{s}` is {one} in YAML 1.1 but {two} in YAML 1.2, which sgconv reads; {fix}, or quote \
         it ({}) for the string",
        quote(s)
    ))
}

/// YAML 1.1 booleans that the 1.2 core schema reads as strings (its own are
/// true/True/TRUE/false/False/FALSE).
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// The two readings of a number spelling the two versions read differently, and what to
/// write instead.
fn number_readings(s: &str) -> Option<(&'static str, &'static str, &'static str)> {
    const DECIMAL: &str = "write the number in decimal";
    let signed = s.starts_with(['-', '+']);
    let body = s.get(usize::from(signed)..).unwrap_or_default();
    let digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    // Base 60 (`1:30`, `1:30.5`): YAML 1.1 only.
    if let Some((whole, rest)) = body.split_once(':') {
        let (sixties, fraction) = match rest.split_once('.') {
            Some((sixties, fraction)) => (sixties, Some(fraction)),
            None => (rest, None),
        };
        let sixty = |d: &str| digits(d, 10) && (d.len() == 1 || d.len() == 2 && d < "60");
        let base60 = whole.chars().all(|c| c.is_ascii_digit() || c == '_')
            && whole.starts_with(|c: char| match fraction {
                Some(_) => c.is_ascii_digit(),
                None => ('1'..='9').contains(&c),
            })
            && sixties.split(':').all(sixty)
            && fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
        return base60.then_some(("a base-60 number", "a string", DECIMAL));
    }
    // `_` between digits (`1_000`, `0x_ff`).
    if body.contains('_') && body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        let plain = body.replace('_', "");
        return (yaml11_number(&plain) && plain.chars().any(|c| c.is_ascii_digit())).then_some((
            "a number",
            "a string",
            "write the number without `_`",
        ));
    }
    if let Some(rest) = body.strip_prefix('0')
        && digits(rest, 10)
    {
        let one = if digits(rest, 8) {
            "an octal number"
        } else {
            "a string (not octal)"
        };
        return Some((
            one,
            "a decimal number",
            "write the number without leading zeros",
        ));
    }
    if let Some(bits) = body.strip_prefix("0b")
        && digits(bits, 2)
    {
        return Some(("a binary number", "a string", DECIMAL));
    }
    if let Some(octal) = body.strip_prefix("0o")
        && digits(octal, 8)
        && !signed
    {
        return Some(("a string", "an octal number", DECIMAL));
    }
    if let Some(hex) = body.strip_prefix("0x")
        && digits(hex, 16)
        && signed
    {
        // The core schema's hexadecimal has no sign.
        return Some(("a number", "a string", DECIMAL));
    }
    // An exponent without a `.` in the number or a sign of its own (`1e3`, `1.5e3`): a
    // float in the 1.2 core schema, a string in YAML 1.1.
    if let Some((mantissa, exponent)) = body.split_once(['e', 'E']) {
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let float12 = (digits(whole, 10) || whole.is_empty() && digits(fraction, 10))
            && (fraction.is_empty() || digits(fraction, 10))
            && digits(exponent.strip_prefix(['-', '+']).unwrap_or(exponent), 10);
        if float12 && (!mantissa.contains('.') || !exponent.starts_with(['-', '+'])) {
            return Some((
                "a string",
                "a number",
                "write the number without an exponent",
            ));
        }
    }
    None
}

/// Whether `s` (unsigned, without `_`) is a YAML 1.1 integer or float.
fn yaml11_number(s: &str) -> bool {
    let digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    if let Some(bits) = s.strip_prefix("0b") {
        return digits(bits, 2);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return digits(hex, 16);
    }
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || digits(whole, 10))
                && fraction.chars().all(|c| c.is_ascii_digit())
                && exponent.is_none_or(|e| {
                    e.starts_with(['-', '+']) && digits(e.get(1..).unwrap_or_default(), 10)
                })
        }
        None => exponent.is_none() && digits(mantissa, 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<DecodeError> {
        check_core_schema(text, None).err()
    }

    /// Every spelling the two versions read differently is refused, naming it.
    #[test]
    fn yaml_1_1_spellings_are_refused() {
        for s in [
            "y",
            "Y",
            "yes",
            "Yes",
            "YES",
            "n",
            "N",
            "no",
            "No",
            "NO",
            "on",
            "On",
            "ON",
            "off",
            "Off",
            "OFF",
            "1_000",
            "1_0",
            "-1_0",
            "0x_ff",
            "0b1_0",
            "1_000.5",
            "0022",
            "00",
            "-0022",
            "+01",
            "089",
            "1:30",
            "-1:30",
            "190:20:30",
            "1:30.5",
            "0b101",
            "-0b1",
            "0o17",
            "+0x1F",
            "-0xff",
            "1e3",
            "1E3",
            "1.5e3",
            "-1e-3",
            ".5e3",
        ] {
            let doc = format!("k: {s}\n");
            let e = refused(&doc).unwrap_or_else(|| panic!("{s} accepted"));
            assert!(
                e.message.starts_with(&format!("`{s}` is ")),
                "{}",
                e.message
            );
            assert_eq!((e.location.line, e.location.column), (1, 4), "{s}");
            assert_eq!(e.location.path, "k");
        }
    }

    /// Spellings both versions read alike are left to the deserialiser, and quoted or
    /// `!!str` scalars are strings to both.
    #[test]
    fn shared_spellings_and_strings_pass() {
        for s in [
            "true",
            "True",
            "TRUE",
            "false",
            "False",
            "FALSE",
            "null",
            "~",
            "Null",
            "0",
            "22",
            "-22",
            "+22",
            "0x1F",
            "0xff",
            "1.5",
            "-1.5",
            ".5",
            "1.",
            "1.5e+3",
            "1.0e-3",
            ".inf",
            "-.Inf",
            ".NaN",
            "10.0.0.0/8",
            "2001:db8::/32",
            "::1",
            "1:2:3:4:5:6:7:g",
            "22,80-90",
            "tcp",
            "_",
            "_1",
            "a_b",
            "1a",
            "1:60",
            "1:3:600",
            "0.5",
            "00.5",
            "'no'",
            "\"0022\"",
            "!!str no",
            "!!str 1_000",
            "! 0022",
            "'1:30'",
            "\"yes\"",
            "ingress",
        ] {
            let doc = format!("k: {s}\n");
            assert_eq!(refused(&doc), None, "{s}");
        }
        assert_eq!(refused("a: [1, 2]\nb: {c: d}\n"), None);
        assert_eq!(refused("%YAML 1.2\n---\na: 1\n"), None);
        // Broken text is the deserialiser's to report, unless it reads it.
        assert!(matches!(
            check_core_schema("a: [x\n", None),
            Ok(Scan::Unparsed(_))
        ));
    }

    /// The path and line:column are those of the scalar, as the deserialiser would give them.
    #[test]
    fn refusals_are_located() {
        let doc = "security_group_rules:\n- direction: ingress\n  priority: 1\n- direction: egress\n  enabled: n\n";
        let e = refused(doc).unwrap();
        assert_eq!(e.location.path, "security_group_rules[1].enabled");
        assert_eq!((e.location.line, e.location.column), (5, 12));
        assert!(e.message.contains("the boolean false"), "{}", e.message);
        let e = refused("a: {b: [x, {c: [1, 0022]}]}\n").unwrap();
        assert_eq!(e.location.path, "a.b[1].c[1]");
        assert_eq!((e.location.line, e.location.column), (1, 20));
        // A key: the mapping's path.
        let e = refused("a:\n  yes: 1\n").unwrap();
        assert_eq!(e.location.path, "a");
        assert_eq!((e.location.line, e.location.column), (2, 3));
        let e = refused("- &x {a: 1}\n- *x\n- 1_0\n").unwrap();
        assert_eq!(e.location.path, "[2]");
        let e = refused("b: 1\n<<: {a: 1}\n").unwrap();
        assert!(e.message.contains("merge key"), "{}", e.message);
        assert_eq!(refused("a: <<\n"), None);
        let e = refused("# c\n%YAML 1.1\n---\na: 1\n").unwrap();
        assert!(e.message.contains("`%YAML 1.1`"), "{}", e.message);
        assert_eq!((e.location.line, e.location.column), (2, 1));
    }

    /// Whatever sgconv writes as YAML, it reads back: the writer quotes every string YAML
    /// 1.1 would read as something else.
    #[test]
    fn written_strings_read_back() {
        let strings = [
            "y", "no", "On", "1_000", "0022", "1:30", "0b1", "0o17", "+0x1", "1e3", "<<",
        ];
        let text = super::super::encode(&strings, super::super::Format::Yaml).unwrap();
        assert_eq!(refused(&text), None, "{text}");
        let back: Vec<String> =
            super::super::decode_quiet(&text, super::super::Format::Yaml).unwrap();
        assert_eq!(back, strings);
    }
}
