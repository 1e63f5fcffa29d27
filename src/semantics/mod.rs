//! The packet-set semantics: what a group allows, as a union of [`PacketBox`]es (one
//! direction and family, an interval per protocol, port, ICMP type, ICMP code and remote
//! address, and membership constraints on remote groups), and the exact difference of two
//! groups.
//!
//! Used in three places: lowering ordered groups with deny rules into allow-only targets (the
//! fit pass's set subtraction), verifying every conversion (the output is read back and its
//! packet set compared with the source's, [`crate::convert()`]) and [`crate::diff()`].
//!
//! Packets the model cannot hold are "don't care": ICMP (protocol 1) over IPv6 and ICMPv6
//! (58) over IPv4 (`impossible`); differences inside them are ignored.

mod allowed;
mod boxes;
mod compare;
mod deny_index;
mod differ;
mod display;
mod minus;
mod overlap;
mod pieces;
mod replies;
mod rule;
mod set_is;
mod verdict;
mod walk;
mod wide_index;

// The public surface: what a group allows, the boxes it is made of, and how two groups differ.
pub use allowed::{Piece, Source, allowed};
pub use boxes::{ALL_ICMP, ALL_PORTS, ALL_PROTOCOLS, Label, LabelKind, PacketBox, Span};
pub use compare::{Difference, compare, compare_documents, compare_walking};
pub use differ::differences;
pub use display::describe;
pub use verdict::Verdict;

// The engine's other parts, for the fit pass, verification and diff.
pub(crate) use allowed::{allowed_writable, evaluation_order};
pub(crate) use boxes::{all_addresses, subtract};
pub(crate) use compare::compare_documents_limited;
pub(crate) use display::cidrs;
pub(crate) use minus::impossible;
pub(crate) use overlap::OverlapIndex;
pub(crate) use pieces::Pieces;

pub(crate) use replies::added_by_statefulness;
pub(crate) use rule::{label_of, net_span, rule_boxes};
