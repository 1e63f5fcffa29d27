//! One definition per wire shape, read two ways: `wire_struct!` takes a struct as a dialect
//! writes it (fields with their serde attributes) and derives two readers from it, a
//! lenient one that leaves an unknown key to the codec (which lists it as unread) and a
//! strict one that refuses it. The struct's `Deserialize` uses the strict reader during the
//! codec's first, path-less pass ([`crate::codec::strict_pass`]) and the lenient one after,
//! so a document whose every key is known is read once, without tracking paths.
//!
//! Every struct a dialect decodes from its documents is defined with this macro; a plain
//! `#[derive(Deserialize)]` would drop unknown keys silently in the strict pass
//! (`tests/layers.rs` checks that none is left in `src/providers/`). Fields that several
//! dialects' shapes share (Neutron's rule and group fields) are listed once, in a shared
//! part (`wire_part!`), which each of those dialects' structs includes.

/// Define a wire struct and its `Deserialize` (see the module documentation). Field
/// attributes (`#[serde(...)]`, docs) go to both readers; of the struct's attributes,
/// `#[serde(...)]` ones (`rename_all`) go to both readers and the others to the struct. A
/// shared part after the struct (`part ...`, from [`wire_part!`]: fields several dialects'
/// shapes have, listed once in the shared layer) is read with the struct's own fields, from
/// the same object, and kept in the field `$part`, a `$Part` (the plain struct of the same
/// fields).
macro_rules! wire_struct {
    // The struct's attributes, sorted: `#[serde(...)]` ones (`rename_all`, ...) go to the two
    // readers, the others to the struct.
    (@attrs [$($attr:tt)*] [$($serde:tt)*] #[serde $args:tt] $($rest:tt)*) => {
        crate::providers::wire_struct::wire_struct! {
            @attrs [$($attr)*] [$($serde)* #[serde $args]] $($rest)*
        }
    };
    (@attrs [$($attr:tt)*] [$($serde:tt)*] #[$one:meta] $($rest:tt)*) => {
        crate::providers::wire_struct::wire_struct! {
            @attrs [$($attr)* #[$one]] [$($serde)*] $($rest)*
        }
    };
    (
        @attrs [$($attr:tt)*] [$($serde:tt)*]
        $vis:vis struct $name:ident $(<$lt:lifetime>)? {
            $(
                $(#[$fattr:meta])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
        $(part $part:ident : [$($path:ident ::)*] $Part:ident $(<$plt:lifetime>)? {
            $(
                $(#[$pattr:meta])*
                $pfield:ident : $pty:ty
            ),* $(,)?
        })?
    ) => {
        $($attr)*
        $vis struct $name $(<$lt>)? {
            $( pub(super) $part: $($path::)* $Part $(<$plt>)?, )?
            $( $fvis $field: $ty ),*
        }

        const _: () = {
            #[derive(serde::Deserialize)]
            $($serde)*
            struct Lenient $(<$lt>)? {
                $($( $(#[$pattr])* $pfield: $pty, )*)?
                $( $(#[$fattr])* $field: $ty ),*
            }

            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            $($serde)*
            struct Strict $(<$lt>)? {
                $($( $(#[$pattr])* $pfield: $pty, )*)?
                $( $(#[$fattr])* $field: $ty ),*
            }

            impl<'de $(, $lt)?> serde::Deserialize<'de> for $name $(<$lt>)?
            where
                $('de: $lt)?
            {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    if crate::codec::strict_pass() {
                        let Strict { $($($pfield,)*)? $($field),* } = Strict::deserialize(d)?;
                        Ok($name {
                            $( $part: $($path::)* $Part { $($pfield),* }, )?
                            $($field),*
                        })
                    } else {
                        let Lenient { $($($pfield,)*)? $($field),* } = Lenient::deserialize(d)?;
                        Ok($name {
                            $( $part: $($path::)* $Part { $($pfield),* }, )?
                            $($field),*
                        })
                    }
                }
            }
        };
    };
    (@attrs $($other:tt)*) => {
        compile_error!("wire_struct!: expected attributes, then a struct with named fields");
    };
    ($($input:tt)*) => {
        crate::providers::wire_struct::wire_struct! { @attrs [] [] $($input)* }
    };
}

pub(crate) use wire_struct;

/// The two uses of a shared part's one field list (`$part: [path::] $Part { fields }`), for a
/// part provider's macro (such as `neutron::wire!`) to hand its list to: `define [docs]`
/// defines the plain struct `$Part` (in the provider's module), and `[a dialect's struct]`
/// defines that struct with `wire_struct!`, the part's fields first.
macro_rules! wire_part {
    (
        define [$(#[$attr:meta])*]
        $part:ident : [$($path:ident ::)*] $Part:ident $(<$plt:lifetime>)? {
            $( $(#[$fattr:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        pub(crate) struct $Part $(<$plt>)? {
            $( pub(crate) $field: $ty ),*
        }
    };
    ([$($dialect:tt)*] $($part:tt)*) => {
        crate::providers::wire_struct::wire_struct! { $($dialect)* part $($part)* }
    };
}

pub(crate) use wire_part;
