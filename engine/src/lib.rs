//! # halcyon-engine: making it happen, fast
//!
//! For now the engine is its command line: [`cli`] parses arguments, validates them into a
//! configuration, and runs the command. The ring, the pinned threads, the run modes and the
//! venues land here next.
//!
//! ## Guarantees
//! - Bad arguments or configuration give an error that names what was wrong, never a panic.

pub mod cli;
