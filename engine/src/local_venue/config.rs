//! [`VenueConfig`]: what the local venue serves and how, from `configs/venue.toml` (every field
//! optional) and the command line.
//!
//! The TOML file has three optional tables and a list:
//! - `[venue]`: `bind`, `port`, `speed`, `start` (`"first-client"` or `"now"`), `exit_at_end`,
//!   `stamp_writes`, `client_buffer`;
//! - `[websocket]`: `ping_interval_s` (Binance: 180), `pong_timeout_s` (Binance: 600),
//!   `max_connection_s` (Binance: 86400);
//! - `[open_interest]`: `base`, `seed`, `step_bps` of the synthetic open interest series;
//! - `[[fault]]`: a [`Fault`] (`kind = "gap"`, `diffs = 3`, …) with exactly one trigger,
//!   `after_frames = N` (before the venue sends its N+1-th recording frame: deterministic) or
//!   `at_s = S` (when the replay has covered S seconds of recording time).

use super::faults::Fault;
use feeds::Instruments;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// When the replay clock starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartMode {
    /// When the first WebSocket client connects (the default), so a client sees the recording
    /// from its snapshot on.
    #[default]
    FirstClient,
    /// As soon as the venue is up.
    Now,
}

/// The synthetic open interest series served by `GET /fapi/v1/openInterest`.
///
/// The recording holds no open interest, so the venue makes one up: `base` contracts, then per
/// minute of replay (recording) time a step drawn uniformly in ±`step_bps` basis points from a
/// ChaCha generator seeded with `seed`. The same seed gives the same series.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenInterestConfig {
    /// Open interest at minute 0, in contracts (base asset for linear contracts).
    pub base: Decimal,
    /// Generator seed.
    pub seed: u64,
    /// Largest step per minute, in basis points of the current value.
    pub step_bps: f64,
}

impl Default for OpenInterestConfig {
    fn default() -> Self {
        OpenInterestConfig { base: Decimal::new(80_000_000, 3), seed: 7, step_bps: 25.0 }
    }
}

/// A fault with its trigger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduledFault {
    /// What to do.
    pub fault: Fault,
    /// When.
    pub trigger: FaultTrigger,
}

/// When a scheduled fault fires.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultTrigger {
    /// Once this many recording frames have been sent (deterministic).
    AfterFrames(u64),
    /// Once the replay has covered this many seconds of recording time.
    AtSeconds(f64),
}

/// Everything the local venue needs besides the recording.
#[derive(Clone, Debug)]
pub struct VenueConfig {
    /// Address to listen on. Default 127.0.0.1.
    pub bind: IpAddr,
    /// Port; 0 picks a free one (the handle and the CLI tell which).
    pub port: u16,
    /// Replay speed: recorded receive-time gaps are divided by it. 0 sends as fast as the
    /// clients take the frames.
    pub speed: f64,
    /// When the replay clock starts.
    pub start: StartMode,
    /// `halcyon venue` exits once the recording is sent (the in-process venue keeps serving
    /// REST either way).
    pub exit_at_end: bool,
    /// Record a [`WriteStamp`](super::WriteStamp) per frame sent.
    pub stamp_writes: bool,
    /// Frames queued per client before the replay waits for it (back-pressure: the venue never
    /// drops frames for a slow client, it slows down).
    pub client_buffer: usize,
    /// Server ping interval (Binance USD-M "Websocket Market Streams": every 3 minutes).
    pub ping_interval: Duration,
    /// Disconnect a client that has not answered a ping for this long (Binance: 10 minutes).
    pub pong_timeout: Duration,
    /// Close every connection this long after it opened (Binance: 24 hours).
    pub max_connection: Duration,
    /// The synthetic open interest.
    pub open_interest: OpenInterestConfig,
    /// Faults fired by frame count or replay time.
    pub faults: Vec<ScheduledFault>,
    /// Instruments: decode the recording, print prices and sizes on their grids, and answer
    /// `exchangeInfo`. Only those of venue `binance-usdm` are served.
    pub instruments: Instruments,
}

