//! Recording readers and the capture format, against the real recordings in `shared/data`.
//!
//! Real files are only read; every defect (a torn tail, a flipped bit, a malformed line) is
//! made in a temporary copy.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use feeds::recording::capture::MAX_PAYLOAD;
use feeds::recording::cryptofeed::parse_epoch_seconds;
use feeds::recording::{
    CaptureReader, CaptureWriter, CryptofeedReader, FrameReader, LinesReader, RecordingErrorKind,
    RecordingFormat, TardisKind, TardisReader, VisionDepthReader, detect_format, open_frames,
};
use feeds::{
    Bbo, BookClear, BookLevel, ClearReason, ContractKind, Event, EventKind, Instrument, InstrumentId,
    Liquidation, Lots, MarkPrice, Nanos, OpenInterest, PriceE8, RateE8, Seq, Side, Step, Ticks, Trade,
};
use rust_decimal::Decimal;

use testkit::data_dir;

// ---------------------------------------------------------------------------------------------
// Allocation counting: the readers' "no allocation per frame once warm" is checked, not
// assumed. Counts are per thread, so tests running in parallel do not disturb each other.

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (we forward every allocation).
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}

/// A sink that only counts, so that the sink itself never allocates.
#[derive(Default)]
struct CountingSink(usize);

impl feeds::EventSink for CountingSink {
    fn push(&mut self, _event: Event) {
        self.0 += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn binance_usdm_file() -> PathBuf {
    data_dir().join("binance-usdm/btcusdt_20240808.gz")
}

/// A fresh path in the temp folder, unique per test process and call.
fn temp_path(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("halcyon-recordings-{}-{unique}-{name}", std::process::id()));
    let _ = fs::remove_file(&path);
    path
}

fn instrument(venue: &str, symbol: &str, tick: &str, lot: &str, kind: ContractKind) -> Instrument {
    Instrument {
        venue: venue.to_owned(),
        symbol: symbol.to_owned(),
        tick: Step::from_text(tick).unwrap(),
        lot: Step::from_text(lot).unwrap(),
        contract_size: Decimal::ONE,
        base: "BTC".to_owned(),
        quote: "USD".to_owned(),
        kind,
    }
}

/// Binance USD-M BTCUSDT as it was in 2020: prices then had two decimals (tick 0.01; it is 0.10
/// since 2021), lot 0.001. Checked against quotes.csv, trades.csv and the 2020-09 snapshots.
fn btcusdt_2020() -> Instrument {
    instrument("binance-usdm", "BTCUSDT", "0.01", "0.001", ContractKind::Linear)
}

/// Binance USD-M BTCUSDT in 2022–2024: tick 0.10, lot 0.001.
fn btcusdt_2024() -> Instrument {
    instrument("binance-usdm", "BTCUSDT", "0.10", "0.001", ContractKind::Linear)
}

/// Reads every event of a Tardis file, failing on any error.
fn tardis_events(path: &Path, instrument: &Instrument) -> (TardisKind, Vec<Event>) {
    let mut reader = TardisReader::open(path, instrument, InstrumentId(3)).unwrap();
    let mut events = Vec::new();
    while let Some(result) = reader.next_events(&mut events) {
        let pushed = result.unwrap_or_else(|error| panic!("{error}"));
        assert!(pushed <= events.len());
    }
    (reader.kind(), events)
}

fn micros(value: i64) -> Nanos {
    Nanos::from_micros(value).unwrap()
}

/// Frames of a reader as owned `(receive_time, channel, payload)`, failing on any error.
fn all_frames(reader: &mut dyn FrameReader) -> Vec<(Nanos, String, Vec<u8>)> {
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap_or_else(|error| panic!("{error}"));
        frames.push((frame.receive_time, frame.channel.to_owned(), frame.payload.to_vec()));
    }
    frames
}

/// The Binance combined-stream name of a frame (`btcusdt@trade`), or `rest/depth` for the REST
/// snapshot line.
fn stream_of(payload: &[u8]) -> &str {
    let text = std::str::from_utf8(payload).unwrap();
    match text.strip_prefix(r#"{"stream":""#) {
        Some(rest) => &rest[..rest.find('"').unwrap()],
        None => "rest/depth",
    }
}

// ---------------------------------------------------------------------------------------------
// `<receive_ns> <frame>` lines

