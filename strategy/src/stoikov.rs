//! Stoikov (2018) micro-price with an adjustment table estimated online (being written).
