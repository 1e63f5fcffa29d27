//! What a walk and a decision say: how far a walk may go and how it ended ([`Limits`],
//! [`Walked`]), and what one rule does in its group ([`Decision`], naming rules by
//! [`Named`]).

use super::MAX_RELATED;
use crate::semantics::PacketBox;

/// How far a walk may go.
#[derive(Clone, Copy)]
pub(super) struct Limits {
    /// The most pieces.
    pub(super) pieces: usize,
    /// The most cuts (entries that take something).
    pub(super) cuts: usize,
}

/// How a walk ended.
pub(super) enum Walked {
    /// The pieces left, sorted.
    Left(Vec<PacketBox>),
    /// The pieces went over [`Limits::pieces`].
    Over,
    /// The cuts went over [`Limits::cuts`].
    Spent,
}

/// The ranks of the rules a decision names: the first [`MAX_RELATED`] met (a walk meets
/// them in rank order) and how many were met in all. Past the first few a walk only counts.
#[derive(Default)]
pub(super) struct Named {
    /// The first ranks met, ascending.
    pub(super) first: Vec<usize>,
    /// How many ranks were met.
    pub(super) total: usize,
    /// The last rank met (a rule of several boxes is met once per box, in a row).
    last: Option<usize>,
}

impl Named {
    /// Count `rank` (once, however many of its boxes a walk meets in a row).
    pub(super) fn add(&mut self, rank: usize) {
        if self.last == Some(rank) {
            return;
        }
        self.last = Some(rank);
        self.total = self.total.saturating_add(1);
        if self.first.len() < MAX_RELATED {
            self.first.push(rank);
        }
    }

    /// Whether none was met.
    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// What one rule does in its group.
pub(super) enum Decision {
    /// Rules before it decide all its packets: the ranks of those that take some, and where
    /// the first of the other action meets it (if one does).
    Shadowed {
        blockers: Named,
        clash: Option<PacketBox>,
    },
    /// Without it, the ranks `same` (and the default, `to_default`) decide its packets
    /// alike; `witness` is some of them.
    Redundant {
        same: Named,
        to_default: bool,
        witness: Option<PacketBox>,
    },
    /// A deny whose packets all go to the later allow rules `opposite`.
    DenyException {
        opposite: Named,
        witness: Option<PacketBox>,
    },
    /// It decides some packets no other rule decides alike.
    Needed,
}