#[test]
fn binance_usdm_gzip_lines_read_every_frame_in_order() {
    let path = binance_usdm_file();
    assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Lines);
    let mut reader = open_frames(&path).unwrap();
    let (mut count, mut unwrapped, mut depth, mut book_ticker, mut trades) = (0_u64, 0, 0, 0, 0);
    let (mut first, mut previous) = (None, Nanos(0));
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap_or_else(|error| panic!("{error}"));
        count += 1;
        first.get_or_insert(frame.receive_time);
        assert!(frame.receive_time >= previous, "receive time went back at frame {count}");
        previous = frame.receive_time;
        assert_eq!(frame.channel, "");
        match stream_of(frame.payload) {
            "btcusdt@depth@0ms" => depth += 1,
            "btcusdt@bookTicker" => book_ticker += 1,
            "btcusdt@trade" => trades += 1,
            "rest/depth" => {
                unwrapped += 1;
                assert!(frame.payload.starts_with(br#"{"lastUpdateId":5123107852948,"#));
                assert_eq!(frame.receive_time, Nanos(1_723_161_255_319_702_566));
            }
            other => panic!("unexpected stream {other}"),
        }
        assert_eq!(frame.payload.last(), Some(&b'}'), "terminator must be excluded");
    }
    // README: 93,954 lines, 23:54:15 → 23:59:59 UTC; 6,551 depth, 66,089 bookTicker, 21,313
    // trade frames and one REST snapshot without the {"stream"..} wrapper.
    assert_eq!(count, 93_954);
    assert_eq!((depth, book_ticker, trades, unwrapped), (6_551, 66_089, 21_313, 1));
    assert_eq!(first, Some(Nanos(1_723_161_255_030_314_667)));
    assert_eq!(previous, Nanos(1_723_161_599_833_492_584));
    assert!(reader.next_frame().is_none(), "end of data stays the end");
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let path = temp_path("malformed.lines");
    fs::write(
        &path,
        "1723161255030314667 {\"a\":1}\n\
         17231612550x0314667 {\"b\":2}\n\
         1723161255030314668\n\
         \n\
         99999999999999999999 {\"c\":3}\r\n\
         1723161255030314669 {\"d\":4}\r\n\
         1723161255030314670 {\"e\":5}",
    )
    .unwrap();
    let mut reader = LinesReader::open(&path).unwrap();
    let frame = reader.next_frame().unwrap().unwrap();
    assert_eq!((frame.receive_time, &*frame.payload), (Nanos(1_723_161_255_030_314_667), &b"{\"a\":1}"[..]));

    let error = reader.next_frame().unwrap().unwrap_err();
    assert_eq!(
        (error.kind(), error.line(), error.is_fatal()),
        (RecordingErrorKind::Timestamp, Some(2), false)
    );
    assert_eq!(error.byte_offset(), Some(28));
    let message = error.to_string();
    assert!(
        message.contains("malformed.lines") && message.contains("line 2") && message.contains("17231612550x")
    );

    let error = reader.next_frame().unwrap().unwrap_err();
    assert_eq!((error.kind(), error.line()), (RecordingErrorKind::Syntax, Some(3)));
    // Line 4 is blank and skipped; line 5 overflows i64.
    let error = reader.next_frame().unwrap().unwrap_err();
    assert_eq!((error.kind(), error.line()), (RecordingErrorKind::Timestamp, Some(5)));

    let frame = reader.next_frame().unwrap().unwrap();
    assert_eq!(&*frame.payload, b"{\"d\":4}", "CRLF is a terminator too");
    let frame = reader.next_frame().unwrap().unwrap();
    assert_eq!((frame.receive_time, &*frame.payload), (Nanos(1_723_161_255_030_314_670), &b"{\"e\":5}"[..]));
    assert!(reader.next_frame().is_none());
    fs::remove_file(&path).unwrap();
}

#[test]
fn gzip_is_recognised_by_magic_and_members_are_concatenated() {
    use flate2::{Compression, write::GzEncoder};
    let path = temp_path("not-a-gz-name.txt");
    let mut bytes = Vec::new();
    for member in ["1 {\"m\":1}\n2 {\"m\":2}\n", "3 {\"m\":3}\n"] {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(member.as_bytes()).unwrap();
        bytes.extend(encoder.finish().unwrap());
    }
    fs::write(&path, &bytes).unwrap();
    assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Lines);
    let frames = all_frames(&mut *open_frames(&path).unwrap());
    let times: Vec<i64> = frames.iter().map(|(time, ..)| time.0).collect();
    assert_eq!(times, [1, 2, 3]);

    // A gzip stream cut short is a fatal I/O error after the frames before it, then the end.
    fs::write(&path, &bytes[..bytes.len() - 12]).unwrap();
    let mut reader = LinesReader::open(&path).unwrap();
    let mut results = Vec::new();
    while let Some(result) = reader.next_frame() {
        results
            .push(result.map(|frame| frame.receive_time.0).map_err(|error| (error.kind(), error.is_fatal())));
    }
    assert_eq!(results.last(), Some(&Err((RecordingErrorKind::Io, true))), "{results:?}");
    fs::remove_file(&path).unwrap();
}

// ---------------------------------------------------------------------------------------------
// cryptofeed captures

/// Lines that carry received data, counted independently of the reader.
fn cryptofeed_data_lines(path: &Path) -> usize {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| {
            !line.is_empty()
                && !line.contains(" <-> ")
                && !line.contains(" <- ")
                && !line.starts_with("configuration: ")
        })
        .count()
}

#[test]
fn cryptofeed_binance_futures_ws_reads_every_received_frame() {
    let path = data_dir().join("cryptofeed/BINANCE_FUTURES.ws.1.0");
    assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Cryptofeed);
    let mut reader = CryptofeedReader::open(&path).unwrap();
    let frames = all_frames(&mut reader);
    // 1,536 lines: one `<->` connection line, 1,535 frames.
    assert_eq!(frames.len(), cryptofeed_data_lines(&path));
    assert_eq!(frames.len(), 1_535);
    assert_eq!(reader.skipped_lines(), 1);
    let (time, channel, payload) = &frames[0];
    assert_eq!(*time, Nanos(1_626_992_741_062_170_000), "exact from the digits of 1626992741.06217");
    assert_eq!(channel, "");
    assert!(
        payload
            .starts_with(br#"{"stream":"sushiusdt@bookTicker","data":{"e":"bookTicker","u":600859600576,"#)
    );
    assert!(frames.windows(2).all(|pair| pair[0].0 <= pair[1].0), "receive times are non-decreasing");
}

