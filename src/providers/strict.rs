//! `lenient_and_strict!`: one wire struct declared twice from one field list.
//!
//! Importers read past keys they do not know, and [`crate::format::decode`] reports each
//! one with its path; finding them costs a wrapped deserializer that copies every map key.
//! Most documents have no such key, so an importer may first try the document's usual shape
//! with [`crate::format::decode_strict`]: plain serde_json into structs that refuse unknown
//! keys. Success proves there was nothing to report; any failure (an unknown key, a
//! different shape, an error) sends the importer down its general path, which reads the
//! same fields the same way, reports what it did not read, and locates errors.

/// Declare `$name` (reads past unknown keys) and `$strict` (`deny_unknown_fields`) with the
/// same fields and serde attributes, and `From<$strict> for $name`. Field types must read
/// the same in both (leaf types, or types without keys of their own).
macro_rules! lenient_and_strict {
    (
        $(#[$meta:meta])*
        struct $name:ident / $strict:ident $(<$lt:lifetime>)? {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(serde::Deserialize)]
        pub(super) struct $name $(<$lt>)? {
            $( $(#[$fmeta])* pub(super) $field: $ty, )*
        }

        #[doc = concat!("[`", stringify!($name), "`] refusing unknown keys.")]
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct $strict $(<$lt>)? {
            $( $(#[$fmeta])* $field: $ty, )*
        }

        impl $(<$lt>)? From<$strict $(<$lt>)?> for $name $(<$lt>)? {
            fn from(s: $strict $(<$lt>)?) -> Self {
                $name { $( $field: s.$field, )* }
            }
        }
    };
}

pub(crate) use lenient_and_strict;
