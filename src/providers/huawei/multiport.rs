//! The `multiport` port-list grammar of Huawei VPC v3 (the API reference's single port, range
//! and comma list forms; the console guide's limit of 20 groups that must not overlap), parsed with
//! nom and printed from a [`PortSet`], so that `parse(&print(set)) == set` for every set
//! of at most [`MAX_GROUPS`] ranges other than 1-65535 (which Huawei reads as every port).
//!
//! ```text
//! multiport := group ("," group)*        ; at most 20 groups, no two overlapping
//! group     := port | port "-" port      ; lo < hi
//! port      := decimal 1..65535
//! ```
//!
//! White space around groups is tolerated on read and never printed. An empty (or blank)
//! text and `1-65535` both mean every port. Errors carry the 1-based column of the
//! offending group and a reason; `cut` after each comma makes the error point at the bad
//! item, not at the comma before it (`"22,70000"`: port out of range at column 4).

use std::fmt;

use nom::character::complete::{char, digit1, space0};
use nom::combinator::{all_consuming, cut, opt};
use nom::error::{ErrorKind, FromExternalError, ParseError};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};
use nom::{Finish, IResult, Parser};

use crate::model::{MAX_PORT, MIN_PORT, PortRange, PortSet};

/// The most groups one `multiport` may hold.
pub const MAX_GROUPS: usize = 20;

/// Why a `multiport` text is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Something other than a port number where one was expected.
    ExpectedPort,
    /// Text after a group that is neither `,` nor the end.
    ExpectedComma,
    /// A port outside 1..65535.
    OutOfRange,
    /// A range whose start is not below its end.
    NotAscending,
    /// More than [`MAX_GROUPS`] groups.
    TooManyGroups,
    /// A group that overlaps an earlier one.
    Overlap,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::ExpectedPort => "expected a port number",
            Reason::ExpectedComma => "expected `,` or the end",
            Reason::OutOfRange => "port out of range",
            Reason::NotAscending => "range start must be below its end",
            Reason::TooManyGroups => "more than 20 port groups",
            Reason::Overlap => "port group overlaps an earlier one",
        })
    }
}

/// A `multiport` text that does not parse: where (1-based character column) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("multiport {text:?}: {reason} at column {column}")]
pub struct MultiportError {
    /// The text as given.
    pub text: String,
    /// 1-based character column of the offending item.
    pub column: usize,
    /// What is wrong there.
    pub reason: Reason,
}

/// The parser's error: the remaining input where it failed, and why.
#[derive(Debug)]
struct Fail<'a> {
    at: &'a str,
    reason: Reason,
}

impl<'a> ParseError<&'a str> for Fail<'a> {
    fn from_error_kind(at: &'a str, kind: ErrorKind) -> Self {
        let reason = match kind {
            ErrorKind::Eof => Reason::ExpectedComma,
            _ => Reason::ExpectedPort,
        };
        Fail { at, reason }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> FromExternalError<&'a str, Reason> for Fail<'a> {
    fn from_external_error(at: &'a str, _: ErrorKind, reason: Reason) -> Self {
        Fail { at, reason }
    }
}

type Res<'a, T> = IResult<&'a str, T, Fail<'a>>;

fn port(i: &str) -> Res<'_, u16> {
    digit1
        .map_res(|d: &str| match d.parse::<u32>() {
            Ok(p) if (u32::from(MIN_PORT)..=u32::from(MAX_PORT)).contains(&p) => {
                u16::try_from(p).map_err(|_| Reason::OutOfRange)
            }
            _ => Err(Reason::OutOfRange),
        })
        .parse(i)
}

/// One group, with the input where it starts (for its column).
fn group(i: &str) -> Res<'_, (&str, PortRange)> {
    let (rest, (lo, hi)) = (port, opt(preceded(char('-'), cut(port)))).parse(i)?;
    let range = match hi {
        None => PortRange::single(u64::from(lo)),
        Some(hi) if lo < hi => PortRange::new(u64::from(lo), u64::from(hi)),
        Some(_) => {
            return Err(nom::Err::Failure(Fail {
                at: i,
                reason: Reason::NotAscending,
            }));
        }
    };
    match range {
        Ok(r) => Ok((rest, (i, r))),
        Err(_) => Err(nom::Err::Failure(Fail {
            at: i,
            reason: Reason::OutOfRange,
        })),
    }
}

fn list(i: &str) -> Res<'_, Vec<(&str, PortRange)>> {
    all_consuming(separated_list1(
        char(','),
        cut(delimited(space0, group, space0)),
    ))
    .parse(i)
}

