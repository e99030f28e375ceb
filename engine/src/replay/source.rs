//! Where a replay's market comes from: a recording's raw frames (decoded as the run goes, as a
//! live feed would), or events already decoded (halcyon's normalized capture, or a stress
//! scenario's overlay of a recording).

use crate::clock::TscClock;
use crate::pipeline::feed::{FeedHandler, FeedStats};
use feeds::inspect::OwnedFrame;
use feeds::{Event, Instruments};

/// Decodes `frames` (in order) with the feed's own decoder and depth sequencer: every event
/// the ring would carry, each frame's closed by its `FrameEnd`. Frames that do not decode are
/// counted (and still get their `FrameEnd`), as in a live run.
pub fn decode_frames(
    frames: &[OwnedFrame],
    instruments: &Instruments,
    clock: &TscClock,
) -> (Vec<Event>, FeedStats) {
    let mut feed = FeedHandler::new(instruments.clone(), 0);
    // A frame decodes to about five events on average (depth diffs carry dozens of levels).
    let mut events = Vec::with_capacity(frames.len() * 6);
    let mut scratch = Vec::new();
    for frame in frames {
        feed.decode_owned(frame, &mut scratch, clock, &mut events);
    }
    (events, feed.stats())
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::EventKind;
    use feeds::recording::open_frames;

    #[test]
    fn the_recording_decodes_to_frames_of_events() {
        let path = testkit::data_dir().join("binance-usdm/btcusdt_20240808.gz");
        let mut reader = open_frames(&path).expect("recording");
        let (frames, errors) = OwnedFrame::read_all(reader.as_mut());
        assert!(errors.is_empty(), "{errors:?}");
        let (events, stats) = decode_frames(&frames, &testkit::replay::instruments(), &TscClock::new());
        let ends: Vec<_> =
            events.iter().filter(|event| matches!(event.kind(), EventKind::FrameEnd(_))).collect();
        assert_eq!(ends.len(), frames.len());
        assert_eq!(stats.frames, frames.len() as u64);
        assert_eq!(stats.decode_errors, 0);
        assert_eq!(stats.gaps, 0, "the pu chain of this recording has no gaps");
        assert_eq!(events.len() as u64, stats.events + stats.frames);
    }
}
