//! [`ProviderId`]: the name of a dialect, made from the one list in [`crate::registry`].

use std::fmt;
use std::str::FromStr;

macro_rules! declare_ids {
    ($( $module:ident { $( $variant:ident = $name:literal => $provider:path ),+ $(,)? } ),+ $(,)?) => {
        /// A dialect's id: the `--from`/`--to` names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum ProviderId {
            $( $( #[doc = concat!("`", $name, "`")] $variant, )+ )+
        }

        impl ProviderId {
            /// Every dialect, in listing order.
            pub const ALL: &'static [ProviderId] = &[$( $( ProviderId::$variant, )+ )+];

            /// The name on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self { $( $( ProviderId::$variant => $name, )+ )+ }
            }
        }
    };
}

crate::registry::registry!(declare_ids);

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no dialect's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {name:?} (expected one of: {})", ProviderId::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownProvider {
    /// The name given.
    pub name: String,
}

impl FromStr for ProviderId {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderId::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProvider { name: s.to_owned() })
    }
}

impl serde::Serialize for ProviderId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for ProviderId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