#[test]
fn cryptofeed_http_capture_gives_the_four_rest_snapshots_with_their_urls() {
    let path = data_dir().join("cryptofeed/BINANCE_FUTURES.http.0.0");
    assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Cryptofeed);
    let frames = all_frames(&mut *open_frames(&path).unwrap());
    assert_eq!(frames.len(), 4);
    for ((time, channel, payload), symbol) in
        frames.iter().zip(["SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT"])
    {
        assert_eq!(channel, &format!("https://fapi.binance.com/fapi/v1/depth?symbol={symbol}&limit=1000"));
        assert!(payload.starts_with(br#"{"lastUpdateId":"#), "{symbol}");
        assert!(payload.ends_with(b"}"));
        assert!(time.0 > 1_626_992_741_000_000_000);
    }
    assert_eq!(frames[0].0, Nanos(1_626_992_741_301_402_000));
    assert!(frames[0].2.starts_with(br#"{"lastUpdateId":600859605926,"E":1626992741264,"#));
}

#[test]
fn cryptofeed_deribit_and_okx_captures_read_with_the_same_framing() {
    // (file, frames): connection lines, sent subscriptions, the configuration header and blank
    // lines are skipped; everything else is a frame.
    for (file, expected) in
        [("DERIBIT.ws.1.0", 136), ("OKX.ws.1.0", 410), ("DERIBIT.0", 4), ("BINANCE_FUTURES.http.0.0", 4)]
    {
        let path = data_dir().join("cryptofeed").join(file);
        assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Cryptofeed, "{file}");
        let frames = all_frames(&mut *open_frames(&path).unwrap());
        assert_eq!(frames.len(), expected, "{file}");
        assert_eq!(frames.len(), cryptofeed_data_lines(&path), "{file}");
        assert!(frames.iter().all(|(_, _, payload)| payload.first() == Some(&b'{')), "{file}");
    }
    let frames = all_frames(&mut *open_frames(&data_dir().join("cryptofeed/DERIBIT.0")).unwrap());
    assert!(frames[0].1.ends_with("get_instruments?currency=BTC&expired=false"));
    assert_eq!(frames[0].0, Nanos(1_626_993_723_131_184_800));
}

#[test]
fn cryptofeed_times_convert_exactly() {
    assert_eq!(parse_epoch_seconds(b"1626992741.06217"), Some(Nanos(1_626_992_741_062_170_000)));
    // Through f64 the same text is 1626992741.0621700287: the digits, not the float, decide.
    assert_ne!((1626992741.06217_f64 * 1e9) as i64, 1_626_992_741_062_170_000);
}

#[test]
fn malformed_cryptofeed_lines_are_reported_and_skipped() {
    let path = temp_path("malformed.ws");
    fs::write(
        &path,
        "wss://example <-> 1626992740.179554\n\
         1626992741.06217 {\"no\":\"colon\"}\n\
         1626992741.1.2: {}\n\
         garbage\n\
         https://example/depth -> 1626992741.5 {}\n\
         1626992742.25: {\"ok\":1}\n",
    )
    .unwrap();
    let mut reader = CryptofeedReader::open(&path).unwrap();
    let mut outcomes = Vec::new();
    while let Some(result) = reader.next_frame() {
        outcomes.push(match result {
            Ok(frame) => Ok((frame.receive_time.0, frame.payload.to_vec())),
            Err(error) => {
                assert!(!error.is_fatal());
                Err((error.kind(), error.line().unwrap()))
            }
        });
    }
    assert_eq!(
        outcomes,
        [
            Err((RecordingErrorKind::Syntax, 2)),
            Err((RecordingErrorKind::Timestamp, 3)),
            Err((RecordingErrorKind::Syntax, 4)),
            Err((RecordingErrorKind::Syntax, 5)),
            Ok((1_626_992_742_250_000_000, b"{\"ok\":1}".to_vec())),
        ]
    );
    fs::remove_file(&path).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Tardis CSV

#[test]
fn tardis_quotes_give_one_bbo_per_row() {
    let (kind, events) = tardis_events(&data_dir().join("tardis/quotes.csv"), &btcusdt_2020());
    assert_eq!(kind, TardisKind::Quotes);
    assert_eq!(events.len(), 9_999);
    // binance-futures,BTCUSDT,1582329601096000,1582329603502092,0.84,9682,9681.92,0.67
    let first = events[0];
    assert_eq!(first.exchange_time, micros(1_582_329_601_096_000));
    assert_eq!(first.receive_time, micros(1_582_329_603_502_092));
    assert_eq!(first.instrument, InstrumentId(3));
    assert_eq!(
        first.kind(),
        EventKind::Bbo(Bbo {
            bid: Ticks(968_192),
            bid_qty: Lots(670),
            ask: Ticks(968_200),
            ask_qty: Lots(840)
        })
    );
    // Last row: ...,1582329827061000,1582329827181582,0.031,9672.09,9671.19,0.012
    assert_eq!(
        events[9_998].kind(),
        EventKind::Bbo(Bbo {
            bid: Ticks(967_119),
            bid_qty: Lots(12),
            ask: Ticks(967_209),
            ask_qty: Lots(31)
        })
    );
    assert!(events.iter().all(|event| match event.kind() {
        EventKind::Bbo(bbo) => bbo.bid < bbo.ask,
        _ => false,
    }));
}

#[test]
fn tardis_trades_give_one_trade_per_row_with_the_aggressor() {
    let (kind, events) = tardis_events(&data_dir().join("tardis/trades.csv"), &btcusdt_2020());
    assert_eq!(kind, TardisKind::Trades);
    assert_eq!(events.len(), 9_999);
    // binance-futures,BTCUSDT,1582329602111000,1582329602418379,42377944,buy,9682,0.132
    let first = events[0];
    assert_eq!(
        (first.exchange_time, first.receive_time),
        (micros(1_582_329_602_111_000), micros(1_582_329_602_418_379))
    );
    assert_eq!(first.seq, Seq(42_377_944));
    assert_eq!(
        first.kind(),
        EventKind::Trade(Trade {
            price: Ticks(968_200),
            qty: Lots(132),
            aggressor: Side::Bid,
            aggregated: false,
            forced: false
        })
    );
    let buys =
        events.iter().filter(|event| matches!(event.kind(), EventKind::Trade(t) if t.aggressor == Side::Bid));
    assert_eq!(buys.count(), 5_267);
    // Trade ids are consecutive in this file: 42377944 ..= 42387942.
    assert_eq!(events[9_998].seq, Seq(42_387_942));
}

#[test]
fn tardis_book_snapshots_clear_then_list_their_levels() {
    for (file, depth) in [
        ("binance-futures_book_snapshot_25_BTCUSDT.csv", 25),
        ("binance-futures_book_snapshot_5_BTCUSDT.csv", 5),
    ] {
        let (kind, events) = tardis_events(&data_dir().join("tardis").join(file), &btcusdt_2020());
        assert_eq!(kind, TardisKind::BookSnapshot { depth });
        // 10 rows, every cell filled: a clear and 2 × depth levels each.
        assert_eq!(events.len(), 10 * (1 + 2 * depth), "{file}");
        for row in events.chunks(1 + 2 * depth) {
            assert_eq!(
                row[0].kind(),
                EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })
            );
            let lasts: Vec<bool> = row[1..]
                .iter()
                .map(|event| match event.kind() {
                    EventKind::BookLevel(level) => {
                        assert!(level.snapshot);
                        level.last
                    }
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(lasts.iter().filter(|&&last| last).count(), 1);
            assert!(lasts[lasts.len() - 1]);
        }
    }
    // Snapshot 25, first row: bids[0] = 11657.07 × 10.896, asks[0] = 11657.08 × 1.714.
    let (_, events) = tardis_events(
        &data_dir().join("tardis/binance-futures_book_snapshot_25_BTCUSDT.csv"),
        &btcusdt_2020(),
    );
    assert_eq!(events[0].exchange_time, micros(1_598_918_403_696_000));
    let level = |index: usize| match events[index].kind() {
        EventKind::BookLevel(level) => (level.side, level.price, level.qty),
        other => panic!("{other:?}"),
    };
    assert_eq!(level(1), (Side::Bid, Ticks(1_165_707), Lots(10_896)));
    assert_eq!(level(2), (Side::Bid, Ticks(1_165_697), Lots(200)));
    assert_eq!(level(26), (Side::Ask, Ticks(1_165_708), Lots(1_714)));
}

#[test]
fn tardis_deribit_incremental_snapshot_is_one_update() {
    // Deribit BTC-PERPETUAL: tick 0.5 USD; `amount` is in USD, in whole 10-USD contracts
    // (18640, 1190, 120, …). A lot of 10 makes each lot one contract, so every amount parses
    // exactly and a non-multiple of 10 would be refused as off-grid.
    let deribit = Instrument {
        contract_size: Decimal::TEN,
        ..instrument("deribit", "BTC-PERPETUAL", "0.5", "10", ContractKind::Inverse)
    };
    let (kind, events) =
        tardis_events(&data_dir().join("tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv"), &deribit);
    assert_eq!(kind, TardisKind::IncrementalBookL2);
    // 15 rows, all `is_snapshot=true` with one local_timestamp: one update.
    assert_eq!(events.len(), 16);
    assert_eq!(
        events[0].kind(),
        EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })
    );
    assert_eq!(
        events[1].kind(),
        EventKind::BookLevel(BookLevel {
            side: Side::Ask,
            price: Ticks(12_843),
            qty: Lots(1_864),
            last: false,
            snapshot: true
        })
    );
    assert_eq!(
        events[15].kind(),
        EventKind::BookLevel(BookLevel {
            side: Side::Ask,
            price: Ticks(12_857),
            qty: Lots(3_995),
            last: true,
            snapshot: true
        })
    );
    assert!(events[1..15].iter().all(|event| !event.is_last_of_update()));
    assert_eq!(events[15].receive_time, micros(1_585_699_200_355_684));
}

#[test]
fn tardis_incremental_rows_regroup_into_updates() {
    // Two snapshot rows, then diffs at two receive times, then a fresh snapshot.
    let path = temp_path("deribit_incremental_book_L2_grouping.csv");
    fs::write(
        &path,
        "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n\
         deribit,BTC-PERPETUAL,1,10,true,bid,6421,100\n\
         deribit,BTC-PERPETUAL,1,10,true,ask,6421.5,200\n\
         deribit,BTC-PERPETUAL,2,20,false,bid,6421,0\n\
         deribit,BTC-PERPETUAL,2,20,false,bid,6420.5,30\n\
         deribit,BTC-PERPETUAL,3,30,false,ask,6421.5,190\n\
         deribit,BTC-PERPETUAL,4,40,true,bid,6420,10\n",
    )
    .unwrap();
    let deribit = instrument("deribit", "BTC-PERPETUAL", "0.5", "10", ContractKind::Inverse);
    let mut reader = TardisReader::open(&path, &deribit, InstrumentId(0)).unwrap();
    let mut events = Vec::new();
    let mut per_call = Vec::new();
    while let Some(result) = reader.next_events(&mut events) {
        per_call.push(result.unwrap());
    }
    assert_eq!(per_call, [2, 1, 1, 1, 1, 2]);
    let summary: Vec<(char, bool, bool)> = events
        .iter()
        .map(|event| match event.kind() {
            EventKind::BookClear(clear) => ('C', clear.last, true),
            EventKind::BookLevel(level) => ('L', level.last, level.snapshot),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            ('C', false, true),
            ('L', false, true),
            ('L', true, true),
            ('L', false, false),
            ('L', true, false),
            ('L', true, false),
            ('C', false, true),
            ('L', true, true),
        ]
    );
    fs::remove_file(&path).unwrap();
}

#[test]
fn tardis_bitmex_and_huobi_samples_read_on_their_grids() {
    // BitMEX XBTUSD: tick 0.5, amounts in whole 1-USD contracts; ids are UUIDs, so seq is 0.
    let xbtusd = instrument("bitmex", "XBTUSD", "0.5", "1", ContractKind::Inverse);
    let (kind, events) = tardis_events(&data_dir().join("tardis/bitmex_trades_XBTUSD.csv"), &xbtusd);
    assert_eq!((kind, events.len()), (TardisKind::Trades, 10));
    assert_eq!(events[0].seq, Seq(0));
    assert_eq!(
        events[0].kind(),
        EventKind::Trade(Trade {
            price: Ticks(17_063),
            qty: Lots(2_152),
            aggressor: Side::Ask,
            aggregated: false,
            forced: false
        })
    );
    // Huobi DM swap BTC-USD: tick 0.1, amounts in whole contracts.
    let huobi = instrument("huobi-dm-swap", "BTC-USD", "0.1", "1", ContractKind::Inverse);
    let (kind, events) = tardis_events(&data_dir().join("tardis/huobi-dm-swap_quotes_BTC-USD.csv"), &huobi);
    assert_eq!((kind, events.len()), (TardisKind::Quotes, 10));
    assert_eq!(
        events[0].kind(),
        EventKind::Bbo(Bbo {
            bid: Ticks(86_292),
            bid_qty: Lots(806),
            ask: Ticks(86_293),
            ask_qty: Lots(5_494)
        })
    );
}

#[test]
fn tardis_liquidations_fixture_gives_liquidations() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tardis_binance-futures_liquidations_2024-08-08_BTCUSDT.csv");
    let (kind, events) = tardis_events(&path, &btcusdt_2024());
    assert_eq!(kind, TardisKind::Liquidations);
    assert_eq!(events.len(), 4);
    // A long liquidated: the forced order sells. 61523.45 is off the 0.10 tick grid, which is
    // why liquidation prices are PriceE8.
    assert_eq!(
        events[0].kind(),
        EventKind::Liquidation(Liquidation {
            side: Side::Ask,
            price: PriceE8(6_152_345_000_000),
            average_price: PriceE8(6_152_345_000_000),
            qty: Lots(150),
        })
    );
    assert_eq!((events[0].exchange_time, events[0].seq), (micros(1_723_161_300_123_000), Seq(0)));
    assert!(
        matches!(events[2].kind(), EventKind::Liquidation(l) if l.side == Side::Bid && l.qty == Lots(20))
    );
    // The same file forced to `trades` would need prices on the tick grid: the row errors.
    let mut as_trades =
        TardisReader::open_as(&path, TardisKind::Trades, &btcusdt_2024(), InstrumentId(0)).unwrap();
    let error = as_trades.next_events(&mut Vec::new()).unwrap().unwrap_err();
    assert_eq!((error.kind(), error.line()), (RecordingErrorKind::Field, Some(2)));
    assert!(error.to_string().contains("61523.45"), "{error}");
}

