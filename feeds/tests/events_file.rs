//! The normalized event file: round trips, an unfinished writer, damage, foreign files, and the
//! BTCUSDT recording decoded, written and read back.
//!
//! Every defect (a torn tail, a flipped bit, a foreign header) is made in a temporary file.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use feeds::recording::events::{EVENTS_PER_BLOCK, EventFile, EventFileWriter, MAGIC};
use feeds::recording::{CaptureWriter, EventStream, RecordingError, RecordingErrorKind, open_frames};
use feeds::venue::binance::{Decoder, DepthSequencer, Message};
use feeds::{
    Bbo, BookClear, BookLevel, ClearReason, ContractKind, Event, EventKind, FeedCondition, FeedStatus,
    FrameEnd, Instrument, InstrumentId, Instruments, Liquidation, Lots, MarkPrice, Nanos, OpenInterest,
    OptionsReading, PriceE8, RateE8, Seq, Side, Step, Ticks, Trade,
};
use rust_decimal::Decimal;

use testkit::data_dir;

fn temp_path(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("halcyon-events-{}-{unique}-{name}", std::process::id()));
    let _ = fs::remove_file(&path);
    path
}

/// A linear and an inverse contract, with names TOML must quote and escape.
fn instruments() -> Instruments {
    let mut table = Instruments::new();
    table
        .add(Instrument {
            venue: "binance-usdm".to_owned(),
            symbol: "BTCUSDT".to_owned(),
            tick: Step::from_text("0.10").unwrap(),
            lot: Step::from_text("0.001").unwrap(),
            contract_size: Decimal::ONE,
            base: "BTC".to_owned(),
            quote: "USDT".to_owned(),
            kind: ContractKind::Linear,
        })
        .unwrap();
    table
        .add(Instrument {
            venue: "binance-coinm \"test\"".to_owned(),
            symbol: "BTCUSD_PERP".to_owned(),
            tick: Step::from_text("0.1").unwrap(),
            lot: Step::from_text("1").unwrap(),
            contract_size: Decimal::from(100),
            base: "BTC\\n".to_owned(),
            quote: "USD ₮".to_owned(),
            kind: ContractKind::Inverse,
        })
        .unwrap();
    table
}

/// Event `index` of a test sequence: every kind in turn, with fields that vary.
fn event(index: u64) -> Event {
    let n = index as i64;
    let side = if index.is_multiple_of(2) { Side::Bid } else { Side::Ask };
    let kind = match index % 10 {
        0 => EventKind::BookLevel(BookLevel {
            side,
            price: Ticks(618_000 + n),
            qty: Lots(n),
            last: index.is_multiple_of(3),
            snapshot: index.is_multiple_of(4),
        }),
        1 => EventKind::BookClear(BookClear {
            reason: if index % 4 == 1 { ClearReason::Snapshot } else { ClearReason::Abandoned },
            last: index.is_multiple_of(3),
        }),
        2 => EventKind::Bbo(Bbo {
            bid: Ticks(618_002),
            bid_qty: Lots(n),
            ask: Ticks(618_003),
            ask_qty: Lots(-n),
        }),
        3 => EventKind::Trade(Trade {
            price: Ticks(618_003),
            qty: Lots(6 + n),
            aggressor: side,
            aggregated: index.is_multiple_of(3),
            forced: index.is_multiple_of(7),
        }),
        4 => EventKind::Liquidation(Liquidation {
            side,
            price: PriceE8(-1),
            average_price: PriceE8(i64::MAX),
            qty: Lots(n),
        }),
        5 => EventKind::MarkPrice(MarkPrice {
            mark: PriceE8(1_179_415_000_000 + n),
            index: PriceE8(1_178_462_659_091),
            funding_rate: RateE8(-38_167),
            next_funding_time: Nanos(1_562_306_400_000_000_000),
        }),
        6 => EventKind::OpenInterest(OpenInterest { qty: Lots(10_659_509 + n) }),
        7 => EventKind::FeedStatus(FeedStatus {
            condition: [
                FeedCondition::Gap,
                FeedCondition::Resync,
                FeedCondition::Stale,
                FeedCondition::Reconnected,
            ][(index / 10 % 4) as usize],
            expected: Seq(u64::MAX - index),
            received: Seq(index),
        }),
        8 => EventKind::Options(OptionsReading {
            short_iv: RateE8(95_000_000),
            long_iv: RateE8(52_000_000 + n),
            oi_near_spot_share: RateE8(41_000_000),
        }),
        _ => EventKind::FrameEnd(FrameEnd {
            frame_kind: if index % 20 == 9 { FrameEnd::UNDECODED } else { 3 },
            events: 9,
            in_hand: Nanos(1_000 + n),
            parsed: Nanos(2_100 + n),
            published: Nanos(2_150 + n),
        }),
    };
    Event::new(
        Nanos(1_723_161_255_000_000_000 + n),
        Nanos(1_723_161_255_088_176_367 + n),
        Seq(5_123_107_837_557 + index),
        InstrumentId((index % 2) as u32),
        kind,
    )
}

