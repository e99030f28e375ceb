//! The quoting core on the calling thread, without the ring: decode a frame (or take a
//! decoded one), hand its events to the core, next. The same [`FeedHandler`] and
//! [`QuotingCore`] as the threaded pipeline, so a run gives the same orders, fills and digest;
//! what it drops is the hand-off between threads, and with it the core's latency stamps (the
//! core runs [`untimed`](QuotingCore::untimed)). For parameter sweeps (one configuration per
//! core, many at once) and for measuring backtest throughput on one core.

use super::core::{CoreConfig, QuotingCore};
use super::feed::FeedHandler;
use super::{CoreObserver, MarketInput, PipelineError, PipelineRun};
use crate::clock::TscClock;
use crate::gateway::Gateway;
use crate::order::BinanceOrderEncoder;
use feeds::recording::EventStream;
use feeds::recording::events::EVENTS_PER_BLOCK;
use feeds::{Event, EventKind, Instruments};
use std::time::Instant;

/// Runs `input` through a feed handler and a quoting core on this thread. An event file is
/// streamed block by block; a damaged block stops the run with its error.
pub fn run_inline<Venue: Gateway, Observer: CoreObserver<Venue>>(
    input: MarketInput<'_>,
    instruments: &Instruments,
    core_config: &CoreConfig,
    encoder: BinanceOrderEncoder,
    gateway: Venue,
    mut observer: Observer,
    clock: &TscClock,
) -> Result<PipelineRun<Venue, Observer>, PipelineError> {
    let mut feed = FeedHandler::new(instruments.clone(), core_config.warmup_frames);
    // No thread hand-off to time: the core runs untimed (the feed's parse stage is still
    // measured per frame).
    let mut core = QuotingCore::new(core_config, instruments, encoder, gateway, clock.clone()).untimed();
    let started = Instant::now();
    match input {
        MarketInput::Frames(frames) => {
            let largest = frames.iter().map(|frame| frame.payload.len()).max().unwrap_or(0);
            let mut scratch = Vec::with_capacity(largest);
            // A Binance depth snapshot of 1000 levels a side is the largest frame.
            let mut events: Vec<Event> = Vec::with_capacity(4096);
            for frame in frames {
                events.clear();
                feed.decode_owned(frame, &mut scratch, clock, &mut events);
                for event in &events {
                    core.on_event(event);
                    observer.after_event(&mut core, event);
                }
            }
        }
        MarketInput::Events(events) => {
            // Decoded beforehand: nothing to parse, and the untimed core reads no stamp, so
            // the events go in as they are (no clock read per frame).
            for event in events {
                take_decoded(event, &mut feed, &mut core, &mut observer);
            }
        }
        MarketInput::EventFile(path) => {
            let mut stream = EventStream::open(path)?;
            let mut block = Vec::with_capacity(EVENTS_PER_BLOCK as usize);
            while stream.next_block(&mut block)? {
                for event in &block {
                    take_decoded(event, &mut feed, &mut core, &mut observer);
                }
            }
        }
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let (feed_stats, feed_histograms) = feed.finish();
    let outcome = core.finish();
    let mut histograms = outcome.histograms;
    histograms.merge(&feed_histograms);
    Ok(PipelineRun {
        frames: feed_stats.frames,
        pinned: false,
        unpinned_reason: Some("single-thread run: no feed or core thread to pin".to_owned()),
        wall_seconds,
        feed: feed_stats,
        core: outcome.stats,
        recorder: Default::default(),
        telemetry: Default::default(),
        cascade: outcome.cascade,
        latency: histograms.report(),
        gateway: outcome.gateway,
        observer,
    })
}

/// One decoded event into the core (a `FrameEnd` also counts a frame for the feed's report).
#[inline]
fn take_decoded<Venue: Gateway, Observer: CoreObserver<Venue>>(
    event: &Event,
    feed: &mut FeedHandler,
    core: &mut QuotingCore<Venue>,
    observer: &mut Observer,
) {
    if let EventKind::FrameEnd(end) = event.kind() {
        feed.count_decoded_frame(end.events);
    }
    core.on_event(event);
    observer.after_event(core, event);
}