#[test]
fn tardis_derivative_ticker_fixture_skips_empty_cells() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tardis_binance-futures_derivative_ticker_2024-08-08_BTCUSDT.csv");
    let mut reader = TardisReader::open(&path, &btcusdt_2024(), InstrumentId(1)).unwrap();
    assert_eq!(reader.kind(), TardisKind::DerivativeTicker);
    let mut events = Vec::new();
    let mut per_row = Vec::new();
    while let Some(result) = reader.next_events(&mut events) {
        per_row.push(result.unwrap());
    }
    // Row 1 has only last_price: nothing to say. Row 2 mark/index/funding, row 3 open interest
    // only, row 4 both.
    assert_eq!(per_row, [0, 1, 1, 2]);
    let funding_time = micros(1_723_190_400_000_000);
    assert_eq!(
        events[0].kind(),
        EventKind::MarkPrice(MarkPrice {
            mark: PriceE8(6_157_990_000_000),
            index: PriceE8(6_160_153_478_261),
            funding_rate: RateE8(10_000),
            next_funding_time: funding_time,
        })
    );
    assert_eq!(events[1].kind(), EventKind::OpenInterest(OpenInterest { qty: Lots(82_345_678) }));
    assert_eq!(
        events[2].kind(),
        EventKind::MarkPrice(MarkPrice {
            mark: PriceE8(6_157_850_000_000),
            index: PriceE8(6_160_012_000_000),
            funding_rate: RateE8(-3_811),
            next_funding_time: funding_time,
        })
    );
    assert_eq!(events[3].kind(), EventKind::OpenInterest(OpenInterest { qty: Lots(82_346_001) }));
    assert_eq!(events[3].receive_time, micros(1_723_161_303_099_999));
}