/// Parse a `multiport` text into the ports it names. Empty or blank text means every port.
pub fn parse(text: &str) -> Result<PortSet, MultiportError> {
    let column = |at: &str| {
        text.get(..text.len().saturating_sub(at.len()))
            .map_or(0, |done| done.chars().count())
            .saturating_add(1)
    };
    let error = |at: &str, reason| MultiportError {
        text: text.to_owned(),
        column: column(at),
        reason,
    };
    if text.trim().is_empty() {
        return Ok(PortSet::any());
    }
    let groups = match list(text).finish() {
        Ok((_, groups)) => groups,
        Err(Fail { at, reason }) => return Err(error(at, reason)),
    };
    if let Some((at, _)) = groups.get(MAX_GROUPS) {
        return Err(error(at, Reason::TooManyGroups));
    }
    for (i, (at, r)) in groups.iter().enumerate() {
        if groups
            .iter()
            .take(i)
            .any(|(_, e)| r.from() <= e.to() && e.from() <= r.to())
        {
            return Err(error(at, Reason::Overlap));
        }
    }
    let set = PortSet::from_ranges(groups.into_iter().map(|(_, r)| r));
    // Huawei documents 1-65535 as every port (port 0 included, like no multiport at all).
    if set.ranges() == [PortRange::ALL] {
        return Ok(PortSet::any());
    }
    Ok(set)
}

/// Print a port set as a `multiport` text: its ranges, comma-separated, no white space
/// (none for every port, which the exporter writes as "no multiport"; 1-65535 would read back
/// as every port, so the fit pass never hands the exporter that set).
pub fn print(set: &PortSet) -> String {
    set.ranges()
        .iter()
        .map(PortRange::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, Reason) {
        let e = parse(text).unwrap_err();
        (e.column, e.reason)
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(print(&parse("80").unwrap()), "80");
        assert_eq!(print(&parse("1-30").unwrap()), "1-30");
        assert_eq!(print(&parse("22,3389,80").unwrap()), "22,80,3389");
        assert_eq!(print(&parse(" 22 , 23-30 ").unwrap()), "22-30");
        assert!(parse("1-65535").unwrap().is_any());
        assert!(parse("  ").unwrap().is_any());
    }

    #[test]
    fn rejects_with_a_column() {
        assert_eq!(err("0"), (1, Reason::OutOfRange));
        assert_eq!(err("70000"), (1, Reason::OutOfRange));
        assert_eq!(err("22,70000"), (4, Reason::OutOfRange));
        assert_eq!(err("80-22"), (1, Reason::NotAscending));
        assert_eq!(err("80-80"), (1, Reason::NotAscending));
        assert_eq!(err("22,,80"), (4, Reason::ExpectedPort));
        assert_eq!(err("22,"), (4, Reason::ExpectedPort));
        assert_eq!(err("22-"), (4, Reason::ExpectedPort));
        assert_eq!(err("abc"), (1, Reason::ExpectedPort));
        assert_eq!(err("22 80"), (4, Reason::ExpectedComma));
        assert_eq!(err("22;80"), (3, Reason::ExpectedComma));
        assert_eq!(err("-5"), (1, Reason::ExpectedPort));
        assert_eq!(err("99999999999999999999999"), (1, Reason::OutOfRange));
        assert_eq!(err("10-20,15"), (7, Reason::Overlap));
        assert_eq!(err("22,22"), (4, Reason::Overlap));
        let many: Vec<String> = (1..=21).map(|p| (p * 10).to_string()).collect();
        let many = many.join(",");
        let col = many.find("210").unwrap() + 1;
        assert_eq!(err(&many), (col, Reason::TooManyGroups));
        assert!(parse(&many[..many.len() - 4]).is_ok());
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    /// Up to [`MAX_GROUPS`] ranges (merged by [`PortSet::from_ranges`], so possibly fewer).
    fn port_set() -> impl Strategy<Value = PortSet> {
        prop::collection::vec((1u16..=65535, 0u16..2000), 1..=MAX_GROUPS).prop_map(|v| {
            PortSet::from_ranges(v.into_iter().filter_map(|(from, len)| {
                PortRange::new(u64::from(from), u64::from(from.saturating_add(len))).ok()
            }))
        })
    }

    proptest! {
        #[test]
        fn parse_print_round_trips(set in port_set()) {
            let text = print(&set);
            prop_assert_eq!(parse(&text), Ok(set));
        }

        #[test]
        fn never_panics_and_locates_errors(text in "[0-9 ,-]{0,40}") {
            if let Err(e) = parse(&text) {
                prop_assert!(e.column >= 1 && e.column <= text.chars().count() + 1);
            }
        }
    }
}
