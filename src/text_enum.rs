//! `text_enum!`: `Deserialize` for a fieldless enum from its exact text names.
//!
//! serde's derived enums report a JSON number or object where a name belongs as "expected
//! value"; this says what was found and lists the names it expected
//! (`invalid type: integer `5`, expected one of `ingress`, `egress``).

/// Implement `Deserialize` for `$ty`, reading each `$name` as `$variant` (several names may
/// map to one variant: aliases).
macro_rules! text_enum {
    ($ty:ty { $($name:literal => $variant:expr),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct TextVisitor;
                impl serde::de::Visitor<'_> for TextVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        let names: &[&str] = &[$($name),+];
                        f.write_str("one of ")?;
                        for (i, name) in names.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            write!(f, "`{name}`")?;
                        }
                        Ok(())
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$ty, E> {
                        match s {
                            $($name => Ok($variant),)+
                            _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                        }
                    }
                }
                d.deserialize_str(TextVisitor)
            }
        }
    };
}

pub(crate) use text_enum;
