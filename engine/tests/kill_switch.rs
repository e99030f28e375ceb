//! The kill switch and the cascade detector in the quoting core, asserted on the sequence of
//! events and order actions (never on wall time).
//!
//! The core is driven directly (no threads): the real BTCUSDT recording is decoded by the feed's
//! own decoder and sequencer (`testkit::replay`), each frame's events go to
//! [`QuotingCore::on_event`] followed by the frame's `FrameEnd`, exactly the order the ring
//! delivers them in. A recording gateway notes, for each order message, the frame it was sent
//! in. Synthetic events (a stale feed) are injected as frames of their own and say so.

mod common;

use common::Setup;
use engine::clock::TscClock;
use engine::gateway::Gateway;
use engine::order::OrderAction;
use engine::pipeline::core::{CoreConfig, QuotingCore};
use feeds::{
    BookLevel, Event, EventKind, FeedCondition, FeedStatus, FrameEnd, InstrumentId, Lots, Nanos, OrderBook,
    Seq, Side,
};
use risk::Reason;
use risk::cascade::CascadeState;
use testkit::replay::Replay;

/// What one action was, and in which frame it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    New(u64),
    Replace(u64),
    Cancel(u64),
}

/// Remembers every action with the frame counter the test sets before each frame (and, for
/// the synthetic events, the local receive time of the last real one).
#[derive(Default)]
struct Recording {
    frame: u64,
    sent: Vec<Sent>,
    receive: Nanos,
}

impl Gateway for Recording {
    fn send(&mut self, action: &OrderAction, _message: &[u8]) {
        let frame = self.frame;
        self.sent.push(match action {
            OrderAction::New(_) => Sent::New(frame),
            OrderAction::Replace { .. } => Sent::Replace(frame),
            OrderAction::Cancel(_) => Sent::Cancel(frame),
        });
    }
}

const BTCUSDT: InstrumentId = InstrumentId(0);

/// The `FrameEnd` closing a frame of `events` events at `time`.
fn frame_end(time: Nanos, events: u32) -> Event {
    let end = FrameEnd { frame_kind: 0, events, in_hand: time, parsed: time, published: time };
    Event::new(time, time, Seq(0), BTCUSDT, EventKind::FrameEnd(end))
}

/// A core with the shipped config, `change`d, and a recording gateway.
fn core(change: impl FnOnce(&mut CoreConfig)) -> QuotingCore<Recording> {
    let setup = Setup::btcusdt(1);
    let mut config = setup.core_config.clone();
    change(&mut config);
    QuotingCore::new(&config, &setup.instruments, setup.encoder(), Recording::default(), TscClock::new())
}

/// Feeds `frames` real frames; returns the exchange time of the last event.
fn replay(core: &mut QuotingCore<Recording>, replay: &mut Replay, frames: u64) -> Nanos {
    let mut last = Nanos(0);
    let mut events = Vec::new();
    for _ in 0..frames {
        events.clear();
        if !replay.next_frame(|event: &Event, _: &OrderBook| events.push(*event)) {
            break;
        }
        for event in &events {
            core.on_event(event);
            last = last.max(event.exchange_time);
            core.gateway_mut().receive = event.receive_time;
        }
        core.gateway_mut().frame += 1;
        core.on_event(&frame_end(last, events.len() as u32));
    }
    last
}

/// Both sides rest after the first 20 000 frames of the calm recording.
fn quoting() -> (QuotingCore<Recording>, Replay, Nanos) {
    let mut core = core(|config| config.cascade.kill_on_cascade = true);
    let mut recording = Replay::open();
    let now = replay(&mut core, &mut recording, 20_000);
    let stats = core.stats();
    assert!(stats.new_orders >= 2, "{stats:?}");
    assert_eq!(stats.kills, 0);
    (core, recording, now)
}

