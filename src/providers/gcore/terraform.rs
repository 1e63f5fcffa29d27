//! stub
pub(super) const V1_TYPES: &[&str] = &[];
pub(super) const V2_TYPES: &[&str] = &[];
