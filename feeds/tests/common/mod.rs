//! Shared helpers for integration tests: where the real market data lives.
#![allow(dead_code)]

use std::path::PathBuf;

/// The real-data folder: `$HALCYON_DATA` if set, else `shared/data` beside the checkout.
///
/// Panics if the folder is missing: CI must fail, not skip, without its data.
pub fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("HALCYON_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    assert!(
        dir.is_dir(),
        "real market data folder {} is missing: set HALCYON_DATA or put shared/data beside the checkout",
        dir.display()
    );
    dir
}