#[test]
fn a_stale_feed_cancels_everything_in_the_same_pass_and_the_kill_latches() {
    let (mut core, mut recording, now) = quoting();
    let before = core.gateway().sent.len();
    // Synthetic: the feed reports itself stale (an infrastructure failure), one frame.
    let stale = Event::new(
        now,
        now,
        Seq(0),
        BTCUSDT,
        EventKind::FeedStatus(FeedStatus {
            condition: FeedCondition::Stale,
            expected: Seq(0),
            received: Seq(0),
        }),
    );
    core.gateway_mut().frame += 1;
    let trigger_frame = core.gateway().frame;
    core.on_event(&stale);
    core.on_event(&frame_end(now, 1));
    // In the pass that closed the triggering frame: CASCADE (a hard trigger, straight from
    // NORMAL), the kill switch thrown, and a cancel for each resting side — nothing else.
    let report = core.cascade_report();
    assert_eq!(report[0].state, CascadeState::Cascade);
    let transition = report[0].last_transition.expect("a transition");
    assert_eq!((transition.from, transition.to), (CascadeState::Normal, CascadeState::Cascade));
    assert!(transition.trigger.is_some());
    assert_eq!(core.stats().kills, 1);
    let sent = &core.gateway().sent[before..];
    assert_eq!(sent, [Sent::Cancel(trigger_frame), Sent::Cancel(trigger_frame)]);
    // Latched: the real feed carries on (and the feed reconnects), nothing is sent again.
    let reconnected = Event::new(
        now,
        now,
        Seq(0),
        BTCUSDT,
        EventKind::FeedStatus(FeedStatus {
            condition: FeedCondition::Reconnected,
            expected: Seq(0),
            received: Seq(0),
        }),
    );
    core.on_event(&reconnected);
    replay(&mut core, &mut recording, 40_000);
    assert_eq!(core.gateway().sent.len(), before + 2, "nothing sent while killed");
    // The detector has calmed down since, but the switch stays thrown, stamped with the
    // triggering frame's time and the cascade as its reason.
    assert_ne!(core.cascade_report()[0].state, CascadeState::Cascade);
    let kill = core.kill_event(BTCUSDT).expect("latched");
    assert_eq!((kill.time, kill.reason), (now, Reason::Cascade));
}

/// Synthetic: withdraws every level within ±10 bps of the mid of `recording`'s book but the
/// touch, as one update closed by its own frame (the real diffs that follow bring back the
/// levels they touch). The quoter still sees the same top and keeps quoting.
fn withdraw_the_band(core: &mut QuotingCore<Recording>, recording: &Replay, now: Nanos) {
    let (Some((bid, _)), Some((ask, _))) = (recording.book.best_bid(), recording.book.best_ask()) else {
        return;
    };
    let mid = (bid.0 + ask.0) / 2;
    let band = mid / 1_000; // 10 bps of the mid, in ticks
    let mut withdrawn = Vec::new();
    for side in [Side::Bid, Side::Ask] {
        withdrawn.extend(
            recording
                .book
                .top(side, 10_000)
                .skip(1)
                .filter(|(price, _)| (price.0 - mid).abs() <= band)
                .map(|(price, _)| (side, price)),
        );
    }
    let count = withdrawn.len();
    // Stamped as the real frames are: the recording's local clock runs 1.27 s behind the
    // exchange's, and the gate's lag guard would take a zero offset for a stalled feed.
    let receive = core.gateway().receive;
    for (index, (side, price)) in withdrawn.into_iter().enumerate() {
        let level = BookLevel { side, price, qty: Lots(0), last: index + 1 == count, snapshot: false };
        core.on_event(&Event::new(now, receive, Seq(0), BTCUSDT, EventKind::BookLevel(level)));
    }
    core.gateway_mut().frame += 1;
    core.on_event(&frame_end(now, count as u32));
}

