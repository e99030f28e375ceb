//! The disruptor-style ring (being written).