#[test]
fn tardis_bad_rows_are_reported_and_the_next_rows_read() {
    let path = temp_path("trades_bad_rows.csv");
    fs::write(
        &path,
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
         binance-futures,BTCUSDT,1582329602111000,1582329602418379,1,buy,9682.005,0.132\n\
         binance-futures,ETHUSDT,1582329602111000,1582329602418379,2,buy,268.1,0.132\n\
         binance-futures,BTCUSDT,1582329602111000,1582329602418379,3,unknown,9682,0.132\n\
         binance-futures,BTCUSDT,1582329602111000,4,buy,9682,0.132\n\
         binance-futures,BTCUSDT,\"1582329602111000\",1582329602418379,5,buy,9682,0.132\n\
         binance-futures,BTCUSDT,1582329602111000,1582329602418379,6,sell,9682.01,0.001\n",
    )
    .unwrap();
    let mut reader = TardisReader::open(&path, &btcusdt_2020(), InstrumentId(0)).unwrap();
    let mut events = Vec::new();
    let mut outcomes = Vec::new();
    while let Some(result) = reader.next_events(&mut events) {
        outcomes.push(result.map_err(|error| {
            assert!(!error.is_fatal(), "{error}");
            (error.kind(), error.line().unwrap())
        }));
    }
    assert_eq!(
        outcomes,
        [
            Err((RecordingErrorKind::Field, 2)),  // off the 0.01 grid
            Err((RecordingErrorKind::Field, 3)),  // another symbol
            Err((RecordingErrorKind::Field, 4)),  // unknown aggressor
            Err((RecordingErrorKind::Syntax, 5)), // a column missing
            Err((RecordingErrorKind::Syntax, 6)), // quoting
            Ok(1),
        ]
    );
    assert_eq!(events.len(), 1, "a bad row pushes nothing");
    assert_eq!(events[0].seq, Seq(6));
    fs::remove_file(&path).unwrap();
}

#[test]
fn tardis_unknown_headers_are_refused() {
    let path = temp_path("options_chain.csv");
    fs::write(&path, "exchange,symbol,timestamp,local_timestamp,type,strike_price\n").unwrap();
    let error = TardisReader::open(&path, &btcusdt_2020(), InstrumentId(0)).err().unwrap();
    assert_eq!(error.kind(), RecordingErrorKind::Format);
    assert!(error.is_fatal());
    fs::remove_file(&path).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Binance Vision depth CSV

fn vision_events(file: &str) -> Vec<Event> {
    let mut reader = VisionDepthReader::open(
        data_dir().join("binance-vision").join(file),
        &btcusdt_2024(),
        InstrumentId(2),
    )
    .unwrap();
    let mut events = Vec::new();
    while let Some(result) = reader.next_events(&mut events) {
        result.unwrap_or_else(|error| panic!("{error}"));
    }
    events
}

#[test]
fn binance_vision_snapshot_is_one_clear_and_a_hundred_levels() {
    let events = vision_events("btcusdt-depth-snap.csv");
    assert_eq!(events.len(), 101);
    assert_eq!(
        events[0].kind(),
        EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })
    );
    assert!(events.iter().all(|event| event.seq == Seq(2_098_021_528_332)));
    assert!(events.iter().all(|event| event.exchange_time == Nanos::from_millis(1_667_346_579_146).unwrap()));
    // BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1
    assert_eq!(
        events[1].kind(),
        EventKind::BookLevel(BookLevel {
            side: Side::Bid,
            price: Ticks(203_770),
            qty: Lots(1_770),
            last: false,
            snapshot: true
        })
    );
    // ...,b,snap,20365.90,0.207,-1 is the hundredth level and ends the update.
    assert_eq!(
        events[100].kind(),
        EventKind::BookLevel(BookLevel {
            side: Side::Bid,
            price: Ticks(203_659),
            qty: Lots(207),
            last: true,
            snapshot: true
        })
    );
    assert_eq!(events.iter().filter(|event| event.is_last_of_update()).count(), 1);
}