#[test]
fn entering_cascade_on_a_scheduled_step_cancels_at_once() {
    // No kill switch this time: CASCADE alone pulls every quote.
    let mut core = core(|_| {});
    let mut recording = Replay::open();
    let mut now = replay(&mut core, &mut recording, 20_000);
    // Synthetic: liquidity leaves the band around the mid and keeps leaving (withdrawn again
    // after every real frame). The depth and spread signals see it at the scheduled steps
    // (every 100 ms of event time), which run after a frame's orders are sent.
    let mut frames = 0;
    while core.cascade_report()[0].state != CascadeState::Cascade {
        frames += 1;
        assert!(frames < 20_000, "no CASCADE with the band withdrawn: {:?}", core.cascade_report());
        let resting_before = core.resting_orders(BTCUSDT);
        let sent_before = core.gateway().sent.len();
        withdraw_the_band(&mut core, &recording, now);
        if core.cascade_report()[0].state == CascadeState::Cascade {
            check_entered(&core, resting_before, sent_before);
            break;
        }
        let resting_before = core.resting_orders(BTCUSDT);
        let sent_before = core.gateway().sent.len();
        now = replay(&mut core, &mut recording, 1).max(now);
        if core.cascade_report()[0].state == CascadeState::Cascade {
            check_entered(&core, resting_before, sent_before);
        }
    }
    // Nothing rests, and nothing is placed, while the state is CASCADE.
    let sent = core.gateway().sent.len();
    for _ in 0..200 {
        replay(&mut core, &mut recording, 1);
        if core.cascade_report()[0].state != CascadeState::Cascade {
            break;
        }
        assert_eq!(core.resting_orders(BTCUSDT), 0);
        assert_eq!(core.gateway().sent.len(), sent);
    }
    assert_eq!(core.kill_event(BTCUSDT), None, "CASCADE alone does not latch the kill switch");
}

/// The frame that entered CASCADE left nothing resting: whatever rested when it began was
/// cancelled within it.
fn check_entered(core: &QuotingCore<Recording>, resting_before: usize, sent_before: usize) {
    let frame = core.gateway().frame;
    assert_eq!(core.cascade_report()[0].last_transition.unwrap().to, CascadeState::Cascade);
    assert_eq!(core.resting_orders(BTCUSDT), 0, "orders still rest in CASCADE");
    let cancels =
        core.gateway().sent[sent_before..].iter().filter(|sent| **sent == Sent::Cancel(frame)).count();
    // Orders were resting when the frame began (the synthetic withdrawal leaves the touch, so
    // the quoter keeps quoting through WARNING), and each was cancelled in it.
    assert!(resting_before > 0, "nothing rested when CASCADE began: the test proves nothing");
    assert!(cancels >= resting_before, "{resting_before} resting, {cancels} cancelled in frame {frame}");
}

#[test]
fn a_manual_kill_cancels_before_it_returns() {
    let (mut core, mut recording, now) = quoting();
    let before = core.gateway().sent.len();
    core.gateway_mut().frame += 1;
    let frame = core.gateway().frame;
    core.kill(now, Reason::Manual);
    assert_eq!(&core.gateway().sent[before..], [Sent::Cancel(frame), Sent::Cancel(frame)]);
    replay(&mut core, &mut recording, 2_000);
    assert_eq!(core.gateway().sent.len(), before + 2);
    // The quoter still wants quotes; the latched switch refuses every one.
    assert!(core.stats().rejected > 0);
    assert_eq!(core.kill_event(BTCUSDT).map(|kill| kill.reason), Some(Reason::Manual));
    // An explicit reset: quoting resumes with new orders.
    core.reset_kill();
    replay(&mut core, &mut recording, 2_000);
    assert!(core.gateway().sent[before + 2..].iter().any(|sent| matches!(sent, Sent::New(_))));
}

#[test]
fn the_calm_recording_stays_out_of_cascade() {
    let mut core = core(|_| {});
    let mut recording = Replay::open();
    replay(&mut core, &mut recording, u64::MAX);
    let stats = core.stats();
    let summary = core.cascade_report()[0];
    let (state, time_in_state) = (summary.state, summary.time_in_state);
    let fraction = |state: CascadeState| summary.fraction(state);
    eprintln!(
        "calm recording: NORMAL {:.4}, WARNING {:.4}, CASCADE {:.4}, COOLDOWN {:.4}; {} transitions; {stats:?}",
        fraction(CascadeState::Normal),
        fraction(CascadeState::Warning),
        fraction(CascadeState::Cascade),
        fraction(CascadeState::Cooldown),
        stats.cascade_transitions
    );
    assert_eq!(time_in_state[CascadeState::Cascade.index()], 0);
    assert_eq!(stats.cascade_decisions, 0);
    assert_ne!(state, CascadeState::Cascade);
    assert_eq!((stats.kills, stats.rate_limited), (0, 0));
}
