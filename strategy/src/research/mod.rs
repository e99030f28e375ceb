//! Reproductions of published market-making experiments, for checking our models against the
//! papers they come from. Offline tools: nothing here runs on the quoting path.
//!
//! - [`as_paper`]: the Monte Carlo experiment of Avellaneda & Stoikov (2008) §3.3, the
//!   inventory strategy against a symmetric benchmark ([`AsPaperParams`] in, [`AsPaperReport`]
//!   out, via [`as_paper::run`]).
//!
//! Every experiment is a pure function of its parameters and a seed: the same seed gives a
//! bit-identical report on the same build. Randomness comes from a seeded ChaCha8 generator,
//! never from the OS or a thread-local generator.

pub mod as_paper;

pub use as_paper::{AsPaperParams, AsPaperReport, StrategyStats};
