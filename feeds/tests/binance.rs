//! Binance USD-M decoding, book sync and the book check on the real recordings, plus the
//! documented payloads that the recordings do not contain.

use feeds::inspect::{Inspection, Inspector, OwnedFrame};
use feeds::recording::open_frames;
use feeds::venue::binance::rest::instruments_from_exchange_info;
use feeds::venue::binance::{Decoder, DepthSequencer, Message, MessageKind, SyncOutcome};
use feeds::{
    Event, EventKind, FeedCondition, FeedStatus, InstrumentId, Instruments, Liquidation, Lots, MarkPrice,
    Nanos, OpenInterest, OrderBook, PriceE8, RateE8, Seq, Side, Ticks, Trade,
};
use std::fmt::Write as _;
use std::path::PathBuf;

fn instruments() -> Instruments {
    Instruments::from_toml(include_str!("../../configs/instruments.toml")).expect("configs/instruments.toml")
}

fn btcusdt_path() -> PathBuf {
    testkit::data_dir().join("binance-usdm/btcusdt_20240808.gz")
}

fn inspect(path: PathBuf, snapshots: Option<PathBuf>) -> Inspection {
    let mut side = match snapshots {
        Some(path) => {
            let (frames, errors) = OwnedFrame::read_all(open_frames(&path).unwrap().as_mut());
            assert!(errors.is_empty(), "{errors:?}");
            frames
        }
        None => Vec::new(),
    };
    Inspector::new(instruments()).run(open_frames(&path).unwrap().as_mut(), &mut side)
}

/// Every frame of a recording, in memory.
fn frames(path: PathBuf) -> Vec<OwnedFrame> {
    let (frames, errors) = OwnedFrame::read_all(open_frames(&path).unwrap().as_mut());
    assert!(errors.is_empty(), "{errors:?}");
    frames
}

#[test]
fn the_btcusdt_recording_parses_without_loss_and_its_book_checks_out() {
    let report = inspect(btcusdt_path(), None);
    assert_eq!(report.frames, 93_954);
    assert_eq!(report.parse_errors, 0, "{:?}", report.samples);
    assert_eq!(report.read_errors, 0);
    assert_eq!(report.gaps, 0);
    // The counts the data's README states, frame for frame.
    assert_eq!(report.counts["depth_update"], 6_551);
    assert_eq!(report.counts["book_ticker"], 66_089);
    assert_eq!(report.counts["trade"], 21_313);
    assert_eq!(report.counts["snapshot"], 1);
    assert_eq!(report.book_check.mismatched, 0, "{:?}", report.samples);
    assert!(report.book_check.compared > 600, "compared only {}", report.book_check.compared);
    let btc = &report.instruments["BTCUSDT"];
    assert!(btc.trusted_at_end);
    // 6,551 diffs = applied + dropped as older than the snapshot; none left unsynced.
    assert_eq!(btc.diffs_applied + btc.diffs_stale, 6_551);
    assert_eq!(btc.diffs_unsynced, 0);
    // Every hot frame took the fast path; the snapshot went through simd-json.
    assert_eq!(report.decoded_fast, 93_953);
    assert_eq!(report.decoded_tape, 1);
}

#[test]
fn the_four_cryptofeed_symbols_sync_from_their_rest_snapshots() {
    let dir = testkit::data_dir().join("cryptofeed");
    let report = inspect(dir.join("BINANCE_FUTURES.ws.1.0"), Some(dir.join("BINANCE_FUTURES.http.0.0")));
    assert_eq!(report.parse_errors, 0, "{:?}", report.samples);
    assert_eq!(report.gaps, 0);
    assert_eq!(report.counts["depth_update"], 764);
    assert_eq!(report.counts["book_ticker"], 613);
    assert_eq!(report.counts["agg_trade"], 91);
    assert_eq!(report.counts["kline"], 67);
    assert_eq!(report.counts["snapshot"], 4);
    assert_eq!(report.instruments.len(), 4);
    for (symbol, instrument) in &report.instruments {
        assert_eq!(instrument.snapshots, 1, "{symbol}");
        assert!(instrument.trusted_at_end, "{symbol}");
        assert!(instrument.diffs_applied > 100, "{symbol}: {}", instrument.diffs_applied);
        // With @100ms diffs only tickers that close a window are comparable; every symbol has some.
        assert!(instrument.book_check.compared > 0, "{symbol}");
        assert_eq!(instrument.book_check.mismatched, 0, "{symbol}: {:?}", report.samples);
    }
    assert!(report.book_check.compared >= 40, "compared {}", report.book_check.compared);
}

