//! [`Verdict`]: how a target's packet set compares with the source's, in one word.

/// The semantic summary of a conversion: how the target's packet set compares with the
/// source's. Ordered by severity; a report keeps the most severe it met.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The target allows exactly the packets the source allowed.
    Exact,
    /// The target denies some packets the source allowed.
    Narrowed,
    /// Part of the input was not read (an unknown key), so what the source allows is not
    /// known and no comparison can prove anything.
    Unverified,
    /// The target allows some packets the source denied.
    Widened,
}

impl Verdict {
    /// The name reports use (`exact`, `narrowed`, `unverified`, `widened`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Exact => "exact",
            Verdict::Narrowed => "narrowed",
            Verdict::Unverified => "unverified",
            Verdict::Widened => "widened",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
