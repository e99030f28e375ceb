//! Where order messages go: the [`Gateway`] role and its implementations.
//!
//! The quoting core hands every encoded order message to a gateway. The live gateway (a later
//! issue) writes them to the venue's socket; the simulated exchange of replay and paper mode
//! matches them against the book. [`CountingGateway`] is the benchmark's venue: it counts the
//! messages and folds their bytes into a digest, so a run can be compared with another bit for
//! bit and the compiler cannot drop the encoding as dead code.

use crate::order::OrderAction;

/// Takes the order messages the quoting core produces. Called on the core thread, once per
/// message: implementations must not block or allocate per call.
pub trait Gateway: Send {
    /// One order action and its encoded message.
    fn send(&mut self, action: &OrderAction, message: &[u8]);
}

/// Counts messages and digests their bytes (FNV-1a, 64-bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountingGateway {
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// FNV-1a of every byte sent, in order.
    pub digest: u64,
}

/// FNV-1a's 64-bit offset basis: the state of a digest of nothing.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl CountingGateway {
    /// Nothing sent yet.
    pub fn new() -> CountingGateway {
        CountingGateway { messages: 0, bytes: 0, digest: FNV_OFFSET }
    }
}

impl Default for CountingGateway {
    fn default() -> CountingGateway {
        CountingGateway::new()
    }
}

impl Gateway for CountingGateway {
    #[inline]
    fn send(&mut self, _action: &OrderAction, message: &[u8]) {
        self.messages += 1;
        self.bytes += message.len() as u64;
        self.digest = fnv1a(self.digest, message);
    }
}

/// Folds `bytes` into an FNV-1a state.
#[inline]
pub(crate) fn fnv1a(mut state: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        state ^= u64::from(byte);
        state = state.wrapping_mul(FNV_PRIME);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        // FNV-1a 64-bit test vectors (Fowler/Noll/Vo reference: "" and "a").
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
