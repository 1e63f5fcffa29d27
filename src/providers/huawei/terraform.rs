//! stub
pub(super) const TYPES: &[&str] = &[];
