//! Destination ports: inclusive ranges and normalised sets of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The lowest port a rule can name. Port 0 is rejected by every provider, yet a packet's
/// destination port can be 0: only [`PortSet::any`] ("all ports") includes it.
pub const MIN_PORT: u16 = 1;
/// The highest port.
pub const MAX_PORT: u16 = 65535;

/// An inclusive port range `from..=to` with `1 <= from <= to <= 65535`.
///
/// ```
/// use sgconv::model::PortRange;
/// let r: PortRange = "8000-8080".parse().unwrap();
/// assert_eq!((r.from(), r.to()), (8000, 8080));
/// assert_eq!(r.to_string(), "8000-8080");
/// assert!("0".parse::<PortRange>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    from: u16,
    to: u16,
}

/// Why a port or port range is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortError {
    /// A port outside 1..=65535.
    #[error("port {0} out of range (ports are 1-65535)")]
    OutOfRange(u64),
    /// A range whose start is above its end.
    #[error("port range {from}-{to} is reversed (start above end)")]
    Reversed {
        /// The start of the range.
        from: u64,
        /// The end of the range.
        to: u64,
    },
    /// Text that is not a port or range.
    #[error("{0:?} is not a port or a port range like 80 or 8000-8080")]
    Syntax(String),
}

impl PortRange {
    /// Every port a rule can name, 1-65535 (not port 0: that takes [`PortSet::any`]).
    pub const ALL: PortRange = PortRange {
        from: MIN_PORT,
        to: MAX_PORT,
    };

    /// Ports 1-32767: with [`PortRange::UPPER_HALF`], every port a rule can name, in two
    /// ranges (for targets that read 1-65535 as all ports).
    pub const LOWER_HALF: PortRange = PortRange {
        from: MIN_PORT,
        to: 32767,
    };

    /// Ports 32768-65535.
    pub const UPPER_HALF: PortRange = PortRange {
        from: 32768,
        to: MAX_PORT,
    };

    /// A range, checked: both ends in 1..=65535 and `from <= to`.
    pub fn new(from: u64, to: u64) -> Result<PortRange, PortError> {
        let check = |p: u64| match u16::try_from(p) {
            Ok(p) if p >= MIN_PORT => Ok(p),
            _ => Err(PortError::OutOfRange(p)),
        };
        let (f, t) = (check(from)?, check(to)?);
        if f > t {
            return Err(PortError::Reversed { from, to });
        }
        Ok(PortRange { from: f, to: t })
    }

    /// A single port.
    pub fn single(port: u64) -> Result<PortRange, PortError> {
        PortRange::new(port, port)
    }

    /// The first port.
    pub fn from(self) -> u16 {
        self.from
    }

    /// The last port (inclusive).
    pub fn to(self) -> u16 {
        self.to
    }

    /// Whether the range holds one port.
    pub fn is_single(self) -> bool {
        self.from == self.to
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

impl FromStr for PortRange {
    type Err = PortError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let num = |t: &str| -> Result<u64, PortError> {
            if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PortError::Syntax(s.to_owned()));
            }
            t.parse::<u64>()
                .map_err(|_| PortError::Syntax(s.to_owned()))
        };
        match s.split_once('-') {
            Some((a, b)) => PortRange::new(num(a)?, num(b)?),
            None => PortRange::single(num(s)?),
        }
    }
}

/// A set of destination ports: sorted, non-overlapping, non-adjacent inclusive ranges.
///
/// The set of all ports, 0-65535, is [`PortSet::any`] (every provider writes it as "no ports
/// given"); the ranges a rule names are within 1-65535, so an explicit `1-65535` is not all
/// ports: it leaves out port 0.
///
/// ```
/// use sgconv::model::{PortRange, PortSet};
/// let set = PortSet::from_ranges([
///     PortRange::new(80, 90).unwrap(),
///     PortRange::single(22).unwrap(),
///     PortRange::new(91, 100).unwrap(),
/// ]);
/// assert_eq!(set.to_string(), "22,80-100");
/// assert!(!set.is_any());
/// assert!(PortSet::any().is_any());
/// assert!(!PortSet::from_ranges([PortRange::ALL]).is_any());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: Ranges,
}

