//! Placeholder: being written.

pub mod series;
pub mod source;
