//! Operating-system specifics, each with a fallback that does nothing rather than fail.
//!
//! - [`affinity`]: which cores exist, and pinning a thread to one.

pub mod affinity;