/// The ranges of a [`PortSet`]: almost every rule has one, kept inline (a set is built for
/// every rule read, fitted and re-read: no allocation for the common case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ranges {
    /// Every port, 0 included.
    Any,
    /// Exactly one range.
    One(PortRange),
    /// Two or more ranges.
    Many(Vec<PortRange>),
}

impl PortSet {
    /// Every port.
    pub fn any() -> PortSet {
        PortSet {
            ranges: Ranges::Any,
        }
    }

    /// The union of `ranges`, normalised (sorted, overlapping and adjacent ranges merged).
    /// An empty input means every port.
    pub fn from_ranges(ranges: impl IntoIterator<Item = PortRange>) -> PortSet {
        let mut ranges = ranges.into_iter();
        let Some(first) = ranges.next() else {
            return PortSet::any();
        };
        let Some(second) = ranges.next() else {
            return PortSet {
                ranges: Ranges::One(first),
            };
        };
        let mut v: Vec<PortRange> = vec![first, second];
        v.extend(ranges);
        v.sort_unstable();
        let mut out: Vec<PortRange> = Vec::with_capacity(v.len());
        for r in v {
            match out.last_mut() {
                Some(last) if u32::from(r.from) <= u32::from(last.to) + 1 => {
                    last.to = last.to.max(r.to);
                }
                _ => out.push(r),
            }
        }
        PortSet {
            ranges: match out.as_slice() {
                [one] => Ranges::One(*one),
                _ => Ranges::Many(out),
            },
        }
    }

    /// Whether the set holds every port (0 included).
    pub fn is_any(&self) -> bool {
        self.ranges == Ranges::Any
    }

    /// Whether the set holds `port`.
    pub fn contains(&self, port: u16) -> bool {
        self.is_any() || self.ranges().iter().any(|r| r.from <= port && port <= r.to)
    }

    /// The ranges, sorted and disjoint; none for [`PortSet::any`].
    pub fn ranges(&self) -> &[PortRange] {
        match &self.ranges {
            Ranges::Any => &[],
            Ranges::One(r) => std::slice::from_ref(r),
            Ranges::Many(v) => v,
        }
    }
}

impl Default for PortSet {
    fn default() -> Self {
        PortSet::any()
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        for (i, r) in self.ranges().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Canonical form: a list of `"80"` / `"8000-8080"` strings.
impl Serialize for PortSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ranges().iter().map(|r| r.to_string()))
    }
}

impl<'de> Deserialize<'de> for PortSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        let ranges = items
            .iter()
            .map(|s| s.parse::<PortRange>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        if ranges.is_empty() {
            return Err(serde::de::Error::custom(
                "an empty port list; omit `ports` for all ports",
            ));
        }
        Ok(PortSet::from_ranges(ranges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(PortRange::new(0, 5), Err(PortError::OutOfRange(0)));
        assert_eq!(PortRange::new(1, 70000), Err(PortError::OutOfRange(70000)));
        assert!(matches!(
            PortRange::new(9, 5),
            Err(PortError::Reversed { .. })
        ));
        assert!("22-".parse::<PortRange>().is_err());
        assert!("-22".parse::<PortRange>().is_err());
        assert!("+22".parse::<PortRange>().is_err());
    }

    #[test]
    fn sets_merge_adjacent_and_overlapping() {
        let set = PortSet::from_ranges([
            PortRange::new(1, 100).unwrap(),
            PortRange::new(50, 65535).unwrap(),
        ]);
        // 1-65535 is not every port: port 0 is left out.
        assert!(!set.is_any());
        assert_eq!(set.ranges(), &[PortRange::ALL]);
        let set =
            PortSet::from_ranges([PortRange::single(5).unwrap(), PortRange::single(7).unwrap()]);
        assert_eq!(set.ranges().len(), 2);
    }
}