#[test]
fn without_snapshots_no_book_is_trusted_and_nothing_is_compared() {
    let report = inspect(testkit::data_dir().join("cryptofeed/BINANCE_FUTURES.ws.1.0"), None);
    assert_eq!(report.book_check.compared, 0);
    assert!(report.instruments.values().all(|i| !i.trusted_at_end && i.diffs_unsynced > 0));
}

#[test]
fn inspecting_twice_gives_the_same_report() {
    let first = inspect(btcusdt_path(), None);
    let second = inspect(btcusdt_path(), None);
    assert_eq!(first, second);
}

/// One pass of the BTCUSDT stream through a decoder, a sequencer and a book, optionally
/// dropping one depth diff and injecting a snapshot.
struct Replay {
    decoder: Decoder,
    sequencer: DepthSequencer,
    book: OrderBook,
    events: Vec<Event>,
}

impl Replay {
    fn new() -> Replay {
        Replay {
            decoder: Decoder::new(instruments()),
            sequencer: DepthSequencer::new(InstrumentId(0)),
            book: OrderBook::with_capacity(8192),
            events: Vec::new(),
        }
    }

    /// Decodes and applies one frame; returns the sequencer's outcome for depth frames.
    fn frame(&mut self, frame: &OwnedFrame, channel: &str) -> Option<SyncOutcome> {
        let mut payload = frame.payload.clone();
        self.events.clear();
        let outcome = match self.decoder.decode(&mut payload, frame.receive_time, channel).unwrap() {
            Message::Depth(diff) => Some(self.sequencer.on_diff(&diff, &mut self.events)),
            Message::Snapshot(snapshot) => Some(self.sequencer.on_snapshot(&snapshot, &mut self.events)),
            _ => None,
        };
        for event in &self.events {
            let _ = self.book.apply(event);
        }
        outcome
    }
}

/// A REST depth snapshot of `book` at `last_update_id`, in Binance's format. Synthetic: the
/// real recording has one snapshot only, and a resync needs a second.
fn snapshot_of(book: &OrderBook, last_update_id: Seq) -> OwnedFrame {
    let side = |side| {
        let mut text = String::new();
        for (index, (price, qty)) in book.top(side, usize::MAX).enumerate() {
            let separator = if index == 0 { "" } else { "," };
            // BTCUSDT: tick 0.10, lot 0.001.
            let _ = write!(
                text,
                "{separator}[\"{}.{}\",\"{}.{:03}\"]",
                price.0 / 10,
                price.0 % 10,
                qty.0 / 1000,
                qty.0 % 1000
            );
        }
        text
    };
    let json = format!(
        "{{\"lastUpdateId\":{},\"E\":1723161300000,\"T\":1723161300000,\"bids\":[{}],\"asks\":[{}]}}",
        last_update_id.0,
        side(Side::Bid),
        side(Side::Ask)
    );
    OwnedFrame { receive_time: Nanos(1), channel: String::new(), payload: json.into_bytes() }
}

