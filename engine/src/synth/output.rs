//! [`Output`]: frames to the capture file, with the receive times a recorder would have seen.
//!
//! The capture has three streams, as a recorder of the live feed would declare them: the
//! combined-stream websocket (named by its subscription URL), and the two REST endpoints
//! (named by their request URLs, which is how the decoder learns a depth snapshot's symbol).
//!
//! **Receive times.** A frame leaves the exchange at its exchange time and reaches the
//! recorder `latency_min_ms..latency_max_ms` later, sometimes plus a spike (exponential, mean
//! [`SPIKE_MEAN_MS`]). All websocket frames share one TCP connection, so they arrive in the
//! order sent: a frame is never received before the one sent ahead of it (a spike holds the
//! frames behind it back), and receive times strictly increase along the websocket stream.
//! REST responses travel on their own connections
//! ([`REST_LATENCY_MIN_MS`]..[`REST_LATENCY_MAX_MS`] after the exchange served them) and are
//! written where their receive time falls among the websocket frames, so the file is in
//! receive-time order throughout, as a recorder writes it. Latencies are drawn from their own
//! random stream, so they never change the market.

use super::random::Random;
use feeds::Nanos;
use feeds::recording::{CaptureWriter, RecordingError, StreamId};
use feeds::venue::binance::MessageKind;
use std::collections::VecDeque;
use std::path::Path;

/// Mean of a latency spike, ms.
pub const SPIKE_MEAN_MS: f64 = 15.0;
/// Shortest time from the exchange serving a REST request to the response being in hand, ms.
pub const REST_LATENCY_MIN_MS: f64 = 10.0;
/// Longest such time, ms.
pub const REST_LATENCY_MAX_MS: f64 = 40.0;
/// Least spacing of two websocket frames' receive times, ns (a frame's bytes take time).
const MIN_SPACING_NS: i64 = 200;

/// Which REST endpoint a response came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rest {
    /// `GET /fapi/v1/depth`.
    Depth,
    /// `GET /fapi/v1/openInterest`.
    OpenInterest,
}

/// A REST response waiting for its receive time to come up.
struct Pending {
    receive_ns: i64,
    stream: StreamId,
    kind: MessageKind,
    payload: Vec<u8>,
}

/// The capture being written.
pub(super) struct Output {
    writer: CaptureWriter,
    websocket: StreamId,
    depth: StreamId,
    open_interest: StreamId,
    latency: Random,
    latency_min_ns: f64,
    latency_max_ns: f64,
    spike_probability: f64,
    /// Receive time of the last websocket frame.
    last_websocket_ns: i64,
    /// Responses in receive-time order.
    pending: VecDeque<Pending>,
    buffer: Vec<u8>,
    counts: [u64; MessageKind::ALL.len()],
}

/// The network model's parameters.
pub(super) struct Network {
    /// Seed of the latency draws.
    pub seed: u64,
    /// Shortest usual latency, ms.
    pub latency_min_ms: f64,
    /// Longest usual latency, ms.
    pub latency_max_ms: f64,
    /// Probability of a spike per frame.
    pub spike_probability: f64,
}

impl Output {
    /// Creates the capture at `path` and declares its streams: the websocket as
    /// `wss://fstream.binance.com/stream?streams=<streams>`, and the two REST URLs.
    pub fn create(
        path: &Path,
        streams: &str,
        urls: [&str; 2],
        network: &Network,
    ) -> Result<Output, RecordingError> {
        let mut writer = CaptureWriter::create(path)?;
        let websocket =
            writer.declare_stream(&format!("wss://fstream.binance.com/stream?streams={streams}"))?;
        let depth = writer.declare_stream(urls[0])?;
        let open_interest = writer.declare_stream(urls[1])?;
        Ok(Output {
            writer,
            websocket,
            depth,
            open_interest,
            // Stream 1 of the seed: the market draws from stream 0.
            latency: Random::new(network.seed, 1),
            latency_min_ns: network.latency_min_ms * 1e6,
            latency_max_ns: network.latency_max_ms * 1e6,
            spike_probability: network.spike_probability,
            last_websocket_ns: i64::MIN,
            pending: VecDeque::new(),
            buffer: Vec::with_capacity(64 << 10),
            counts: [0; MessageKind::ALL.len()],
        })
    }

    /// The buffer to encode the next frame into, emptied.
    pub fn frame(&mut self) -> &mut Vec<u8> {
        self.buffer.clear();
        &mut self.buffer
    }

    fn network_delay_ns(&mut self) -> i64 {
        let mut delay = self.latency.between(self.latency_min_ns, self.latency_max_ns);
        if self.latency.chance(self.spike_probability) {
            delay += self.latency.exponential(SPIKE_MEAN_MS * 1e6);
        }
        delay as i64
    }

    /// Sends the buffered frame on the websocket, leaving the exchange at `exchange_ns`
    /// (ns since the epoch).
    pub fn send_websocket(&mut self, kind: MessageKind, exchange_ns: i64) -> Result<(), RecordingError> {
        let arrival = exchange_ns + self.network_delay_ns();
        let receive_ns = arrival.max(self.last_websocket_ns.saturating_add(MIN_SPACING_NS));
        self.write_due(receive_ns)?;
        self.last_websocket_ns = receive_ns;
        self.counts[usize::from(kind.code())] += 1;
        self.writer.write(Nanos(receive_ns), self.websocket, &self.buffer)
    }

    /// Queues the buffered body as the response of `endpoint`, served at `exchange_ns`.
    pub fn send_rest(&mut self, endpoint: Rest, exchange_ns: i64) {
        let delay = self.latency.between(REST_LATENCY_MIN_MS * 1e6, REST_LATENCY_MAX_MS * 1e6) as i64;
        let (stream, kind) = match endpoint {
            Rest::Depth => (self.depth, MessageKind::DepthSnapshot),
            Rest::OpenInterest => (self.open_interest, MessageKind::OpenInterest),
        };
        let receive_ns = exchange_ns + delay;
        let at = self
            .pending
            .iter()
            .position(|pending| pending.receive_ns > receive_ns)
            .unwrap_or(self.pending.len());
        self.pending.insert(at, Pending { receive_ns, stream, kind, payload: self.buffer.clone() });
    }

    /// Writes the responses received before `receive_ns`.
    fn write_due(&mut self, receive_ns: i64) -> Result<(), RecordingError> {
        while self.pending.front().is_some_and(|pending| pending.receive_ns < receive_ns) {
            if let Some(pending) = self.pending.pop_front() {
                self.counts[usize::from(pending.kind.code())] += 1;
                self.writer.write(Nanos(pending.receive_ns), pending.stream, &pending.payload)?;
            }
        }
        Ok(())
    }

    /// Writes what is pending, flushes, and returns the file's size in bytes.
    pub fn finish(mut self) -> Result<(u64, [u64; MessageKind::ALL.len()]), RecordingError> {
        self.write_due(i64::MAX)?;
        self.writer.flush()?;
        Ok((self.writer.len_bytes(), self.counts))
    }
}