#[test]
fn binance_vision_updates_end_each_group_with_last() {
    let events = vision_events("btcusdt-depth-update.csv");
    assert_eq!(events.len(), 100, "`set` rows are plain levels, no clear");
    let mut groups = 0;
    for (index, event) in events.iter().enumerate() {
        let EventKind::BookLevel(level) = event.kind() else { panic!("{event:?}") };
        assert!(!level.snapshot);
        let next_differs = events.get(index + 1).is_none_or(|next| next.seq != event.seq);
        assert_eq!(level.last, next_differs, "row {index}");
        groups += usize::from(level.last);
    }
    assert!(groups >= 1);
    // BTCUSDT,1667347199939,2098041693435,2098041696700,a,set,20472.80,0.000,2098041693400
    assert_eq!(events[0].seq, Seq(2_098_041_696_700));
    assert!(matches!(events[0].kind(), EventKind::BookLevel(l) if l.side == Side::Ask && l.qty == Lots(0)));
}

// ---------------------------------------------------------------------------------------------
// Arbitrary bytes

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(64))]

    /// No reader panics on any file content; each ends after finitely many results.
    #[test]
    fn readers_never_panic_on_arbitrary_bytes(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        text in "[0-9 .:,<>a-z\\-\n\"{}]{0,400}",
    ) {
        for content in [&bytes[..], text.as_bytes()] {
            let path = temp_path("arbitrary.bin");
            fs::write(&path, content).unwrap();
            let mut readers: Vec<Box<dyn FrameReader>> = Vec::new();
            readers.extend(LinesReader::open(&path).ok().map(|reader| Box::new(reader) as Box<dyn FrameReader>));
            readers.extend(CryptofeedReader::open(&path).ok().map(|reader| Box::new(reader) as Box<dyn FrameReader>));
            readers.extend(CaptureReader::open(&path).ok().map(|reader| Box::new(reader) as Box<dyn FrameReader>));
            readers.extend(open_frames(&path).ok().map(|reader| reader as Box<dyn FrameReader>));
            for mut reader in readers {
                let mut results = 0;
                while reader.next_frame().is_some() {
                    results += 1;
                    proptest::prop_assert!(results <= content.len() + 1);
                }
            }
            for kind in [TardisKind::Trades, TardisKind::Quotes, TardisKind::IncrementalBookL2, TardisKind::DerivativeTicker] {
                if let Ok(mut reader) = TardisReader::open_as(&path, kind, &btcusdt_2020(), InstrumentId(0)) {
                    while reader.next_events(&mut CountingSink::default()).is_some() {}
                }
            }
            if let Ok(mut reader) = VisionDepthReader::open(&path, &btcusdt_2024(), InstrumentId(0)) {
                while reader.next_events(&mut CountingSink::default()).is_some() {}
            }
            fs::remove_file(&path).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hot-path allocation

/// Reads `warm` frames, then counts the allocations made reading the rest.
fn allocations_after_warm_up(reader: &mut dyn FrameReader, warm: usize) -> (u64, usize) {
    for _ in 0..warm {
        reader.next_frame().unwrap().unwrap();
    }
    let before = allocations();
    let mut frames = 0;
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        frames += usize::from(!frame.payload.is_empty());
    }
    (allocations() - before, frames)
}

#[test]
fn reading_allocates_nothing_per_frame_or_row_once_warm() {
    // The counter counts.
    let before = allocations();
    drop(std::hint::black_box(vec![0_u8; 16]));
    assert_eq!(allocations(), before + 1);

    // The longest line of the Binance file (the 1000-level REST snapshot) is line 55.
    let (allocated, frames) =
        allocations_after_warm_up(&mut LinesReader::open(binance_usdm_file()).unwrap(), 100);
    assert_eq!((allocated, frames), (0, 93_854));

    let path = data_dir().join("cryptofeed/BINANCE_FUTURES.ws.1.0");
    let (allocated, frames) = allocations_after_warm_up(&mut CryptofeedReader::open(path).unwrap(), 300);
    assert_eq!((allocated, frames), (0, 1_235));

    let (capture, _) = write_capture("allocations.hcap", 5_000);
    let (allocated, frames) = allocations_after_warm_up(&mut CaptureReader::open(&capture).unwrap(), 100);
    assert_eq!((allocated, frames), (0, 4_900));
    fs::remove_file(&capture).unwrap();

    for file in ["quotes.csv", "trades.csv"] {
        let mut reader =
            TardisReader::open(data_dir().join("tardis").join(file), &btcusdt_2020(), InstrumentId(0))
                .unwrap();
        let mut sink = CountingSink::default();
        for _ in 0..100 {
            reader.next_events(&mut sink).unwrap().unwrap();
        }
        let before = allocations();
        while let Some(result) = reader.next_events(&mut sink) {
            result.unwrap();
        }
        assert_eq!((allocations() - before, sink.0), (0, 9_999), "{file}");
    }
}

// ---------------------------------------------------------------------------------------------
// halcyon capture

/// Writes the first `limit` frames of the Binance USD-M file to a new capture, one stream per
/// Binance stream name; returns the path and the end offset of every record written (after
/// its flush), declarations included.
fn write_capture(name: &str, limit: usize) -> (PathBuf, Vec<u64>) {
    let path = temp_path(name);
    let mut writer = CaptureWriter::create(&path).unwrap();
    let mut ends = Vec::new();
    let mut lines = LinesReader::open(binance_usdm_file()).unwrap();
    for _ in 0..limit {
        let Some(frame) = lines.next_frame() else { break };
        let frame = frame.unwrap();
        let before = writer.records_written();
        let stream = writer.declare_stream(stream_of(frame.payload)).unwrap();
        if writer.records_written() > before {
            ends.push(writer.len_bytes());
        }
        writer.write(frame.receive_time, stream, frame.payload).unwrap();
        ends.push(writer.len_bytes());
    }
    writer.flush().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), writer.len_bytes());
    (path, ends)
}