impl VenueConfig {
    /// The defaults (Binance's timings, speed 1, start at the first client) for `instruments`.
    pub fn new(instruments: Instruments) -> VenueConfig {
        VenueConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            speed: 1.0,
            start: StartMode::FirstClient,
            exit_at_end: false,
            stamp_writes: false,
            client_buffer: 4096,
            ping_interval: Duration::from_secs(180),
            pong_timeout: Duration::from_secs(600),
            max_connection: Duration::from_secs(86_400),
            open_interest: OpenInterestConfig::default(),
            faults: Vec::new(),
            instruments,
        }
    }

    /// Reads a venue TOML document over the defaults.
    pub fn from_toml(text: &str, instruments: Instruments) -> Result<VenueConfig, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|error| error.to_string())?;
        let mut config = VenueConfig::new(instruments);
        let venue = file.venue;
        if let Some(bind) = venue.bind {
            config.bind = bind.parse().map_err(|_| format!("venue.bind: `{bind}` is not an IP address"))?;
        }
        config.port = venue.port.unwrap_or(config.port);
        config.speed = venue.speed.unwrap_or(config.speed);
        config.start = venue.start.unwrap_or(config.start);
        config.exit_at_end = venue.exit_at_end.unwrap_or(config.exit_at_end);
        config.stamp_writes = venue.stamp_writes.unwrap_or(config.stamp_writes);
        config.client_buffer = venue.client_buffer.unwrap_or(config.client_buffer);
        let seconds = |name: &str, value: Option<f64>, default: Duration| match value {
            None => Ok(default),
            Some(value) if value.is_finite() && value > 0.0 && value <= 1e7 => {
                Ok(Duration::from_secs_f64(value))
            }
            Some(value) => Err(format!("websocket.{name}: {value} is not a positive number of seconds")),
        };
        let websocket = file.websocket;
        config.ping_interval = seconds("ping_interval_s", websocket.ping_interval_s, config.ping_interval)?;
        config.pong_timeout = seconds("pong_timeout_s", websocket.pong_timeout_s, config.pong_timeout)?;
        config.max_connection =
            seconds("max_connection_s", websocket.max_connection_s, config.max_connection)?;
        config.open_interest = file.open_interest;
        for (index, table) in file.fault.into_iter().enumerate() {
            let trigger = match (table.after_frames, table.at_s) {
                (Some(frames), None) => FaultTrigger::AfterFrames(frames),
                (None, Some(seconds)) if seconds.is_finite() && seconds >= 0.0 => {
                    FaultTrigger::AtSeconds(seconds)
                }
                _ => {
                    return Err(format!(
                        "fault {}: give exactly one of `after_frames = N` or `at_s = S` (S >= 0)",
                        index + 1
                    ));
                }
            };
            table.fault.validate().map_err(|why| format!("fault {}: {why}", index + 1))?;
            config.faults.push(ScheduledFault { fault: table.fault, trigger });
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks values that would make the venue misbehave.
    pub fn validate(&self) -> Result<(), String> {
        if !self.speed.is_finite() || self.speed < 0.0 {
            return Err(format!(
                "speed {} must be a finite number >= 0 (0: as fast as clients take)",
                self.speed
            ));
        }
        if self.client_buffer == 0 {
            return Err("client_buffer must be at least 1".to_owned());
        }
        if !self.open_interest.step_bps.is_finite()
            || !(0.0..=10_000.0).contains(&self.open_interest.step_bps)
        {
            return Err("open_interest.step_bps must be within 0..=10000".to_owned());
        }
        if self.open_interest.base < Decimal::ZERO {
            return Err("open_interest.base must not be negative".to_owned());
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    venue: VenueTable,
    #[serde(default)]
    websocket: WebsocketTable,
    #[serde(default)]
    open_interest: OpenInterestConfig,
    #[serde(default)]
    fault: Vec<FaultTable>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VenueTable {
    bind: Option<String>,
    port: Option<u16>,
    speed: Option<f64>,
    start: Option<StartMode>,
    exit_at_end: Option<bool>,
    stamp_writes: Option<bool>,
    client_buffer: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WebsocketTable {
    ping_interval_s: Option<f64>,
    pong_timeout_s: Option<f64>,
    max_connection_s: Option<f64>,
}

// `flatten` and `deny_unknown_fields` do not mix in serde, so unknown keys in a fault table are
// not reported (a misspelt trigger still is: one trigger is required).
#[derive(Deserialize)]
struct FaultTable {
    #[serde(flatten)]
    fault: Fault,
    after_frames: Option<u64>,
    at_s: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_need_exactly_one_trigger() {
        let two = "[[fault]]\nkind = \"drop\"\nafter_frames = 1\nat_s = 2.0\n";
        assert!(VenueConfig::from_toml(two, Instruments::new()).is_err());
        let none = "[[fault]]\nkind = \"drop\"\n";
        assert!(VenueConfig::from_toml(none, Instruments::new()).is_err());
        let good =
            "[venue]\nspeed = 0\nstart = \"now\"\n[[fault]]\nkind = \"gap\"\ndiffs = 2\nafter_frames = 10\n";
        let config = VenueConfig::from_toml(good, Instruments::new()).unwrap();
        assert_eq!(config.start, StartMode::Now);
        assert_eq!(
            config.faults,
            vec![ScheduledFault { fault: Fault::Gap { diffs: 2 }, trigger: FaultTrigger::AfterFrames(10) }]
        );
    }

    #[test]
    fn negative_speed_is_an_error() {
        assert!(VenueConfig::from_toml("[venue]\nspeed = -1.0\n", Instruments::new()).is_err());
    }
}