#[test]
fn a_dropped_diff_is_a_gap_at_its_update_id_and_the_book_is_untrusted_until_resynced() {
    let frames = frames(btcusdt_path());
    let url = "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000";
    let mut reference = Replay::new();
    let mut gapped = Replay::new();
    // Drop the 3,000th depth diff; resync 50 diffs later from a snapshot of the reference book.
    const DROP: usize = 3_000;
    const RESYNC_AFTER: usize = 50;
    let mut depth_index = 0;
    let mut dropped: Option<(Seq, Seq)> = None; // (u before the dropped diff, u of the dropped diff)
    let mut gap_seen = None;
    let mut resynced = false;
    for frame in &frames {
        let is_depth = frame.payload.starts_with(b"{\"stream\":\"btcusdt@depth");
        let before = reference.sequencer.last_update_id();
        let reference_outcome = reference.frame(frame, "");
        if is_depth {
            depth_index += 1;
            if depth_index == DROP {
                let Message::Depth(diff) =
                    reference.decoder.decode(&mut frame.payload.clone(), frame.receive_time, "").unwrap()
                else {
                    unreachable!()
                };
                assert_eq!(reference_outcome, Some(SyncOutcome::Applied));
                dropped = Some((before.unwrap(), diff.last_update_id));
                continue;
            }
        }
        let outcome = gapped.frame(frame, "");
        if let Some(SyncOutcome::Gap { expected, received }) = outcome {
            assert!(gap_seen.is_none(), "only one gap");
            gap_seen = Some((depth_index, expected, received));
            assert!(!gapped.book.is_trusted());
            let status = gapped.events.iter().find_map(|e| match e.kind() {
                EventKind::FeedStatus(status) => Some((e.seq, status)),
                _ => None,
            });
            let (seq, status) = status.expect("a gap event");
            assert_eq!(status.condition, FeedCondition::Gap);
            assert_eq!(seq, reference.sequencer.last_update_id().unwrap());
        }
        if gap_seen.is_some() && !resynced {
            if depth_index < DROP + RESYNC_AFTER {
                assert!(!gapped.book.is_trusted(), "untrusted until resynced");
                assert!(reference.book.is_trusted());
            } else if is_depth {
                let snapshot = snapshot_of(&reference.book, reference.sequencer.last_update_id().unwrap());
                let outcome = gapped.frame(&snapshot, url);
                assert!(matches!(outcome, Some(SyncOutcome::SnapshotApplied { .. })), "{outcome:?}");
                assert!(gapped.book.is_trusted());
                resynced = true;
            }
        }
    }
    let (before, dropped_u) = dropped.unwrap();
    // Detected on the very next diff: it should have chained to the diff before the dropped one,
    // and it carries the dropped diff's `u` as its `pu`.
    assert_eq!(gap_seen, Some((DROP + 1, before, dropped_u)));
    assert!(resynced);
    assert!(gapped.book.is_trusted());
    assert_eq!(gapped.sequencer.stats().gaps, 1);
    // After the resync the two books agree level for level.
    for side in [Side::Bid, Side::Ask] {
        assert!(gapped.book.top(side, 2000).eq(reference.book.top(side, 2000)), "{side:?} levels differ");
    }
}

#[test]
fn raw_stream_payloads_decode_like_combined_stream_frames() {
    let mut decoder = Decoder::new(instruments());
    let mut raw_decoder = Decoder::new(instruments());
    for frame in frames(btcusdt_path()).iter().take(5_000) {
        let Some(rest) = frame.payload.strip_prefix(b"{\"stream\":\"") else { continue };
        let start = rest.windows(8).position(|w| w == b"\"data\":{").unwrap() + 7;
        let mut raw = rest[start..rest.len() - 1].to_vec();
        let combined =
            format!("{:?}", decoder.decode(&mut frame.payload.clone(), frame.receive_time, "").unwrap());
        let bare = format!("{:?}", raw_decoder.decode(&mut raw, frame.receive_time, "").unwrap());
        assert_eq!(combined, bare);
    }
    assert_eq!(raw_decoder.stats().tape, 0, "bare hot payloads take the fast path too");
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binance").join(name);
    std::fs::read(path).unwrap()
}