#[test]
fn capture_round_trips_the_whole_binance_file_byte_for_byte() {
    let (path, _) = write_capture("round-trip.hcap", usize::MAX);
    assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Capture);
    let mut capture = open_frames(&path).unwrap();
    let mut lines = LinesReader::open(binance_usdm_file()).unwrap();
    let mut count = 0;
    while let Some(expected) = lines.next_frame() {
        let expected = expected.unwrap();
        let frame = capture.next_frame().expect("capture ended early").unwrap();
        count += 1;
        assert_eq!(frame.receive_time, expected.receive_time, "frame {count}");
        assert_eq!(frame.payload, expected.payload, "frame {count}");
        assert_eq!(frame.channel, stream_of(expected.payload), "frame {count}");
    }
    assert!(capture.next_frame().is_none());
    assert_eq!(count, 93_954);
    let reader = CaptureReader::open(&path).unwrap();
    assert_eq!(reader.torn_tail_bytes(), 0);
    fs::remove_file(&path).unwrap();
}

/// Reads a capture to its end; returns its frames and the torn tail, failing on any error.
fn read_capture(path: &Path) -> (Vec<(Nanos, String, Vec<u8>)>, u64) {
    let mut reader = CaptureReader::open(path).unwrap_or_else(|error| panic!("{error}"));
    let frames = all_frames(&mut reader);
    (frames, reader.torn_tail_bytes())
}

#[test]
fn capture_truncated_at_every_byte_of_its_last_records_reads_every_whole_record() {
    let (path, ends) = write_capture("torn.hcap", 40);
    let bytes = fs::read(&path).unwrap();
    let (all, torn) = read_capture(&path);
    assert_eq!(torn, 0);
    let frames_before = |cut: u64| {
        // Declarations are records but not frames: count frame records ending at or before cut.
        let records = ends.iter().filter(|&&end| end <= cut).count();
        let declarations = (0..records).filter(|&index| is_declaration(&bytes, &ends, index)).count();
        records - declarations
    };
    // Every cut inside the last three records, and inside the file header.
    let from = ends[ends.len() - 4];
    let cuts = (0..16).chain(from..bytes.len() as u64);
    let torn_path = temp_path("torn-copy.hcap");
    for cut in cuts {
        fs::write(&torn_path, &bytes[..cut as usize]).unwrap();
        let (frames, torn) = read_capture(&torn_path);
        let whole_end =
            if cut < 16 { 0 } else { ends.iter().copied().filter(|&end| end <= cut).max().unwrap_or(16) };
        let expected = if cut < 16 { 0 } else { frames_before(cut) };
        assert_eq!(frames.len(), expected, "cut at {cut}");
        assert_eq!(frames[..], all[..expected], "cut at {cut}");
        assert_eq!(torn, cut - whole_end, "cut at {cut}");
    }
    // A power loss can leave zeros or garbage after the last whole record: still a torn tail.
    let mut padded = bytes.clone();
    padded.extend(std::iter::repeat_n(0_u8, 4096));
    fs::write(&torn_path, &padded).unwrap();
    let (frames, torn) = read_capture(&torn_path);
    assert_eq!((frames.len(), torn), (all.len(), 4096));
    fs::remove_file(&torn_path).unwrap();
    fs::remove_file(&path).unwrap();
}

/// Whether record `index` (by its end offset in `ends`) is a stream declaration: its stream id
/// field is 0.
fn is_declaration(bytes: &[u8], ends: &[u64], index: usize) -> bool {
    let start = if index == 0 { 16 } else { ends[index - 1] as usize };
    bytes[start + 12..start + 16] == [0, 0, 0, 0]
}

