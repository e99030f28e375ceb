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
use feeds::{Event, EventKind, FeedCondition, FeedStatus, FrameEnd, InstrumentId, Nanos, OrderBook, Seq};
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

/// Remembers every action with the frame counter the test sets before each frame.
#[derive(Default)]
struct Recording {
    frame: u64,
    sent: Vec<Sent>,
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
