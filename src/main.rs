//! The `halcyon` binary: parses the command line and maps the outcome to an exit status. All
//! the work is in [`engine::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(engine::cli::run(std::env::args_os()))
}
