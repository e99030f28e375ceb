//! What the arguments mean, validated before anything runs.
//!
//! Instrument definitions come from a TOML file, a Binance `exchangeInfo` response, or the
//! default: `configs/instruments.toml` in the working directory, or failing that the copy built
//! into the binary (so `halcyon` works from any directory).

use super::CliError;
use feeds::Instruments;
use feeds::venue::binance::rest::instruments_from_exchange_info;
use std::path::{Path, PathBuf};

/// Where the default instrument file is looked for.
pub const DEFAULT_INSTRUMENTS: &str = "configs/instruments.toml";

/// The built-in copy of `configs/instruments.toml`.
const BUILT_IN_INSTRUMENTS: &str = include_str!("../../../configs/instruments.toml");

/// Where the instruments came from, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstrumentSource {
    /// A file given or found.
    File(PathBuf),
    /// The copy built into the binary.
    BuiltIn,
}

/// Loads instruments from `--instruments`, `--exchange-info`, or the default.
pub fn load_instruments(
    instruments: Option<&Path>,
    exchange_info: Option<&Path>,
) -> Result<(Instruments, InstrumentSource), CliError> {
    if let Some(path) = exchange_info {
        let mut bytes = read(path)?;
        let table = instruments_from_exchange_info(&mut bytes, |_| true)
            .map_err(|error| CliError::Config { path: path.to_owned(), message: error.to_string() })?;
        return non_empty(table, InstrumentSource::File(path.to_owned()));
    }
    let (text, source) = match instruments {
        Some(path) => {
            (String::from_utf8_lossy(&read(path)?).into_owned(), InstrumentSource::File(path.to_owned()))
        }
        None if Path::new(DEFAULT_INSTRUMENTS).is_file() => {
            let path = PathBuf::from(DEFAULT_INSTRUMENTS);
            (String::from_utf8_lossy(&read(&path)?).into_owned(), InstrumentSource::File(path))
        }
        None => (BUILT_IN_INSTRUMENTS.to_owned(), InstrumentSource::BuiltIn),
    };
    let table = Instruments::from_toml(&text).map_err(|error| CliError::Config {
        path: match &source {
            InstrumentSource::File(path) => path.clone(),
            InstrumentSource::BuiltIn => PathBuf::from("built-in instruments.toml"),
        },
        message: error.to_string(),
    })?;
    non_empty(table, source)
}

fn non_empty(
    table: Instruments,
    source: InstrumentSource,
) -> Result<(Instruments, InstrumentSource), CliError> {
    if table.is_empty() {
        let path = match source {
            InstrumentSource::File(path) => path,
            InstrumentSource::BuiltIn => PathBuf::from("built-in instruments.toml"),
        };
        return Err(CliError::Config { path, message: "defines no instruments".to_owned() });
    }
    Ok((table, source))
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Io { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_instruments_parse() {
        let table = Instruments::from_toml(BUILT_IN_INSTRUMENTS).unwrap();
        assert!(table.lookup("binance-usdm", b"BTCUSDT").is_some());
    }

    #[test]
    fn a_missing_file_names_itself() {
        let error = load_instruments(Some(Path::new("/nonexistent/x.toml")), None).unwrap_err();
        assert!(error.to_string().starts_with("/nonexistent/x.toml:"), "{error}");
    }
}
