//! Exploration (temporary).
use feeds::{Event, OrderBook};
use std::collections::BTreeMap;
use strategy::signals::TopOfBook;
use testkit::replay::Replay;

#[test]
fn explore() {
    let start = std::time::Instant::now();
    let mut replay = Replay::open();
    let mut prev: Option<TopOfBook> = None;
    let mut spreads: BTreeMap<i64, u64> = BTreeMap::new();
    let mut moves: BTreeMap<i64, u64> = BTreeMap::new();
    let mut tops = 0u64;
    let mut distinct = 0u64;
    let mut resets = 0u64;
    let mut first = None;
    let mut last = None;
    let mut imb = [0u64; 10];
    let mut qtys: Vec<i64> = Vec::new();
    while replay.next_frame(|event: &Event, book: &OrderBook| {
        if !event.is_last_of_update() { return; }
        if !book.is_trusted() { if prev.is_some() { resets += 1; } prev = None; return; }
        let Some(top) = TopOfBook::of(book) else { return };
        tops += 1;
        first.get_or_insert(event.exchange_time);
        last = Some(event.exchange_time);
        if prev == Some(top) { return; }
        distinct += 1;
        *spreads.entry(top.ask.0 - top.bid.0).or_default() += 1;
        imb[((top.imbalance() * 10.0) as usize).min(9)] += 1;
        qtys.push(top.bid_qty.0);
        if let Some(p) = prev {
            let dm = (top.bid.0 + top.ask.0) - (p.bid.0 + p.ask.0);
            *moves.entry(dm).or_default() += 1;
        }
        prev = Some(top);
    }) {}
    qtys.sort();
    eprintln!("frames {} tops {tops} distinct {distinct} resets {resets} span {:?}..{:?} elapsed {:?}", replay.frames, first, last, start.elapsed());
    eprintln!("tick {:?} lot {:?}", replay.tick(), replay.lot());
    eprintln!("spreads {spreads:?}");
    eprintln!("moves (half ticks) {moves:?}");
    eprintln!("imbalance deciles {imb:?}");
    eprintln!("bid qty p10 {} p50 {} p90 {} p99 {}", qtys[qtys.len()/10], qtys[qtys.len()/2], qtys[qtys.len()*9/10], qtys[qtys.len()*99/100]);
}
