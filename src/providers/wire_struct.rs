//! One definition per wire shape, read two ways: `wire_struct!` takes a struct as a dialect
//! writes it (fields with their serde attributes) and derives two readers from it, a
//! lenient one that leaves an unknown key to the codec (which lists it as unread) and a
//! strict one that refuses it. The struct's `Deserialize` uses the strict reader during the
//! codec's first, path-less pass ([`crate::codec::strict_pass`]) and the lenient one after,
//! so a document whose every key is known is read once, without tracking paths.
//!
//! Every struct a dialect decodes from its documents is defined with this macro; a plain
//! `#[derive(Deserialize)]` would drop unknown keys silently in the strict pass
//! (`tests/layers.rs` checks that none is left in `src/providers/`).

/// Define a wire struct and its `Deserialize` (see the module documentation). Field
/// attributes (`#[serde(...)]`, docs) go to both readers; struct attributes other than docs
/// go to the struct itself. A shared part (`@part [...]`, given by the shared layer's macros,
/// such as `neutron::wire_rule!`) is read with the struct's own fields into a plain struct.
macro_rules! wire_struct {
    // A struct whose first fields are a shared part (the fields several dialects' shapes have,
    // defined once in the shared layer): they are read like the others, from the same object,
    // and kept in the struct `$part` (of type `$Part`, a plain struct of the same fields).
    (
        @part [$pvis:vis $part:ident : $($Part:ident)::+ <$plt:lifetime> {
            $(
                $(#[$pattr:meta])*
                $pfield:ident : $pty:ty
            ),* $(,)?
        }]
        $(#[$attr:meta])*
        $vis:vis struct $name:ident <$lt:lifetime> {
            $(
                $(#[$fattr:meta])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name<$lt> {
            $pvis $part: $($Part)::+ <$plt>,
            $( $fvis $field: $ty ),*
        }

        const _: () = {
            #[derive(serde::Deserialize)]
            struct Lenient<$lt> {
                $( $(#[$pattr])* $pfield: $pty, )*
                $( $(#[$fattr])* $field: $ty ),*
            }

            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Strict<$lt> {
                $( $(#[$pattr])* $pfield: $pty, )*
                $( $(#[$fattr])* $field: $ty ),*
            }

            impl<'de, $lt> serde::Deserialize<'de> for $name<$lt>
            where
                'de: $lt,
            {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    if crate::codec::strict_pass() {
                        let Strict { $($pfield,)* $($field),* } = Strict::deserialize(d)?;
                        Ok($name { $part: $($Part)::+ { $($pfield),* }, $($field),* })
                    } else {
                        let Lenient { $($pfield,)* $($field),* } = Lenient::deserialize(d)?;
                        Ok($name { $part: $($Part)::+ { $($pfield),* }, $($field),* })
                    }
                }
            }
        };
    };
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? {
            $(
                $(#[$fattr:meta])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name $(<$lt>)? {
            $( $fvis $field: $ty ),*
        }

        const _: () = {
            #[derive(serde::Deserialize)]
            struct Lenient $(<$lt>)? {
                $( $(#[$fattr])* $field: $ty ),*
            }

            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Strict $(<$lt>)? {
                $( $(#[$fattr])* $field: $ty ),*
            }

            impl<'de $(, $lt)?> serde::Deserialize<'de> for $name $(<$lt>)?
            where
                $('de: $lt)?
            {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    if crate::codec::strict_pass() {
                        let Strict { $($field),* } = Strict::deserialize(d)?;
                        Ok($name { $($field),* })
                    } else {
                        let Lenient { $($field),* } = Lenient::deserialize(d)?;
                        Ok($name { $($field),* })
                    }
                }
            }
        };
    };
}

pub(crate) use wire_struct;
