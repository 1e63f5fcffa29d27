//! The canonical model every provider reads into and writes from.
//!
//! A [`Document`] holds one or more [`SecurityGroup`]s; a group holds [`Rule`]s and says how
//! they combine ([`Evaluation`]) and what happens to a packet no rule matches. A [`Rule`] can
//! only be built through [`Rule::new`], which enforces the model's invariants, so code
//! downstream of the importers never re-checks them:
//!
//! - ports only on port protocols (tcp, udp, dccp, sctp, udplite);
//! - an ICMP type/code only on ICMP (1, IPv4) or ICMPv6 (58, IPv6);
//! - a CIDR remote of the rule's family, host bits clear; `/0` is [`Remote::Any`];
//! - an ICMP code only together with a type (by construction of [`Icmp`]);
//! - group and address-group ids non-empty.

mod enums;
mod error;
mod group;
mod icmp;
mod ports;
mod protocol;
mod remote;
mod rule;

pub use enums::{Action, Direction, Evaluation, Family};
pub use error::ModelError;
pub use group::{Document, PlatformBlock, SecurityGroup, Tag};
pub use icmp::Icmp;
pub use ports::{MAX_PORT, MIN_PORT, PortError, PortRange, PortSet};
pub use protocol::{NAMES as PROTOCOL_NAMES, Protocol, ProtocolName};
pub use remote::{CidrText, ParsedCidr, Remote, parse_cidr};
pub use rule::{Origin, Rule, RuleSpec};