fn decode_one(name: &str) -> (MessageKind, Event) {
    let mut decoder = Decoder::new(instruments());
    let mut bytes = fixture(name);
    match decoder.decode(&mut bytes, Nanos(7), "").unwrap() {
        Message::Event(kind, event) => (kind, event),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn documented_payloads_decode_to_the_documented_values() {
    // TC0: forceOrder — a long liquidated: a SELL order, 0.014 BTC at 9910.
    let (kind, event) = decode_one("force_order.json");
    assert_eq!(kind, MessageKind::ForceOrder);
    assert_eq!(event.exchange_time, Nanos(1_568_014_460_893_000_000));
    assert_eq!(
        event.kind(),
        EventKind::Liquidation(Liquidation {
            side: Side::Ask,
            price: PriceE8(991_000_000_000),
            average_price: PriceE8(991_000_000_000),
            qty: Lots(14),
        })
    );
    // TC1: markPriceUpdate — mark and index off the tick grid, funding 0.038167 %.
    let (kind, event) = decode_one("mark_price.json");
    assert_eq!(kind, MessageKind::MarkPrice);
    assert_eq!(event.exchange_time, Nanos(1_562_305_380_000_000_000));
    assert_eq!(
        event.kind(),
        EventKind::MarkPrice(MarkPrice {
            mark: PriceE8(1_179_415_000_000),
            index: PriceE8(1_178_462_659_091),
            funding_rate: RateE8(38_167),
            next_funding_time: Nanos(1_562_306_400_000_000_000),
        })
    );
    // TC2: aggTrade — buyer is maker, so the seller aggressed.
    let (kind, event) = decode_one("agg_trade.json");
    assert_eq!(kind, MessageKind::AggTrade);
    assert_eq!(event.seq, Seq(5_933_014));
    assert_eq!(
        event.kind(),
        EventKind::Trade(Trade {
            price: Ticks(99_101),
            qty: Lots(100_000),
            aggressor: Side::Ask,
            aggregated: true,
            forced: false,
        })
    );
    // TC3: REST openInterest.
    let (kind, event) = decode_one("open_interest.json");
    assert_eq!(kind, MessageKind::OpenInterest);
    assert_eq!(event.kind(), EventKind::OpenInterest(OpenInterest { qty: Lots(10_659_509) }));
    assert_eq!(event.exchange_time, Nanos(1_589_437_530_011_000_000));
}

#[test]
fn exchange_info_gives_the_instrument_grids() {
    let mut bytes = fixture("exchange_info.json");
    let table = instruments_from_exchange_info(&mut bytes, |_| true).unwrap();
    assert_eq!(table.len(), 2);
    let blz = table.get(table.find("binance-usdm", "BLZUSDT").unwrap()).unwrap();
    assert_eq!(blz.tick.parse(b"0.1234"), Ok(1234));
    assert_eq!(blz.lot.parse(b"7"), Ok(7));
    let btc = table.get(table.find("binance-usdm", "BTCUSDT").unwrap()).unwrap();
    assert_eq!(
        (btc.tick, btc.lot),
        (instruments().get(InstrumentId(0)).unwrap().tick, instruments().get(InstrumentId(0)).unwrap().lot)
    );
    // Only the symbols asked for.
    let mut bytes = fixture("exchange_info.json");
    let only_btc = instruments_from_exchange_info(&mut bytes, |s| s == "BTCUSDT").unwrap();
    assert_eq!(only_btc.len(), 1);
    // Not exchangeInfo at all: an error, not a panic.
    assert!(instruments_from_exchange_info(&mut b"{\"symbols\":3}".to_vec(), |_| true).is_err());
}

#[test]
fn a_gap_event_is_what_the_sequencer_reports() {
    // The FeedStatus value carried by a gap, as the book and risk gate will read it.
    let status = FeedStatus { condition: FeedCondition::Gap, expected: Seq(1), received: Seq(3) };
    let event = Event::new(Nanos(1), Nanos(2), Seq(4), InstrumentId(0), EventKind::FeedStatus(status));
    let mut book = OrderBook::with_capacity(4);
    let _ = book.apply(&event);
    assert!(!book.is_trusted());
}