#[test]
fn capture_open_append_cuts_a_torn_tail_and_continues() {
    let (path, ends) = write_capture("append.hcap", 30);
    let (before, _) = read_capture(&path);
    // Tear the last record in half.
    let last_start = ends[ends.len() - 2];
    let cut = last_start + (ends[ends.len() - 1] - last_start) / 2;
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(cut).unwrap();
    drop(file);

    let mut writer = CaptureWriter::open_append(&path).unwrap();
    assert_eq!(writer.truncated_bytes(), cut - last_start);
    assert_eq!(writer.len_bytes(), last_start);
    // Streams declared before the crash keep their ids; a new one gets the next id.
    let trade = writer.declare_stream("btcusdt@trade").unwrap();
    let records = writer.records_written();
    assert_eq!(writer.declare_stream("btcusdt@trade").unwrap(), trade);
    assert_eq!(writer.records_written(), records, "re-declaring writes nothing");
    let rest = writer.declare_stream("rest/depth").unwrap();
    writer.write(Nanos(1_723_161_600_000_000_000), trade, br#"{"after":"crash"}"#).unwrap();
    writer.write(Nanos(1_723_161_600_000_000_001), rest, b"{}").unwrap();
    drop(writer);

    let (after, torn) = read_capture(&path);
    assert_eq!(torn, 0);
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[..before.len() - 1], before[..before.len() - 1]);
    assert_eq!(
        after[before.len() - 1],
        (Nanos(1_723_161_600_000_000_000), "btcusdt@trade".to_owned(), br#"{"after":"crash"}"#.to_vec())
    );
    assert_eq!(after[before.len()].1, "rest/depth");

    // A file torn inside its header is restarted.
    let header_only = temp_path("header-torn.hcap");
    fs::write(&header_only, &fs::read(&path).unwrap()[..7]).unwrap();
    let mut writer = CaptureWriter::open_append(&header_only).unwrap();
    assert_eq!(writer.truncated_bytes(), 7);
    let stream = writer.declare_stream("x").unwrap();
    writer.write(Nanos(5), stream, b"abc").unwrap();
    drop(writer);
    let (frames, _) = read_capture(&header_only);
    assert_eq!(frames, [(Nanos(5), "x".to_owned(), b"abc".to_vec())]);
    fs::remove_file(&header_only).unwrap();
    fs::remove_file(&path).unwrap();
}

#[test]
fn capture_corrupt_in_the_middle_is_fatal_with_the_offset() {
    let (path, ends) = write_capture("corrupt.hcap", 30);
    let (all, _) = read_capture(&path);
    let mut bytes = fs::read(&path).unwrap();
    // Flip one payload byte of the record that ends at ends[10].
    let start = ends[9];
    bytes[start as usize + 30] ^= 0x20;
    fs::write(&path, &bytes).unwrap();

    let mut reader = CaptureReader::open(&path).unwrap();
    let mut good = 0;
    let error = loop {
        match reader.next_frame() {
            Some(Ok(_)) => good += 1,
            Some(Err(error)) => break error,
            None => panic!("corruption must not read as a clean end"),
        }
    };
    assert_eq!((error.kind(), error.is_fatal()), (RecordingErrorKind::Corrupt, true));
    assert_eq!(error.byte_offset(), Some(start));
    assert_eq!(error.record(), Some(11));
    assert!(error.to_string().contains(&format!("byte {start}")), "{error}");
    assert!(good < all.len());
    assert!(reader.next_frame().is_none(), "nothing after a fatal error");

    // Appending to it is refused, and the file is left as it was.
    let error = CaptureWriter::open_append(&path).err().unwrap();
    assert_eq!(error.kind(), RecordingErrorKind::Corrupt);
    assert_eq!(fs::read(&path).unwrap(), bytes);
    fs::remove_file(&path).unwrap();
}

#[test]
fn capture_with_any_byte_flipped_never_panics_and_never_misreads() {
    let (path, _) = write_capture("flips.hcap", 6);
    let bytes = fs::read(&path).unwrap();
    let (all, _) = read_capture(&path);
    let flipped_path = temp_path("flipped.hcap");
    for index in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[index] ^= 0x41;
        fs::write(&flipped_path, &flipped).unwrap();
        let Ok(mut reader) = CaptureReader::open(&flipped_path) else {
            assert!(index < 16, "only a header flip may refuse the file (byte {index})");
            continue;
        };
        let mut frames = Vec::new();
        while let Some(frame) = reader.next_frame() {
            match frame {
                // Whatever reads is exactly what was written (a flipped declaration may only
                // lose a channel name).
                Ok(frame) => frames.push((frame.receive_time, frame.payload.to_vec())),
                Err(error) => {
                    assert!(error.is_fatal() || error.kind() == RecordingErrorKind::Syntax, "{error}")
                }
            }
        }
        let expected: Vec<_> = all.iter().map(|(time, _, payload)| (*time, payload.clone())).collect();
        assert!(frames.len() < all.len(), "byte {index}: a flipped byte must lose its record");
        assert_eq!(frames[..], expected[..frames.len()], "byte {index}");
    }
    fs::remove_file(&flipped_path).unwrap();
    fs::remove_file(&path).unwrap();
}

#[test]
fn capture_unknown_versions_and_foreign_files_are_refused() {
    let (path, _) = write_capture("version.hcap", 3);
    let mut bytes = fs::read(&path).unwrap();
    bytes[8] = 2;
    fs::write(&path, &bytes).unwrap();
    let error = CaptureReader::open(&path).err().unwrap();
    assert_eq!(error.kind(), RecordingErrorKind::UnsupportedVersion);
    assert!(error.to_string().contains("version 2"), "{error}");
    assert_eq!(
        CaptureWriter::open_append(&path).err().unwrap().kind(),
        RecordingErrorKind::UnsupportedVersion
    );
    assert_eq!(detect_format(&path).unwrap(), RecordingFormat::Capture);
    assert_eq!(open_frames(&path).err().unwrap().kind(), RecordingErrorKind::UnsupportedVersion);

    let foreign = data_dir().join("tardis/trades.csv");
    assert_eq!(CaptureReader::open(&foreign).err().unwrap().kind(), RecordingErrorKind::Format);
    assert!(detect_format(&foreign).is_err());
    fs::remove_file(&path).unwrap();
}

#[test]
fn capture_writer_refuses_what_it_cannot_record() {
    let (path, _) = write_capture("writer-errors.hcap", 1);
    // Never overwrite a capture.
    assert_eq!(CaptureWriter::create(&path).err().unwrap().kind(), RecordingErrorKind::Io);
    let mut writer = CaptureWriter::open_append(&path).unwrap();
    let stream = writer.declare_stream("btcusdt@depth@0ms").unwrap();
    assert_eq!(stream.get(), 1);
    // An id from another capture that this one never declared.
    let scratch_path = temp_path("scratch.hcap");
    let undeclared = {
        let mut scratch = CaptureWriter::create(&scratch_path).unwrap();
        scratch.declare_stream("a").unwrap();
        scratch.declare_stream("b").unwrap()
    };
    fs::remove_file(&scratch_path).unwrap();
    let error = writer.write(Nanos(1), undeclared, b"{}").unwrap_err();
    assert_eq!((error.kind(), error.is_fatal()), (RecordingErrorKind::InvalidArgument, false));
    assert_eq!(writer.declare_stream("").unwrap_err().kind(), RecordingErrorKind::InvalidArgument);
    let huge = vec![b' '; MAX_PAYLOAD + 1];
    assert_eq!(writer.write(Nanos(1), stream, &huge).unwrap_err().kind(), RecordingErrorKind::TooLong);
    // The refusals wrote nothing: the file still reads cleanly.
    writer.write(Nanos(2), stream, b"{}").unwrap();
    drop(writer);
    let (frames, torn) = read_capture(&path);
    assert_eq!((frames.len(), torn), (2, 0));
    fs::remove_file(&path).unwrap();
}
