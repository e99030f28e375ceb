//! What every end-to-end test of the `halcyon` binary needs: running it, reading its output,
//! finding the real data.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// The real market data folder: `HALCYON_DATA`, else `../shared/data` beside the checkout.
/// Panics (the test fails, it does not skip) when it is missing.
pub fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("HALCYON_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    assert!(dir.is_dir(), "real market data folder {} is missing: set HALCYON_DATA", dir.display());
    dir
}

/// Runs the binary with `args` from the workspace root.
pub fn halcyon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_halcyon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run halcyon")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