fn events(count: u64) -> Vec<Event> {
    (0..count).map(event).collect()
}

/// Writes and finishes a file of `events`.
fn write_file(name: &str, events: &[Event]) -> PathBuf {
    let path = temp_path(name);
    let mut writer = EventFileWriter::create(&path, &instruments(), "test: every kind").unwrap();
    writer.write_all(events).unwrap();
    assert_eq!(writer.finish().unwrap(), events.len() as u64);
    path
}

/// The header length, from its field.
fn header_len(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize
}

fn open_error(path: &PathBuf) -> RecordingError {
    EventFile::open(path).expect_err("the file must be refused")
}

fn assert_same_table(read: &Instruments, written: &Instruments) {
    assert_eq!(read.len(), written.len());
    for ((read_id, read), (written_id, written)) in read.iter().zip(written.iter()) {
        assert_eq!(read_id, written_id);
        assert_eq!(read, written);
    }
}

#[test]
fn every_kind_round_trips_across_blocks() {
    // Two whole blocks and part of a third, so the last block's CRC covers a short block.
    let written = events(2 * u64::from(EVENTS_PER_BLOCK) + 77);
    let path = write_file("kinds.hev", &written);
    let file = EventFile::open(&path).unwrap();
    assert_eq!(file.events(), &written[..]);
    assert_eq!(file.len(), written.len());
    assert!(file.is_finished());
    assert_eq!(file.torn_tail_bytes(), 0);
    assert_eq!(file.warning(), None);
    let kinds: std::collections::BTreeSet<_> = file
        .events()
        .iter()
        .map(|event| std::mem::discriminant(&event.kind()))
        .map(|d| format!("{d:?}"))
        .collect();
    assert_eq!(kinds.len(), 10, "every kind is in the file");
    // The layout is what the module docs say: aligned records, then the table and trailer end.
    let bytes = fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], &MAGIC);
    let header = header_len(&bytes);
    assert_eq!(header % 64, 0);
    assert_eq!(&bytes[header..header + 64], &written[0].to_bytes());
    assert_eq!(bytes.len(), header + written.len() * 64 + 64 + 64);
    assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), written.len() as u64);
    assert_eq!(file.into_events(), written);
    fs::remove_file(&path).unwrap();
}

#[test]
fn the_header_carries_the_instrument_table_and_source() {
    let table = instruments();
    // TC0: the table alone survives its TOML text.
    assert_same_table(&Instruments::from_toml(&table.to_toml()).unwrap(), &table);
    // TC1: and the file's header, with a source that needs UTF-8.
    let path = temp_path("header.hev");
    let source = "binance-usdm/btcusdt_20240808.gz → \"normalized\"";
    let mut writer = EventFileWriter::create(&path, &table, source).unwrap();
    writer.write(&event(3)).unwrap();
    writer.finish().unwrap();
    let file = EventFile::open(&path).unwrap();
    assert_same_table(file.instruments(), &table);
    assert_eq!(file.source(), source);
    assert_eq!(file.events(), &[event(3)]);
    fs::remove_file(&path).unwrap();
    // TC2: an empty table and an empty source.
    let path = temp_path("empty-header.hev");
    let writer = EventFileWriter::create(&path, &Instruments::new(), "").unwrap();
    writer.finish().unwrap();
    let file = EventFile::open(&path).unwrap();
    assert!(file.instruments().is_empty());
    assert_eq!(file.source(), "");
    fs::remove_file(&path).unwrap();
}

