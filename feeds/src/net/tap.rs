//! A raw frame tap for recording: [`FrameTap`].
//!
//! The feed thread hands [`FrameTap::record`] each frame's bytes and receive time before it
//! decodes them (decoding in place destroys the bytes). The tap formats one line
//! `<receive_ns> <frame>\n` (what [`LinesReader`](crate::recording::LinesReader) reads back)
//! into a buffer taken from a preallocated pool and passes it through a lock-free queue to a
//! writer thread, which appends it to the file and returns the buffer to the pool.
//!
//! The feed thread never blocks and never does I/O. If the pool is empty (the writer is
//! behind), it allocates a fresh buffer rather than lose the frame, and counts it; if the queue
//! is full, the line waits in a local backlog and is handed over on a later call. Nothing is
//! dropped: memory grows instead, and [`TapStats`] says by how much.
//!
//! A frame containing a newline would split its line; exchanges' JSON frames contain none.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;

use crate::units::Nanos;

/// Sizes of the tap's pool and queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapOptions {
    /// Buffers allocated up front.
    pub pool_buffers: usize,
    /// Capacity of each, bytes (a longer frame grows its buffer once; the grown buffer is
    /// recycled).
    pub buffer_bytes: usize,
}

impl Default for TapOptions {
    /// 4096 buffers of 4 KiB: about a second of a busy Binance stream, 16 MiB.
    fn default() -> Self {
        TapOptions { pool_buffers: 4096, buffer_bytes: 4096 }
    }
}

/// The tap's counters, as seen by the feed thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapStats {
    /// Frames recorded.
    pub frames: u64,
    /// Bytes of lines produced (frame, time, separators).
    pub bytes: u64,
    /// Buffers allocated because the pool was empty.
    pub pool_misses: u64,
    /// Lines that had to wait in the feed thread's backlog because the queue was full.
    pub backlogged: u64,
}

/// The feed thread's side of a frame tap. See the module docs.
pub struct FrameTap {
    pool: Arc<ArrayQueue<Vec<u8>>>,
    lines: Arc<ArrayQueue<Vec<u8>>>,
    backlog: VecDeque<Vec<u8>>,
    buffer_bytes: usize,
    stop: Arc<AtomicBool>,
    writer: Option<JoinHandle<io::Result<()>>>,
    stats: TapStats,
}

impl FrameTap {
    /// Creates (truncates) `path`, allocates the pool and starts the writer thread.
    pub fn create(path: impl AsRef<Path>, options: TapOptions) -> io::Result<FrameTap> {
        let file = File::create(path.as_ref())?;
        let slots = options.pool_buffers.max(1);
        let pool = Arc::new(ArrayQueue::new(slots));
        for _ in 0..slots {
            let _ = pool.push(Vec::with_capacity(options.buffer_bytes));
        }
        // Twice the pool: room for the pool's buffers plus as many allocated on misses.
        let lines = Arc::new(ArrayQueue::new(slots * 2));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (pool, lines, stop) = (Arc::clone(&pool), Arc::clone(&lines), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("frame-tap".to_owned())
                .spawn(move || write_lines(file, &pool, &lines, &stop))?
        };
        Ok(FrameTap {
            pool,
            lines,
            backlog: VecDeque::new(),
            buffer_bytes: options.buffer_bytes,
            stop,
            writer: Some(writer),
            stats: TapStats::default(),
        })
    }

    /// Queues one frame for the file. Never blocks, never does I/O; allocates only when the
    /// pool is empty or the queue is full (both counted).
    pub fn record(&mut self, receive_time: Nanos, frame: &[u8]) {
        while let Some(line) = self.backlog.pop_front() {
            if let Err(line) = self.lines.push(line) {
                self.backlog.push_front(line);
                break;
            }
        }
        let mut line = match self.pool.pop() {
            Some(buffer) => buffer,
            None => {
                self.stats.pool_misses += 1;
                Vec::with_capacity(self.buffer_bytes.max(frame.len() + 24))
            }
        };
        line.clear();
        push_decimal(&mut line, receive_time.0);
        line.push(b' ');
        line.extend_from_slice(frame);
        line.push(b'\n');
        self.stats.frames += 1;
        self.stats.bytes += line.len() as u64;
        if self.backlog.is_empty() {
            if let Err(line) = self.lines.push(line) {
                self.stats.backlogged += 1;
                self.backlog.push_back(line);
            }
        } else {
            self.stats.backlogged += 1;
            self.backlog.push_back(line);
        }
    }

    /// The counters.
    pub fn stats(&self) -> &TapStats {
        &self.stats
    }

    /// Hands over the backlog, stops the writer once it has written every line, flushes the
    /// file and returns the counters. Blocks: call it off the hot path.
    pub fn finish(mut self) -> io::Result<TapStats> {
        self.shut_down()?;
        Ok(self.stats)
    }

    fn shut_down(&mut self) -> io::Result<()> {
        while let Some(line) = self.backlog.pop_front() {
            let mut line = line;
            loop {
                match self.lines.push(line) {
                    Ok(()) => break,
                    Err(back) => {
                        line = back;
                        std::thread::sleep(Duration::from_micros(100));
                    }
                }
            }
        }
        self.stop.store(true, Ordering::Release);
        match self.writer.take() {
            Some(writer) => writer.join().map_err(|_| io::Error::other("the frame tap writer panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for FrameTap {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

/// Appends `value` in decimal (with a `-` if negative) without allocating.
fn push_decimal(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    let mut magnitude = value.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// The writer thread: drain the queue into the file, recycle buffers, nap 1 ms when idle.
fn write_lines(
    file: File,
    pool: &ArrayQueue<Vec<u8>>,
    lines: &ArrayQueue<Vec<u8>>,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, file);
    loop {
        // Read `stop` before draining: lines pushed before it was set are drained below.
        let stopping = stop.load(Ordering::Acquire);
        let mut wrote = false;
        while let Some(line) = lines.pop() {
            out.write_all(&line)?;
            // A full pool means this buffer was allocated on a miss: let it go.
            let _ = pool.push(line);
            wrote = true;
        }
        if stopping {
            break;
        }
        if !wrote {
            out.flush()?;
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    out.flush()?;
    out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for value in [0, 7, 10, 1_723_161_256_299_000_000, i64::MAX, -5, i64::MIN] {
            let mut out = Vec::new();
            push_decimal(&mut out, value);
            assert_eq!(out, value.to_string().into_bytes());
        }
    }
}