#[test]
fn an_empty_event_file_reads_and_an_empty_file_is_refused() {
    let path = write_file("no-events.hev", &[]);
    let file = EventFile::open(&path).unwrap();
    assert!(file.is_empty() && file.is_finished());
    assert_eq!(file.events(), &[]);
    fs::remove_file(&path).unwrap();

    let path = temp_path("zero-bytes.hev");
    fs::write(&path, b"").unwrap();
    let error = open_error(&path);
    assert_eq!(error.kind(), RecordingErrorKind::Format);
    assert!(error.to_string().contains("empty file"), "{error}");
    fs::remove_file(&path).unwrap();
}

#[test]
fn an_unfinished_file_reads_its_whole_records_and_reports_the_torn_tail() {
    let written = events(2_500);
    let path = temp_path("unfinished.hev");
    let mut writer = EventFileWriter::create(&path, &instruments(), "crash test").unwrap();
    writer.write_all(&written).unwrap();
    drop(writer); // A crash after the last flush: no trailer, the count not patched.
    let bytes = fs::read(&path).unwrap();
    let header = header_len(&bytes);
    assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), u64::MAX);

    // TC0: every record there, none torn.
    let file = EventFile::open(&path).unwrap();
    assert_eq!(file.events(), &written[..]);
    assert!(!file.is_finished());
    assert_eq!(file.torn_tail_bytes(), 0);
    let warning = file.warning().unwrap();
    assert!(warning.contains("not finished") && warning.contains("2500 whole events"), "{warning}");

    // TC1: cut 20 bytes into record 2000.
    let cut = header + 2_000 * 64 + 20;
    fs::write(&path, &bytes[..cut]).unwrap();
    let file = EventFile::open(&path).unwrap();
    assert_eq!(file.events(), &written[..2_000]);
    assert_eq!(file.torn_tail_bytes(), 20);
    assert!(!file.is_finished());

    // TC2: zero-filled pages after the last whole record (what a power loss leaves).
    let mut zeroed = bytes[..header + 2_000 * 64].to_vec();
    zeroed.extend_from_slice(&[0; 8192]);
    fs::write(&path, &zeroed).unwrap();
    let file = EventFile::open(&path).unwrap();
    assert_eq!(file.events(), &written[..2_000]);
    assert_eq!(file.torn_tail_bytes(), 8192);

    // TC3: every cut at or after the header reads the whole records before it.
    for cut in (header..=header + 5 * 64).chain([bytes.len() - 1]) {
        fs::write(&path, &bytes[..cut]).unwrap();
        let file = EventFile::open(&path).unwrap();
        let whole = (cut - header) / 64;
        assert_eq!(file.events(), &written[..whole], "cut {cut}");
        assert_eq!(file.torn_tail_bytes(), ((cut - header) % 64) as u64, "cut {cut}");
    }
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_finish_that_stopped_before_patching_the_count_still_reads_as_finished() {
    let written = events(1_100);
    let path = write_file("unpatched.hev", &written);
    let mut bytes = fs::read(&path).unwrap();
    bytes[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let file = EventFile::open(&path).unwrap();
    assert_eq!(file.events(), &written[..]);
    assert!(file.is_finished());
    fs::remove_file(&path).unwrap();
}

#[test]
fn damage_in_the_middle_is_found_with_its_offset() {
    let written = events(3_000);
    let path = write_file("flipped.hev", &written);
    let bytes = fs::read(&path).unwrap();
    let header = header_len(&bytes);
    let record = |index: usize| header + index * 64;
    let damaged = |at: usize, mask: u8| {
        let mut copy = bytes.clone();
        copy[at] ^= mask;
        fs::write(&path, &copy).unwrap();
        open_error(&path)
    };

    // TC0: a tag no event has: the record itself is refused, by index and offset.
    let error = damaged(record(1_500) + 28, 0x40);
    assert_eq!(error.kind(), RecordingErrorKind::Corrupt);
    assert_eq!(error.byte_offset(), Some(record(1_500) as u64));
    assert!(error.to_string().contains("event 1500 "), "{error}");

    // TC1: a price bit: still a valid event, so the block checksum catches it.
    let error = damaged(record(1_500) + 33, 0x01);
    assert_eq!(error.kind(), RecordingErrorKind::Corrupt);
    assert_eq!(error.byte_offset(), Some(record(1_024) as u64));
    assert!(error.to_string().contains("events 1024..=2047"), "{error}");

    // TC2: the instrument table, the count, and the trailer.
    assert!(damaged(40, 0x01).to_string().contains("header checksum"));
    assert_eq!(damaged(17, 0x01).kind(), RecordingErrorKind::Corrupt);
    assert!(damaged(bytes.len() - 70, 0x01).to_string().contains("trailer"));

    // TC3: an unfinished file has no checksums, but an invalid record with valid ones after it
    // is damage, not a torn tail.
    let mut unfinished = bytes[..record(3_000)].to_vec();
    unfinished[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    unfinished[record(700) + 31] = 1;
    fs::write(&path, &unfinished).unwrap();
    let error = open_error(&path);
    assert_eq!(error.kind(), RecordingErrorKind::Corrupt);
    assert_eq!(error.byte_offset(), Some(record(700) as u64));
    assert!(error.to_string().contains("event 700 ") && error.to_string().contains("mid-file"), "{error}");
    fs::remove_file(&path).unwrap();
}

#[test]
fn no_flipped_bit_or_cut_of_a_finished_file_goes_unnoticed() {
    let written = events(13);
    let path = write_file("every-bit.hev", &written);
    let bytes = fs::read(&path).unwrap();
    for bit in 0..bytes.len() * 8 {
        let mut copy = bytes.clone();
        copy[bit / 8] ^= 1 << (bit % 8);
        fs::write(&path, &copy).unwrap();
        assert!(EventFile::open(&path).is_err(), "bit {bit} (byte {})", bit / 8);
    }
    for cut in 0..bytes.len() {
        fs::write(&path, &bytes[..cut]).unwrap();
        assert!(EventFile::open(&path).is_err(), "cut at {cut}");
    }
    fs::remove_file(&path).unwrap();
}

#[test]
fn foreign_files_are_refused_with_a_clear_error() {
    let path = temp_path("foreign.hev");
    // TC0: an hftbacktest line recording.
    fs::write(&path, b"1723161255030314667 {\"stream\":\"btcusdt@depth@0ms\"}\n").unwrap();
    let error = open_error(&path);
    assert_eq!(error.kind(), RecordingErrorKind::Format);
    assert!(error.to_string().contains("not a halcyon event file (bad magic)"), "{error}");
    fs::remove_file(&path).unwrap();

    // TC1: a capture of raw frames is named as one.
    let mut capture = CaptureWriter::create(&path).unwrap();
    capture.flush().unwrap();
    drop(capture);
    let error = open_error(&path);
    assert_eq!(error.kind(), RecordingErrorKind::Format);
    assert!(error.to_string().contains("capture of raw frames"), "{error}");
    fs::remove_file(&path).unwrap();

    // TC2: a later version, and a flag this version does not define (CRC fixed up).
    let good = write_file("version.hev", &events(3));
    let bytes = fs::read(&good).unwrap();
    let mut later = bytes.clone();
    later[8] = 2;
    fs::write(&path, &later).unwrap();
    assert_eq!(open_error(&path).kind(), RecordingErrorKind::UnsupportedVersion);
    let mut flagged = bytes.clone();
    flagged[10] = 1;
    let mut hasher = crc32fast::Hasher::new();
    let header = header_len(&bytes);
    let mut zeroed = flagged[..header].to_vec();
    zeroed[16..24].fill(0);
    zeroed[32..36].fill(0);
    hasher.update(&zeroed);
    flagged[32..36].copy_from_slice(&hasher.finalize().to_le_bytes());
    fs::write(&path, &flagged).unwrap();
    let error = open_error(&path);
    assert_eq!(error.kind(), RecordingErrorKind::UnsupportedVersion, "{error}");

    // TC3: the start of the magic only: a header cut short.
    fs::write(&path, &MAGIC[..5]).unwrap();
    assert!(open_error(&path).to_string().contains("cut short"));
    fs::remove_file(&path).unwrap();
    fs::remove_file(&good).unwrap();
}

#[test]
fn the_writer_refuses_what_it_cannot_record() {
    let path = write_file("exists.hev", &events(1));
    // TC0: an existing file is never overwritten.
    let error = EventFileWriter::create(&path, &instruments(), "again").err().expect("refused");
    assert_eq!(error.kind(), RecordingErrorKind::Io);
    fs::remove_file(&path).unwrap();
    // TC1: an all-zero event, which would read as a zero-filled hole.
    let zero = Event::new(
        Nanos(0),
        Nanos(0),
        Seq(0),
        InstrumentId(0),
        EventKind::BookLevel(BookLevel {
            side: Side::Bid,
            price: Ticks(0),
            qty: Lots(0),
            last: false,
            snapshot: false,
        }),
    );
    assert_eq!(zero.to_bytes(), [0; 64]);
    let mut writer = EventFileWriter::create(&path, &instruments(), "zeros").unwrap();
    let error = writer.write(&zero).unwrap_err();
    assert_eq!(error.kind(), RecordingErrorKind::InvalidArgument);
    writer.write(&event(0)).unwrap();
    assert_eq!(writer.finish().unwrap(), 1);
    // TC2: a source description beyond the bound.
    let long = "x".repeat(feeds::recording::events::MAX_SOURCE_LEN + 1);
    let other = temp_path("long-source.hev");
    let error = EventFileWriter::create(&other, &instruments(), &long).err().expect("refused");
    assert_eq!(error.kind(), RecordingErrorKind::InvalidArgument);
    assert!(!other.exists());
    fs::remove_file(&path).unwrap();
}

/// Decodes a frame recording as the feed thread does: each frame's events from the decoder and
/// the depth sequencer, then its `FrameEnd` (stamped with the receive time, so runs agree).
fn decode_recording(path: &std::path::Path, instruments: &Instruments) -> (Vec<Event>, u64) {
    let mut decoder = Decoder::new(instruments.clone());
    let mut sequencers: Vec<_> = instruments.iter().map(|(id, _)| DepthSequencer::new(id)).collect();
    let mut reader = open_frames(path).unwrap();
    let mut events = Vec::with_capacity(600_000);
    let mut frames = 0;
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        frames += 1;
        let receive_time = frame.receive_time;
        let before = events.len();
        let (frame_kind, instrument, exchange_time) =
            match decoder.decode(frame.payload, receive_time, frame.channel) {
                Ok(message) => {
                    let kind = message.kind().code();
                    match message {
                        Message::Depth(diff) => {
                            sequencers[diff.instrument.index()].on_diff(&diff, &mut events);
                            (kind, diff.instrument, diff.exchange_time)
                        }
                        Message::Snapshot(snapshot) => {
                            sequencers[snapshot.instrument.index()].on_snapshot(&snapshot, &mut events);
                            (kind, snapshot.instrument, snapshot.exchange_time)
                        }
                        Message::Event(_, event) => {
                            events.push(event);
                            (kind, event.instrument, event.exchange_time)
                        }
                        Message::Ignored(_) => (kind, InstrumentId(0), Nanos(0)),
                    }
                }
                Err(_) => (FrameEnd::UNDECODED, InstrumentId(0), Nanos(0)),
            };
        let end = FrameEnd {
            frame_kind,
            events: (events.len() - before) as u32,
            in_hand: receive_time,
            parsed: receive_time,
            published: receive_time,
        };
        events.push(Event::new(exchange_time, receive_time, Seq(0), instrument, EventKind::FrameEnd(end)));
    }
    (events, frames)
}

#[test]
fn the_btcusdt_recording_round_trips_through_an_event_file() {
    let recording = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let table = Instruments::from_toml(include_str!("../../configs/instruments.toml")).unwrap();
    let started = Instant::now();
    let (decoded, frames) = decode_recording(&recording, &table);
    let decode_time = started.elapsed();
    assert!(decoded.len() > 400_000, "{} events", decoded.len());
    let frame_ends = decoded.iter().filter(|event| matches!(event.kind(), EventKind::FrameEnd(_))).count();
    assert_eq!(frame_ends as u64, frames);

    let path = temp_path("btcusdt_20240808.hev");
    let started = Instant::now();
    let mut writer = EventFileWriter::create(&path, &table, "binance-usdm/btcusdt_20240808.gz").unwrap();
    writer.write_all(&decoded).unwrap();
    writer.finish().unwrap();
    let write_time = started.elapsed();

    let started = Instant::now();
    let file = EventFile::open(&path).unwrap();
    let open_time = started.elapsed();
    assert!(file.is_finished());
    assert_eq!(file.source(), "binance-usdm/btcusdt_20240808.gz");
    assert_same_table(file.instruments(), &table);
    assert_eq!(file.len(), decoded.len());
    assert!(file.events() == &decoded[..], "the events read back differ from those written");
    let bytes = fs::metadata(&path).unwrap().len();
    eprintln!(
        "btcusdt_20240808: {frames} frames, {} events; decode {decode_time:.2?}, write {write_time:.2?}, \
         open (read + validate) {open_time:.2?} for {:.1} MB",
        decoded.len(),
        bytes as f64 / 1e6
    );
    // A torn copy of the real file: whole records up to the cut, nothing invented.
    let mut torn = fs::read(&path).unwrap();
    torn[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    let header = header_len(&torn);
    torn.truncate(header + 123_456 * 64 + 10);
    let torn_path = temp_path("btcusdt-torn.hev");
    fs::File::create(&torn_path).unwrap().write_all(&torn).unwrap();
    let file = EventFile::open(&torn_path).unwrap();
    assert!(!file.is_finished());
    assert_eq!(file.torn_tail_bytes(), 10);
    assert!(file.events() == &decoded[..123_456]);
    fs::remove_file(&torn_path).unwrap();
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_stream_delivers_block_by_block_what_open_reads() {
    let written = events(3_000);
    let path = write_file("stream.hev", &written);
    let mut stream = EventStream::open(&path).unwrap();
    assert_eq!(stream.len(), 3_000);
    assert_same_table(stream.instruments(), &instruments());
    assert_eq!(stream.source(), "test: every kind");
    let (mut streamed, mut sizes, mut block) = (Vec::new(), Vec::new(), Vec::new());
    while stream.next_block(&mut block).unwrap() {
        sizes.push(block.len());
        streamed.extend_from_slice(&block);
    }
    assert_eq!(sizes, [1_024, 1_024, 952]);
    assert!(block.is_empty(), "the end leaves the buffer empty");
    assert!(!stream.next_block(&mut block).unwrap(), "and stays at the end");
    assert_eq!(streamed, written);
    assert_eq!(streamed, EventFile::open(&path).unwrap().into_events());
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_stream_stops_at_a_damaged_block_after_the_good_ones() {
    let written = events(3_000);
    let path = write_file("stream-damaged.hev", &written);
    let mut bytes = fs::read(&path).unwrap();
    let header = header_len(&bytes);
    let record = |index: usize| header + index * 64;
    // A price bit in event 1500: a valid event, so only the block checksum can tell.
    let at = record(1_500) + 33;
    bytes[at] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let mut stream = EventStream::open(&path).unwrap();
    let mut block = Vec::new();
    assert!(stream.next_block(&mut block).unwrap());
    assert_eq!(block, written[..1_024]);
    let error = stream.next_block(&mut block).expect_err("the second block is damaged");
    assert_eq!(error.kind(), RecordingErrorKind::Corrupt);
    assert_eq!(error.byte_offset(), Some(record(1_024) as u64));
    assert!(error.to_string().contains("events 1024..=2047"), "{error}");
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_stream_refuses_an_unfinished_file() {
    let path = temp_path("stream-unfinished.hev");
    let mut writer = EventFileWriter::create(&path, &instruments(), "crashed").unwrap();
    writer.write_all(&events(100)).unwrap();
    writer.flush().unwrap();
    drop(writer);
    let error = EventStream::open(&path).err().expect("an unfinished file does not stream");
    assert!(error.to_string().contains("EventFile::open"), "{error}");
    assert_eq!(EventFile::open(&path).unwrap().len(), 100, "open still recovers it");
    fs::remove_file(&path).unwrap();
}
